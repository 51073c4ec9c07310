// Training with checkpoints (docs/protocol.md §3). `train` runs steps from a checkpoint,
// stores a checkpoint every k steps through a BlobStore and records its leaf fields;
// when the run reaches T it also returns the trace root and publishes the manifest.
// `stateAt` and `digestsBetween` recompute any step's state from the nearest checkpoint,
// which is what bisection (docs/protocol.md §6) asks a provider or challenger for.
import type { Hex } from "viem";

import { batchForStep } from "../data/batch-schedule.ts";
import type { Dataset } from "../data/dataset.ts";
import { getState } from "../checkpoint/checkpoint-store.ts";
import { encodeState, stateDigest } from "../checkpoint/state-codec.ts";
import { publishTraceManifest, traceLeaves, type CheckpointRecord } from "../checkpoint/trace.ts";
import { encodeLossBits, encodeUpdateNorm } from "../checkpoint/update-norm.ts";
import { merkleRoot } from "../protocol/merkle.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { TrainingError } from "../engine/errors.ts";
import type { LoadedProgram } from "../engine/program-loader.ts";
import type { ProgramInfo } from "../engine/program-info.ts";
import {
  openStepSession,
  type Batch,
  type RuntimeOptions,
  type StepSession,
} from "../engine/runtime.ts";
import { assertStateMatches, type TrainingState } from "../engine/training-state.ts";

/** Everything that determines a run, resolved and checked (see loadJob). */
export interface TrainingJob {
  jobId: bigint;
  /** sha-256 of the canonical job spec (goes into the trace manifest). */
  specHash: Hex;
  program: LoadedProgram;
  dataset: Dataset;
  seed: Hex;
  totalSteps: number;
  checkpointInterval: number;
}

export interface TrainProgress {
  /** Steps taken so far. */
  step: number;
  loss: number | bigint;
  /** Set when this step completed a checkpoint (its blob may still be being written). */
  checkpoint?: CheckpointRecord;
}

export interface TrainOptions {
  store: BlobStore;
  /** The state to start from: the initial state, or checkpoint `records.at(-1)`. */
  start: TrainingState;
  /** Checkpoint records up to and including the start (empty when starting at step 0). */
  records?: readonly CheckpointRecord[];
  /** Stop after this many steps in total; a multiple of k, at most T (default T). */
  toStep?: number;
  runtime?: RuntimeOptions;
  /** Reuse an open session (it is not closed). */
  session?: StepSession;
  /** The batch of each step (default the protocol's; another rule is a deviating provider). */
  batches?: BatchRule;
  onProgress?: (progress: TrainProgress) => void;
  /** Called once checkpoint `record` is stored (after its step's progress event). */
  onCheckpoint?: (record: CheckpointRecord) => void;
  signal?: AbortSignal;
}

/** Where a training run spent its wall-clock time, in milliseconds. */
export interface TrainTimings {
  steps: number;
  /** Running program steps (batch assembly included). */
  stepMs: number;
  checkpoints: number;
  /** Serializing, hashing, norms and the store's synchronous part (its own hashing). */
  checkpointMs: number;
  /** Waiting for checkpoint writes that had not finished (and the final flush). */
  storeWaitMs: number;
}

export interface TrainResult {
  timings: TrainTimings;
  state: TrainingState;
  /** Checkpoints 0..i so far. */
  records: CheckpointRecord[];
  /** When the run reached T: leaves, root, final digest and the manifest's CID. */
  trace?: { leaves: Hex[]; root: Hex; finalDigest: Hex; manifestCid: string };
}

export function checkJob(job: TrainingJob): void {
  const { totalSteps: T, checkpointInterval: k } = job;
  if (!Number.isSafeInteger(T) || T < 1 || !Number.isSafeInteger(k) || k < 1 || T % k !== 0)
    throw new TrainingError(
      `checkpointInterval ${k} must be a positive divisor of totalSteps ${T}`,
    );
  if (job.dataset.featureCount !== job.program.info.model.layers[0])
    throw new TrainingError(
      `dataset samples have ${job.dataset.featureCount} features, the program takes ${job.program.info.model.layers[0]}`,
    );
  if (job.dataset.classCount !== job.program.info.model.layers.at(-1))
    throw new TrainingError(
      `dataset has ${job.dataset.classCount} classes, the program outputs ${job.program.info.model.layers.at(-1)}`,
    );
}

async function withSession<T>(
  job: TrainingJob,
  given: StepSession | undefined,
  runtime: RuntimeOptions | undefined,
  body: (session: StepSession) => Promise<T>,
): Promise<T> {
  if (given) {
    if (given.program.cid !== job.program.cid)
      throw new TrainingError(
        `session runs program ${given.program.cid}, the job's is ${job.program.cid}`,
      );
    return body(given);
  }
  const session = await openStepSession(job.program, runtime);
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}

/** The batch a trainer feeds to step `step`. */
export type BatchRule = (job: TrainingJob, step: number) => Batch;

/** The protocol's batch schedule: what an honest provider, every verifier and every referee use. */
export const protocolBatches: BatchRule = (job, step) =>
  batchForStep(job.dataset, job.seed, job.jobId, step, job.program.info.batchSize);

/**
 * Runs one step of the job. The protocol's batch is the pure function of (root, seed, job id,
 * step); another rule is a provider that deviates from the job (src/provider/batch-rule.ts).
 */
export async function runStep(
  session: StepSession,
  job: TrainingJob,
  state: TrainingState,
  batches: BatchRule = protocolBatches,
): Promise<{ state: TrainingState; loss: number | bigint }> {
  if (state.step >= job.totalSteps)
    throw new TrainingError(`step ${state.step} is past the job's ${job.totalSteps} steps`);
  return session.step(state, batches(job, state.step));
}

/**
 * Checkpoint `state`'s record and bytes, with the loss claimed (`lossBits`) and its update norm
 * since the previous checkpoint; the initial checkpoint claims neither.
 */
export function checkpointRecord(
  info: ProgramInfo,
  state: TrainingState,
  k: number,
  claims: { previous: TrainingState; lossBits: bigint } | "initial",
): { record: CheckpointRecord; bytes: Uint8Array } {
  const encoded = encodeState(state);
  return {
    bytes: encoded.bytes,
    record: {
      index: state.step / k,
      step: state.step,
      cid: encoded.cid,
      stateDigest: encoded.digest,
      lossBits: claims === "initial" ? 0n : claims.lossBits,
      updateNorm: claims === "initial" ? 0n : encodeUpdateNorm(info, claims.previous, state),
    },
  };
}

/**
 * Runs `count` steps of the job from `state` with the protocol's batches: the last state and the
 * last step's loss (0 if none ran). `onInterior` sees each state but the last (1..count − 1 steps
 * in) in buffers the session reuses: it may hash or copy one, never keep it.
 */
export async function runSteps(
  session: StepSession,
  job: TrainingJob,
  state: TrainingState,
  count: number,
  onInterior?: (state: TrainingState, stepsIn: number) => void,
): Promise<{ state: TrainingState; loss: number | bigint }> {
  if (state.step + count > job.totalSteps)
    throw new TrainingError(
      `steps ${state.step}..${state.step + count - 1} run past the job's ${job.totalSteps} steps`,
    );
  return session.steps(state, count, (step) => protocolBatches(job, step), onInterior);
}

export async function train(job: TrainingJob, options: TrainOptions): Promise<TrainResult> {
  checkJob(job);
  const { store } = options;
  const { info } = job.program;
  const k = job.checkpointInterval;
  const T = job.totalSteps;
  const toStep = options.toStep ?? T;
  let state = options.start;
  assertStateMatches(info, state);
  if (state.step % k !== 0)
    throw new TrainingError(
      `training must start at a checkpoint; step ${state.step} is not a multiple of ${k}`,
    );
  if (!Number.isSafeInteger(toStep) || toStep % k !== 0 || toStep > T || toStep < state.step)
    throw new TrainingError(
      `toStep ${toStep} must be a multiple of ${k} within [${state.step}, ${T}]`,
    );

  const records = [...(options.records ?? [])];
  const startIndex = state.step / k;
  if (state.step === 0 && records.length === 0) {
    const initial = checkpointRecord(info, state, k, "initial");
    const cid = await store.put(initial.bytes);
    if (cid !== initial.record.cid)
      throw new TrainingError(`store returned ${cid} for checkpoint ${initial.record.cid}`);
    records.push(initial.record);
  }
  if (records.length !== startIndex + 1)
    throw new TrainingError(
      `starting at checkpoint ${startIndex} needs records 0..${startIndex}, got ${records.length}`,
    );
  records.forEach((r, i) => {
    if (r.index !== i || r.step !== i * k)
      throw new TrainingError(`checkpoint record #${i} is for index ${r.index}, step ${r.step}`);
  });
  if (stateDigest(state) !== records[startIndex]!.stateDigest)
    throw new TrainingError(`the start state does not match checkpoint ${startIndex}'s digest`);

  return withSession(job, options.session, options.runtime, async (session) => {
    let previousCheckpoint = state;
    // The state is hashed here, but written while the following steps run: ONNX Runtime
    // computes on this thread and the store's file I/O on libuv's, so the write and
    // fsync cost no training time. One write is in flight at most.
    let pending: Promise<void> | undefined;
    let writeError: unknown;
    const timings: TrainTimings = {
      steps: 0,
      stepMs: 0,
      checkpoints: 0,
      checkpointMs: 0,
      storeWaitMs: 0,
    };
    const settle = async (): Promise<void> => {
      const waitStart = performance.now();
      await pending;
      timings.storeWaitMs += performance.now() - waitStart;
      pending = undefined;
      if (writeError !== undefined)
        throw new TrainingError("storing a checkpoint failed", { cause: writeError });
    };
    try {
      while (state.step < toStep) {
        if (options.signal?.aborted)
          throw new TrainingError("training aborted", { cause: options.signal.reason });
        const stepStart = performance.now();
        const result = await runStep(session, job, state, options.batches);
        timings.stepMs += performance.now() - stepStart;
        timings.steps += 1;
        state = result.state;
        let checkpoint: CheckpointRecord | undefined;
        if (state.step % k === 0) {
          const checkpointStart = performance.now();
          const { record, bytes } = checkpointRecord(info, state, k, {
            previous: previousCheckpoint,
            lossBits: encodeLossBits(info, result.loss),
          });
          checkpoint = record;
          records.push(record);
          previousCheckpoint = state;
          const encodedAt = performance.now();
          await settle();
          const putStart = performance.now();
          pending = store.put(bytes).then(
            (cid) => {
              if (cid !== record.cid)
                writeError = new TrainingError(
                  `store returned ${cid} for checkpoint ${record.cid}`,
                );
              else options.onCheckpoint?.(record);
            },
            (error: unknown) => {
              writeError = error;
            },
          );
          timings.checkpointMs += encodedAt - checkpointStart + (performance.now() - putStart);
          timings.checkpoints += 1;
        }
        options.onProgress?.({
          step: state.step,
          loss: result.loss,
          ...(checkpoint ? { checkpoint } : {}),
        });
      }
    } catch (error) {
      await pending; // leave no write running behind a failed run
      throw error;
    }
    await settle();
    const out: TrainResult = { timings, state, records };
    if (state.step === T) {
      const leaves = traceLeaves(job.jobId, records);
      const root = merkleRoot(leaves);
      const manifestCid = await publishTraceManifest(store, {
        jobId: job.jobId,
        specHash: job.specHash,
        checkpointInterval: k,
        records,
        root,
      });
      out.trace = { leaves, root, finalDigest: records.at(-1)!.stateDigest, manifestCid };
    }
    return out;
  });
}

export interface ReplayOptions {
  store: BlobStore;
  /** Checkpoint records (at least up to the checkpoint before the requested step). */
  records: readonly CheckpointRecord[];
  runtime?: RuntimeOptions;
  session?: StepSession;
}

async function fromNearestCheckpoint(
  job: TrainingJob,
  options: ReplayOptions,
  step: number,
): Promise<TrainingState> {
  checkJob(job);
  if (!Number.isSafeInteger(step) || step < 0 || step > job.totalSteps)
    throw new TrainingError(`step ${step} outside [0, ${job.totalSteps}]`);
  const index = Math.min(Math.floor(step / job.checkpointInterval), options.records.length - 1);
  const record = options.records[index];
  if (record === undefined) throw new TrainingError("no checkpoint records to replay from");
  if (record.index !== index || record.step !== index * job.checkpointInterval)
    throw new TrainingError(`checkpoint record #${index} is for index ${record.index}`);
  return getState(options.store, record.cid, job.program.info);
}

/** The state after `step` steps, recomputed from the nearest checkpoint at or before it. */
export async function stateAt(
  job: TrainingJob,
  options: ReplayOptions,
  step: number,
): Promise<TrainingState> {
  let state = await fromNearestCheckpoint(job, options, step);
  return withSession(job, options.session, options.runtime, async (session) => {
    while (state.step < step) state = (await runStep(session, job, state)).state;
    return state;
  });
}

/** Digests of the states after each step in [from, to], for bisection. */
export async function digestsBetween(
  job: TrainingJob,
  options: ReplayOptions,
  from: number,
  to: number,
): Promise<{ step: number; digest: Hex }[]> {
  if (!(
    Number.isSafeInteger(from) &&
    Number.isSafeInteger(to) &&
    from <= to &&
    to <= job.totalSteps
  ))
    throw new TrainingError(
      `digest range [${from}, ${to}] is empty or outside [0, ${job.totalSteps}]`,
    );
  let state = await fromNearestCheckpoint(job, options, from);
  return withSession(job, options.session, options.runtime, async (session) => {
    const out: { step: number; digest: Hex }[] = [];
    for (;;) {
      if (state.step >= from) out.push({ step: state.step, digest: stateDigest(state) });
      if (state.step >= to) return out;
      state = (await runStep(session, job, state)).state;
    }
  });
}
