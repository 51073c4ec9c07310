// Shared helpers of the review's attack tests: nodes that listen on 127.0.0.1 only, a peer that
// answers wants with forged "identity" blocks (ipfs-forged-identity-block.test.ts), a small
// honest job, trained, whose blobs can be published on a node, the provider / bystander / referee
// set-up the attacks share, the strangers they use (idle sockets, peers that never read) and a
// referee's availability vote read as a string.
import net from "node:net";

import { base64 } from "multiformats/bases/base64";
import { CID } from "multiformats/cid";

import { isRetryable } from "../../../src/errors.ts";
import { startIpfsNode, type IpfsNode } from "../../../src/store/ipfs-node.ts";
import type { IpfsOptionsInput } from "../../../src/store/ipfs-options.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import type { CheckpointRecord } from "../../../src/checkpoint/trace.ts";
import type { OnchainJob } from "../../../src/node/onchain-job.ts";
import { canonicalJobSpecBytes } from "../../../src/protocol/job-spec.ts";
import { cidOf } from "../../../src/protocol/cid.ts";
import type { BlobStore } from "../../../src/store/blob-store.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import { train } from "../../../src/training/trainer.ts";
import { adjudicate, verifiableJob } from "../../../verifier/segment-check.ts";
import { smallJob, type SmallJob } from "../engine/helpers/fixtures.ts";
import { onchainFor } from "../helpers/onchain-job.ts";
import { question } from "../verifier/questions.ts";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Nodes {
  readonly started: IpfsNode[] = [];
  async start(options: IpfsOptionsInput = {}): Promise<IpfsNode> {
    const { node } = await startIpfsNode(options);
    this.started.push(node);
    return node;
  }
  async stopAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((node) => node.stop()));
  }
}

/** A node's bitswap network (Helia internals): sends messages, and its global send queue. */
export type BitswapNetwork = EventTarget & {
  sendMessage(peer: unknown, message: unknown): Promise<void>;
  sendQueue: { running: number };
};

interface BitswapInternals {
  network: BitswapNetwork;
}

function bitswapOf(node: IpfsNode): BitswapInternals {
  const internals = node.helia as unknown as {
    blockBrokers: { name: string; bitswap?: BitswapInternals }[];
  };
  const bitswap = internals.blockBrokers.find((b) => b.name === "bitswap")?.bitswap;
  if (bitswap === undefined) throw new Error("no bitswap broker: Helia's internals changed");
  return bitswap;
}

/**
 * Makes `node` answer every block another peer wants with a 32-byte block whose bitswap prefix
 * says "CIDv1, raw, identity hash, 32 bytes" and whose data is the wanted sha-256 digest. The
 * receiver derives CID(raw, identity(digest)): a different CID, but with the same digest bytes.
 * Returns the list of CIDs it forged an answer for.
 */
export function answerWantsWithIdentityBlocks(node: IpfsNode): string[] {
  const forged: string[] = [];
  const { network } = bitswapOf(node);
  network.addEventListener("bitswap:message", (event) => {
    const { peer, message } = (
      event as CustomEvent<{
        peer: unknown;
        message: { wantlist?: { entries: { cid: Uint8Array; cancel?: boolean }[] } };
      }>
    ).detail;
    const blocks = new Map<string, { prefix: Uint8Array; data: Uint8Array }>();
    for (const entry of message.wantlist?.entries ?? []) {
      if (entry.cancel === true) continue;
      const wanted = CID.decode(entry.cid);
      forged.push(wanted.toString());
      blocks.set(wanted.toString(), forgedBlock(wanted));
    }
    if (blocks.size === 0) return;
    void network
      .sendMessage(peer, {
        full: false,
        wantlist: new Map(),
        blockPresences: new Map(),
        blocks,
        pendingBytes: 0,
      })
      .catch(() => undefined);
  });
  return forged;
}

/** The forged answer for `cid`: prefix "CIDv1, raw, identity hash, 32 bytes", data = its digest. */
function forgedBlock(cid: CID): { prefix: Uint8Array; data: Uint8Array } {
  // varint(1) varint(0x55 raw) varint(0x00 identity) varint(32)
  return {
    prefix: new Uint8Array([1, 0x55, 0x00, cid.multihash.digest.byteLength]),
    data: cid.multihash.digest.slice(),
  };
}

/**
 * Also sends, every `intervalMs`, a forged block for each of `cids` (known in advance: a spec CID
 * is the on-chain specHash, a checkpoint CID an on-chain leaf digest) to every connected peer,
 * wanted or not, so that it is there the moment a want starts, ahead of any honest answer (which
 * needs the want to travel first). Returns a function that stops it.
 */
export function sprayIdentityBlocks(
  node: IpfsNode,
  cids: readonly string[],
  intervalMs = 10,
): () => void {
  const { network } = bitswapOf(node);
  const blocks = new Map(cids.map((text) => [text, forgedBlock(CID.parse(text))]));
  const timer = setInterval(() => {
    for (const peer of node.helia.libp2p.getPeers())
      void network
        .sendMessage(peer, {
          full: false,
          wantlist: new Map(),
          blockPresences: new Map(),
          blocks: new Map(blocks),
          pendingBytes: 0,
        })
        .catch(() => undefined);
  }, intervalMs);
  return () => clearInterval(timer);
}

// ---------------------------------------------------------------- a small honest job on IPFS

export interface HonestJob {
  small: SmallJob;
  specBytes: Uint8Array;
  specCid: string;
  onchain: OnchainJob;
  /** The honest provider's checkpoint records 0..n. */
  records: CheckpointRecord[];
  /** Every blob of the job: program, initial state, shards, spec, checkpoints. */
  blobs: Map<string, Uint8Array>;
  k: number;
}

/** A small job (T = 40, k = 10, exact unless asked) trained honestly; nothing published yet. */
export async function honestJob(numerics: "exact" | "tolerance" = "exact"): Promise<HonestJob> {
  const k = 10;
  const small = await smallJob(numerics, { totalSteps: 40, checkpointInterval: k });
  const trained = new Map<string, Uint8Array>();
  const { records } = await train(small.job, {
    store: new MemoryBlobStore({ blobs: trained }),
    start: small.initialState,
  });
  const specBytes = canonicalJobSpecBytes(small.spec);
  const blobs = new Map<string, Uint8Array>([...small.blobs, ...trained]);
  const specCid = cidOf(specBytes);
  blobs.set(specCid, specBytes);
  return { small, specBytes, specCid, onchain: onchainFor(small.spec), records, blobs, k };
}

/** Puts every blob of `job` on `node` (the honest submitter's and provider's node). */
export async function publishOn(node: IpfsNode, job: HonestJob): Promise<void> {
  const store = ipfsBlobStoreOn(node, 0);
  for (const bytes of job.blobs.values()) await store.put(bytes);
}

/**
 * `store` with every blob returned as a plain Uint8Array of its own (as FsBlobStore returns them):
 * isolates the attacks below from the Buffer-view bug of ipfs-buffer-views.test.ts.
 */
export function plainBytes(store: BlobStore): BlobStore {
  return {
    put: (bytes) => store.put(bytes),
    get: async (cid) => new Uint8Array(await store.get(cid)),
    has: (cid) => store.has(cid),
    size: (cid) => store.size(cid),
  };
}

// ---------------------------------------------------------------- nodes, strangers and votes

/** An honest provider serving every blob of `job`, then a bystander holding none. */
export async function providerAndBystander(
  nodes: Nodes,
  job: HonestJob,
): Promise<{ provider: IpfsNode; bystander: IpfsNode }> {
  const provider = await nodes.start();
  await publishOn(provider, job);
  const bystander = await nodes.start();
  return { provider, bystander };
}

/**
 * A node (a referee's, a challenger's) whose configured peers are `peers` (each one's first
 * address), listening nowhere unless `options.listen` says otherwise.
 */
export function startPeerOf(
  nodes: Nodes,
  peers: readonly IpfsNode[],
  options: IpfsOptionsInput = {},
): Promise<IpfsNode> {
  return nodes.start({ listen: [], peers: peers.map((peer) => peer.multiaddrs()[0]!), ...options });
}

/** Removes `cid` from `node`'s repo, pin and block: the provider withholds it from now on. */
export async function withhold(node: IpfsNode, cid: string): Promise<void> {
  const key = CID.parse(cid);
  if (await node.helia.pins.isPinned(key))
    for await (const _ of node.helia.pins.rm(key)) {
      // the one raw block
    }
  const blocks = node.helia.blockstore as unknown as { unwrap(): { delete(key: CID): unknown } };
  await blocks.unwrap().delete(key);
}

/** What `run` came to: "voted <side>", "no vote (retryable: …)" or "error: …". */
export async function outcome(run: () => Promise<{ vote: string }>): Promise<string> {
  try {
    return `voted ${(await run()).vote}`;
  } catch (error) {
    return isRetryable(error)
      ? `no vote (retryable: ${(error as Error).message})`
      : `error: ${String(error)}`;
  }
}

/** A referee's `outcome` on an availability dispute over `job`'s segment `segment`, read via `store`. */
export async function availabilityVote(
  job: HonestJob,
  store: BlobStore,
  segment = 3,
): Promise<string> {
  const v = verifiableJob(job.small, job.records);
  const q = question("Availability", job.records, segment, job.k);
  return outcome(() => adjudicate(v, store, q));
}

/**
 * A stranger that keeps `slots` idle TCP connections open to `node`'s listen address (reopening
 * each one the node drops after its 10 s handshake timeout), so the node takes no new inbound
 * connection: its pending slots are full. Opened 4 a second (libp2p refuses more than 5 a second
 * from one host, and every test node is 127.0.0.1). Returns a function that stops it.
 */
export async function holdPendingSlots(node: IpfsNode, slots = 10): Promise<() => void> {
  const [, , host, , port] = node.multiaddrs()[0]!.split("/");
  const sockets = new Set<net.Socket>();
  let stopped = false;
  const open = (): void => {
    if (stopped) return;
    const socket = net.connect(Number(port), host!);
    socket.on("error", () => undefined);
    socket.on("close", () => {
      sockets.delete(socket);
      if (!stopped) setTimeout(open, 250);
    });
    sockets.add(socket);
  };
  for (let i = 0; i < slots; i++) {
    open();
    await sleep(250);
  }
  await sleep(1_100); // the rate limiter's second passes: only the full slots refuse now
  return () => {
    stopped = true;
    for (const socket of sockets) socket.destroy();
  };
}

/** Whether a new node can connect to `node` now (it listens nowhere, and is stopped at once). */
export async function freshPeerGetsIn(node: IpfsNode): Promise<boolean> {
  const { node: fresh, unreachable } = await startIpfsNode({
    listen: [],
    peers: [node.multiaddrs()[0]!],
    dialTimeoutMs: 2_000,
  });
  await fresh.stop();
  return unreachable.length === 0;
}

/** `node`'s bitswap network: its sendMessage and its global send queue. */
export function networkOf(node: IpfsNode): BitswapNetwork {
  return bitswapOf(node).network;
}

const BITSWAP = "/ipfs/bitswap/1.2.0";

/** A bitswap message wanting `cid` (as @helia/bitswap queues them). */
function want(cid: string): unknown {
  const parsed = CID.parse(cid);
  return {
    full: false,
    pendingBytes: 0,
    wantlist: new Map([
      [
        base64.encode(parsed.multihash.bytes),
        { cid: parsed.bytes, priority: 1, wantType: 0, cancel: false, sendDontHave: false },
      ],
    ]),
    blocks: new Map(),
    blockPresences: new Map(),
  };
}

/**
 * A stranger: a node of its own (a new peer id) that dials `target`, takes every bitswap stream
 * `target` opens to it and never reads it, and wants `cid` from it.
 */
export async function stalledWanter(nodes: Nodes, target: IpfsNode, cid: string): Promise<void> {
  const stranger = await nodes.start({ listen: [], peers: [target.multiaddrs()[0]!] });
  const libp2p = stranger.helia.libp2p;
  await libp2p.unhandle(BITSWAP);
  await libp2p.handle(BITSWAP, (stream) => stream.pause(), { maxInboundStreams: 1024 });
  void networkOf(stranger)
    .sendMessage(target.helia.libp2p.peerId, want(cid))
    .catch(() => undefined);
}
