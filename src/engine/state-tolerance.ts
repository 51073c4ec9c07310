// The tolerance rule (docs/protocol.md §2): a re-executed segment of a float job passes when every
// element of every state tensor — parameters and optimizer state alike — satisfies
//
//   |claimed − recomputed| ≤ atol_t + rtol_t · |recomputed|
//
// with tensor t's thresholds from the spec, the loss likewise, and every committed element is
// finite and within ±valueBound. The denominator is the verifier's own recomputed value, per
// element: nothing the provider writes (a planted momentum, an inflated movement of parameters
// that never receive a gradient) widens the slack of any other element. Version 1 compared
// parameters only, normalized by the segment's movement, which a provider could inflate.
import type { Threshold, ToleranceSpec } from "../protocol/job-spec.ts";
import { StateError } from "./errors.ts";
import type { ProgramInfo } from "./program-info.ts";
import type { TrainingState } from "./training-state.ts";

/** The worst element found by a comparison, in the rule's own units (ratio ≤ 1 passes). */
export interface WorstElement {
  tensor: string;
  index: number;
  claimed: number;
  recomputed: number;
  /** |claimed − recomputed| / (atol + rtol·|recomputed|); Infinity for a non-finite claim. */
  ratio: number;
}

export interface StateComparison {
  ok: boolean;
  /** The largest ratio over every element (0 when the states are equal). */
  ratio: number;
  worst?: WorstElement;
  /** Elements over their threshold. */
  failing: number;
  /** Why it failed, in words. */
  reason?: string;
}

/** Checks that `tolerance` names exactly the program's state tensors, in order. */
export function assertToleranceFits(info: ProgramInfo, tolerance: ToleranceSpec): void {
  const want = info.state.map((t) => t.name);
  const got = tolerance.tensors.map((t) => t.name);
  if (want.length !== got.length || want.some((name, i) => name !== got[i]))
    throw new StateError(
      `the tolerance names tensors [${got.join(", ")}], the program's state is [${want.join(", ")}]`,
    );
}

/** The ratio of one element (Infinity when the claim is not a finite number). */
export function elementRatio(claimed: number, recomputed: number, t: Threshold): number {
  if (!Number.isFinite(claimed)) return Infinity;
  const diff = Math.abs(claimed - recomputed);
  if (diff === 0) return 0;
  const allowed = t.atol + t.rtol * Math.abs(recomputed);
  return allowed === 0 ? Infinity : diff / allowed;
}

/** Compares a committed state with the verifier's recomputed one, element by element. */
export function compareStates(
  info: ProgramInfo,
  tolerance: ToleranceSpec,
  claimed: TrainingState,
  recomputed: TrainingState,
): StateComparison {
  assertToleranceFits(info, tolerance);
  if (claimed.step !== recomputed.step)
    return {
      ok: false,
      ratio: Infinity,
      failing: 1,
      reason: `the committed state is at step ${claimed.step}, re-execution at ${recomputed.step}`,
    };
  let worst: WorstElement | undefined;
  let failing = 0;
  info.state.forEach((spec, i) => {
    const threshold = tolerance.tensors[i]!;
    const x = claimed.values[i]!;
    const y = recomputed.values[i]!;
    if (x.length !== y.length) throw new StateError(`tensor ${spec.name} differs in size`);
    for (let e = 0; e < x.length; e++) {
      const ratio = elementRatio(x[e]!, y[e]!, threshold);
      if (ratio > 1) failing += 1;
      if (worst === undefined || ratio > worst.ratio)
        worst = { tensor: spec.name, index: e, claimed: x[e]!, recomputed: y[e]!, ratio };
    }
  });
  const ratio = worst?.ratio ?? 0;
  const ok = failing === 0;
  return {
    ok,
    ratio,
    ...(worst ? { worst } : {}),
    failing,
    ...(ok
      ? {}
      : {
          reason: `${failing} state element(s) outside the tolerance; worst ${worst!.tensor}[${worst!.index}]: committed ${worst!.claimed}, re-executed ${worst!.recomputed} (${formatRatio(ratio)}× its threshold)`,
        }),
  };
}

/** Whether a committed loss is within the loss threshold of the recomputed one. */
export function compareLoss(
  tolerance: ToleranceSpec,
  claimed: number,
  recomputed: number,
): { ok: boolean; ratio: number } {
  const ratio = elementRatio(claimed, recomputed, tolerance.loss);
  return { ok: ratio <= 1, ratio };
}

/**
 * Plausibility of a committed state: every element finite and within ±valueBound. A NaN, an
 * infinity or a planted huge value is refused before anything is computed from it.
 */
export function plausibilityProblem(
  info: ProgramInfo,
  tolerance: ToleranceSpec,
  state: TrainingState,
): string | undefined {
  for (let i = 0; i < info.state.length; i++) {
    const data = state.values[i]!;
    for (let e = 0; e < data.length; e++) {
      const v = data[e]!;
      if (!Number.isFinite(v) || Math.abs(v) > tolerance.valueBound)
        return `${info.state[i]!.name}[${e}] = ${v} is not finite or outside ±${tolerance.valueBound}`;
    }
  }
  return undefined;
}

function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? ratio.toPrecision(3) : "∞";
}

/** A ratio as parts per million for a referee's vote (capped to a safe integer). */
export function ratioPpm(ratio: number): bigint {
  if (!Number.isFinite(ratio)) return BigInt(Number.MAX_SAFE_INTEGER);
  return BigInt(Math.min(Math.round(ratio * 1e6), Number.MAX_SAFE_INTEGER));
}
