// Datasets (docs/protocol.md §2): samples are split into content-addressed shards; the
// dataset root is the Merkle root (src/protocol/merkle.ts, the same keccak tree as the
// trace) over the shards' sha-256 digests in order. A job names the root and every
// shard's CID, so anyone can fetch the shards, check each against its address and the
// list against the root, and rebuild any batch.
//
// Shard layout (little-endian):
//   0  "ASDS"            magic
//   4  u32 version = 1
//   8  u32 featureCount  bytes per sample
//  12  u32 classCount    labels are < classCount
//  16  u32 sampleCount
//  20  features          sampleCount × featureCount uint8, row-major
//  ..  labels            sampleCount uint8
import type { Hex } from "viem";

import { merkleRoot } from "../protocol/merkle.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { cidOf, digestFromCid, sha256Hex } from "../protocol/cid.ts";
import { DataError } from "../engine/errors.ts";

export const SHARD_MAGIC = 0x53445341; // "ASDS" read as a little-endian u32
export const SHARD_VERSION = 1;
export const SHARD_HEADER_BYTES = 20;
export const MAX_SHARD_BYTES = 256 * 1024 * 1024;

/** Samples in memory: uint8 features [count, featureCount] and uint8 labels [count]. */
export interface SampleSet {
  featureCount: number;
  classCount: number;
  count: number;
  features: Uint8Array;
  labels: Uint8Array;
}

export interface DatasetRef {
  /** Merkle root over the shards' sha-256 digests. */
  root: Hex;
  /** Shard CIDs in order; every shard but the last holds the same number of samples. */
  shards: string[];
  sampleCount: number;
}

export interface Dataset extends SampleSet {
  ref: DatasetRef;
}

export function encodeShard(samples: SampleSet): Uint8Array {
  checkSampleSet(samples);
  const { count, featureCount, classCount } = samples;
  const bytes = new Uint8Array(SHARD_HEADER_BYTES + count * featureCount + count);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, SHARD_MAGIC, true);
  view.setUint32(4, SHARD_VERSION, true);
  view.setUint32(8, featureCount, true);
  view.setUint32(12, classCount, true);
  view.setUint32(16, count, true);
  bytes.set(samples.features, SHARD_HEADER_BYTES);
  bytes.set(samples.labels, SHARD_HEADER_BYTES + count * featureCount);
  return bytes;
}

export function decodeShard(bytes: Uint8Array, label = "shard"): SampleSet {
  if (bytes.length < SHARD_HEADER_BYTES)
    throw new DataError(`${label} is ${bytes.length} bytes, shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== SHARD_MAGIC)
    throw new DataError(`${label} does not start with "ASDS"`);
  const version = view.getUint32(4, true);
  if (version !== SHARD_VERSION)
    throw new DataError(`${label} has version ${version}, expected ${SHARD_VERSION}`);
  const featureCount = view.getUint32(8, true);
  const classCount = view.getUint32(12, true);
  const count = view.getUint32(16, true);
  const want = SHARD_HEADER_BYTES + count * featureCount + count;
  if (bytes.length !== want)
    throw new DataError(`${label} is ${bytes.length} bytes, its header implies ${want}`);
  const samples: SampleSet = {
    featureCount,
    classCount,
    count,
    features: bytes.subarray(SHARD_HEADER_BYTES, SHARD_HEADER_BYTES + count * featureCount),
    labels: bytes.subarray(SHARD_HEADER_BYTES + count * featureCount),
  };
  checkSampleSet(samples, label);
  return samples;
}

function checkSampleSet(s: SampleSet, label = "sample set"): void {
  if (s.featureCount < 1 || s.classCount < 2 || s.classCount > 256 || s.count < 1)
    throw new DataError(
      `${label} needs ≥1 feature, 2..256 classes and ≥1 sample (has ${s.featureCount}, ${s.classCount}, ${s.count})`,
    );
  if (s.features.length !== s.count * s.featureCount || s.labels.length !== s.count)
    throw new DataError(`${label} arrays do not match its counts`);
  const bad = s.labels.findIndex((y) => y >= s.classCount);
  if (bad >= 0)
    throw new DataError(
      `${label} sample ${bad} has label ${s.labels[bad]} ≥ ${s.classCount} classes`,
    );
}

/** The dataset root over shard digests (src/protocol/merkle.ts). */
export function datasetRoot(shardCids: readonly string[]): Hex {
  if (shardCids.length === 0) throw new DataError("a dataset needs at least one shard");
  return merkleRoot(shardCids.map((cid) => digestFromCid(cid)));
}

/** Splits samples into shards of `shardSize` samples and encodes them. */
export function shardSamples(samples: SampleSet, shardSize: number): Uint8Array[] {
  if (!Number.isInteger(shardSize) || shardSize < 1)
    throw new DataError(`shard size ${shardSize} must be a positive integer`);
  checkSampleSet(samples);
  const shards: Uint8Array[] = [];
  for (let start = 0; start < samples.count; start += shardSize) {
    const end = Math.min(samples.count, start + shardSize);
    shards.push(
      encodeShard({
        featureCount: samples.featureCount,
        classCount: samples.classCount,
        count: end - start,
        features: samples.features.subarray(
          start * samples.featureCount,
          end * samples.featureCount,
        ),
        labels: samples.labels.subarray(start, end),
      }),
    );
  }
  return shards;
}

/** Stores the shards of a sample set and returns the reference a job spec names. */
export async function publishDataset(
  store: BlobStore,
  samples: SampleSet,
  shardSize: number,
): Promise<DatasetRef> {
  const shards = shardSamples(samples, shardSize);
  const cids: string[] = [];
  for (const shard of shards) {
    const cid = await store.put(shard);
    if (cid !== cidOf(shard))
      throw new DataError(`store returned address ${cid} for shard ${cidOf(shard)}`);
    cids.push(cid);
  }
  return { root: datasetRoot(cids), shards: cids, sampleCount: samples.count };
}

/** Assembles a dataset from shard bytes, checking each against its address and the root. */
export function datasetFromShards(ref: DatasetRef, shardBytes: readonly Uint8Array[]): Dataset {
  if (shardBytes.length !== ref.shards.length)
    throw new DataError(`dataset lists ${ref.shards.length} shards, got ${shardBytes.length}`);
  const root = datasetRoot(ref.shards);
  if (root.toLowerCase() !== ref.root.toLowerCase())
    throw new DataError(`dataset root ${ref.root} does not match its shard list (root ${root})`);
  const decoded = shardBytes.map((bytes, i) => {
    const want = digestFromCid(ref.shards[i]!);
    if (sha256Hex(bytes) !== want)
      throw new DataError(
        `shard ${i} does not hash to its address ${ref.shards[i]!} (tampered or wrong blob)`,
      );
    return decodeShard(bytes, `shard ${i}`);
  });
  const first = decoded[0]!;
  decoded.forEach((s, i) => {
    if (s.featureCount !== first.featureCount || s.classCount !== first.classCount)
      throw new DataError(`shard ${i} has a different sample shape from shard 0`);
    if (i < decoded.length - 1 && s.count !== first.count)
      throw new DataError(
        `shard ${i} holds ${s.count} samples; every shard but the last must hold ${first.count}`,
      );
    if (i === decoded.length - 1 && s.count > first.count)
      throw new DataError(`the last shard holds more samples than the others`);
  });
  const count = decoded.reduce((n, s) => n + s.count, 0);
  if (count !== ref.sampleCount)
    throw new DataError(`dataset declares ${ref.sampleCount} samples, its shards hold ${count}`);
  const features = new Uint8Array(count * first.featureCount);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const s of decoded) {
    features.set(s.features, at * first.featureCount);
    labels.set(s.labels, at);
    at += s.count;
  }
  return {
    ref,
    featureCount: first.featureCount,
    classCount: first.classCount,
    count,
    features,
    labels,
  };
}

/** Fetches and checks every shard of a dataset. */
export async function loadDataset(store: BlobStore, ref: DatasetRef): Promise<Dataset> {
  const bytes: Uint8Array[] = [];
  for (const cid of ref.shards) {
    const size = await store.size(cid);
    if (size !== undefined && size > MAX_SHARD_BYTES)
      throw new DataError(`shard ${cid} is ${size} bytes, over the ${MAX_SHARD_BYTES}-byte limit`);
    bytes.push(await store.get(cid));
  }
  return datasetFromShards(ref, bytes);
}
