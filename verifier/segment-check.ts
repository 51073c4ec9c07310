// The verifier's re-execution work, free of chain and queue: check a segment, compute its own
// digests for a dissection, the agreed pre-state for a committee, and a referee's verdict.
//
// A checkpoint the provider committed but that cannot be fetched intact (not found, or bytes
// that do not match its address) is never a pass: the start state of segment i is then
// re-derived by re-executing from the last checkpoint before it that can be fetched and
// verified — ultimately checkpoint 0, the initial state the submitter published with the spec.
// While re-deriving, every checkpoint passed on the way is compared with its committed digest,
// so a provider that withholds or tampers with blobs cannot hide a bad segment: the first
// segment that does not reproduce is reported, whichever it is. If they all reproduce, the
// withheld checkpoint is still an availability fault of the segment (exact numerics). Tolerance
// numerics need the committed start itself (its norm and plausibility are claims), so there an
// unavailable start is an availability fault at once. Every leaf field is judged by the engine's
// `judgeSegment` (state, loss, update norm).
import type { Hex } from "viem";

import { getState } from "../src/checkpoint/checkpoint-store.ts";
import {
  getPreStateEnvelope,
  putPreStateEnvelope,
  type PublishedPreState,
} from "../src/checkpoint/prestate-envelope.ts";
import { stateDigest } from "../src/checkpoint/state-codec.ts";
import type { CheckpointRecord } from "../src/checkpoint/trace.ts";
import {
  fetchCommitted,
  isUnavailable,
  judgeSegment,
  type FaultKind,
  type SegmentVerdict,
} from "../src/training/reexecute.ts";
import { openStepSession, type RuntimeOptions, type StepSession } from "../src/engine/runtime.ts";
import { ratioPpm } from "../src/engine/state-tolerance.ts";
import type { LoadedJob } from "../src/training/job.ts";
import type { ToleranceSpec } from "../src/protocol/job-spec.ts";
import type { DisputeKindName } from "../src/protocol/onchain-enums.ts";
import type { TraceLeaf } from "../src/protocol/leaf.ts";
import { runStep, runSteps as runToEnd, type TrainingJob } from "../src/training/trainer.ts";
import type { TrainingState } from "../src/engine/training-state.ts";
import type { ProgramInfo } from "../src/engine/program-info.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import { copiesFirst, uncached } from "../src/store/caching-store.ts";
import { cidFromDigest } from "../src/protocol/cid.ts";
import { isRetryable } from "../src/errors.ts";

/** A job as the verifier re-executes it: the loaded program and the committed checkpoints. */
export interface VerifiableJob {
  jobId: bigint;
  job: TrainingJob;
  initialState: TrainingState;
  /**
   * Checkpoints 0..n from the trace manifest (checked against the on-chain root) or, when the
   * manifest cannot be used, as far as the on-chain opening names them (undefined elsewhere).
   */
  records: readonly (CheckpointRecord | undefined)[];
  numerics: "exact" | "tolerance";
  /** The spec's per-tensor thresholds, tolerance numerics only. */
  tolerance: ToleranceSpec | undefined;
  /** The leaves openSamples revealed and their multi-proof (LeavesOpened), once opened. */
  opening?: { leaves: TraceLeaf[]; proof: Hex[] };
  /** Why the provider's trace manifest could not be used (then `records` come from `opening`). */
  manifestProblem?: string;
}

/** A loaded job and its committed checkpoints, as the verifier re-executes them. */
export function verifiableJob(
  loaded: LoadedJob,
  records: VerifiableJob["records"],
  extra: Pick<VerifiableJob, "opening" | "manifestProblem"> = {},
): VerifiableJob {
  return {
    jobId: loaded.job.jobId,
    job: loaded.job,
    initialState: loaded.initialState,
    records,
    numerics: loaded.spec.numerics,
    tolerance: loaded.spec.tolerance,
    ...(extra.opening === undefined ? {} : { opening: extra.opening }),
    ...(extra.manifestProblem === undefined ? {} : { manifestProblem: extra.manifestProblem }),
  };
}

/** Checkpoint `index`'s committed record; throws when neither manifest nor opening names it. */
export function recordAt(v: VerifiableJob, index: number): CheckpointRecord {
  const record = v.records[index];
  if (record === undefined)
    throw new RangeError(
      `checkpoint ${index} of job ${v.jobId} is unknown: the trace manifest is unavailable and the opening does not name it`,
    );
  return record;
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
  /** What was wrong when not ok (decides the kind of dispute). */
  fault?: FaultKind;
  /** Tolerance: the worst element's ratio to its threshold. */
  ratio?: number;
  /** The checkpoint re-execution started from (segment − 1 unless it had to fall back). */
  startedFrom: number;
  steps: number;
  /** Why the segment failed, in words. */
  reason?: string;
  /**
   * The digests after steps 1..k − 1 of the segment, re-executed from its true start (when asked
   * for and the segment was re-executed): what a receipt commits to (verifier/receipts.ts).
   */
  interior?: Hex[];
}

export interface CheckOptions {
  /** Also record the digest after every step inside the segment (receipts). */
  interior?: boolean;
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
    const record = v.records[from];
    if (record === undefined) {
      from -= 1;
      continue;
    }
    try {
      state = await getState(store, record.cid, info);
      break;
    } catch (error) {
      if (!isUnavailable(error)) throw error;
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
    // Exact numerics: a checkpoint on the way must reproduce bit for bit. Tolerance (dissection
    // pre-states and digests only; audits need the committed start): the re-derived state stands
    // in for the missing one.
    const committed = v.records[c];
    if (v.numerics === "exact" && committed !== undefined && digest !== committed.stateDigest)
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

/** Re-executes segment `segment` and judges every claim of its leaf. */
export async function checkSegment(
  v: VerifiableJob,
  store: BlobStore,
  segment: number,
  runtime?: RuntimeOptions,
  options: CheckOptions = {},
): Promise<SegmentResult> {
  checkSegmentIndex(v, segment);
  // Checkpoints are judged on what the store serves now (a missing one is a fault), never on a
  // copy cached before the provider withheld it.
  store = uncached(store);
  const k = v.job.checkpointInterval;
  const info = v.job.program.info;
  const interior: Hex[] = [];
  const onInterior =
    options.interior === true && k > 1
      ? (state: TrainingState) => void interior.push(stateDigest(state))
      : undefined;
  const withInterior = (result: SegmentResult): SegmentResult =>
    interior.length === k - 1 && k > 1 ? { ...result, interior } : result;
  const end = recordAt(v, segment);
  const first = recordAt(v, segment - 1);
  return withSession(v, runtime, async (session) => {
    if (v.numerics === "tolerance") {
      let start: TrainingState;
      try {
        start = await getState(store, first.cid, info);
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        return {
          segment,
          ok: false,
          failing: segment,
          fault: "availability",
          claimedDigest: end.stateDigest,
          recomputedDigest: first.stateDigest,
          startedFrom: segment - 1,
          steps: 0,
          reason: `segment ${segment}: checkpoint ${segment - 1} is not available intact`,
        };
      }
      const { state, loss } = await runToEnd(session, v.job, start, k, onInterior);
      const verdict = await judgeSegment(
        info,
        v.tolerance,
        store,
        { index: segment, start: first, end },
        start,
        state,
        loss,
      );
      return withInterior(fromVerdict(segment, segment - 1, k, verdict));
    }
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
        fault: "state",
        recomputedDigest: start.failing.recomputed,
        steps: start.steps,
        reason: `checkpoint ${segment - 1} is not available intact; re-deriving it from checkpoint ${start.startedFrom} shows segment ${start.failing.segment} does not reproduce`,
      };
    const { state, loss } = await runToEnd(session, v.job, start.state, k, onInterior);
    const verdict = await judgeSegment(
      info,
      undefined,
      store,
      { index: segment, start: first, end },
      start.state,
      state,
      loss,
    );
    const result = withInterior(fromVerdict(segment, start.startedFrom, start.steps + k, verdict));
    if (result.ok && start.startedFrom !== segment - 1)
      // Every checkpoint reproduced, but the provider did not serve the one this segment starts
      // from: availability is its burden (the committee of a claims dispute fetches it too).
      return {
        ...result,
        ok: false,
        fault: "availability",
        reason: `segment ${segment}: checkpoint ${segment - 1} is not available intact (re-derived from checkpoint ${start.startedFrom}, it reproduces)`,
      };
    return result;
  });
}

function fromVerdict(
  segment: number,
  startedFrom: number,
  steps: number,
  verdict: SegmentVerdict,
): SegmentResult {
  return {
    segment,
    ok: verdict.ok,
    failing: segment,
    claimedDigest: verdict.claimedDigest,
    recomputedDigest: verdict.recomputedDigest,
    startedFrom,
    steps,
    ...(verdict.fault === undefined ? {} : { fault: verdict.fault }),
    ...(verdict.ratio === undefined ? {} : { ratio: verdict.ratio }),
    ...(verdict.reason === undefined ? {} : { reason: verdict.reason }),
  };
}

/** Checks `segments` (every segment by default) one after another: an audit of a whole trace. */
export async function auditSegments(
  v: VerifiableJob,
  store: BlobStore,
  segments?: readonly number[],
  runtime?: RuntimeOptions,
): Promise<SegmentResult[]> {
  const which = segments ?? Array.from({ length: v.records.length - 1 }, (_, i) => i + 1);
  const results: SegmentResult[] = [];
  for (const segment of which) results.push(await checkSegment(v, store, segment, runtime));
  return results;
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
 * Publishes the state at `offset` of segment `segment`, recomputed by the verifier, in its pre-state
 * envelope for dispute `disputeId` (src/checkpoint/prestate-envelope.ts): the agreed pre-state of a
 * dissection's last step, so the committee does not depend on a cheating provider's cooperation.
 * Never the bare state: at offset 0 it is the provider's checkpoint segment − 1, and a copy under
 * that address would answer for a provider that withholds it. Returns the envelope's and the
 * state's digests (the caller names the first on chain: DisputeGame.publishPreState).
 */
export async function publishPreState(
  v: VerifiableJob,
  store: BlobStore,
  disputeId: bigint,
  segment: number,
  offset: number,
  runtime?: RuntimeOptions,
): Promise<PublishedPreState> {
  checkSegmentIndex(v, segment);
  return withSession(v, runtime, async (session) => {
    const start = await checkpointState(v, store, session, segment - 1);
    const states = await runSteps(v, session, start.state, offset);
    return putPreStateEnvelope(store, disputeId, states.at(-1)!);
  });
}

export type VoteName = "Provider" | "Challenger" | "Neither";

export interface RefereeQuestion {
  /** What the dispute is about (DisputeKind). */
  kind: DisputeKindName;
  /** Claims and availability disputes: the leaf claims judged (from ClaimsDisputed). */
  claims?: { lossBits: bigint; updateNorm: bigint };
  segment: number;
  /** Exact: offset (1..k) of the disputed post-state within the segment; tolerance: k. */
  step: number;
  preDigest: Hex;
  providerDigest: Hex;
  challengerDigest: Hex;
  /** The dispute asked about: the id the pre-state envelope must name. */
  disputeId?: bigint;
  /**
   * Exact state disputes: the digest of the pre-state envelope the challenger published
   * (PreStatePublished, the latest), if any.
   */
  preStateEnvelope?: Hex;
}

export interface AdjudicateOptions {
  /**
   * Exact state disputes: waits for the challenger's pre-state envelope when the question names
   * none and no copy of the pre-state can be read (src/node/dispute-reads.ts awaitPreStateEnvelope);
   * its digest, or undefined when none came in time.
   */
  awaitEnvelope?: () => Promise<Hex | undefined>;
}

export interface Verdict {
  vote: VoteName;
  /** Tolerance: the worst element's ratio to its threshold, in parts per million (0 for exact). */
  distancePpm: bigint;
  recomputedDigest: Hex;
  steps: number;
}

/** The committed record of a checkpoint named only by its digest (in a dispute's events). */
function recordFor(
  v: VerifiableJob,
  index: number,
  digest: Hex,
  claims?: { lossBits: bigint; updateNorm: bigint },
): CheckpointRecord {
  return {
    index,
    step: index * v.job.checkpointInterval,
    cid: cidFromDigest(digest),
    stateDigest: digest.toLowerCase() as Hex,
    lossBits: claims?.lossBits ?? 0n,
    updateNorm: claims?.updateNorm ?? 0n,
  };
}

/**
 * Availability dispute: Provider only when the trace manifest (this job's, proving the committed
 * root) and checkpoints segment − 1 and segment can all be fetched intact now, and the segment
 * then passes as in a claims dispute — so a provider that answers with blobs showing a bad
 * segment loses here, whatever the challenge window says. `v` must have been read after the
 * provider answered (the daemon reads it afresh).
 */
async function adjudicateAvailability(
  v: VerifiableJob,
  store: BlobStore,
  q: RefereeQuestion,
  runtime: RuntimeOptions | undefined,
): Promise<Verdict> {
  const info = v.job.program.info;
  const end = await fetchCommitted(store, recordFor(v, q.segment, q.providerDigest), info);
  if (v.manifestProblem !== undefined || end === undefined)
    return { vote: "Challenger", distancePpm: 0n, recomputedDigest: q.providerDigest, steps: 0 };
  return adjudicateClaims(v, store, q, runtime);
}

/**
 * Claims dispute: re-execute the segment from the committed start (unavailable: Challenger, as
 * availability is the provider's burden) and judge every claim of the disputed leaf — its state,
 * its loss, its update norm — exactly as an audit does.
 */
async function adjudicateClaims(
  v: VerifiableJob,
  store: BlobStore,
  q: RefereeQuestion,
  runtime: RuntimeOptions | undefined,
): Promise<Verdict> {
  if (q.claims === undefined) throw new RangeError(`a ${q.kind} dispute names its leaf's claims`);
  const info = v.job.program.info;
  const k = v.job.checkpointInterval;
  const first = recordFor(v, q.segment - 1, q.preDigest);
  const end = recordFor(v, q.segment, q.providerDigest, q.claims);
  const start = q.segment === 1 ? v.initialState : await fetchCommitted(store, first, info);
  if (start === undefined)
    return { vote: "Challenger", distancePpm: 0n, recomputedDigest: q.preDigest, steps: 0 };
  return withSession(v, runtime, async (session) => {
    const { state, loss } = await runToEnd(session, v.job, start, k);
    const verdict = await judgeSegment(
      info,
      v.tolerance,
      store,
      { index: q.segment, start: first, end },
      start,
      state,
      loss,
    );
    return {
      vote: verdict.ok ? "Provider" : "Challenger",
      distancePpm: verdict.ratio === undefined ? 0n : ratioPpm(verdict.ratio),
      recomputedDigest: verdict.recomputedDigest,
      steps: k,
    };
  });
}

/**
 * A referee's verdict. Availability and claims disputes: see adjudicateAvailability and
 * adjudicateClaims (checkpoints read on what is served now). State disputes, exact: recompute the
 * one disputed step from the agreed pre-state (from the challenger's published envelope when it
 * names this dispute and carries that state; else read by its content address from any verified
 * copy — cache, repo — or what is served; else re-derived from the checkpoints; always checked
 * against the agreed digest) and vote for the side whose post-step digest it reproduced, or
 * Neither. Tolerance: re-execute the whole segment and vote Provider when every claim of its leaf
 * holds (the whole state within the thresholds, loss, update norm, checkpoints available),
 * Challenger otherwise.
 */
export async function adjudicate(
  v: VerifiableJob,
  store: BlobStore,
  q: RefereeQuestion,
  runtime?: RuntimeOptions,
  options: AdjudicateOptions = {},
): Promise<Verdict> {
  checkSegmentIndex(v, q.segment);
  const k = v.job.checkpointInterval;
  // A verdict that judges availability (availability and claims disputes, tolerance state
  // disputes: an unavailable checkpoint is the provider's fault) reads the disputed checkpoints on
  // what the store serves now, never on a copy cached before the provider withheld it.
  if (q.kind === "Availability") return adjudicateAvailability(v, uncached(store), q, runtime);
  if (q.kind === "Claims") return adjudicateClaims(v, uncached(store), q, runtime);
  if (v.numerics === "tolerance") {
    // checkSegment reads through the served-now view itself.
    const result = await checkSegment(v, store, q.segment, runtime);
    const ppm = result.ratio === undefined ? 0n : ratioPpm(result.ratio);
    return {
      vote: result.ok ? "Provider" : "Challenger",
      distancePpm: ppm,
      recomputedDigest: result.recomputedDigest,
      steps: result.steps,
    };
  }
  if (!Number.isInteger(q.step) || q.step < 1 || q.step > k)
    throw new RangeError(`disputed step offset ${q.step} is outside 1..${k}`);
  // An exact state dispute judges no availability: the pre-state is named by its digest, and any
  // copy that hashes to it (the cache, the repo, verified in an audit) is as good as one served
  // now. Reading past them would make the referee walk a fetch window per withheld checkpoint back
  // to checkpoint 0 and re-execute the job, past its vote deadline.
  store = copiesFirst(store);
  return withSession(v, runtime, async (session) => {
    const info = v.job.program.info;
    const preStep = (q.segment - 1) * k + q.step - 1;
    let steps = 0;
    let pre = await publishedPreState(store, q, info);
    if (pre === undefined)
      try {
        pre = await getState(store, cidFromDigest(q.preDigest), info);
      } catch (error) {
        if (!isUnavailable(error)) throw error;
      }
    if (
      (pre === undefined || pre.step !== preStep) &&
      q.preStateEnvelope === undefined &&
      options.awaitEnvelope !== undefined
    ) {
      // No copy, and the question was read before the challenger named its envelope (the
      // committee may be drawn first): wait for it rather than walk back through the checkpoints.
      const envelope = await options.awaitEnvelope();
      if (envelope !== undefined)
        pre = await publishedPreState(store, { ...q, preStateEnvelope: envelope }, info);
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

/**
 * The agreed pre-state from the envelope the challenger published (PreStatePublished), or
 * undefined when there is none, it cannot be fetched intact, names another dispute or carries
 * another state: the referee then reads the pre-state as it would without one. Only the
 * challenger can publish, and only its latest envelope is tried, so a bogus one costs at most one
 * fetch window.
 */
async function publishedPreState(
  store: BlobStore,
  q: RefereeQuestion,
  info: ProgramInfo,
): Promise<TrainingState | undefined> {
  if (q.preStateEnvelope === undefined || q.disputeId === undefined) return undefined;
  try {
    return await getPreStateEnvelope(
      store,
      q.preStateEnvelope,
      { disputeId: q.disputeId, stateDigest: q.preDigest },
      info,
    );
  } catch (error) {
    // A store outage is retried as any read is; every other failure (absent, too large for this
    // reader, not an envelope, another dispute's, another state) is the challenger's to answer for.
    if (isRetryable(error)) throw error;
    return undefined;
  }
}
