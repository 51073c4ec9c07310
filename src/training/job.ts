// From a job spec to a runnable job and back. `loadJob` resolves every content address
// of a spec through a BlobStore and checks the pieces against each other (program vs the
// spec's numerics and hyper-parameters, dataset vs its root, initial state vs the
// program); `publishJob` stores the pieces a submitter provides and writes the spec.
import type { Hex } from "viem";

import { putState, getState } from "../checkpoint/checkpoint-store.ts";
import {
  datasetFromShards,
  loadDataset,
  publishDataset,
  shardSamples,
  type SampleSet,
} from "../data/dataset.ts";
import { parseJobSpec, specHash, type JobSpec, type ToleranceSpec } from "../protocol/job-spec.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { ProgramError, TrainingError } from "../engine/errors.ts";
import {
  calibrateTolerance,
  type CalibrationOptions,
  type CalibrationReport,
} from "./calibration.ts";
import { assertToleranceFits } from "../engine/state-tolerance.ts";
import {
  DEFAULT_PROGRAM_LIMITS,
  loadProgram,
  type ProgramLimits,
} from "../engine/program-loader.ts";
import type { TrainingJob } from "./trainer.ts";
import type { TrainingState } from "../engine/training-state.ts";

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
  if (spec.tolerance !== undefined) {
    try {
      assertToleranceFits(program.info, spec.tolerance);
    } catch (cause) {
      throw new ProgramError(
        `the spec's tolerance does not fit program ${spec.program.cid}: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
  }
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
  /** Every spec field that is not a content address; a tolerance job's thresholds may be left out. */
  rest: Omit<JobSpec, "program" | "dataset" | "tolerance"> & { tolerance?: ToleranceSpec };
  /** How a tolerance job without thresholds is calibrated, and who hears the report. */
  calibration?: CalibrationOptions & { onReport?: (report: CalibrationReport) => void };
}

/**
 * Stores program, initial state and dataset shards; returns the (validated) spec. A tolerance job
 * whose `rest` carries no thresholds is calibrated here (src/training/calibration.ts): honest
 * re-executions under every legitimate runtime setting, on this job's own program and data
 * (under job id 0: the noise does not depend on which batches are drawn).
 */
export async function publishJob(store: BlobStore, input: PublishJobInput): Promise<JobSpec> {
  const program = loadProgram(input.programBytes);
  const programCid = await store.put(input.programBytes);
  if (programCid !== program.cid)
    throw new ProgramError(`store returned ${programCid} for program ${program.cid}`);
  const state = await putState(store, input.initialState);
  const dataset = await publishDataset(store, input.samples, input.shardSize);
  let tolerance = input.rest.tolerance;
  if (input.rest.numerics === "tolerance" && tolerance === undefined) {
    const job: TrainingJob = {
      jobId: 0n,
      specHash: `0x${"00".repeat(32)}`,
      program,
      dataset: datasetFromShards(dataset, shardSamples(input.samples, input.shardSize)),
      seed: input.rest.seed as Hex,
      totalSteps: input.rest.totalSteps,
      checkpointInterval: input.rest.checkpointInterval,
    };
    const calibrated = await calibrateTolerance(job, input.initialState, input.calibration);
    input.calibration?.onReport?.(calibrated.report);
    tolerance = calibrated.tolerance;
  }
  return parseJobSpec({
    ...input.rest,
    ...(tolerance === undefined ? {} : { tolerance }),
    program: { cid: program.cid, initialStateCid: state.cid },
    dataset,
  });
}
