// Shared helpers of the review's attack tests: nodes that listen on 127.0.0.1 only, a peer that
// answers wants with forged "identity" blocks (ipfs-forged-identity-block.test.ts), and a small
// honest job, trained, whose blobs can be published on a node.
import { CID } from "multiformats/cid";

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
import { smallJob, type SmallJob } from "../engine/helpers/fixtures.ts";
import { onchainFor } from "../helpers/onchain-job.ts";

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

interface BitswapInternals {
  network: EventTarget & {
    sendMessage(peer: unknown, message: unknown): Promise<void>;
  };
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
