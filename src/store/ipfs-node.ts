// An embedded IPFS node (Helia) that reaches only what its settings name (src/store/ipfs-options.ts):
// it listens on the configured addresses (default 127.0.0.1, an ephemeral TCP port) and dials only
// the configured peers. There is no public bootstrap list, mDNS, UPnP, AutoNAT, relay, DHT or
// delegated HTTP routing, and no HTTP gateway fallback: blocks move by bitswap between this node
// and the peers it is connected to, over TCP with Noise and Yamux. A connection gater refuses
// every other outgoing dial; peers may still dial in on the listen addresses.
import { createHash } from "node:crypto";
import path from "node:path";

import { withLibp2pLight, type HeliaWithLibp2p } from "@helia/libp2p";
import { identify, type Identify } from "@libp2p/identify";
import { KEEP_ALIVE, type PeerId } from "@libp2p/interface";
import { noise } from "@libp2p/noise";
import { peerIdFromString } from "@libp2p/peer-id";
import { tcp } from "@libp2p/tcp";
import { yamux } from "@libp2p/yamux";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { MemoryBlockstore } from "blockstore-core";
import { base64 } from "multiformats/bases/base64";
import { CID } from "multiformats/cid";
import { FsBlockstore } from "blockstore-fs";
import { MemoryDatastore } from "datastore-core";
import { FsDatastore } from "datastore-fs";
import { createHeliaLight } from "helia";
import { from as hasherFrom } from "multiformats/hashes/hasher";

import { MAX_COMMITTED_BLOB_BYTES } from "../protocol/limits.ts";

import { handleIncomingStreams, type BitswapNetwork } from "./ipfs-incoming-streams.ts";
import {
  BITSWAP_MAX_MESSAGE_BYTES,
  IpfsOptionsSchema,
  transportAddress,
  type IpfsOptions,
  type IpfsOptionsInput,
} from "./ipfs-options.ts";
import { withBitswapServingPins } from "./ipfs-serving.ts";

export type IpfsHelia = HeliaWithLibp2p<{ identify: Identify }>;

/** A configured peer the node could not reach. */
export interface UnreachablePeer {
  peer: string;
  error: unknown;
}

export interface IpfsNode {
  readonly helia: IpfsHelia;
  readonly options: IpfsOptions;
  /** This node's peer id (what peers put after /p2p/). */
  readonly peerId: string;
  /** The addresses peers can dial, each ending in /p2p/<peer id>. */
  multiaddrs(): string[];
  /** How many peers are connected now (configured or not). */
  connectedPeers(): number;
  /** How many of the configured peers are connected now. */
  configuredPeersConnected(): number;
  /** The configured peers' ids, in the order of `options.peers`. */
  readonly configuredPeerIds: readonly string[];
  /** Whether a connection to `peerId` is open now. */
  connectedTo(peerId: string): boolean;
  /**
   * Starts an availability probe (src/store/ipfs-store.ts, the served-now view): a node of its own
   * that holds nothing — a new peer id, its repo in memory and empty, listening nowhere — and dials
   * this node's configured peers, with this node's timeouts, accepting blobs up to the protocol's
   * MAX_COMMITTED_BLOB_BYTES. What it reads therefore says what those peers serve now, to a peer they
   * have never seen: not this node's repo, pins or bitswap history. Stopped with this node, if not
   * before.
   */
  startProbe(): Promise<IpfsNode>;
  /**
   * Asks one peer this node is connected to for a block, over that connection, until it arrives or
   * `signal` aborts: the want is sent again every `resendMs`, never read from or written to this
   * node's repo. Resolves with the bytes the peer sent for the block's digest (the caller checks
   * them against the address). For the served-now view, when a configured peer is up for this node
   * but refused the probe's connection. Resending matters: a peer running Helia ignores a repeated
   * want from a peer it already sent the block to until its ledger entry expires (5 s) and that
   * peer's next message arrives; a cancel is sent after the answer, unless this node itself still
   * wants the block.
   */
  askConnectedPeer(
    peerId: string,
    cid: string,
    options: { signal: AbortSignal; resendMs?: number },
  ): Promise<Uint8Array>;
  /**
   * Tells bitswap that `cid` was just pinned (published): peers whose want for it arrived before
   * are sent it now. A node serves peers only the blocks it pinned (src/store/ipfs-serving.ts).
   */
  published(cid: string): Promise<void>;
  /**
   * Dials every configured peer that is not connected now, each bounded by dialTimeoutMs (and
   * `signal`). Never throws: the peers it could not reach are returned.
   */
  connectPeers(signal?: AbortSignal): Promise<UnreachablePeer[]>;
  /** Closes every connection and listener, then the repo. */
  stop(): Promise<void>;
}

interface ConfiguredPeer {
  id: PeerId;
  addr: Multiaddr;
}

function configuredPeers(addrs: readonly string[]): ConfiguredPeer[] {
  return addrs.map((text) => {
    const addr = multiaddr(text);
    const id = addr.getComponents().find((c) => c.name === "p2p")?.value;
    if (id === undefined) throw new RangeError(`${text} names no peer id`);
    return { id: peerIdFromString(id), addr };
  });
}

/**
 * Starts a node. With `repoDir`, blocks live under <repoDir>/blocks (blockstore-fs, one file per
 * block) and pins and the node's key under <repoDir>/datastore (datastore-fs); without it, all
 * in memory. Dials the configured peers before returning; the ones it could not
 * reach are in `unreachable` (they are dialed again when a blob is missing).
 */

/**
 * The identity "hash" replaced by one no want can match. ATTACK (test/ts/ipfs-review/
 * ipfs-forged-identity-block.test.ts): bitswap matches a received block to a want by its digest
 * bytes alone and takes the hash function from the sender's prefix, so a block that claims identity
 * hashing and whose data is a wanted sha-256 digest answered the want with those 32 bytes; Helia's
 * check of them failed the whole fetch at once, before an honest peer's block could arrive. Our
 * blobs are never identity-addressed: with this "hash" (sha-256 of a domain tag and the data) a
 * forged block matches no want and is ignored, and the honest block answers it.
 */
const IDENTITY_REFUSED = hasherFrom({
  name: "identity-refused",
  code: 0x00,
  encode: (data: Uint8Array): Uint8Array<ArrayBuffer> =>
    new Uint8Array(
      createHash("sha256").update("assay: identity hashing refused").update(data).digest(),
    ),
});

/**
 * The most connections a node holds (libp2p's default, made explicit: the send capacity below is
 * sized on it). Connections past it are refused.
 */
const MAX_CONNECTIONS = 300;

/**
 * How many bitswap messages a node sends at once, all peers together. ATTACK (test/ts/ipfs-review/
 * attack-send-queue-jam.test.ts): a block send (the ledger's) has no timeout — @helia/bitswap
 * 4.x passes its queue job's signal, so neither messageSendTimeout nor the documented
 * sendBlocksTimeout (read nowhere) applies — and a peer that wants a block over yamux's 256 KiB
 * window and never reads the stream holds its send slot for as long as it stays connected. With
 * Helia's 50 slots, fifty such strangers stopped an honest provider sending anything to anyone.
 * Each peer has at most one block send running (its ledger's queue runs one job at a time) and
 * our own wantlist sends to it are bounded by messageSendTimeout (10 s) and merged while queued,
 * so with room for three sends per connection strangers cannot take every slot: whatever they
 * hold, the sends to the other peers still run.
 */
const BITSWAP_SEND_CONCURRENCY = 3 * MAX_CONNECTIONS;

export async function startIpfsNode(
  input: IpfsOptionsInput = {},
): Promise<{ node: IpfsNode; unreachable: UnreachablePeer[] }> {
  const options = IpfsOptionsSchema.parse(input);
  const peers = configuredPeers(options.peers);
  const allowedPeers = new Set(peers.map((p) => p.id.toString()));
  const allowedAddrs = new Set(peers.map((p) => transportAddress(p.addr)));

  const repo =
    options.repoDir === undefined
      ? { blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore() }
      : {
          blockstore: new FsBlockstore(path.join(options.repoDir, "blocks")),
          datastore: new FsDatastore(path.join(options.repoDir, "datastore")),
        };
  if (repo.blockstore instanceof FsBlockstore) await repo.blockstore.open();
  if (repo.datastore instanceof FsDatastore) await repo.datastore.open();

  // createHeliaLight: no routers and no block brokers but the ones added here (createHelia
  // would add delegated HTTP routing, trustless gateways and libp2p's public defaults).
  // Bitswap answers peers' wants with pinned blocks only (src/store/ipfs-serving.ts): what this
  // node published, never what it fetched as a reader.
  const { helia, announce, serveOnlyPins } = withBitswapServingPins(
    withLibp2pLight(
      createHeliaLight({
        blockstore: repo.blockstore,
        datastore: repo.datastore,
        hashers: [IDENTITY_REFUSED],
      }),
      {
        addresses: { listen: options.listen },
        // The peer store lives in memory, not in the repo: peers are what the config names at each
        // start, and libp2p writes its own addresses there up to a second after it has stopped
        // (a debounced update), which must not land in a repo that is already closed.
        datastore: new MemoryDatastore(),
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        peerDiscovery: [],
        connectionManager: { maxConnections: MAX_CONNECTIONS },
        connectionGater: {
          // INVARIANT: the node dials only configured peers, at configured addresses.
          denyDialPeer: (peerId) => !allowedPeers.has(peerId.toString()),
          denyDialMultiaddr: (addr) => !allowedAddrs.has(transportAddress(addr)),
        },
        // identify tells each side which protocols the other speaks; bitswap waits for it.
        services: { identify: identify() },
      },
    ),
    {
      maxIncomingMessageSize: BITSWAP_MAX_MESSAGE_BYTES,
      maxOutgoingMessageSize: BITSWAP_MAX_MESSAGE_BYTES,
      messageSendConcurrency: BITSWAP_SEND_CONCURRENCY,
    },
  );

  let releaseStreams: () => void;
  try {
    await helia.start();
    serveOnlyPins();
    releaseStreams = await handleIncomingStreams(helia.libp2p, bitswapOf(helia).network);
  } catch (error) {
    await helia.stop().catch(() => undefined);
    await closeRepo(repo);
    throw error;
  }
  const libp2p = helia.libp2p;
  for (const peer of peers) {
    // The keep-alive tag makes libp2p redial a configured peer that drops (a few tries).
    await libp2p.peerStore.merge(peer.id, {
      multiaddrs: [peer.addr],
      tags: { [KEEP_ALIVE]: { value: 1 } },
    });
  }

  let stopped: Promise<void> | undefined;
  const probes = new Set<IpfsNode>();
  const node: IpfsNode = {
    helia,
    options,
    peerId: libp2p.peerId.toString(),
    multiaddrs: () => libp2p.getMultiaddrs().map((addr) => addr.toString()),
    connectedPeers: () => libp2p.getPeers().length,
    configuredPeersConnected: () =>
      libp2p.getPeers().filter((peer) => allowedPeers.has(peer.toString())).length,
    configuredPeerIds: peers.map((p) => p.id.toString()),
    connectedTo: (peerId) => libp2p.getConnections(peerIdFromString(peerId)).length > 0,
    async startProbe(): Promise<IpfsNode> {
      if (stopped !== undefined) throw new Error("the IPFS node has stopped");
      // Dialed here, each peer within dialTimeoutMs and all at once: a read's fetch window
      // starts once they are in (or refused), so a slow handshake does not eat into it.
      // ATTACK (test/ts/ipfs-review/attack-probe-asks-own-node.test.ts): the probe has a new peer
      // id, so this node's own entry in a shared peer list would let it dial this node and read
      // its repo (its audits' fetched blocks, its pins). The probe never dials this node: not its
      // peer id, nor an address it listens on.
      const self = libp2p.peerId;
      const ownAddrs = new Set(libp2p.getMultiaddrs().map(transportAddress));
      const { node: probe } = await startIpfsNode({
        listen: [],
        peers: peers
          .filter((p) => !p.id.equals(self) && !ownAddrs.has(transportAddress(p.addr)))
          .map((p) => p.addr.toString()),
        fetchTimeoutMs: options.fetchTimeoutMs,
        dialTimeoutMs: options.dialTimeoutMs,
        maxBlobBytes: MAX_COMMITTED_BLOB_BYTES,
      });
      const stop = probe.stop.bind(probe);
      const tracked: IpfsNode = {
        ...probe,
        stop: () => (probes.delete(tracked), stop()),
      };
      probes.add(tracked);
      if (stopped !== undefined) {
        // This node stopped while the probe started: stop the probe too.
        await tracked.stop();
        throw new Error("the IPFS node has stopped");
      }
      return tracked;
    },
    async connectPeers(signal?: AbortSignal): Promise<UnreachablePeer[]> {
      // A stopped node dials nothing (its redial loops may still be winding down).
      if (stopped !== undefined)
        return peers.map(({ addr }) => ({
          peer: addr.toString(),
          error: new Error("the IPFS node has stopped"),
        }));
      const results = await Promise.all(
        peers.map(async ({ id, addr }): Promise<UnreachablePeer | undefined> => {
          if (libp2p.getConnections(id).length > 0) return undefined;
          const timeout = AbortSignal.timeout(options.dialTimeoutMs);
          try {
            await libp2p.dial(addr, {
              signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
            });
            return undefined;
          } catch (error) {
            return { peer: addr.toString(), error };
          }
        }),
      );
      return results.filter((r): r is UnreachablePeer => r !== undefined);
    },
    published: (cid) => announce(CID.parse(cid)),
    askConnectedPeer: (peerId, cid, askOptions) =>
      askOverConnection(helia, peerIdFromString(peerId), CID.parse(cid), askOptions),
    stop(): Promise<void> {
      stopped ??= (async () => {
        try {
          await Promise.allSettled([...probes].map((probe) => probe.stop()));
          await helia.stop();
        } finally {
          // Bitswap's receive timers would hold the stopped node for up to 10 s more.
          releaseStreams();
          await closeRepo(repo);
        }
      })();
      return stopped;
    },
  };
  return { node, unreachable: await node.connectPeers() };
}

/**
 * The parts of Helia's bitswap (@helia/bitswap 4.x internals) askOverConnection and
 * handleIncomingStreams use.
 */
interface BitswapInternals {
  network: BitswapNetwork & {
    sendMessage(peer: PeerId, message: unknown, options?: { signal?: AbortSignal }): Promise<void>;
  };
  wantList: EventTarget & { has(cid: CID): boolean };
}

function bitswapOf(helia: IpfsHelia): BitswapInternals {
  const brokers = (helia as unknown as { blockBrokers?: { name: string; bitswap?: unknown }[] })
    .blockBrokers;
  const bitswap = brokers?.find((broker) => broker.name === "bitswap")?.bitswap as
    Partial<BitswapInternals> | undefined;
  if (
    typeof bitswap?.network?.sendMessage !== "function" ||
    typeof bitswap.wantList?.addEventListener !== "function" ||
    typeof bitswap.wantList.has !== "function"
  )
    throw new Error("cannot reach Helia's bitswap: its internals changed");
  return bitswap as BitswapInternals;
}

/** One bitswap message wanting (or cancelling) `cid` alone, as @helia/bitswap queues them. */
function wantMessage(cid: CID, cancel: boolean): unknown {
  return {
    full: false,
    pendingBytes: 0,
    wantlist: new Map([
      [
        base64.encode(cid.multihash.bytes),
        { cid: cid.bytes, priority: 1, wantType: "WantBlock", cancel, sendDontHave: false },
      ],
    ]),
    blocks: new Map(),
    blockPresences: new Map(),
  };
}

/** askConnectedPeer's want never reached the peer: what the peer serves is unknown. */
export class WantNotDeliveredError extends Error {
  override readonly name = "WantNotDeliveredError";
  constructor(peer: string, cid: string, options?: { cause?: unknown }) {
    super(`the want for ${cid} was never delivered to ${peer}`, options);
  }
}

async function askOverConnection(
  helia: IpfsHelia,
  peer: PeerId,
  cid: CID,
  options: { signal: AbortSignal; resendMs?: number },
): Promise<Uint8Array> {
  const { signal } = options;
  signal.throwIfAborted();
  const { network, wantList } = bitswapOf(helia);
  const digest = cid.multihash.digest;
  let answered: (block: Uint8Array) => void = () => undefined;
  const block = new Promise<Uint8Array>((resolve) => (answered = resolve));
  // Listening before the first want goes out: the answer can arrive before sendMessage resolves.
  const onBlock = (event: Event): void => {
    const detail = (event as CustomEvent<{ sender: PeerId; cid: CID; block: Uint8Array }>).detail;
    if (detail.sender.equals(peer) && equalBytes(detail.cid.multihash.digest, digest))
      answered(detail.block);
  };
  wantList.addEventListener("block", onBlock);
  // ATTACK (test/ts/ipfs-review/attack-ask-unsent-want.test.ts): a want that never left this node
  // (its send queue stalled, the stream refused) is no question asked; silence after it says
  // nothing. Unless one want was delivered, the ask ends in WantNotDeliveredError, not a timeout.
  let delivered = false;
  let sendError: unknown;
  const send = (): void =>
    void network.sendMessage(peer, wantMessage(cid, false), { signal }).then(
      () => (delivered = true),
      (error: unknown) => (sendError ??= error),
    );
  send();
  const timer = setInterval(send, options.resendMs ?? 1_000);
  try {
    return await Promise.race([
      block,
      new Promise<never>((_, reject) => {
        signal.addEventListener(
          "abort",
          () =>
            reject(
              delivered
                ? (signal.reason as Error)
                : new WantNotDeliveredError(peer.toString(), cid.toString(), { cause: sendError }),
            ),
          { once: true },
        );
      }),
    ]);
  } finally {
    clearInterval(timer);
    wantList.removeEventListener("block", onBlock);
    // Leave the peer's ledger clear for this node's later wants of the block, unless this node
    // is waiting for it itself right now (a cancel would drop that want at the peer).
    if (!wantList.has(cid))
      void network
        .sendMessage(peer, wantMessage(cid, true), { signal: AbortSignal.timeout(10_000) })
        .catch(() => undefined);
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}

async function closeRepo(repo: {
  blockstore: MemoryBlockstore | FsBlockstore;
  datastore: MemoryDatastore | FsDatastore;
}): Promise<void> {
  if (repo.blockstore instanceof FsBlockstore) await repo.blockstore.close();
  if (repo.datastore instanceof FsDatastore) await repo.datastore.close();
}
