import { expect } from "chai";
import { keccak256, toHex } from "viem";

import {
  encodeTraceManifest,
  traceRoot,
  type CheckpointRecord,
} from "../../../src/checkpoint/trace.ts";
import { manifestByteBound, TraceManifests } from "../../../src/explorer/manifests.ts";
import { cidFromDigest } from "../../../src/protocol/cid.ts";
import type { BlobStore } from "../../../src/store/blob-store.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";

// The explorer's manifest reader on a store that cannot tell a blob's size before fetching it, as
// the IPFS store (whose `size` looks at its local repo only) cannot for a blob a peer holds: the
// manifest must still be shown, and a blob too large for a manifest still refused.
function sizeBlind(store: MemoryBlobStore): BlobStore {
  return {
    put: (bytes) => store.put(bytes),
    get: (cid) => store.get(cid),
    has: (cid) => store.has(cid),
    size: async () => undefined,
  };
}

function record(index: number, jobId: bigint): CheckpointRecord {
  const digest = keccak256(toHex(`job ${jobId} checkpoint ${index}`));
  return {
    index,
    step: index * 10,
    cid: cidFromDigest(digest),
    stateDigest: digest,
    lossBits: index === 0 ? 0n : BigInt(index),
    updateNorm: index === 0 ? 0n : BigInt(1000 + index),
  };
}

/** The view once its read has ended (the first call starts it and says "being read"). */
async function settled(
  manifests: (onRead: () => void) => TraceManifests,
  read: (m: TraceManifests) => ReturnType<TraceManifests["view"]>,
): Promise<ReturnType<TraceManifests["view"]>> {
  let done!: () => void;
  const ended = new Promise<void>((resolve) => (done = resolve));
  const m = manifests(() => done());
  expect(read(m)).to.deep.equal({ unavailable: "being read from the store" });
  await ended;
  return read(m);
}

describe("explorer: trace manifests from a store that cannot tell sizes", function () {
  const jobId = 7n;
  const records = [0, 1, 2].map((i) => record(i, jobId));
  const root = traceRoot(jobId, records);

  it("shows every checkpoint of a manifest the store serves", async function () {
    const store = new MemoryBlobStore();
    const manifestCid = await store.put(
      encodeTraceManifest({
        jobId,
        specHash: keccak256(toHex("spec")),
        checkpointInterval: 10,
        records,
        root,
      }),
    );
    const view = await settled(
      (onRead) => new TraceManifests(sizeBlind(store), onRead),
      (m) => m.view(jobId, { root, manifestCid }, 2),
    );
    expect(view).to.deep.equal({
      checkpoints: [
        { index: 1, lossBits: 1n, updateNorm: 1001n },
        { index: 2, lossBits: 2n, updateNorm: 1002n },
      ],
    });
  });

  it("refuses a blob larger than a manifest of n checkpoints can be, read or not", async function () {
    const store = new MemoryBlobStore();
    const manifestCid = await store.put(new Uint8Array(manifestByteBound(2) + 1));
    const view = await settled(
      (onRead) => new TraceManifests(sizeBlind(store), onRead),
      (m) => m.view(jobId, { root, manifestCid }, 2),
    );
    expect(view).to.deep.equal({
      invalid: `it is ${manifestByteBound(2) + 1} bytes, more than a manifest of 2 checkpoints can be (${manifestByteBound(2)})`,
    });
  });
});
