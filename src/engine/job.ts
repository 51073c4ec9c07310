// From a job spec to a runnable job and back. `loadJob` resolves every content address
// of a spec through a BlobStore and checks the pieces against each other (program vs the
// spec's numerics and hyper-parameters, dataset vs its root, initial state vs the
// program); `publishJob` stores the pieces a submitter provides and writes the spec.
import type { Hex } from "viem";

import { putState, getState } from "../checkpoint/checkpoint-store.ts";
import { loadDataset, publishDataset, type SampleSet } from "../data/dataset.ts";
import { parseJobSpec, specHash, type JobSpec } from "../protocol/job-spec.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { ProgramError, TrainingError } from "./errors.ts";
import { DEFAULT_PROGRAM_LIMITS, loadProgram, type ProgramLimits } from "./program-loader.ts";
import type { TrainingJob } from "./trainer.ts";
import type { TrainingState } from "./training-state.ts";

export interface LoadedJob {
  spec: JobSpec;
  job: TrainingJob;
  initialState: TrainingState;
}

export async function loadJob(
  store: BlobStore,
  specInput: unknown,
  jobId: bigint,
  limits: ProgramLimits = DEFAULT_PROGRAM_LIMITS,
): Promise<LoadedJob> {
  const spec = parseJobSpec(specInput);
  const size = await store.size(spec.program.cid);
  if (size !== undefined && size > limits.maxBytes)
    throw new ProgramError(
      `program ${spec.program.cid} is ${size} bytes, over the ${limits.maxBytes}-byte limit`,
    );
  const program = loadProgram(
    await store.get(spec.program.cid),
    {
      cid: spec.program.cid,
      numerics: spec.numerics,
      layers: spec.hyperParameters.model.layers,
      batchSize: spec.hyperParameters.batchSize,
      optimizer: spec.hyperParameters.optimizer,
    },
    limits,
  );
  const dataset = await loadDataset(store, { ...spec.dataset, root: spec.dataset.root as Hex });
  const initialState = await getState(store, spec.program.initialStateCid, program.info);
  if (initialState.step !== 0)
    throw new TrainingError(`the initial state is at step ${initialState.step}, not 0`);
  const job: TrainingJob = {
    jobId,
    specHash: specHash(spec),
    program,
    dataset,
    seed: spec.seed as Hex,
    totalSteps: spec.totalSteps,
    checkpointInterval: spec.checkpointInterval,
  };
  return { spec, job, initialState };
}

export interface PublishJobInput {
  programBytes: Uint8Array;
  initialState: TrainingState;
  samples: SampleSet;
  shardSize: number;
  /** Every spec field that is not a content address. */
  rest: Omit<JobSpec, "program" | "dataset">;
}

/** Stores program, initial state and dataset shards; returns the (validated) spec. */
export async function publishJob(store: BlobStore, input: PublishJobInput): Promise<JobSpec> {
  const program = loadProgram(input.programBytes);
  const programCid = await store.put(input.programBytes);
  if (programCid !== program.cid)
    throw new ProgramError(`store returned ${programCid} for program ${program.cid}`);
  const state = await putState(store, input.initialState);
  const dataset = await publishDataset(store, input.samples, input.shardSize);
  return parseJobSpec({
    ...input.rest,
    program: { cid: program.cid, initialStateCid: state.cid },
    dataset,
  });
}
