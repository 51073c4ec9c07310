import { expect } from "chai";
import type { Hex } from "viem";

import { assembleBatch, batchIndices } from "../../../src/data/batch-schedule.ts";
import {
  datasetFromShards,
  datasetRoot,
  decodeShard,
  loadDataset,
  publishDataset,
  shardSamples,
} from "../../../src/data/dataset.ts";
import { loadMnist } from "../../../src/data/mnist.ts";
import { DataError } from "../../../src/engine/errors.ts";
import { merkleRoot } from "../../../src/protocol/merkle.ts";
import { digestFromCid, sha256Hex } from "../../../src/protocol/cid.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import { lyingStore, smallSamples } from "./helpers/fixtures.ts";

const ROOT: Hex = `0x${"0a".repeat(32)}`;
const SEED: Hex = `0x${"0b".repeat(32)}`;

describe("datasets and batches", function () {
  const samples = smallSamples(250);

  it("shard samples into content-addressed blobs whose Merkle root commits to them", async function () {
    const store = new MemoryBlobStore();
    const ref = await publishDataset(store, samples, 100);
    expect(ref.shards).to.have.length(3);
    expect(ref.sampleCount).to.equal(250);
    expect(ref.root).to.equal(merkleRoot(ref.shards.map((cid) => digestFromCid(cid))));
    const loaded = await loadDataset(store, ref);
    expect(loaded.features).to.deep.equal(samples.features);
    expect(loaded.labels).to.deep.equal(samples.labels);
    const last = decodeShard(await store.get(ref.shards[2]!));
    expect(last.count).to.equal(50);
  });

  it("reject a tampered shard, a wrong root and malformed shard bytes", async function () {
    const blobs = new Map<string, Uint8Array>();
    const ref = await publishDataset(new MemoryBlobStore({ blobs }), samples, 100);
    const shard = blobs.get(ref.shards[1]!)!;
    shard[shard.length - 1] = (shard[shard.length - 1]! + 1) % 5;
    await loadDataset(lyingStore(blobs), ref).then(
      () => expect.fail("a tampered shard was accepted"),
      (e: unknown) => {
        expect(e).to.be.instanceOf(DataError);
        expect((e as Error).message).to.match(/shard 1 does not hash to its address/);
      },
    );
    const shards = shardSamples(samples, 100);
    const honest = { ...ref };
    expect(() => datasetFromShards({ ...honest, root: ROOT }, shards)).to.throw(
      DataError,
      /does not match its shard list/,
    );
    expect(() => datasetFromShards({ ...honest, sampleCount: 251 }, shards)).to.throw(
      DataError,
      /declares 251 samples/,
    );
    expect(() => decodeShard(shards[0]!.subarray(0, 30))).to.throw(DataError, /header implies/);
    const badLabel = shards[0]!.slice();
    badLabel[badLabel.length - 1] = 9;
    expect(() => decodeShard(badLabel)).to.throw(DataError, /label 9 ≥ 5 classes/);
    expect(() => datasetRoot([])).to.throw(DataError, /at least one shard/);
  });

  it("derive the batch of step t only from (root, seed, job id, t)", function () {
    const a = batchIndices(ROOT, SEED, 1n, 5, 64, 1000);
    expect(batchIndices(ROOT, SEED, 1n, 5, 64, 1000)).to.deep.equal(a);
    expect(a).to.have.length(64);
    expect(a.every((i) => Number.isInteger(i) && i >= 0 && i < 1000)).to.equal(true);
    expect(batchIndices(ROOT, SEED, 1n, 6, 64, 1000)).to.not.deep.equal(a);
    expect(batchIndices(ROOT, `0x${"0c".repeat(32)}`, 1n, 5, 64, 1000)).to.not.deep.equal(a);
    expect(batchIndices(`0x${"0d".repeat(32)}`, SEED, 1n, 5, 64, 1000)).to.not.deep.equal(a);
    // Another job with the same spec sees other batches, so one trace cannot answer both.
    expect(batchIndices(ROOT, SEED, 2n, 5, 64, 1000)).to.not.deep.equal(a);
    expect(() => batchIndices(ROOT, SEED, -1n, 5, 64, 1000)).to.throw(DataError, /not a uint256/);
    // A prefix of a larger batch is the smaller batch: index j depends on j only.
    expect(batchIndices(ROOT, SEED, 1n, 5, 10, 1000)).to.deep.equal(a.slice(0, 10));
    // Roughly uniform: over 200 steps every one of 50 samples is drawn 256 ± 4σ times.
    const counts = new Array<number>(50).fill(0);
    for (let t = 0; t < 200; t++)
      for (const i of batchIndices(ROOT, SEED, 1n, t, 64, 50)) counts[i]! += 1;
    for (const c of counts) expect(c).to.be.within(256 - 64, 256 + 64);
    const batch = assembleBatch(samples, [3, 0]);
    expect(Array.from(batch.features.subarray(0, 20))).to.deep.equal(
      Array.from(samples.features.subarray(60, 80)),
    );
    expect(Array.from(batch.labels)).to.deep.equal([samples.labels[3], samples.labels[0]]);
    expect(() => assembleBatch(samples, [250])).to.throw(DataError, /outside the dataset/);
  });

  it("load the real MNIST digits shipped with the mnist package, split deterministically", function () {
    const { train, test } = loadMnist();
    expect(train.count + test.count).to.equal(10_000);
    expect(test.count).to.equal(1996);
    expect(train.featureCount).to.equal(784);
    const perClass = new Array<number>(10).fill(0);
    for (const y of train.labels) perClass[y]! += 1;
    expect(Math.min(...perClass)).to.be.greaterThan(600);
    expect(train.features.reduce((a, b) => Math.max(a, b), 0)).to.equal(255);
    // The conversion back to bytes is pinned: a change would change every MNIST dataset root.
    expect(train.features.subarray(0, 784).reduce((a, b) => a + b, 0)).to.equal(31_095);
    expect(sha256Hex(shardSamples(train, 10_000)[0]!)).to.equal(
      "0x394c53d8290cdf0e8579e0db55c564ab8d8a90f5960c652f868887f2d643d516",
    );
  });
});
