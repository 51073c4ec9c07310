// Integer graph operations for exact-mode programs, with interval tracking: every value
// carries the range [lo, hi] it can take, every operation computes the range of its
// result, and building fails if any intermediate could leave int32 (or the operand
// ranges of MatMulInteger, below). The overflow analysis of docs/fixed-point.md is thus
// checked mechanically for every program, not argued once by hand.
//
// Matrix products use only MatMulInteger with a uint8 left operand in [0, 127] and an
// int8 right operand in [−128, 127]: on x86 CPUs without VNNI, ONNX Runtime's u8×s8
// kernels sum pairs of products in 16 bits (VPMADDUBSW), which saturates past 32767;
// with these ranges a pair is at most 2·127·128 = 32512 in magnitude, so no CPU can
// saturate and every kernel returns the exact integer sum. Wider or signed operands
// are split into such limbs and the partial products recombined exactly (the result is
// the same Σ a[i]·b[i] the element rule specifies; the split is an implementation detail).
import { ProgramError, RangeOverflowError } from "./errors.ts";
import type { GraphBuilder } from "./onnx-graph.ts";

export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;
/** Operand ranges under which no u8×s8 kernel can saturate. */
export const U8_OPERAND_MAX = 127;
export const S8_OPERAND_MIN = -128;
export const S8_OPERAND_MAX = 127;

export type IntDType = "int32" | "int64" | "uint8" | "int8";

export interface IntValue {
  name: string;
  dtype: IntDType;
  lo: number;
  hi: number;
}

const DTYPE_CODE: Record<IntDType, number> = { uint8: 2, int8: 3, int32: 6, int64: 7 };

function check(what: string, lo: number, hi: number, min = INT32_MIN, max = INT32_MAX): void {
  if (!(lo >= min && hi <= max && lo <= hi))
    throw new RangeOverflowError(
      `${what}: range [${lo}, ${hi}] leaves [${min}, ${max}]; the program would overflow`,
    );
}

export function value(name: string, dtype: IntDType, lo: number, hi: number): IntValue {
  check(
    `value ${name}`,
    lo,
    hi,
    dtype === "int64" ? -(2 ** 53) : INT32_MIN,
    dtype === "int64" ? 2 ** 53 : INT32_MAX,
  );
  return { name, dtype, lo, hi };
}

export interface ExactOps {
  g: GraphBuilder;
  int32(v: number): string;
  cast(x: IntValue, to: IntDType): IntValue;
  add(x: IntValue, y: IntValue): IntValue;
  sub(x: IntValue, y: IntValue): IntValue;
  addConst(x: IntValue, c: number): IntValue;
  mulConst(x: IntValue, c: number): IntValue;
  neg(x: IntValue): IntValue;
  clamp(x: IntValue, lo: number, hi: number): IntValue;
  /** Rescales by 2^−s: roundShift(x, s) for s ≥ 0, an exact x · 2^−s for s < 0. */
  shift(x: IntValue, s: number): IntValue;
  /** ⌊x / 2^s⌋ for x ≥ 0 (plain truncating Div). */
  floorDivPow2NonNeg(x: IntValue, s: number): IntValue;
  /** The element rule's rounding: ⌊(x + 2^(s−1)) / 2^s⌋ (round half up), any sign; x for s = 0. */
  roundShift(x: IntValue, s: number): IntValue;
  /** roundShift then clamp to [lo, hi] where lo ≥ 0: negative inputs need no floor fix-up. */
  roundShiftClampNonNeg(x: IntValue, s: number, lo: number, hi: number): IntValue;
  transpose(x: IntValue): IntValue;
  /** Exact Σ_k a[i,k]·b[k,j] over `inner` terms, via u8×s8 MatMulInteger limbs. */
  matmul(a: IntValue, b: IntValue, inner: number): IntValue;
  /** Sum over `axis` of `count` elements (keepdims 0), int32. */
  reduceSum(x: IntValue, axis: number, count: number, keepdims?: boolean): IntValue;
}

export function exactOps(g: GraphBuilder): ExactOps {
  const int32 = (v: number): string => g.scalar("int32", v);
  const mk = (
    name: string,
    lo: number,
    hi: number,
    what: string,
    dtype: IntDType = "int32",
  ): IntValue => {
    check(what, lo, hi);
    return { name, dtype, lo, hi };
  };
  const asInt32 = (x: IntValue): IntValue => (x.dtype === "int32" ? x : ops.cast(x, "int32"));

  const ops: ExactOps = {
    g,
    int32,
    cast(x, to) {
      if (x.dtype === to) return x;
      const limits: Record<IntDType, [number, number]> = {
        uint8: [0, 255],
        int8: [-128, 127],
        int32: [INT32_MIN, INT32_MAX],
        int64: [-(2 ** 53), 2 ** 53],
      };
      const [min, max] = limits[to];
      check(`cast to ${to}`, x.lo, x.hi, min, max);
      return {
        name: g.op("Cast", [x.name], { to: { i: DTYPE_CODE[to] } }),
        dtype: to,
        lo: x.lo,
        hi: x.hi,
      };
    },
    add(x, y) {
      const a = asInt32(x);
      const b = asInt32(y);
      return mk(g.op("Add", [a.name, b.name]), a.lo + b.lo, a.hi + b.hi, "add");
    },
    sub(x, y) {
      const a = asInt32(x);
      const b = asInt32(y);
      return mk(g.op("Sub", [a.name, b.name]), a.lo - b.hi, a.hi - b.lo, "sub");
    },
    addConst(x, c) {
      if (c === 0) return x;
      const a = asInt32(x);
      return mk(g.op("Add", [a.name, int32(c)]), a.lo + c, a.hi + c, `add ${c}`);
    },
    mulConst(x, c) {
      if (c === 1) return x;
      const a = asInt32(x);
      const ends = [a.lo * c, a.hi * c];
      return mk(
        g.op("Mul", [a.name, int32(c)]),
        Math.min(...ends),
        Math.max(...ends),
        `multiply by ${c}`,
      );
    },
    neg(x) {
      const a = asInt32(x);
      return mk(g.op("Neg", [a.name]), -a.hi, -a.lo, "negate");
    },
    clamp(x, lo, hi) {
      const a = asInt32(x);
      if (a.lo >= lo && a.hi <= hi) return a;
      return mk(
        g.op("Clip", [a.name, int32(lo), int32(hi)]),
        Math.max(a.lo, lo),
        Math.min(a.hi, hi),
        "clamp",
      );
    },
    shift(x, s) {
      return s >= 0 ? ops.roundShift(x, s) : ops.mulConst(x, 2 ** -s);
    },
    floorDivPow2NonNeg(x, s) {
      if (s === 0) return x;
      const a = asInt32(x);
      if (a.lo < 0) throw new ProgramError("floorDivPow2NonNeg on a value that may be negative");
      const d = 2 ** s;
      return mk(
        g.op("Div", [a.name, int32(d)]),
        Math.floor(a.lo / d),
        Math.floor(a.hi / d),
        `divide by 2^${s}`,
      );
    },
    roundShift(x, s) {
      if (s === 0) return x;
      if (s < 0 || s > 30) throw new ProgramError(`shift ${s} outside [0, 30]`);
      const a = asInt32(x);
      const d = 2 ** s;
      const half = 2 ** (s - 1);
      // ONNX Div truncates toward zero; adding K·2^s makes the numerator non-negative so
      // truncation is the floor, and K is subtracted afterwards.
      const k = a.lo + half >= 0 ? 0 : Math.ceil(-(a.lo + half) / d);
      const shifted = ops.addConst(a, half + k * d);
      const q = ops.floorDivPow2NonNeg(shifted, s);
      const out = ops.addConst(q, -k);
      return { ...out, lo: Math.floor((a.lo + half) / d), hi: Math.floor((a.hi + half) / d) };
    },
    roundShiftClampNonNeg(x, s, lo, hi) {
      if (lo < 0) throw new ProgramError("roundShiftClampNonNeg needs a non-negative lower bound");
      const a = asInt32(x);
      if (s === 0) return ops.clamp(a, lo, hi);
      // Truncation differs from the floor only for negative quotients, which the clamp
      // maps to lo ≥ 0 either way.
      const shifted = ops.addConst(a, 2 ** (s - 1));
      const d = 2 ** s;
      const q = mk(
        g.op("Div", [shifted.name, int32(d)]),
        Math.trunc(shifted.lo / d),
        Math.trunc(shifted.hi / d),
        `divide by 2^${s}`,
      );
      return ops.clamp(q, lo, hi);
    },
    transpose(x) {
      return { ...x, name: g.op("Transpose", [x.name], { perm: { ints: [1, 0] } }) };
    },
    matmul(a, b, inner) {
      const aLimbs = splitLeft(ops, a);
      const bLimbs = splitRight(ops, b);
      // Every partial sum of the limb products, in the order accumulated (all right limbs
      // of one left limb, left limbs in order), is Σ_k ã[k]·b̃[k] with |ã| ≤ max|a| (the
      // positive and negative parts of an element are never both non-zero) and
      // |b̃| ≤ max|b| + 127 (the high right limb rounds toward −∞), so one bound covers
      // them all; interval arithmetic on each Add would count the parts twice.
      const aMax = Math.max(-a.lo, a.hi);
      const bMax = Math.max(-b.lo, b.hi) + (bLimbs.length > 1 ? 127 : 0);
      const partial = inner * aMax * bMax;
      check(`partial sums of a ${inner}-term integer product`, -partial, partial);
      let acc: string | undefined;
      for (const la of aLimbs) {
        for (const lb of bLimbs) {
          const product = g.op("MatMulInteger", [la.value.name, lb.value.name]);
          const weight = 2 ** (la.shift + lb.shift);
          const scaled = weight === 1 ? product : g.op("Mul", [product, int32(weight)]);
          if (acc === undefined) acc = la.negative ? g.op("Neg", [scaled]) : scaled;
          else acc = g.op(la.negative ? "Sub" : "Add", [acc, scaled]);
        }
      }
      const ends = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi];
      return mk(acc!, inner * Math.min(...ends), inner * Math.max(...ends), "matrix product");
    },
    reduceSum(x, axis, count, keepdims = false) {
      const a = asInt32(x);
      return mk(
        g.op("ReduceSum", [a.name, g.int64s([axis])], { keepdims: { i: keepdims ? 1 : 0 } }),
        a.lo * count,
        a.hi * count,
        "reduce sum",
      );
    },
  };
  return ops;
}

interface Limb {
  value: IntValue;
  /** The limb's weight is 2^shift. */
  shift: number;
  /** Whether the limb enters the sum subtracted (the negative part of a signed operand). */
  negative: boolean;
}

/** Non-negative 7-bit limbs of `x` ≥ 0: x = Σ limb·2^shift. */
function unsignedLimbs(ops: ExactOps, x: IntValue, negative: boolean): Limb[] {
  if (x.hi <= U8_OPERAND_MAX) return [{ value: ops.cast(x, "uint8"), shift: 0, negative }];
  if (x.hi > U8_OPERAND_MAX * 128 + U8_OPERAND_MAX)
    throw new ProgramError(`left matmul operand up to ${x.hi} needs more than two 7-bit limbs`);
  const hi = ops.floorDivPow2NonNeg(x, 7);
  const lo = ops.sub(x, ops.mulConst(hi, 128));
  return [
    { value: ops.cast(hi, "uint8"), shift: 7, negative },
    { value: ops.cast({ ...lo, lo: 0, hi: 127 }, "uint8"), shift: 0, negative },
  ];
}

/** Left operand as uint8 limbs in [0, 127]; a signed operand splits into max(x,0) and max(−x,0). */
function splitLeft(ops: ExactOps, x: IntValue): Limb[] {
  if (x.lo >= 0) return unsignedLimbs(ops, x, false);
  const x32 = ops.cast(x, "int32");
  const zero = ops.int32(0);
  const pos: IntValue = {
    name: ops.g.op("Max", [x32.name, zero]),
    dtype: "int32",
    lo: 0,
    hi: Math.max(0, x.hi),
  };
  const negSrc = ops.neg(x32);
  const neg: IntValue = {
    name: ops.g.op("Max", [negSrc.name, zero]),
    dtype: "int32",
    lo: 0,
    hi: -x.lo,
  };
  const limbs = [
    ...(x.hi > 0 ? unsignedLimbs(ops, pos, false) : []),
    ...unsignedLimbs(ops, neg, true),
  ];
  return limbs;
}

/** Right operand as int8 limbs: one limb in [−128, 127], or hi·128 + lo with lo in [0, 127]. */
function splitRight(ops: ExactOps, x: IntValue): Limb[] {
  if (x.lo >= S8_OPERAND_MIN && x.hi <= S8_OPERAND_MAX)
    return [{ value: ops.cast(x, "int8"), shift: 0, negative: false }];
  if (x.lo < -128 * 128 || x.hi > 127 * 128 + 127)
    throw new ProgramError(`right matmul operand in [${x.lo}, ${x.hi}] needs more than two limbs`);
  const x32 = ops.cast(x, "int32");
  // hi = ⌊x / 128⌋ via a non-negative numerator; lo = x − 128·hi ∈ [0, 127].
  const hiBiased = ops.floorDivPow2NonNeg(ops.addConst(x32, 128 * 128), 7);
  const hi = ops.addConst(hiBiased, -128);
  const lo = ops.sub(x32, ops.mulConst(hi, 128));
  return [
    {
      value: ops.cast({ ...hi, lo: Math.floor(x.lo / 128), hi: Math.floor(x.hi / 128) }, "int8"),
      shift: 7,
      negative: false,
    },
    { value: ops.cast({ ...lo, lo: 0, hi: 127 }, "int8"), shift: 0, negative: false },
  ];
}
