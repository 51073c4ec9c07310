// What a provider sends to JobMarket.openSamples (docs/protocol.md §4 Open): leaves i−1 (i ≥ 2) and i
// of every sampled and top-Q segment i, sorted by index, with one positional multi-proof.
import type { Hex } from "viem";

import { hashLeaf, type TraceLeaf } from "./leaf.ts";
import { buildLevels, multiProof } from "./merkle.ts";

export interface Opening {
  leaves: TraceLeaf[];
  topIndices: bigint[];
  proof: Hex[];
}

/** The leaf indices a set of segments needs, sorted and distinct. */
export function requiredLeafIndices(segments: readonly bigint[]): bigint[] {
  const needed = new Set<bigint>();
  for (const i of segments) {
    if (i < 1n) throw new RangeError(`segment index ${i} must be at least 1`);
    needed.add(i);
    if (i > 1n) needed.add(i - 1n);
  }
  return [...needed].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The Q segments with the largest update norms; ties go to the lower index so that the choice is
 * a pure function of the trace.
 */
export function topSegmentsByNorm(leaves: readonly TraceLeaf[], topQ: number): bigint[] {
  return [...leaves]
    .sort((a, b) =>
      a.updateNorm !== b.updateNorm
        ? a.updateNorm > b.updateNorm
          ? -1
          : 1
        : a.index < b.index
          ? -1
          : 1,
    )
    .slice(0, topQ)
    .map((leaf) => leaf.index);
}

/** Builds the opening from the full trace (leaves 1..n in order). */
export function buildOpening(
  jobId: bigint,
  trace: readonly TraceLeaf[],
  sampled: readonly bigint[],
  topIndices: readonly bigint[],
): Opening {
  trace.forEach((leaf, i) => {
    if (leaf.index !== BigInt(i + 1))
      throw new RangeError(`trace[${i}] has index ${leaf.index}, expected ${i + 1}`);
  });
  const levels = buildLevels(trace.map((leaf) => hashLeaf(jobId, leaf)));
  const indices = requiredLeafIndices([...sampled, ...topIndices]);
  const positions = indices.map((i) => Number(i) - 1);
  return {
    leaves: indices.map((i) => trace[Number(i) - 1]!),
    topIndices: [...topIndices],
    proof: multiProof(levels, positions),
  };
}
