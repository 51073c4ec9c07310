// The dispute game's 16-ary dissection (contracts/DisputeGame.sol), for the provider and
// verifier daemons and the tests: which steps the provider must post, and which sub-range an
// honest challenger picks.
import type { Hex } from "viem";

/** Interior points per provider move. */
export const POINTS_PER_MOVE = 15;

/** Offsets (from the segment start) at which the provider posts digests for the range [lo, hi]. */
export function dissectionPoints(lo: number, hi: number): number[] {
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi <= lo) {
    throw new RangeError(`invalid dissection range [${lo}, ${hi}]`);
  }
  const count = Math.min(POINTS_PER_MOVE, hi - lo - 1);
  return Array.from(
    { length: count },
    (_, j) => lo + Math.floor(((hi - lo) * (j + 1)) / (count + 1)),
  );
}

/** Provider moves until one step remains: ⌈log₁₆ k⌉ at most. */
export function maxDissectionRounds(k: number): number {
  let rounds = 0;
  for (let width = k; width > 1; width = Math.ceil(width / (POINTS_PER_MOVE + 1))) rounds += 1;
  return rounds;
}

/** The digests a dissection is about (DisputeGame's DissectionDigests). */
export interface DissectionDigests {
  /** Agreed digest at lo. */
  lo: Hex;
  /** The provider's digest at hi. */
  hi: Hex;
  /** The challenger's digest at hi. */
  challengerHi: Hex;
}

export interface NarrowMove {
  /** Index of the first sub-range the challenger disputes (0 … points.length). */
  choice: number;
  /** The new range. */
  lo: number;
  hi: number;
  /** The challenger's own digest at the new hi. */
  ownDigest: Hex;
  /** The dissection digests after the move. */
  next: DissectionDigests;
}

/**
 * The honest challenger's answer to the provider's posted digests: agree up to the last point whose
 * digest matches its own re-execution, dispute the sub-range after it.
 */
export function chooseNarrowing(
  lo: number,
  hi: number,
  current: DissectionDigests,
  posted: readonly Hex[],
  ownDigestAt: (step: number) => Hex,
): NarrowMove {
  const points = dissectionPoints(lo, hi);
  if (posted.length !== points.length) {
    throw new RangeError(`expected ${points.length} posted digests, got ${posted.length}`);
  }
  let choice = points.findIndex(
    (step, j) => posted[j]!.toLowerCase() !== ownDigestAt(step).toLowerCase(),
  );
  if (choice === -1) choice = points.length;
  const newLo = choice === 0 ? lo : points[choice - 1]!;
  const newHi = choice < points.length ? points[choice]! : hi;
  const ownDigest = ownDigestAt(newHi);
  const keepsHi = choice === points.length;
  return {
    choice,
    lo: newLo,
    hi: newHi,
    ownDigest,
    next: {
      lo: choice === 0 ? current.lo : posted[choice - 1]!,
      hi: keepsHi ? current.hi : posted[choice]!,
      challengerHi: keepsHi ? current.challengerHi : ownDigest,
    },
  };
}
