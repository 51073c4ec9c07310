// Verification by re-execution (PROTOCOL.md §2, §5). A verifier recomputes segment i —
// k steps from checkpoint i−1 — and compares with the provider's checkpoint i:
//   exact:     the recomputed state's digest must equal h_i;
//   tolerance: the normalized distance ‖W' − W‖₂ / max(‖W − W₀‖₂, ε) must be at most
//              delta, where W' is recomputed, W claimed and W₀ the segment's start
//              (parameters only; after Jia et al., Proof-of-Learning, 2021).
// `calibrate` measures that distance between two honest runtime configurations, which
// is the noise floor a job's delta must sit above.
import type { Hex } from "viem";

import { getState } from "../checkpoint/checkpoint-store.ts";
import { stateDigest } from "../checkpoint/state-codec.ts";
import { leafOf, type CheckpointRecord } from "../checkpoint/trace.ts";
import { encodeLossBits, encodeUpdateNorm, paramDistance } from "../checkpoint/update-norm.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { digestFromCid } from "../store/cid.ts";
import { TrainingError } from "./errors.ts";
import type { ProgramInfo } from "./program-info.ts";
import { openStepSession, type RuntimeOptions } from "./runtime.ts";
import { checkJob, runStep, type TrainingJob } from "./trainer.ts";
import type { TrainingState } from "./training-state.ts";

/** The ε of the normalized distance: segments that barely moved compare in absolute terms. */
export const DISTANCE_EPSILON = 1e-8;

/** ‖recomputed − claimed‖₂ / max(‖claimed − start‖₂, ε), over parameters. */
export function normalizedDistance(
  info: ProgramInfo,
  start: TrainingState,
  claimed: TrainingState,
  recomputed: TrainingState,
  epsilon = DISTANCE_EPSILON,
): number {
  return (
    paramDistance(info, claimed, recomputed) /
    Math.max(paramDistance(info, start, claimed), epsilon)
  );
}

export interface Segment {
  /** Segment i runs steps (i−1)·k .. i·k − 1, from checkpoint i−1 to checkpoint i. */
  index: number;
  start: CheckpointRecord;
  end: CheckpointRecord;
}

export interface ReexecutionReport {
  numerics: "exact" | "tolerance";
  /** Whether the provider's checkpoint i reproduces. */
  ok: boolean;
  claimedDigest: Hex;
  recomputedDigest: Hex;
  /** Tolerance mode: the normalized distance and the threshold it was held to. */
  distance?: number;
  delta?: number;
  /** Whether the leaf's lossBits / updateNorm equal the recomputed ones (exact) — informative in tolerance mode. */
  lossBitsMatch: boolean;
  updateNormMatches: boolean;
}

export interface ReexecuteOptions {
  store: BlobStore;
  /** Tolerance threshold (required in tolerance mode). */
  delta?: number;
  runtime?: RuntimeOptions;
  epsilon?: number;
}

export async function reexecute(
  job: TrainingJob,
  segment: Segment,
  options: ReexecuteOptions,
): Promise<ReexecutionReport> {
  checkJob(job);
  const { info } = job.program;
  const k = job.checkpointInterval;
  const i = segment.index;
  if (!Number.isInteger(i) || i < 1 || i * k > job.totalSteps)
    throw new TrainingError(`segment ${i} is outside 1..${job.totalSteps / k}`);
  if (
    segment.start.index !== i - 1 ||
    segment.start.step !== (i - 1) * k ||
    segment.end.index !== i ||
    segment.end.step !== i * k
  )
    throw new TrainingError(`segment ${i} needs checkpoints ${i - 1} and ${i}`);
  if (
    digestFromCid(segment.end.cid) !== segment.end.stateDigest ||
    digestFromCid(segment.start.cid) !== segment.start.stateDigest
  )
    throw new TrainingError(`segment ${i}: a checkpoint's CID does not carry its committed digest`);
  if (info.numerics === "tolerance" && !(options.delta !== undefined && options.delta >= 0))
    throw new TrainingError("tolerance re-execution needs a non-negative delta");

  const start = await getState(options.store, segment.start.cid, info);
  let state = start;
  let loss: number | bigint = 0;
  const session = await openStepSession(job.program, options.runtime);
  try {
    for (let s = 0; s < k; s++) {
      const result = await runStep(session, job, state);
      state = result.state;
      loss = result.loss;
    }
  } finally {
    await session.close();
  }
  const recomputedDigest = stateDigest(state);
  const claimedDigest = segment.end.stateDigest;
  const leaf = leafOf(segment.end);
  const lossBitsMatch = encodeLossBits(info, loss) === leaf.lossBits;
  if (info.numerics === "exact") {
    const ok = recomputedDigest === claimedDigest;
    return {
      numerics: "exact",
      ok,
      claimedDigest,
      recomputedDigest,
      lossBitsMatch,
      updateNormMatches: encodeUpdateNorm(info, start, state) === leaf.updateNorm,
    };
  }
  const claimed = await getState(options.store, segment.end.cid, info);
  const distance = normalizedDistance(info, start, claimed, state, options.epsilon);
  return {
    numerics: "tolerance",
    ok: distance <= options.delta!,
    claimedDigest,
    recomputedDigest,
    distance,
    delta: options.delta!,
    lossBitsMatch,
    updateNormMatches: encodeUpdateNorm(info, start, claimed) === leaf.updateNorm,
  };
}

export interface CalibrationReport {
  steps: number;
  /** Normalized distance between the two configurations' end states (A as the claim). */
  distance: number;
  /** ‖W_A − W₀‖₂ and ‖W_A − W_B‖₂ over parameters. */
  updateNorm: number;
  absoluteDistance: number;
  digestsEqual: boolean;
}

/**
 * Runs the same `steps` from `start` under runtime configurations `a` and `b` and
 * reports how far apart honest executions land — the floor for choosing delta.
 */
export async function calibrate(
  job: TrainingJob,
  start: TrainingState,
  steps: number,
  a: RuntimeOptions,
  b: RuntimeOptions,
): Promise<CalibrationReport> {
  checkJob(job);
  if (!Number.isInteger(steps) || steps < 1 || start.step + steps > job.totalSteps)
    throw new TrainingError(
      `calibration needs 1..${job.totalSteps - start.step} steps, got ${steps}`,
    );
  const run = async (options: RuntimeOptions): Promise<TrainingState> => {
    const session = await openStepSession(job.program, options);
    try {
      let state = start;
      for (let s = 0; s < steps; s++) state = (await runStep(session, job, state)).state;
      return state;
    } finally {
      await session.close();
    }
  };
  const endA = await run(a);
  const endB = await run(b);
  const { info } = job.program;
  return {
    steps,
    distance: normalizedDistance(info, start, endA, endB),
    updateNorm: paramDistance(info, start, endA),
    absoluteDistance: paramDistance(info, endA, endB),
    digestsEqual: stateDigest(endA) === stateDigest(endB),
  };
}
