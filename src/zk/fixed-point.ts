// The element operation of docs/fixed-point.md as a plain BigInt reference: the relation
// the circuit proves, and the check every input passes before any proving starts.
import type { ElementParams } from "./element-params.ts";
import { signedRange } from "./element-params.ts";

/** floor((acc + 2^(s−1)) / 2^s), saturated to Bo bits; for s = 0 just the saturation. */
export function requantize(acc: bigint, shift: number, outBits: number): bigint {
  // BigInt `>>` is an arithmetic shift (floor division by 2^s), the engine's rounding.
  const q = shift === 0 ? acc : (acc + (1n << BigInt(shift - 1))) >> BigInt(shift);
  const { min, max } = signedRange(outBits);
  return q < min ? min : q > max ? max : q;
}

/** Σ a[i]·b[i], exact. */
export function dot(a: readonly bigint[], b: readonly bigint[]): bigint {
  if (a.length !== b.length) throw new RangeError(`dot of lengths ${a.length} and ${b.length}`);
  let acc = 0n;
  for (let i = 0; i < a.length; i++) acc += a[i]! * b[i]!;
  return acc;
}

/** The element: requantize(Σ a[i]·b[i]). Inputs are assumed in range (see validateElementInput). */
export function elementOutput(
  a: readonly bigint[],
  b: readonly bigint[],
  params: Pick<ElementParams, "shift" | "outBits">,
): bigint {
  return requantize(dot(a, b), params.shift, params.outBits);
}
