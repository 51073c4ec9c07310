// Checks over a whole trace that need no training, from the provider's manifest: every segment's
// committed update norm against the norm between its two checkpoint blobs (what makes the top-Q
// rule hold: a fabricated segment committed with a small norm is found here), and the two
// objective contradictions FraudProofs slashes on — more leaves above the smallest top-Q norm
// than the provider's top-Q claim leaves room for, and a last leaf that is not the committed
// final digest — and the choice of dispute an audit's findings call for. Free of chain and queue.
import type { Hex } from "viem";

import { leafOf } from "../src/checkpoint/trace.ts";
import { checkUpdateNorm, type NormCheck } from "../src/training/reexecute.ts";
import type { DisputeKindName } from "../src/protocol/onchain-enums.ts";
import { chooseFraction } from "../src/engine/seeded-random.ts";
import { hashLeaf, type TraceLeaf } from "../src/protocol/leaf.ts";
import { buildLevels, merkleProof, multiProof } from "../src/protocol/merkle.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import { recordAt, type SegmentResult, type VerifiableJob } from "./segment-check.ts";
import { uncached } from "../src/store/caching-store.ts";

/**
 * The segments whose norms `checker` checks: all of them at fraction 1, else round(f·n) drawn
 * per job and checker (so verifiers cover different ones), none at 0.
 */
export function normSegments(v: VerifiableJob, fraction: number, checker: string): number[] {
  const n = v.records.length - 1;
  if (fraction <= 0) return [];
  return chooseFraction(n, fraction, `assay.norms/${v.jobId}/${checker.toLowerCase()}`);
}

/** Checks each segment's committed update norm from its two checkpoint blobs. */
export async function checkNorms(
  v: VerifiableJob,
  store: BlobStore,
  segments: readonly number[],
): Promise<NormCheck[]> {
  const info = v.job.program.info;
  const checks: NormCheck[] = [];
  // What the store serves now: a checkpoint it no longer serves is an availability fault.
  const served = uncached(store);
  for (const index of segments)
    checks.push(
      await checkUpdateNorm(info, served, {
        index,
        start: recordAt(v, index - 1),
        end: recordAt(v, index),
      }),
    );
  return checks;
}

/** What the contracts know about a job's top-Q claim and final model. */
export interface TraceClaims {
  topQ: number;
  /** How many of the provider's own top-Q segments have a norm above `minTopNorm`. */
  topAbove: number;
  minTopNorm: bigint;
  finalDigest: Hex;
}

export type Fraud =
  | { kind: "topQ"; leaves: TraceLeaf[]; proof: Hex[] }
  | { kind: "finalDigest"; leaf: TraceLeaf; proof: Hex[] };

/** Leaves 1..n of a trace whose every record is known (the manifest's). */
function fullLeaves(v: VerifiableJob): TraceLeaf[] | undefined {
  if (v.manifestProblem !== undefined || v.records.some((r) => r === undefined)) return undefined;
  return v.records.slice(1).map((r) => leafOf(r!));
}

/**
 * A fraud the committed trace itself proves, or undefined. Top-Q: an honest claim leaves exactly
 * `topAbove` leaves with a norm above its smallest; one more proves a larger update outside it.
 */
export function findFraud(v: VerifiableJob, claims: TraceClaims): Fraud | undefined {
  const leaves = fullLeaves(v);
  if (leaves === undefined) return undefined;
  const levels = buildLevels(leaves.map((leaf) => hashLeaf(v.jobId, leaf)));
  const last = leaves.at(-1)!;
  if (last.stateDigest.toLowerCase() !== claims.finalDigest.toLowerCase())
    return { kind: "finalDigest", leaf: last, proof: merkleProof(levels, leaves.length - 1) };
  if (claims.topQ > 0) {
    const above = leaves.filter((leaf) => leaf.updateNorm > claims.minTopNorm);
    if (above.length > claims.topAbove) {
      const shown = above.slice(0, claims.topAbove + 1);
      return {
        kind: "topQ",
        leaves: shown,
        proof: multiProof(
          levels,
          shown.map((leaf) => Number(leaf.index) - 1),
        ),
      };
    }
  }
  return undefined;
}

/** The dispute an audit calls for: its kind and the segment it names. */
export interface DisputeChoice {
  kind: DisputeKindName;
  segment: number;
}

/**
 * The dispute to open over an audit's findings, strongest evidence first, or undefined when
 * everything holds: a state that does not reproduce (found directly, or while re-deriving a
 * withheld start) → state; a false loss or norm, from re-execution or the norm check → claims; a
 * checkpoint that cannot be fetched, or a manifest that cannot be used → availability (naming
 * the first audited segment, whose leaves the on-chain opening proves).
 */
export function chooseDispute(
  results: readonly SegmentResult[],
  norms: readonly NormCheck[],
  manifestProblem: string | undefined,
): DisputeChoice | undefined {
  const failed = results.filter((r) => !r.ok);
  // Only a state fault is a state dispute: a tolerance re-execution's digest differs from the
  // committed one whenever the runtimes differ, which says nothing by itself.
  const state = failed
    .filter((r) => r.fault === "state")
    .map((r) => r.failing)
    .sort((a, b) => a - b)[0];
  if (state !== undefined) return { kind: "State", segment: state };
  const claim =
    failed.find((r) => r.fault === "claim")?.segment ??
    norms.find((c) => !c.ok && c.fault === "claim")?.segment;
  if (claim !== undefined) return { kind: "Claims", segment: claim };
  const unavailable =
    failed.find((r) => r.fault === "availability")?.segment ??
    norms.find((c) => !c.ok && c.fault === "availability")?.segment ??
    (manifestProblem === undefined ? undefined : results[0]?.segment);
  if (unavailable !== undefined) return { kind: "Availability", segment: unavailable };
  return undefined;
}
