// Referee questions built from a trace, for the verdict tests (verifier/segment-check.ts adjudicate).
import type { Hex } from "viem";

import type { CheckpointRecord } from "../../../src/checkpoint/trace.ts";
import type { RefereeQuestion } from "../../../verifier/segment-check.ts";

/**
 * The question a committee gets about segment `i` (its last step, k), with the leaf's claims as
 * committed unless `claims` says otherwise. The challenger's digest: the provider's own in a claims
 * dispute, none (zero) in an availability dispute, a made-up one in a state dispute.
 */
export function question(
  kind: "Claims" | "Availability" | "State",
  records: readonly CheckpointRecord[],
  i: number,
  k: number,
  claims?: { lossBits: bigint; updateNorm: bigint },
): RefereeQuestion {
  const end = records[i]!;
  const challengerDigest: Hex =
    kind === "Claims"
      ? end.stateDigest
      : kind === "Availability"
        ? `0x${"00".repeat(32)}`
        : `0x${"11".repeat(32)}`;
  return {
    kind,
    segment: i,
    step: k,
    preDigest: records[i - 1]!.stateDigest,
    providerDigest: end.stateDigest,
    challengerDigest,
    claims: claims ?? { lossBits: end.lossBits, updateNorm: end.updateNorm },
  };
}
