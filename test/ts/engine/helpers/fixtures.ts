// Builders shared by the engine tests: small synthetic jobs in both numerics, published
// through a real in-memory store, and a store that lies (returns whatever bytes it holds,
// unchecked) to prove the engine checks integrity itself.
import { MemoryBlobStore } from "../../../../src/store/memory-store.ts";
import type { BlobStore } from "../../../../src/store/blob-store.ts";
import { cidOf } from "../../../../src/protocol/cid.ts";
import { BlobNotFoundError } from "../../../../src/store/errors.ts";
import { syntheticSamples } from "../../../../src/data/synthetic.ts";
import type { SampleSet } from "../../../../src/data/dataset.ts";
import { buildExactMlpProgram } from "../../../../src/engine/exact-mlp-program.ts";
import { buildFloatMlpProgram } from "../../../../src/engine/float-mlp-program.ts";
import { loadJob, publishJob, type LoadedJob } from "../../../../src/training/job.ts";
import type { OptimizerSpec, ProgramInfo } from "../../../../src/engine/program-info.ts";
import { initialState } from "../../../../src/engine/training-state.ts";
import type { JobSpec } from "../../../../src/protocol/job-spec.ts";

export const SMALL_LAYERS = [20, 16, 12, 5] as const;
export const SMALL_BATCH = 8;
export const SGD: OptimizerSpec = { kind: "sgd", learningRate: 0.1, momentum: 0.9 };
export const ADAM: OptimizerSpec = {
  kind: "adam",
  learningRate: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
};

export function smallSamples(count = 256, seed = "fixture"): SampleSet {
  return syntheticSamples({
    seed,
    count,
    featureCount: SMALL_LAYERS[0],
    classCount: SMALL_LAYERS.at(-1)!,
  });
}

export function smallProgram(
  numerics: "exact" | "tolerance",
  optimizer: OptimizerSpec = SGD,
  layers: readonly number[] = SMALL_LAYERS,
  batchSize = SMALL_BATCH,
): { bytes: Uint8Array; info: ProgramInfo } {
  if (numerics === "exact") {
    if (optimizer.kind !== "sgd") throw new Error("exact programs take SGD");
    return buildExactMlpProgram({ layers, batchSize, optimizer });
  }
  return buildFloatMlpProgram({ layers, batchSize, optimizer });
}

export function specRest(
  numerics: "exact" | "tolerance",
  overrides: Partial<Omit<JobSpec, "program" | "dataset">> = {},
  optimizer: OptimizerSpec = SGD,
): Omit<JobSpec, "program" | "dataset" | "tolerance"> & Pick<Partial<JobSpec>, "tolerance"> {
  return {
    version: 2,
    seed: `0x${"5e".repeat(32)}`,
    totalSteps: 24,
    checkpointInterval: 4,
    numerics,
    hyperParameters: {
      model: { kind: "mlp", layers: [...SMALL_LAYERS] },
      batchSize: SMALL_BATCH,
      optimizer,
    },
    verification: { samples: 2, topQ: 1, committeeSize: 3 },
    windows: { accept: 3600, train: 86_400, open: 3600, challenge: 7200 },
    ...overrides,
  };
}

export interface SmallJob extends LoadedJob {
  store: MemoryBlobStore;
  blobs: Map<string, Uint8Array>;
}

/** A small synthetic job, published to a fresh memory store and loaded back from its spec. */
export async function smallJob(
  numerics: "exact" | "tolerance",
  overrides: Partial<Omit<JobSpec, "program" | "dataset">> = {},
  optimizer: OptimizerSpec = SGD,
): Promise<SmallJob> {
  const blobs = new Map<string, Uint8Array>();
  const store = new MemoryBlobStore({ blobs });
  const program = smallProgram(numerics, optimizer);
  const spec = await publishJob(store, {
    programBytes: program.bytes,
    initialState: initialState(program.info, "fixture"),
    samples: smallSamples(),
    shardSize: 100,
    rest: specRest(numerics, overrides, optimizer),
  });
  return { ...(await loadJob(store, spec, 7n)), store, blobs };
}

/** A BlobStore that returns whatever it holds without checking it (a malicious peer). */
export function lyingStore(blobs: Map<string, Uint8Array>): BlobStore {
  return {
    async put(bytes) {
      const cid = cidOf(bytes);
      blobs.set(cid, bytes.slice());
      return cid;
    },
    async get(cid) {
      const bytes = blobs.get(cid);
      if (!bytes) throw new BlobNotFoundError(cid);
      return bytes.slice();
    },
    async has(cid) {
      return blobs.has(cid);
    },
    async size(cid) {
      return blobs.get(cid)?.length;
    },
  };
}
