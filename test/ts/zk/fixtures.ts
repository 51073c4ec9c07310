// Shared builders for the zk tests: a seeded generator (failures reproduce), element
// inputs (random and the edge cases of the rounding and the saturation), and the
// circuit's witness calculator, which checks every constraint assertion of the circuit.
import { wtns } from "snarkjs";

import { signedRange, type ElementParams } from "../../../src/zk/element-params.ts";
import { toField } from "../../../src/zk/field.ts";

/** mulberry32: a small seeded generator, plenty for test data. */
export function seededRandom(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0;
  return (lo, hi) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    return lo + Math.floor(u * (hi - lo + 1));
  };
}

export function randomVector(
  next: (lo: number, hi: number) => number,
  n: number,
  bits: number,
): bigint[] {
  const { min, max } = signedRange(bits);
  return Array.from({ length: n }, () => BigInt(next(Number(min), Number(max))));
}

export interface ElementVectors {
  label: string;
  a: bigint[];
  b: bigint[];
}

/** a, b with Σ a[i]·b[i] = target: b all ones, a filled greedily (throws when out of reach). */
export function vectorsWithAccumulator(
  p: ElementParams,
  target: bigint,
): { a: bigint[]; b: bigint[] } {
  const { min, max } = signedRange(p.aBits);
  let rest = target;
  const a = Array.from({ length: p.n }, () => {
    const v = rest > max ? max : rest < min ? min : rest;
    rest -= v;
    return v;
  });
  if (rest !== 0n) throw new RangeError(`accumulator ${target} is out of reach for N = ${p.n}`);
  return { a, b: Array.from({ length: p.n }, () => 1n) };
}

/** Inputs that hit the range ends, both saturations, zero, and rounding ties of both signs. */
export function edgeCaseVectors(p: ElementParams): ElementVectors[] {
  const a = signedRange(p.aBits);
  const b = signedRange(p.bBits);
  const fill = (v: bigint): bigint[] => Array.from({ length: p.n }, () => v);
  const cases: ElementVectors[] = [
    { label: "largest positive accumulator", a: fill(a.min), b: fill(b.min) },
    { label: "most negative accumulator", a: fill(a.min), b: fill(b.max) },
    { label: "all range maxima", a: fill(a.max), b: fill(b.max) },
    { label: "zero", a: fill(0n), b: fill(0n) },
  ];
  if (p.shift > 0) {
    const half = 1n << BigInt(p.shift - 1);
    for (const [label, acc] of [
      ["positive tie (+0.5 rounds up to 1)", half],
      ["just below the positive tie", half - 1n],
      ["negative tie (−0.5 rounds up to 0)", -half],
      ["negative tie (−1.5 rounds up to −1)", -3n * half],
      ["just below a negative tie", -half - 1n],
    ] as const)
      cases.push({ label, ...vectorsWithAccumulator(p, acc) });
  }
  return cases;
}

export interface WitnessInput {
  commitA: bigint;
  commitB: bigint;
  commitOut: bigint;
  a: readonly bigint[];
  b: readonly bigint[];
  out: bigint;
  saltA: bigint;
  saltB: bigint;
  saltOut: bigint;
}

/**
 * Whether the circuit's witness calculator accepts the input: it evaluates every `===`
 * of the circuit, so a rejection means the relation (or a commitment) does not hold.
 */
export async function circuitAccepts(wasmPath: string, w: WitnessInput): Promise<boolean> {
  const input = {
    commitA: w.commitA.toString(),
    commitB: w.commitB.toString(),
    commitOut: w.commitOut.toString(),
    a: w.a.map((x) => toField(x).toString()),
    b: w.b.map((x) => toField(x).toString()),
    out: toField(w.out).toString(),
    saltA: w.saltA.toString(),
    saltB: w.saltB.toString(),
    saltOut: w.saltOut.toString(),
  };
  const { log, error } = console;
  try {
    // circom's witness calculator prints failed assertions; the boolean is the result.
    console.log = console.error = (): void => {};
    await wtns.calculate(input, wasmPath, { type: "mem" });
    return true;
  } catch (error) {
    if (error instanceof Error && /Assert Failed|Error in template/.test(error.message))
      return false;
    throw error;
  } finally {
    console.log = log;
    console.error = error;
  }
}
