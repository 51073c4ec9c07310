// The provider's training loop: segment by segment from any committed checkpoint, each segment
// produced as its plan says (src/provider/cheats.ts; the honest plan trains every step with the
// protocol's batches and reproduces the engine's `train` bit for bit — tested). Every checkpoint is
// written to the provider's own durable store first and then uploaded to the shared store, and only
// then handed to `onCheckpoint` (which journals it): a checkpoint that was journaled is never lost,
// and training after a crash resumes from the last journaled one instead of from step 0.
import type { Hex } from "viem";

import { getState } from "../checkpoint/checkpoint-store.ts";
import { encodeState } from "../checkpoint/state-codec.ts";
import { publishTraceManifest, traceLeaves, type CheckpointRecord } from "../checkpoint/trace.ts";
import { encodeLossBits } from "../checkpoint/update-norm.ts";
import { TrainingError } from "../engine/errors.ts";
import type { ProgramInfo } from "../engine/program-info.ts";
import { openStepSession, type RuntimeOptions, type StepSession } from "../engine/runtime.ts";
import {
  checkJob,
  checkpointRecord,
  runStep,
  type BatchRule,
  type TrainingJob,
} from "../training/trainer.ts";
import type { StateArray, TrainingState } from "../engine/training-state.ts";
import { merkleRoot } from "../protocol/merkle.ts";
import type { BlobStore } from "../store/blob-store.ts";
import type { CheatPlan } from "./cheats.ts";

export interface SegmentTrainingOptions {
  /** The provider's own durable store (under its data directory). */
  local: BlobStore;
  /** Where verifiers read from; every checkpoint and the manifest are uploaded here too. */
  shared?: BlobStore;
  plan: CheatPlan;
  /** The initial state (when `records` is empty) or the state of checkpoint `records.at(-1)`. */
  start: TrainingState;
  /** Checkpoint records 0..i already committed to the journal (empty: start at step 0). */
  records?: readonly CheckpointRecord[];
  /** Called once checkpoint `record` is stored locally and uploaded; awaited before going on. */
  onCheckpoint?: (record: CheckpointRecord) => Promise<void> | void;
  /** Called after every step. */
  onStep?: (step: number) => void;
  runtime?: RuntimeOptions;
  session?: StepSession;
  signal?: AbortSignal;
}

export interface SegmentTrainingResult {
  records: CheckpointRecord[];
  state: TrainingState;
  root: Hex;
  finalDigest: Hex;
  manifestCid: string;
  /** Steps actually computed by this call (a resumed run computes fewer). */
  stepsRun: number;
}

function rangeOf(info: ProgramInfo, name: string, role: string): [number, number] | undefined {
  const format = info.fixedPoint;
  if (info.numerics !== "exact" || format === undefined) return undefined;
  const layer = format.layers[Number(/^layer(\d+)\./.exec(name)?.[1])];
  if (layer === undefined) return undefined;
  const u = name.includes(".bias") ? layer.biasUpdate : layer.weightUpdate;
  return role === "param" ? [u.paramMin, u.paramMax] : [-u.momentumBound, u.momentumBound];
}

/**
 * W + (W − W_prev), clamped into the range an exact program accepts (so the made-up state still
 * loads everywhere and the cheat is caught by re-execution, not by a range check).
 */
export function extrapolateState(
  info: ProgramInfo,
  previous: TrainingState,
  current: TrainingState,
  step: number,
): TrainingState {
  const values = current.values.map((w, t): StateArray => {
    const p = previous.values[t]!;
    const spec = current.specs[t]!;
    if (w instanceof Float32Array) return w.map((x, j) => 2 * x - p[j]!);
    const range = rangeOf(info, spec.name, spec.role) ?? [-(2 ** 31), 2 ** 31 - 1];
    return w.map((x, j) => Math.min(range[1], Math.max(range[0], 2 * x - p[j]!)));
  });
  return { step, specs: current.specs, values };
}

async function putBoth(
  local: BlobStore,
  shared: BlobStore | undefined,
  bytes: Uint8Array,
  cid: string,
): Promise<void> {
  for (const store of shared ? [local, shared] : [local]) {
    const got = await store.put(bytes);
    if (got !== cid) throw new TrainingError(`a store returned ${got} for checkpoint ${cid}`);
  }
}

export async function trainSegments(
  job: TrainingJob,
  options: SegmentTrainingOptions,
): Promise<SegmentTrainingResult> {
  checkJob(job);
  const { local, shared, plan } = options;
  const { info } = job.program;
  const k = job.checkpointInterval;
  const n = job.totalSteps / k;
  const records = [...(options.records ?? [])];
  let state = options.start;
  if (records.length === 0) {
    if (state.step !== 0) throw new TrainingError("training without records starts at step 0");
    const { record, bytes } = checkpointRecord(info, state, k, "initial");
    await putBoth(local, shared, bytes, record.cid);
    records.push(record);
    await options.onCheckpoint?.(record);
  }
  const last = records.at(-1)!;
  if (state.step !== last.step || encodeState(state).digest !== last.stateDigest)
    throw new TrainingError(`the start state is not checkpoint ${last.index}`);
  // The state of the checkpoint before the start: extrapolation needs the previous update.
  let before = records.length >= 2 ? await getState(local, records.at(-2)!.cid, info) : state;
  let stepsRun = 0;
  const session = options.session ?? (await openStepSession(job.program, options.runtime));
  try {
    for (let i = records.length; i <= n; i++) {
      if (options.signal?.aborted)
        throw new TrainingError("training aborted", { cause: options.signal.reason });
      const mode = plan.segment(i);
      const segmentStart = state;
      let lossBits = records.at(-1)!.lossBits;
      let next: TrainingState;
      if (mode.kind === "train") {
        next = state;
        let loss: number | bigint | undefined;
        for (let s = 0; s < mode.steps; s++) {
          const result = await session.step(next, plan.batches(job, next.step));
          next = result.state;
          loss = result.loss;
          stepsRun += 1;
          options.onStep?.(next.step);
        }
        if (loss !== undefined) lossBits = encodeLossBits(info, loss);
        // Skipped steps: the state claims to be at the checkpoint's step anyway.
        if (next.step !== i * k) next = { ...next, step: i * k };
      } else if (mode.kind === "extrapolate") {
        next = extrapolateState(info, before, state, i * k);
      } else {
        next = { ...state, step: i * k };
      }
      const { record: computed, bytes } = checkpointRecord(info, next, k, {
        previous: segmentStart,
        lossBits,
      });
      await putBoth(local, shared, bytes, computed.cid);
      // The false-norm cheat claims a norm of its own.
      const record: CheckpointRecord =
        plan.falseNorm?.segment === i ? { ...computed, updateNorm: plan.falseNorm.norm } : computed;
      records.push(record);
      await options.onCheckpoint?.(record);
      before = segmentStart;
      state = next;
    }
  } finally {
    if (options.session === undefined) await session.close();
  }
  const root = merkleRoot(traceLeaves(job.jobId, records));
  const manifest = {
    jobId: job.jobId,
    specHash: job.specHash,
    checkpointInterval: k,
    records,
    root,
  };
  const manifestCid = await publishTraceManifest(local, manifest);
  if (shared) {
    const sharedCid = await publishTraceManifest(shared, manifest);
    if (sharedCid !== manifestCid)
      throw new TrainingError(`the shared store returned ${sharedCid} for manifest ${manifestCid}`);
  }
  return { records, state, root, finalDigest: records.at(-1)!.stateDigest, manifestCid, stepsRun };
}

/**
 * The provider's own states through segment `segment` (offsets 0..k), for its dissection answers:
 * checkpoint i − 1 from its store, then its own batch rule step by step; offset k is its committed
 * checkpoint i (which for a made-up segment no step reaches — a cheater has nothing better to post).
 */
export async function providerSegmentStates(
  job: TrainingJob,
  local: BlobStore,
  records: readonly CheckpointRecord[],
  batches: BatchRule,
  segment: number,
): Promise<TrainingState[]> {
  const startRecord = records[segment - 1];
  const endRecord = records[segment];
  if (startRecord === undefined || endRecord === undefined)
    throw new TrainingError(`the provider has no checkpoints ${segment - 1} and ${segment}`);
  const { info } = job.program;
  let state = await getState(local, startRecord.cid, info);
  const states = [state];
  const session = await openStepSession(job.program);
  try {
    for (let s = 1; s < job.checkpointInterval; s++) {
      state = (await runStep(session, job, state, batches)).state;
      states.push(state);
    }
  } finally {
    await session.close();
  }
  states.push(await getState(local, endRecord.cid, info));
  return states;
}
