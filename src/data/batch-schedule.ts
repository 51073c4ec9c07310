// The batch of step t is a pure function of (dataset root, seed, job id, t): the provider does
// not choose its data order, and no trace answers two jobs — two jobs with the same spec, or a
// longer job with the same seed, see different batches from step 0 on. Sample j of step t
// (0 ≤ j < B) is
//
//   H = sha256("assay.batch/2" ‖ root ‖ seed ‖ u256be(jobId) ‖ u64be(t) ‖ u32be(⌊j/4⌋))
//   index_j = u64be(H[8·(j mod 4) .. 8·(j mod 4) + 8]) mod sampleCount
//
// i.e. uniform sampling with replacement. It costs ⌈B/4⌉ hashes per step, any step's
// batch can be rebuilt on its own (a verifier re-executing a segment in the middle of
// a run needs no epoch permutation), and the modulo bias is below sampleCount/2^64.
import { createHash } from "node:crypto";

import { hexToBytes, numberToBytes, type Hex } from "viem";

import { DataError } from "../engine/errors.ts";
import type { Batch } from "../engine/runtime.ts";
import type { SampleSet } from "./dataset.ts";

const DOMAIN = new TextEncoder().encode("assay.batch/2");
const UINT256_MAX = 2n ** 256n - 1n;

export function batchIndices(
  root: Hex,
  seed: Hex,
  jobId: bigint,
  step: number,
  batchSize: number,
  sampleCount: number,
): number[] {
  const rootBytes = hexToBytes(root);
  const seedBytes = hexToBytes(seed);
  if (rootBytes.length !== 32 || seedBytes.length !== 32)
    throw new DataError("batch schedule needs a 32-byte dataset root and a 32-byte seed");
  if (jobId < 0n || jobId > UINT256_MAX) throw new DataError(`job id ${jobId} is not a uint256`);
  const jobBytes = numberToBytes(jobId, { size: 32 });
  if (!Number.isSafeInteger(step) || step < 0)
    throw new DataError(`step ${step} is not a non-negative integer`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new DataError(`batch size ${batchSize} must be positive`);
  if (!Number.isInteger(sampleCount) || sampleCount < 1 || sampleCount > 2 ** 32)
    throw new DataError(`sample count ${sampleCount} must be within [1, 2^32]`);
  const suffix = new Uint8Array(12);
  const view = new DataView(suffix.buffer);
  view.setBigUint64(0, BigInt(step), false);
  const n = BigInt(sampleCount);
  const indices: number[] = [];
  for (let block = 0; indices.length < batchSize; block++) {
    view.setUint32(8, block, false);
    const digest = createHash("sha256")
      .update(DOMAIN)
      .update(rootBytes)
      .update(seedBytes)
      .update(jobBytes)
      .update(suffix)
      .digest();
    for (let k = 0; k < 4 && indices.length < batchSize; k++)
      indices.push(Number(digest.readBigUInt64BE(8 * k) % n));
  }
  return indices;
}

/** Gathers the samples at `indices` into a batch. */
export function assembleBatch(samples: SampleSet, indices: readonly number[]): Batch {
  const F = samples.featureCount;
  const features = new Uint8Array(indices.length * F);
  const labels = new Int32Array(indices.length);
  indices.forEach((index, j) => {
    if (!Number.isInteger(index) || index < 0 || index >= samples.count)
      throw new DataError(`sample index ${index} outside the dataset of ${samples.count}`);
    features.set(samples.features.subarray(index * F, (index + 1) * F), j * F);
    labels[j] = samples.labels[index]!;
  });
  return { features, labels };
}

/** The batch of step `step` of job `jobId` over `dataset`. */
export function batchForStep(
  dataset: SampleSet & { ref: { root: Hex } },
  seed: Hex,
  jobId: bigint,
  step: number,
  batchSize: number,
): Batch {
  return assembleBatch(
    dataset,
    batchIndices(dataset.ref.root, seed, jobId, step, batchSize, dataset.count),
  );
}
