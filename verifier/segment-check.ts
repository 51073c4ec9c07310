// The verifier's re-execution work, free of chain and queue: check a segment, compute its own
// digests for a dissection, the agreed pre-state for a committee, and a referee's verdict.
//
// A checkpoint the provider committed but that cannot be fetched intact (not found, or bytes
// that do not match its address) is never a pass: the start state of segment i is then
// re-derived by re-executing from the last checkpoint before it that can be fetched and
// verified — ultimately checkpoint 0, the initial state the submitter published with the spec.
// While re-deriving, every checkpoint passed on the way is compared with its committed digest,
// so a provider that withholds or tampers with blobs cannot hide a bad segment: the first
// segment that does not reproduce is reported, whichever it is.
import type { Hex } from "viem";

import { getState, putState } from "../src/checkpoint/checkpoint-store.ts";
import { stateDigest } from "../src/checkpoint/state-codec.ts";
import type { CheckpointRecord } from "../src/checkpoint/trace.ts";
import { isRetryable } from "../src/errors.ts";
import { normalizedDistance } from "../src/engine/reexecute.ts";
import { openStepSession, type RuntimeOptions, type StepSession } from "../src/engine/runtime.ts";
import { runStep, type TrainingJob } from "../src/engine/trainer.ts";
import type { TrainingState } from "../src/engine/training-state.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import { cidFromDigest } from "../src/store/cid.ts";

/** A job as the verifier re-executes it: the loaded program and the committed checkpoints. */
export interface VerifiableJob {
  jobId: bigint;
  job: TrainingJob;
  initialState: TrainingState;
  /** Checkpoints 0..n from the trace manifest (checked against the on-chain root). */
  records: readonly CheckpointRecord[];
  numerics: "exact" | "tolerance";
  /** Tolerance threshold (normalized distance), tolerance numerics only. */
  delta: number | undefined;
}

export interface SegmentResult {
  segment: number;
  ok: boolean;
  /**
   * The segment to challenge when not ok: `segment` itself, or an earlier one found while
   * re-deriving a start state the provider did not make available.
   */
  failing: number;
  claimedDigest: Hex;
  recomputedDigest: Hex;
  distance?: number;
  /** The checkpoint re-execution started from (segment − 1 unless it had to fall back). */
  startedFrom: number;
  steps: number;
  /** Why the segment failed, in words. */
  reason?: string;
}

/** Whether a failure to fetch a blob means "not available intact" rather than "try again". */
function unavailable(error: unknown): boolean {
  return !isRetryable(error);
}

interface Start {
  state: TrainingState;
  startedFrom: number;
  steps: number;
  /** Set when a checkpoint passed while re-deriving does not reproduce. */
  failing?: { segment: number; recomputed: Hex };
}

/**
 * The state at checkpoint `index`: fetched and verified, or re-derived from the last checkpoint
 * before it that is available, checking each checkpoint passed on the way.
 */
async function checkpointState(
  v: VerifiableJob,
  store: BlobStore,
  session: StepSession,
  index: number,
): Promise<Start> {
  const info = v.job.program.info;
  const k = v.job.checkpointInterval;
  let from = index;
  let state: TrainingState | undefined;
  while (from > 0) {
    try {
      state = await getState(store, v.records[from]!.cid, info);
      break;
    } catch (error) {
      if (!unavailable(error)) throw error;
      from -= 1;
    }
  }
  state ??= v.initialState;
  let steps = 0;
  for (let c = from + 1; c <= index; c++) {
    for (let s = 0; s < k; s++) {
      state = (await runStep(session, v.job, state)).state;
      steps += 1;
    }
    const digest = stateDigest(state);
    // Exact numerics: a checkpoint on the way must reproduce bit for bit. Tolerance: the
    // re-derived state stands in for the missing one (the distance check of segment `index + 1`
    // then measures against it).
    if (v.numerics === "exact" && digest !== v.records[c]!.stateDigest)
      return { state, startedFrom: from, steps, failing: { segment: c, recomputed: digest } };
  }
  return { state, startedFrom: from, steps };
}

/** Runs `count` steps from `state`, returning every state (offset 0 = `state`). */
async function runSteps(
  v: VerifiableJob,
  session: StepSession,
  state: TrainingState,
  count: number,
): Promise<TrainingState[]> {
  const states = [state];
  for (let s = 0; s < count; s++) {
    state = (await runStep(session, v.job, state)).state;
    states.push(state);
  }
  return states;
}

async function withSession<T>(
  v: VerifiableJob,
  runtime: RuntimeOptions | undefined,
  body: (session: StepSession) => Promise<T>,
): Promise<T> {
  const session = await openStepSession(v.job.program, runtime);
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}

function checkSegmentIndex(v: VerifiableJob, segment: number): void {
  const n = v.records.length - 1;
  if (!Number.isInteger(segment) || segment < 1 || segment > n)
    throw new RangeError(`segment ${segment} is outside 1..${n}`);
}

/** Re-executes segment `segment` and compares it with the provider's checkpoint. */
export async function checkSegment(
  v: VerifiableJob,
  store: BlobStore,
  segment: number,
  runtime?: RuntimeOptions,
): Promise<SegmentResult> {
  checkSegmentIndex(v, segment);
  const k = v.job.checkpointInterval;
  const end = v.records[segment]!;
  return withSession(v, runtime, async (session) => {
    const start = await checkpointState(v, store, session, segment - 1);
    const base = {
      segment,
      claimedDigest: end.stateDigest,
      startedFrom: start.startedFrom,
    };
    if (start.failing !== undefined)
      return {
        ...base,
        ok: false,
        failing: start.failing.segment,
        recomputedDigest: start.failing.recomputed,
        steps: start.steps,
        reason: `checkpoint ${segment - 1} is not available intact; re-deriving it from checkpoint ${start.startedFrom} shows segment ${start.failing.segment} does not reproduce`,
      };
    const states = await runSteps(v, session, start.state, k);
    const recomputed = states.at(-1)!;
    const recomputedDigest = stateDigest(recomputed);
    const steps = start.steps + k;
    if (v.numerics === "exact") {
      const ok = recomputedDigest === end.stateDigest;
      return {
        ...base,
        ok,
        failing: segment,
        recomputedDigest,
        steps,
        ...(ok ? {} : { reason: "the re-executed state's digest differs from the committed one" }),
      };
    }
    let claimed: TrainingState;
    try {
      claimed = await getState(store, end.cid, v.job.program.info);
    } catch (error) {
      if (!unavailable(error)) throw error;
      return {
        ...base,
        ok: false,
        failing: segment,
        recomputedDigest,
        steps,
        reason: `checkpoint ${segment} is not available intact, so its distance cannot be measured`,
      };
    }
    const distance = normalizedDistance(v.job.program.info, start.state, claimed, recomputed);
    const ok = distance <= v.delta!;
    return {
      ...base,
      ok,
      failing: segment,
      recomputedDigest,
      distance,
      steps,
      ...(ok ? {} : { reason: `normalized distance ${distance} exceeds delta ${v.delta}` }),
    };
  });
}

/**
 * The verifier's own state digests through segment `segment`, offsets 0..k, re-executed from
 * checkpoint segment − 1 (re-derived if unavailable): what it narrows a dissection with.
 */
export async function ownSegmentDigests(
  v: VerifiableJob,
  store: BlobStore,
  segment: number,
  runtime?: RuntimeOptions,
): Promise<Hex[]> {
  checkSegmentIndex(v, segment);
  return withSession(v, runtime, async (session) => {
    const start = await checkpointState(v, store, session, segment - 1);
    const states = await runSteps(v, session, start.state, v.job.checkpointInterval);
    return states.map(stateDigest);
  });
}

/**
 * Stores the state at `offset` of segment `segment`, recomputed by the verifier: the agreed
 * pre-state of a dissection's last step, so the committee does not depend on a cheating
 * provider's cooperation. Returns its digest.
 */
export async function publishStateAt(
  v: VerifiableJob,
  store: BlobStore,
  segment: number,
  offset: number,
  runtime?: RuntimeOptions,
): Promise<Hex> {
  checkSegmentIndex(v, segment);
  return withSession(v, runtime, async (session) => {
    const start = await checkpointState(v, store, session, segment - 1);
    const states = await runSteps(v, session, start.state, offset);
    return (await putState(store, states.at(-1)!)).digest;
  });
}

export type VoteName = "Provider" | "Challenger" | "Neither";

export interface RefereeQuestion {
  segment: number;
  /** Exact: offset (1..k) of the disputed post-state within the segment; tolerance: k. */
  step: number;
  preDigest: Hex;
  providerDigest: Hex;
  challengerDigest: Hex;
}

export interface Verdict {
  vote: VoteName;
  /** Tolerance: the measured distance in parts per million (0 for exact). */
  distancePpm: bigint;
  recomputedDigest: Hex;
  steps: number;
}

/**
 * A referee's verdict. Exact: recompute the one disputed step from the agreed pre-state (fetched
 * by its content address, or re-derived from the checkpoints and checked against the agreed
 * digest) and vote for the side whose post-step digest it reproduced, or Neither. Tolerance:
 * re-execute the whole segment and vote Provider when the normalized distance to the provider's
 * checkpoint is within delta, Challenger otherwise.
 */
export async function adjudicate(
  v: VerifiableJob,
  store: BlobStore,
  q: RefereeQuestion,
  runtime?: RuntimeOptions,
): Promise<Verdict> {
  checkSegmentIndex(v, q.segment);
  const k = v.job.checkpointInterval;
  if (v.numerics === "tolerance") {
    const result = await checkSegment(v, store, q.segment, runtime);
    const ppm =
      result.distance === undefined
        ? 0n
        : BigInt(Math.min(Math.round(result.distance * 1e6), Number.MAX_SAFE_INTEGER));
    return {
      vote: result.ok ? "Provider" : "Challenger",
      distancePpm: ppm,
      recomputedDigest: result.recomputedDigest,
      steps: result.steps,
    };
  }
  if (!Number.isInteger(q.step) || q.step < 1 || q.step > k)
    throw new RangeError(`disputed step offset ${q.step} is outside 1..${k}`);
  return withSession(v, runtime, async (session) => {
    const info = v.job.program.info;
    const preStep = (q.segment - 1) * k + q.step - 1;
    let pre: TrainingState | undefined;
    let steps = 0;
    try {
      pre = await getState(store, cidFromDigest(q.preDigest), info);
    } catch (error) {
      if (!unavailable(error)) throw error;
    }
    if (pre === undefined || pre.step !== preStep) {
      const start = await checkpointState(v, store, session, q.segment - 1);
      const states = await runSteps(v, session, start.state, q.step - 1);
      pre = states.at(-1)!;
      steps = start.steps + q.step - 1;
    }
    const preDigest = stateDigest(pre);
    if (preDigest !== q.preDigest.toLowerCase()) {
      // Both sides agreed on a pre-state that is not where the protocol's steps lead: the
      // provider's own committed checkpoints contradict it; its post-state cannot be right.
      return { vote: "Neither", distancePpm: 0n, recomputedDigest: preDigest, steps };
    }
    const post = stateDigest((await runStep(session, v.job, pre)).state);
    const vote: VoteName =
      post === q.providerDigest.toLowerCase()
        ? "Provider"
        : post === q.challengerDigest.toLowerCase()
          ? "Challenger"
          : "Neither";
    return { vote, distancePpm: 0n, recomputedDigest: post, steps: steps + 1 };
  });
}
