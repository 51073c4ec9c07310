// Parameters of the fixed-point element operation (docs/fixed-point.md): the circom
// template is ElementProof(N, Ba, Bb, s, Bo); TypeScript spells them out.
import { z } from "zod";

export interface ElementParams {
  /** N: vector length (terms of the dot product). */
  n: number;
  /** Ba: signed width of a[i]. */
  aBits: number;
  /** Bb: signed width of b[i]. */
  bBits: number;
  /** s: right shift of the requantization (0 = none). */
  shift: number;
  /** Bo: signed width of the saturated output. */
  outBits: number;
}

/** The engine's int32 accumulator bound: N · 2^(Ba−1) · 2^(Bb−1) < 2^31. */
export function accumulatorFitsInt32(p: ElementParams): boolean {
  return BigInt(p.n) << BigInt(p.aBits - 1 + p.bBits - 1) < 1n << 31n;
}

const width = z.number().int().min(2).max(32);

export const elementParamsSchema = z
  .object({
    n: z
      .number()
      .int()
      .min(1)
      .max(1 << 20),
    aBits: width,
    bBits: width,
    shift: z.number().int().min(0).max(62),
    outBits: width,
  })
  .strict()
  .refine(accumulatorFitsInt32, {
    message: "N · 2^(Ba−1) · 2^(Bb−1) must be below 2^31 (the engine's int32 accumulator)",
  });

/** Inclusive bounds of a signed `bits`-bit integer. */
export function signedRange(bits: number): { min: bigint; max: bigint } {
  const half = 1n << BigInt(bits - 1);
  return { min: -half, max: half - 1n };
}
