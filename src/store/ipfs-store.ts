// A StreamingBlobStore over an embedded Helia node (src/store/ipfs-node.ts). Each blob is one raw
// IPFS block under its CIDv1 (raw, sha2-256): exactly the address `cidOf` computes, so any IPFS
// node that holds the same bytes serves the same address, and ours serve theirs.
//
// Integrity: the store hashes what it is given before storing it, and hashes again what it
// returns, whether read from the local repo or received from a peer. A peer cannot pass off other
// bytes either way: bitswap derives a received block's address from its bytes (a block is only
// ever taken for the address it hashes to), Helia re-hashes what it fetched, and so do we.
//
// Sizes: a blob is one block, and bitswap moves blocks whole, in messages of at most 4 MiB, so
// blobs are small by design (maxBytes, default 2 MiB; see src/store/ipfs-options.ts).
//
// What is put is pinned, so a garbage collection (helia.gc()) keeps it, and only what is pinned is
// served to peers (src/store/ipfs-serving.ts). A blob fetched from a peer by `get` is kept in the
// repo as a cache for this node's own reads: not pinned, and not served on unless `serveOn` is
// asked for it (a provider, for the inputs of a job it accepted). `has` and `size` look at the
// local repo only; `get` and `getStream` of a blob absent locally ask the connected peers and
// wait at most fetchTimeoutMs before reporting BlobNotFoundError.
//
// Availability ("is this blob served now?") is never judged on the repo: `uncached(store)` gives
// the served-now view (ServedNowView below), which reads through a probe that holds nothing — a
// node with a new peer id and an empty in-memory repo, dialing the configured peers
// (IpfsNode.startProbe) — so neither a block fetched in an earlier audit, nor one this node
// pinned, nor a peer's bitswap ledger of an earlier want decides the verdict.
import { setTimeout as sleep } from "node:timers/promises";

import { CID } from "multiformats/cid";

import {
  SERVED_NOW,
  type BlobStore,
  type PutOptions,
  type ServesNow,
  type StreamingBlobStore,
} from "./blob-store.ts";
import { canonicalCid, cidOf } from "../protocol/cid.ts";
import { MAX_COMMITTED_BLOB_BYTES } from "../protocol/limits.ts";
import {
  BlobNotFoundError,
  BlobTooLargeError,
  IntegrityError,
  StoreError,
  StoreUnavailableError,
} from "./errors.ts";
import { checkedCid } from "./integrity.ts";
import { IPFS_DEFAULT_MAX_BLOB_BYTES, IPFS_MAX_BLOCK_BYTES } from "./ipfs-options.ts";
import { servesBlock } from "./ipfs-serving.ts";
import type { IpfsHelia, IpfsNode } from "./ipfs-node.ts";
import { collectBytes, sliceBytes, verifyChunks } from "./streams.ts";

export interface IpfsBlobStoreOptions {
  /** A started node; the store does not stop it (whoever started it does). */
  helia: IpfsHelia;
  /** Largest blob accepted, fetched or returned, in bytes (at most IPFS_MAX_BLOCK_BYTES). */
  maxBytes?: number;
  /** How long `get` waits for peers to send a blob absent locally; 0: never ask peers. */
  fetchTimeoutMs?: number;
  /**
   * Called when peers are asked for a missing blob, with the fetch's signal: the node redials
   * configured peers that dropped (IpfsNode.connectPeers). Not awaited; its failures are ignored.
   */
  connect?: (signal: AbortSignal) => Promise<unknown>;
  /**
   * How many of the node's configured peers are connected now (absent: it has none configured).
   * With none of them connected, a blob absent locally is an outage (StoreUnavailableError,
   * retryable), not an absence, whoever else has dialed in: a stranger's connection, or a
   * verifier's to a provider, says nothing about whether the blob exists. A node with no peers
   * configured answers from its own repo alone, and a blob it lacks is not found.
   */
  configuredPeersConnected?: () => number;
  /**
   * The node's availability probes and connection state (an IpfsNode), for the served-now view.
   * Absent: the view refuses every read (StoreUnavailableError), as it cannot tell what the
   * network serves.
   */
  probes?: ProbeSource;
  /** How long the served-now view keeps its probe after its last read (default 1 s). */
  probeLingerMs?: number;
  /**
   * Called once a put has pinned its block (IpfsNode.published): the node serves peers only what
   * it pinned, so a peer whose want arrived before the pin is sent the block now. Awaited; its
   * failures are ignored (the block is stored and pinned, and served on the peer's next want).
   */
  published?: (cid: string) => Promise<void>;
}

/** What the served-now view needs of the node: IpfsNode's probes and connection state. */
export type ProbeSource = Pick<
  IpfsNode,
  "startProbe" | "configuredPeerIds" | "connectedTo" | "askConnectedPeer"
>;

const STREAM_CHUNK_BYTES = 1024 * 1024;
const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
const DEFAULT_PROBE_LINGER_MS = 1_000;
/** How often a probe redials the configured peers it is not connected to while it waits. */
const PROBE_REDIAL_MS = 250;
/** How often a probe's read looks at which configured peers it is connected to. */
const PROBE_WATCH_MS = 50;
/**
 * The least time a peer that refused the probe is given to answer over this node's connection: a
 * Helia peer ignores a repeated want until its ledger entry of an earlier one expires (5 s) and
 * the next want arrives (resent every second).
 */
const ASK_CONNECTED_MIN_MS = 7_000;

export class IpfsBlobStore implements StreamingBlobStore, ServesNow {
  readonly maxBytes: number;
  readonly fetchTimeoutMs: number;
  /** The node the blobs live in (for its pins and garbage collection, `helia.gc()`). */
  readonly helia: IpfsHelia;
  private readonly connect: ((signal: AbortSignal) => Promise<unknown>) | undefined;
  private readonly configuredPeersConnected: (() => number) | undefined;
  private readonly probes: ProbeSource | undefined;
  private readonly probeLingerMs: number;
  private readonly published: ((cid: string) => Promise<void>) | undefined;
  /** Puts in progress by CID: Helia's pins are read-then-write, so one CID is pinned at a time. */
  private readonly putting = new Map<string, Promise<void>>();

  constructor(options: IpfsBlobStoreOptions) {
    const maxBytes = options.maxBytes ?? IPFS_DEFAULT_MAX_BLOB_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0 || maxBytes > IPFS_MAX_BLOCK_BYTES) {
      throw new RangeError(
        `maxBytes must be a positive integer of at most ${IPFS_MAX_BLOCK_BYTES} (one bitswap block), got ${maxBytes}`,
      );
    }
    const fetchTimeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    if (!Number.isSafeInteger(fetchTimeoutMs) || fetchTimeoutMs < 0) {
      throw new RangeError(`fetchTimeoutMs must be a non-negative integer, got ${fetchTimeoutMs}`);
    }
    this.helia = options.helia;
    this.maxBytes = maxBytes;
    this.fetchTimeoutMs = fetchTimeoutMs;
    this.connect = options.connect;
    this.configuredPeersConnected = options.configuredPeersConnected;
    this.probes = options.probes;
    this.probeLingerMs = options.probeLingerMs ?? DEFAULT_PROBE_LINGER_MS;
    this.published = options.published;
  }

  /**
   * What the configured peers serve now, read through a probe that holds nothing (ServedNowView):
   * what `uncached()` gives for this store. Each call is a view of its own, with its own probe.
   */
  [SERVED_NOW](): BlobStore {
    return new ServedNowView(this, this.probes, this.fetchTimeoutMs, this.probeLingerMs);
  }

  async put(bytes: Uint8Array, options?: PutOptions): Promise<string> {
    if (bytes.byteLength > this.maxBytes) {
      throw new BlobTooLargeError(
        this.maxBytes,
        `blob of ${bytes.byteLength} bytes exceeds the limit of ${this.maxBytes} bytes (one raw IPFS block)`,
      );
    }
    // Copy first, hash the copy: an in-memory repo keeps the array it is given, and the caller
    // may reuse its buffer after put returns.
    const copy = bytes.slice();
    const cid = checkedCid(copy, options?.expectedCid);
    options?.signal?.throwIfAborted();
    await this.serialized(cid, () => this.store(cid, copy, options?.signal));
    return cid;
  }

  async putStream(source: AsyncIterable<Uint8Array>, options?: PutOptions): Promise<string> {
    // A malformed expected address is refused before the stream is read.
    if (options?.expectedCid !== undefined) canonicalCid(options.expectedCid);
    const signal = options?.signal;
    async function* watched(): AsyncGenerator<Uint8Array, void, undefined> {
      for await (const chunk of source) {
        signal?.throwIfAborted();
        yield chunk;
      }
    }
    // A blob is at most one block (a few MiB): collecting it is cheap, and the limit is applied
    // as the chunks arrive.
    const bytes = await collectBytes(watched(), this.maxBytes, "blob stream");
    return this.put(bytes, options);
  }

  async get(cid: string, options?: { signal?: AbortSignal }): Promise<Uint8Array> {
    const canonical = canonicalCid(cid);
    const key = CID.parse(canonical);
    const local = await this.helia.blockstore.has(key);
    const read = local
      ? await this.readLocal(canonical, key, options?.signal)
      : await this.fetch(canonical, key, options?.signal);
    // Helia hands out Node Buffers: views into a file read or a bitswap message, whose `slice`
    // does not copy. Callers get a plain Uint8Array that owns exactly the blob's bytes.
    const bytes = new Uint8Array(read);
    const actual = cidOf(bytes);
    if (actual !== canonical) {
      await this.serialized(canonical, () => this.dropCorrupt(key));
      const seen = local ? "corrupted block in the IPFS repo" : "block fetched from a peer";
      throw new IntegrityError(
        canonical,
        actual,
        `${seen}: the bytes for ${canonical} hash to ${actual}; dropped, so the blob can be fetched or put again`,
      );
    }
    return bytes;
  }

  /** Fetches the whole blob first (so absence is reported before the stream starts), then streams it. */
  async getStream(
    cid: string,
    options?: { signal?: AbortSignal },
  ): Promise<AsyncIterable<Uint8Array>> {
    const canonical = canonicalCid(cid);
    const bytes = await this.get(canonical, options);
    return verifyChunks(sliceBytes(bytes, STREAM_CHUNK_BYTES), canonical, this.maxBytes);
  }

  /**
   * Whether this node publishes `cid`: put (pinned) and held. A blob it only fetched as a reader
   * is a cache that its reads use but peers are not served (src/store/ipfs-serving.ts), so it is
   * not "in the store": `assay submit` asks this before money moves, and a provider must be able
   * to fetch what it says yes to.
   */
  async has(cid: string): Promise<boolean> {
    return servesBlock(this.helia, CID.parse(canonicalCid(cid)));
  }

  /**
   * Serves on a blob this node holds but did not publish (one `get` fetched and verified) by pinning
   * it, as a put does: peers are then sent it (src/store/ipfs-serving.ts), and a garbage collection
   * keeps it. Reads the local repo only, never the network: BlobNotFoundError at once when the
   * repo lacks the block. The held bytes are checked against the address before the pin: a block
   * that rotted is dropped (IntegrityError), as `get` drops it, so a later `get` fetches it again.
   * Contract and callers: BlobStore.serveOn (a provider's job inputs; never another's checkpoints).
   */
  async serveOn(cid: string): Promise<void> {
    const canonical = canonicalCid(cid);
    const key = CID.parse(canonical);
    await this.serialized(canonical, async () => {
      if (!(await this.helia.blockstore.has(key)))
        throw new BlobNotFoundError(
          canonical,
          `blob ${canonical} is not in the local IPFS repo: serveOn serves on only a blob this node holds, and fetches nothing`,
        );
      const held = new Uint8Array(await this.readLocal(canonical, key));
      const actual = cidOf(held);
      if (actual !== canonical) {
        await this.dropCorrupt(key);
        throw new IntegrityError(
          canonical,
          actual,
          `corrupted block in the IPFS repo: the bytes for ${canonical} hash to ${actual}; dropped, not served`,
        );
      }
      await this.pin(key, canonical);
    });
  }

  async size(cid: string): Promise<number | undefined> {
    const canonical = canonicalCid(cid);
    const key = CID.parse(canonical);
    if (!(await this.helia.blockstore.has(key))) return undefined;
    try {
      return (await this.readLocal(canonical, key)).byteLength;
    } catch (error) {
      if (error instanceof BlobNotFoundError) return undefined;
      throw error;
    }
  }

  /**
   * Writes and pins one verified block. The signal is heeded up to the write, not after it: an
   * aborted put stores nothing, and a put that wrote its block also pins it.
   */
  private async store(cid: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    const key = CID.parse(cid);
    // Helia's put keeps a block it already has, even one that rotted in the repo: a put of the
    // right bytes (a provider republishing to answer an availability challenge) must repair it.
    if (await this.helia.blockstore.has(key)) {
      const held = await this.readLocal(cid, key, signal).catch(() => undefined);
      if (held !== undefined && cidOf(new Uint8Array(held)) === cid) return this.pin(key, cid);
      await this.deleteBlock(key).catch(() => undefined);
    }
    try {
      await this.helia.blockstore.put(key, bytes, signal === undefined ? {} : { signal });
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      throw new StoreError(`cannot store ${cid} in the IPFS repo`, { cause: error });
    }
    await this.pin(key, cid);
  }

  /**
   * Pins a stored block, so garbage collection keeps it and the node serves it to peers (a node
   * serves only what it pinned: src/store/ipfs-serving.ts), then tells bitswap so.
   */
  private async pin(key: CID, cid: string): Promise<void> {
    try {
      if (!(await this.helia.pins.isPinned(key))) {
        for await (const _ of this.helia.pins.add(key)) {
          // pins.add yields each block it pinned; a raw block has no links, so just this one.
        }
      }
    } catch (error) {
      throw new StoreError(`cannot pin ${cid} in the IPFS repo`, { cause: error });
    }
    await this.published?.(cid).catch(() => undefined);
  }

  /**
   * A block that does not hash to its address (bit rot in the repo): drop it and its pin, as
   * FsBlobStore moves such a file aside, so the address reads as absent and a later put (which
   * pins again) or fetch restores it. Best effort: the IntegrityError is what matters.
   */
  private async dropCorrupt(key: CID): Promise<void> {
    try {
      if (await this.helia.pins.isPinned(key)) {
        for await (const _ of this.helia.pins.rm(key)) {
          // pins.rm yields each block it unpinned: just this one.
        }
      }
      await this.deleteBlock(key);
    } catch {
      // Left in place: it is never returned, and the next read reports it again.
    }
  }

  /**
   * Deletes a block (unpinned) from the repo. Helia's own `blockstore.delete` first asks content
   * routing to stop reproviding it, which fails on a node with no content router (ours: no DHT,
   * no delegated routing), so this goes to the storage under it, as Helia's own gc does.
   */
  private async deleteBlock(key: CID): Promise<void> {
    const blocks = this.helia.blockstore as { unwrap?: () => { delete(key: CID): unknown } };
    await (blocks.unwrap?.() ?? this.helia.blockstore).delete(key);
  }

  private async serialized(cid: string, run: () => Promise<void>): Promise<void> {
    const before = this.putting.get(cid) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(run);
    const tail = mine.catch(() => undefined);
    this.putting.set(cid, tail);
    try {
      await mine;
    } finally {
      if (this.putting.get(cid) === tail) this.putting.delete(cid);
    }
  }

  private async readLocal(cid: string, key: CID, signal?: AbortSignal): Promise<Uint8Array> {
    try {
      // offline: a block removed since `has` is reported absent, never fetched behind our back.
      const chunks = this.helia.blockstore.get(key, {
        offline: true,
        ...(signal === undefined ? {} : { signal }),
      });
      return await collectBytes(chunks, this.maxBytes, `blob ${cid}`);
    } catch (error) {
      if (error instanceof StoreError) throw error;
      if (signal?.aborted === true) throw signal.reason;
      if (isNamed(error, "NotFoundError", "BlockNotFoundWhileOfflineError")) {
        throw new BlobNotFoundError(cid);
      }
      throw new StoreError(`cannot read ${cid} from the IPFS repo`, { cause: error });
    }
  }

  /** Asks the connected peers for a blob absent locally, for at most fetchTimeoutMs. */
  private async fetch(cid: string, key: CID, signal?: AbortSignal): Promise<Uint8Array> {
    signal?.throwIfAborted();
    if (this.fetchTimeoutMs === 0) {
      throw new BlobNotFoundError(cid, `blob ${cid} not found in the local IPFS repo`);
    }
    const timeout = AbortSignal.timeout(this.fetchTimeoutMs);
    // Aborted when the fetch returns: Node keeps a combined signal that has listeners (Helia's
    // and the redial's) alive until it aborts, so without this the timeout's timer would hold
    // them, and through them the node and its repo, for the rest of fetchTimeoutMs.
    const finished = new AbortController();
    const both = AbortSignal.any(
      signal === undefined ? [timeout, finished.signal] : [signal, timeout, finished.signal],
    );
    let bytes: Uint8Array;
    try {
      // Redial dropped peers alongside the want, not before it: bitswap sends the want to each
      // peer as it connects, and one unreachable peer must not hold up the others.
      this.connect?.(both).catch(() => undefined);
      // Helia asks bitswap, checks the block against its address and keeps it in the repo.
      bytes = await collectBytes(
        this.helia.blockstore.get(key, { signal: both }),
        this.maxBytes,
        `blob ${cid}`,
      );
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      if (error instanceof BlobTooLargeError) {
        // A peer had it, but it is larger than this store accepts: do not keep it either.
        try {
          await this.deleteBlock(key);
        } catch {
          // Best effort: an unpinned block is what a garbage collection removes anyway.
        }
        throw error;
      }
      if (timeout.aborted) {
        const peers = this.helia.libp2p.getPeers().length;
        // No configured peer to ask is an outage (this node's network, or every peer down), not an
        // answer: retryable, as an unreachable store server is. With a configured peer connected,
        // a blob nobody sent is absent — what an availability verdict needs (so configure several
        // peers: a referee whose only peer is the provider cannot judge the provider's absence).
        // Peers that dialed in unasked do not count (ATTACK: ipfs-stranger-outage-poison.test.ts).
        if (this.configuredPeersConnected?.() === 0)
          throw new StoreUnavailableError(
            `blob ${cid} not in the local IPFS repo, and none of the node's configured IPFS peers is connected to ask for it`,
            1,
          );
        throw new BlobNotFoundError(
          cid,
          `blob ${cid} not found: not in the local IPFS repo, and none of the ${peers} connected peer(s) sent it within ${this.fetchTimeoutMs} ms`,
        );
      }
      throw new StoreError(`cannot fetch ${cid} from IPFS peers`, { cause: error });
    } finally {
      finished.abort();
    }
    return bytes;
  }
}

/**
 * The served-now view of an IpfsBlobStore (`uncached(store)`): every read asks the configured peers
 * through a probe (IpfsNode.startProbe) — a node with a new peer id and an empty in-memory repo,
 * listening nowhere — never this node's repo, whose blocks fetched in earlier audits or pinned by
 * its own puts say nothing about what the provider serves now. A fresh peer id also starts with no
 * bitswap ledger at the peers: Helia ignores a repeated want from a peer it already sent the block
 * to (for seconds, and until that peer's next message), which made honest providers read as
 * unavailable when a read dropped the local block and asked again with the node's own identity.
 *
 * The view starts its probe on its first read and keeps it while reads follow one another (a
 * verdict reads a checkpoint more than once: the probe's own copy, fetched during this verdict,
 * answers again), stopping it `lingerMs` after the last; a later read starts a fresh one. Blobs are
 * accepted up to the protocol's MAX_COMMITTED_BLOB_BYTES, whatever this node's own limit.
 *
 * A configured peer that is up — this node holds a connection to it — but does not take the
 * probe's connection is asked over this node's own connection instead (IpfsNode.askConnectedPeer,
 * still never this node's repo): a stranger holding the peer's inbound connection slots, or the
 * peer's inbound rate limit, must not make an honest provider read as withholding, and a
 * withholding provider must not escape a verdict by refusing every peer it does not know
 * (test/ts/ipfs-review/ipfs-probe-attacks.test.ts).
 *
 * Outcomes: the bytes; BlobNotFoundError when some configured peer was asked (by the probe, or over
 * this node's connection) and none sent the blob within fetchTimeoutMs (counted, for each peer,
 * from when the probe got connected to it, so a peer that let the probe in on a redial has the
 * whole window; at least 7 s over this node's connection); StoreUnavailableError (retryable: no
 * verdict either way) when no configured peer could be asked at all.
 */
class ServedNowView implements BlobStore {
  readonly #owner: IpfsBlobStore;
  readonly #source: ProbeSource | undefined;
  readonly #fetchTimeoutMs: number;
  readonly #lingerMs: number;
  #probe: Promise<IpfsNode> | undefined;
  #reads = 0;
  #idle: ReturnType<typeof setTimeout> | undefined;

  constructor(
    owner: IpfsBlobStore,
    source: ProbeSource | undefined,
    fetchTimeoutMs: number,
    lingerMs: number,
  ) {
    this.#owner = owner;
    this.#source = source;
    this.#fetchTimeoutMs = fetchTimeoutMs;
    this.#lingerMs = lingerMs;
  }

  /** Puts go to the node's own repo (pinned), as through the store. */
  put(bytes: Uint8Array): Promise<string> {
    return this.#owner.put(bytes);
  }

  async get(cid: string): Promise<Uint8Array> {
    const canonical = canonicalCid(cid);
    const source = this.#source;
    if (source === undefined || this.#fetchTimeoutMs === 0 || source.configuredPeerIds.length === 0)
      throw new StoreUnavailableError(
        `blob ${canonical}: this IPFS store cannot tell what the network serves now (${
          source === undefined
            ? "it has no probe"
            : this.#fetchTimeoutMs === 0
              ? "its fetch timeout is 0: it never asks peers"
              : "its node has no configured peers to ask"
        })`,
        1,
      );
    this.#reads += 1;
    clearTimeout(this.#idle);
    try {
      let probe: IpfsNode;
      try {
        probe = await this.#started(source);
      } catch (error) {
        // Our own machinery failing says nothing about the provider: no verdict, not "withheld".
        throw new StoreUnavailableError(
          `blob ${canonical}: the availability probe could not start`,
          1,
          { cause: error },
        );
      }
      return await this.#read(source, probe, canonical);
    } finally {
      this.#reads -= 1;
      if (this.#reads === 0) {
        this.#idle = setTimeout(() => this.#retire(), this.#lingerMs);
        this.#idle.unref();
      }
    }
  }

  /** Whether the configured peers serve `cid` now (a read through the probe). */
  async has(cid: string): Promise<boolean> {
    try {
      await this.get(cid);
      return true;
    } catch (error) {
      if (error instanceof BlobNotFoundError) return false;
      throw error;
    }
  }

  /** The size of a blob the probe holds (read during this view's last reads); else unknown. */
  async size(cid: string): Promise<number | undefined> {
    const canonical = canonicalCid(cid);
    const probe = await this.#probe?.catch(() => undefined);
    if (probe === undefined) return undefined;
    return ipfsBlobStoreOn(probe, 0).size(canonical);
  }

  #started(source: ProbeSource): Promise<IpfsNode> {
    if (this.#probe === undefined) {
      const starting = source.startProbe();
      this.#probe = starting;
      starting.catch(() => {
        if (this.#probe === starting) this.#probe = undefined;
      });
    }
    return this.#probe;
  }

  #retire(): void {
    if (this.#reads > 0) return;
    const probe = this.#probe;
    this.#probe = undefined;
    void probe?.then((node) => node.stop()).catch(() => undefined);
  }

  async #read(source: ProbeSource, probe: IpfsNode, cid: string): Promise<Uint8Array> {
    const fetchMs = this.#fetchTimeoutMs;
    // Each configured peer has fetchTimeoutMs from when the probe got connected to it: one that
    // refused the probe at first (its inbound rate limit: 5 connections a second from one host)
    // and took it on a redial is not judged on the little time left. A peer still not in once
    // the others' windows have passed (at most a dial timeout more) counts as refused: asked over
    // this node's own connection below, if it is up.
    const begun = performance.now();
    const cap = begun + fetchMs + probe.options.dialTimeoutMs;
    const since = new Map<string, number>();
    const done = new AbortController();
    // Ends the redial loop below when this read ends, whatever its outcome (ATTACK:
    // attack-probe-redial-leak.test.ts: a read that succeeded left it running for the fetch's
    // whole timeout, redialing through a probe already stopped and holding its repo).
    const ended = new AbortController();
    const watch = setInterval(() => {
      const now = performance.now();
      for (const peer of source.configuredPeerIds)
        if (!since.has(peer) && probe.connectedTo(peer)) since.set(peer, now);
      const deadline = Math.min(cap, Math.max(begun, ...since.values()) + fetchMs);
      if (now >= deadline) done.abort(new BlobNotFoundError(cid));
    }, PROBE_WATCH_MS);
    const store = new IpfsBlobStore({
      helia: probe.helia,
      maxBytes: MAX_COMMITTED_BLOB_BYTES,
      // The watch above ends the fetch; this only bounds it if the watch could not.
      fetchTimeoutMs: fetchMs + probe.options.dialTimeoutMs + 1_000,
      // A configured peer the probe could not reach (its inbound rate limit, a dial that failed)
      // is dialed again while the want waits; bitswap sends it the want once it is in.
      connect: async (fetching) => {
        const signal = AbortSignal.any([fetching, ended.signal]);
        while (!signal.aborted) {
          await probe.connectPeers(signal);
          await sleep(PROBE_REDIAL_MS, undefined, { signal });
        }
      },
    });
    try {
      return await store.get(cid, { signal: done.signal });
    } catch (error) {
      if (!done.signal.aborted && !(error instanceof BlobNotFoundError)) {
        // Bytes that are not the blob, or a blob over the protocol's limit, are the peer's to
        // answer for (not available intact); anything else is our probe failing: no verdict.
        if (error instanceof IntegrityError || error instanceof BlobTooLargeError) throw error;
        throw new StoreUnavailableError(`blob ${cid}: the availability probe failed`, 1, {
          cause: error,
        });
      }
    } finally {
      clearInterval(watch);
      ended.abort();
    }
    const reached = probe.configuredPeersConnected();
    // Configured peers that are up (this node holds a connection to each) but did not take the
    // probe's: a stranger may hold their inbound connection slots, or their inbound rate limit
    // refused us, or they refuse peers they do not know. Asked over this node's own connection.
    const refused = source.configuredPeerIds.filter(
      (peer) => source.connectedTo(peer) && !probe.connectedTo(peer),
    );
    if (refused.length === 0) {
      if (reached === 0)
        throw new StoreUnavailableError(
          `blob ${cid}: none of the node's configured IPFS peers could be asked for it (the availability probe reached none, and this node is connected to none)`,
          1,
        );
      throw new BlobNotFoundError(
        cid,
        `blob ${cid} is not served now: none of the ${reached} configured IPFS peer(s) a fresh probe reached sent it within ${fetchMs} ms`,
      );
    }
    const answered = new AbortController();
    const window = AbortSignal.any([
      AbortSignal.timeout(Math.max(fetchMs, ASK_CONNECTED_MIN_MS)),
      answered.signal,
    ]);
    let failure: unknown;
    const answers = refused.map(async (peer) => {
      try {
        const bytes = new Uint8Array(await source.askConnectedPeer(peer, cid, { signal: window }));
        if (bytes.byteLength <= MAX_COMMITTED_BLOB_BYTES && cidOf(bytes) === cid) {
          answered.abort();
          return bytes;
        }
      } catch (error) {
        // A want that never reached the peer (WantNotDeliveredError, src/store/ipfs-node.ts)
        // asked nothing: its answer is unknown, whenever the window ended (ATTACK:
        // attack-ask-unsent-want.test.ts). By name: this module loads no IPFS stack.
        if (!window.aborted || isNamed(error, "WantNotDeliveredError")) failure ??= error;
      }
      return undefined;
    });
    for (const bytes of await Promise.all(answers)) if (bytes !== undefined) return bytes;
    if (failure !== undefined)
      // This node could not ask them (a want it could not deliver, or Helia's internals
      // changed): their answer is unknown.
      throw new StoreUnavailableError(
        `blob ${cid}: no configured IPFS peer the probe reached sent it, and ${refused.length} configured peer(s) that refused the probe's connection could not be asked over this node's own`,
        1,
        { cause: failure },
      );
    throw new BlobNotFoundError(
      cid,
      `blob ${cid} is not served now: none of the ${reached} configured IPFS peer(s) a fresh probe reached sent it within ${fetchMs} ms, nor did the ${refused.length} that refused the probe's connection when asked over this node's own`,
    );
  }
}

/**
 * The store over a started node, with the node's own settings: its size limit and fetch timeout,
 * redialing its configured peers, and reading "no peer connected" as an outage when it has some.
 * Its served-now view (`uncached()`) reads through the node's probes.
 */
export function ipfsBlobStoreOn(
  node: IpfsNode,
  fetchTimeoutMs: number = node.options.fetchTimeoutMs,
): IpfsBlobStore {
  return new IpfsBlobStore({
    helia: node.helia,
    maxBytes: node.options.maxBlobBytes,
    fetchTimeoutMs,
    connect: (signal) => node.connectPeers(signal),
    ...(node.options.peers.length > 0
      ? { configuredPeersConnected: () => node.configuredPeersConnected() }
      : {}),
    probes: node,
    published: (cid) => node.published(cid),
  });
}

function isNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}
