// Update norms and loss encodings of trace leaves (docs/protocol.md §3, docs/commitments.md).
// updateNorm_i = ‖W_i − W_{i−1}‖₂ over the parameters (never optimizer state):
//   exact:     Σ (ΔW_raw)² as an exact integer, encoded by encodeNormFromSquaredRaw
//   tolerance: Σ (ΔW)² in float64, in canonical tensor order, element by element, then
//              sqrt, encoded by encodeNormQ32. JavaScript's float64 arithmetic and
//              Math.sqrt are correctly rounded, so every verifier gets the same bits.
import {
  encodeNormFromSquaredRaw,
  encodeNormQ32,
  float32LossBits,
  int64LossBits,
} from "../protocol/leaf.ts";
import { StateError } from "../engine/errors.ts";
import type { ProgramInfo } from "../engine/program-info.ts";
import type { TrainingState } from "../engine/training-state.ts";

function paramPairs(
  a: TrainingState,
  b: TrainingState,
): { x: Float32Array | Int32Array; y: Float32Array | Int32Array }[] {
  if (a.specs.length !== b.specs.length) throw new StateError("states have different tensor lists");
  const pairs: { x: Float32Array | Int32Array; y: Float32Array | Int32Array }[] = [];
  a.specs.forEach((spec, i) => {
    const other = b.specs[i]!;
    if (
      other.name !== spec.name ||
      other.dtype !== spec.dtype ||
      a.values[i]!.length !== b.values[i]!.length
    )
      throw new StateError(`states differ in tensor #${i} (${spec.name} vs ${other.name})`);
    if (spec.role === "param") pairs.push({ x: a.values[i]!, y: b.values[i]! });
  });
  return pairs;
}

/** Exact Σ (b − a)² over integer parameters. */
export function squaredDistanceRaw(a: TrainingState, b: TrainingState): bigint {
  let total = 0n;
  // Blocks of 1024 elements are summed in a float64, which is exact while every
  // |difference| ≤ 2^21 (1024 · 2^42 = 2^52 < 2^53); a block with a larger difference
  // is summed again in bigint. Updates are small, so the fast path is the rule.
  const BLOCK = 1024;
  const FAST = 2 ** 21;
  for (const { x, y } of paramPairs(a, b)) {
    if (!(x instanceof Int32Array) || !(y instanceof Int32Array))
      throw new StateError("exact norms need int32 parameters");
    for (let start = 0; start < x.length; start += BLOCK) {
      const end = Math.min(x.length, start + BLOCK);
      let sum = 0;
      let wide = false;
      for (let i = start; i < end; i++) {
        const d = y[i]! - x[i]!;
        if (d > FAST || d < -FAST) wide = true;
        sum += d * d;
      }
      if (!wide) {
        total += BigInt(sum);
        continue;
      }
      for (let i = start; i < end; i++) {
        const d = BigInt(y[i]! - x[i]!);
        total += d * d;
      }
    }
  }
  return total;
}

/** Σ (b − a)² over float parameters in float64, canonical order. */
export function squaredDistanceFloat(a: TrainingState, b: TrainingState): number {
  let total = 0;
  for (const { x, y } of paramPairs(a, b)) {
    for (let i = 0; i < x.length; i++) {
      const d = y[i]! - x[i]!;
      total += d * d;
    }
  }
  return total;
}

/** ‖b − a‖₂ over parameters as a real number (exact mode: scaled by 2^−F). */
export function paramDistance(info: ProgramInfo, a: TrainingState, b: TrainingState): number {
  if (info.numerics === "exact") {
    const f = info.fixedPoint!.paramFracBits;
    return Math.sqrt(Number(squaredDistanceRaw(a, b))) / 2 ** f;
  }
  return Math.sqrt(squaredDistanceFloat(a, b));
}

/** The leaf's updateNorm field for the update from `previous` to `current`. */
export function encodeUpdateNorm(
  info: ProgramInfo,
  previous: TrainingState,
  current: TrainingState,
): bigint {
  if (info.numerics === "exact")
    return encodeNormFromSquaredRaw(
      squaredDistanceRaw(previous, current),
      info.fixedPoint!.paramFracBits,
    );
  return encodeNormQ32(Math.sqrt(squaredDistanceFloat(previous, current)));
}

/** The leaf's lossBits field: float32 bits (tolerance) or the int64 raw loss (exact). */
export function encodeLossBits(info: ProgramInfo, loss: number | bigint): bigint {
  if (info.numerics === "exact") {
    if (typeof loss !== "bigint") throw new StateError("an exact program's loss is an int64");
    return int64LossBits(loss);
  }
  if (typeof loss !== "number") throw new StateError("a tolerance program's loss is a float32");
  return float32LossBits(loss);
}
