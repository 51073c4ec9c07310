// Verification of one segment (docs/protocol.md §4 "Claims are checked"). Every field of a leaf is
// a claim, and a segment passes only if all of them hold:
//   state       exact: the re-executed state's digest equals h_i; tolerance: every element of the
//               whole state within its tensor's threshold (src/engine/state-tolerance.ts), and the
//               committed state finite and within the spec's bound;
//   loss        exact: equal bits; tolerance: within the loss threshold;
//   updateNorm  ‖W_i − W_{i−1}‖₂ recomputed from the two committed checkpoints (deterministic in
//               both numerics, so compared bit for bit);
//   available   the committed checkpoints i−1 and i can be fetched intact.
// `judgeSegment` decides from a start state and a re-executed end; `reexecute` fetches the start,
// runs the k steps and judges; `checkUpdateNorm` checks a norm from the two blobs alone, which
// costs two downloads and no training, so verifiers check every segment's norm.
import type { Hex } from "viem";

import { getState } from "../checkpoint/checkpoint-store.ts";
import { stateDigest } from "../checkpoint/state-codec.ts";
import { leafOf, type CheckpointRecord } from "../checkpoint/trace.ts";
import { encodeLossBits, encodeUpdateNorm } from "../checkpoint/update-norm.ts";
import { isRetryable } from "../errors.ts";
import { isOverReaderLimit } from "../store/errors.ts";
import type { ToleranceSpec } from "../protocol/job-spec.ts";
import { lossFromFloat32Bits } from "../protocol/leaf.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { digestFromCid } from "../protocol/cid.ts";
import { TrainingError } from "../engine/errors.ts";
import type { ProgramInfo } from "../engine/program-info.ts";
import { openStepSession, type RuntimeOptions } from "../engine/runtime.ts";
import { compareLoss, compareStates, plausibilityProblem } from "../engine/state-tolerance.ts";
import { checkJob, runSteps, type TrainingJob } from "./trainer.ts";
import type { TrainingState } from "../engine/training-state.ts";

export interface Segment {
  /** Segment i runs steps (i−1)·k .. i·k − 1, from checkpoint i−1 to checkpoint i. */
  index: number;
  start: CheckpointRecord;
  end: CheckpointRecord;
}

/**
 * What was wrong with a segment, which decides how it is disputed: `state` through the dissection
 * (exact) or the committee (tolerance); `claim` (a false loss or norm) and `availability` (a
 * committed blob that cannot be fetched intact) through a claims dispute judged by the committee.
 */
export type FaultKind = "state" | "claim" | "availability";

export interface SegmentVerdict {
  ok: boolean;
  fault?: FaultKind;
  reason?: string;
  claimedDigest: Hex;
  recomputedDigest: Hex;
  stateOk: boolean;
  lossOk: boolean;
  normOk: boolean;
  /** Tolerance: the worst element's ratio to its threshold (≤ 1 passes). */
  ratio?: number;
}

/**
 * Whether a failed fetch means "not available intact" (the provider's fault), not "try again".
 * A blob over the reader's own store limit, where that limit is below the protocol's
 * (MAX_COMMITTED_BLOB_BYTES), is neither: the provider may commit blobs that large, and a reader
 * that cannot take one cannot judge it (ATTACK: test/ts/ipfs-review/ipfs-referee-size-limit.test.ts).
 * The caller rethrows it, so such a reader votes nothing rather than against the provider; verdicts
 * read through `uncached()`, whose IPFS view accepts blobs up to the protocol's limit.
 */
export function isUnavailable(error: unknown): boolean {
  if (isOverReaderLimit(error)) return false;
  return !isRetryable(error);
}

/** Fetches a committed state; undefined when it is not available intact. */
export async function fetchCommitted(
  store: BlobStore,
  record: CheckpointRecord,
  info: ProgramInfo,
): Promise<TrainingState | undefined> {
  try {
    return await getState(store, record.cid, info);
  } catch (error) {
    if (isUnavailable(error)) return undefined;
    throw error;
  }
}

function assertToleranceGiven(
  info: ProgramInfo,
  tolerance: ToleranceSpec | undefined,
): asserts tolerance is ToleranceSpec | undefined {
  if (info.numerics === "tolerance" && tolerance === undefined)
    throw new TrainingError("tolerance re-execution needs the spec's thresholds");
}

/**
 * Judges segment `segment` given the committed start state (or, exact only, one re-derived to the
 * same digest) and the verifier's re-executed end state and last loss.
 */
export async function judgeSegment(
  info: ProgramInfo,
  tolerance: ToleranceSpec | undefined,
  store: BlobStore,
  segment: Segment,
  start: TrainingState,
  recomputed: TrainingState,
  loss: number | bigint,
): Promise<SegmentVerdict> {
  assertToleranceGiven(info, tolerance);
  const leaf = leafOf(segment.end);
  const recomputedDigest = stateDigest(recomputed);
  const claimedDigest = segment.end.stateDigest;
  const base = { claimedDigest, recomputedDigest };
  const fail = (
    fault: FaultKind,
    reason: string,
    flags: { stateOk: boolean; lossOk: boolean; normOk: boolean },
    ratio?: number,
  ): SegmentVerdict => ({
    ...base,
    ok: false,
    fault,
    reason: `segment ${segment.index}: ${reason}`,
    ...flags,
    ...(ratio === undefined ? {} : { ratio }),
  });

  if (info.numerics === "exact") {
    if (recomputedDigest !== claimedDigest)
      return fail("state", "the re-executed state's digest differs from the committed one", {
        stateOk: false,
        lossOk: false,
        normOk: false,
      });
    if (encodeLossBits(info, loss) !== leaf.lossBits)
      return fail("claim", `the committed loss bits ${leaf.lossBits} are not the step's loss`, {
        stateOk: true,
        lossOk: false,
        normOk: false,
      });
    const norm = encodeUpdateNorm(info, start, recomputed);
    if (norm !== leaf.updateNorm)
      return fail("claim", `the committed update norm ${leaf.updateNorm} is not ${norm}`, {
        stateOk: true,
        lossOk: true,
        normOk: false,
      });
    return { ...base, ok: true, stateOk: true, lossOk: true, normOk: true };
  }

  const t = tolerance!;
  const claimed = await fetchCommitted(store, segment.end, info);
  if (claimed === undefined)
    return fail("availability", `checkpoint ${segment.end.index} is not available intact`, {
      stateOk: false,
      lossOk: false,
      normOk: false,
    });
  const implausible = plausibilityProblem(info, t, claimed) ?? plausibilityProblem(info, t, start);
  if (implausible !== undefined)
    return fail("state", `a committed state is implausible: ${implausible}`, {
      stateOk: false,
      lossOk: false,
      normOk: false,
    });
  const comparison = compareStates(info, t, claimed, recomputed);
  if (!comparison.ok)
    return fail(
      "state",
      comparison.reason!,
      { stateOk: false, lossOk: false, normOk: false },
      comparison.ratio,
    );
  const lossCheck = compareLoss(t, lossFromFloat32Bits(leaf.lossBits), Number(loss));
  if (!lossCheck.ok)
    return fail(
      "claim",
      `the committed loss ${lossFromFloat32Bits(leaf.lossBits)} is not the re-executed ${Number(loss)}`,
      { stateOk: true, lossOk: false, normOk: false },
      comparison.ratio,
    );
  const norm = encodeUpdateNorm(info, start, claimed);
  if (norm !== leaf.updateNorm)
    return fail(
      "claim",
      `the committed update norm ${leaf.updateNorm} is not ${norm}, the norm between the committed checkpoints`,
      { stateOk: true, lossOk: true, normOk: false },
      comparison.ratio,
    );
  return { ...base, ok: true, stateOk: true, lossOk: true, normOk: true, ratio: comparison.ratio };
}

export interface ReexecuteOptions {
  store: BlobStore;
  /** Tolerance numerics: the spec's thresholds. */
  tolerance?: ToleranceSpec;
  runtime?: RuntimeOptions;
}

function assertSegment(job: TrainingJob, segment: Segment): void {
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
}

/** Fetches checkpoint i−1, re-executes the k steps of segment i and judges every claim. */
export async function reexecute(
  job: TrainingJob,
  segment: Segment,
  options: ReexecuteOptions,
): Promise<SegmentVerdict> {
  checkJob(job);
  assertSegment(job, segment);
  const { info } = job.program;
  assertToleranceGiven(info, options.tolerance);
  const start = await fetchCommitted(options.store, segment.start, info);
  if (start === undefined)
    return {
      ok: false,
      fault: "availability",
      reason: `segment ${segment.index}: checkpoint ${segment.start.index} is not available intact`,
      claimedDigest: segment.end.stateDigest,
      recomputedDigest: segment.start.stateDigest,
      stateOk: false,
      lossOk: false,
      normOk: false,
    };
  const session = await openStepSession(job.program, options.runtime);
  let end: { state: TrainingState; loss: number | bigint };
  try {
    end = await runSteps(session, job, start, job.checkpointInterval);
  } finally {
    await session.close();
  }
  return judgeSegment(info, options.tolerance, options.store, segment, start, end.state, end.loss);
}

export interface NormCheck {
  segment: number;
  ok: boolean;
  fault?: "claim" | "availability";
  reason?: string;
}

/**
 * Checks segment i's committed update norm from checkpoints i−1 and i alone — no training. A
 * checkpoint that cannot be fetched intact is an availability fault.
 */
export async function checkUpdateNorm(
  info: ProgramInfo,
  store: BlobStore,
  segment: Segment,
): Promise<NormCheck> {
  const [start, end] = await Promise.all([
    fetchCommitted(store, segment.start, info),
    fetchCommitted(store, segment.end, info),
  ]);
  const i = segment.index;
  if (start === undefined || end === undefined)
    return {
      segment: i,
      ok: false,
      fault: "availability",
      reason: `segment ${i}: checkpoint ${start === undefined ? i - 1 : i} is not available intact`,
    };
  const norm = encodeUpdateNorm(info, start, end);
  if (norm === segment.end.updateNorm) return { segment: i, ok: true };
  return {
    segment: i,
    ok: false,
    fault: "claim",
    reason: `segment ${i}: the committed update norm ${segment.end.updateNorm} is not ${norm}`,
  };
}
