// Fixed-point formats and integer constants of exact-mode MLP programs
// (docs/fixed-point.md, "Parameters used by the MLP programs"). Pure: the program
// builder and the plain-integer reference used in tests both derive everything here.
import { ProgramError } from "./errors.ts";
import type { ExactFormat, ExactLayerConstants, ExactUpdateConstants } from "./program-info.ts";

/** Input pixels p ∈ [0, 255] enter as x = ⌊p / 2⌋ ∈ [0, 127] with 7 fractional bits. */
export const INPUT_FRAC_BITS = 7;
/** The output-layer gradient p − onehot with 14 fractional bits, clamped to ±(2^14 − 1). */
export const OUTPUT_GRAD_FRAC_BITS = 14;
export const OUTPUT_GRAD_BOUND = 2 ** 14 - 1;
/** Hidden-layer gradients are int8, clamped symmetric so −x also fits a uint8 limb. */
export const HIDDEN_GRAD_BOUND = 127;
/** Hidden activations are ReLU outputs clamped to [0, 127] (uint8 operands). */
export const ACTIVATION_MAX = 127;
/** Softmax: exp table indexed by (max − z) in steps of 2^−6, values with 16 fractional bits. */
export const EXP_INDEX_FRAC_BITS = 6;
export const EXP_TABLE_SIZE = 768;
export const EXP_ONE_BITS = 16;
/** The loss output has 16 fractional bits. */
export const LOSS_FRAC_BITS = 16;
/** Momentum coefficient numerator over 2^8. */
export const MOMENTUM_DENOM_BITS = 8;
/** Momentum buffers saturate at ±(2^22 − 1); gradients enter them scaled to at most 2^20. */
export const MOMENTUM_BOUND = 2 ** 22 - 1;
export const MOMENTUM_GRAD_BITS = 20;
/** Master biases saturate at ±2^29 (raw). */
export const BIAS_BOUND = 2 ** 29;
/** LN table indices: at most this many entries. */
const LN_TABLE_MAX = 4096;

export interface ExactFormatOptions {
  /** Fractional bits of master parameters (int32); default 24. */
  paramFracBits?: number;
  /** Fractional bits of hidden activations (uint8 0..127); default 5 (range [0, 3.97]). */
  activationFracBits?: number;
  /** Fractional bits of hidden-layer gradients (int8); default 9. */
  hiddenGradFracBits?: number;
  /** Fractional bits of each layer's 8-bit forward weights; default from the fan-in. */
  weightFracBits?: readonly number[];
}

export interface ExactHyper {
  layers: readonly number[];
  batchSize: number;
  learningRate: number;
  momentum: number;
}

/**
 * Default forward-weight format for a layer of fan-in n: the largest F such that the
 * 8-bit range ±127/2^F still covers 4 standard deviations of He-uniform initialisation
 * (σ = √(2/n)), so initial weights are resolved to about 2.5% of σ... and have room to grow.
 */
export function defaultWeightFracBits(fanIn: number): number {
  const sigma = Math.sqrt(2 / fanIn);
  return Math.max(0, Math.floor(Math.log2(127 / (4 * sigma))));
}

function ceilLog2(x: number): number {
  let bits = 0;
  while (2 ** bits < x) bits += 1;
  return bits;
}

/** The integer update constants for one parameter tensor. */
export function updateConstants(
  gradAccFracBits: number,
  gradBound: number,
  learningRatePerSample: number,
  momentum: number,
  paramFracBits: number,
  paramMin: number,
  paramMax: number,
): ExactUpdateConstants {
  // Scale gradients so their bound lands just under 2^20: a right shift (rounded) for
  // wide accumulators, an exact left shift for narrow ones (biases), which keeps the
  // momentum buffer's resolution and the learning-rate multiplier in range.
  const gradShift = ceilLog2(gradBound + 1) - MOMENTUM_GRAD_BITS;
  const momentumFracBits = gradAccFracBits - gradShift;
  // Δparam (raw) = v · lr/B · 2^(F_param − F_v), as lrNum / 2^lrShift with lrNum ∈ [64, 128].
  const eta = learningRatePerSample * 2 ** (paramFracBits - momentumFracBits);
  let lrShift = 0;
  while (eta * 2 ** lrShift < 64 && lrShift < 30) lrShift += 1;
  const lrNum = Math.round(eta * 2 ** lrShift);
  if (lrNum < 1)
    throw new ProgramError(
      `learning rate ${learningRatePerSample} is below the fixed-point resolution`,
    );
  if (lrNum * MOMENTUM_BOUND + 2 ** 30 > 2 ** 31 - 1)
    throw new ProgramError(
      `learning rate multiplier ${lrNum}/2^${lrShift} is too large for int32 updates; lower paramFracBits or the learning rate`,
    );
  return {
    gradAccFracBits,
    gradShift,
    momentumNum: Math.round(momentum * 2 ** MOMENTUM_DENOM_BITS),
    lrNum,
    lrShift,
    paramMin,
    paramMax,
    momentumBound: MOMENTUM_BOUND,
  };
}

/** Derives every format and constant of an exact MLP program. */
export function deriveExactFormat(
  hyper: ExactHyper,
  options: ExactFormatOptions = {},
): ExactFormat {
  const { layers, batchSize: B } = hyper;
  const L = layers.length - 1;
  const paramFracBits = options.paramFracBits ?? 24;
  const activationFracBits = options.activationFracBits ?? 5;
  const hiddenGradFracBits = options.hiddenGradFracBits ?? 9;
  if (options.weightFracBits !== undefined && options.weightFracBits.length !== L)
    throw new ProgramError(
      `weightFracBits lists ${options.weightFracBits.length} layers, the MLP has ${L}`,
    );
  if (Math.round(hyper.momentum * 256) > 255)
    throw new ProgramError(`momentum ${hyper.momentum} rounds to 256/256; exact mode needs < 1`);
  const perSample = hyper.learningRate / B;
  const out: ExactLayerConstants[] = [];
  for (let l = 0; l < L; l++) {
    const fanIn = layers[l]!;
    const weightFracBits = options.weightFracBits?.[l] ?? defaultWeightFracBits(fanIn);
    const inputFracBits = l === 0 ? INPUT_FRAC_BITS : activationFracBits;
    const accFracBits = inputFracBits + weightFracBits;
    if (accFracBits > paramFracBits)
      throw new ProgramError(
        `layer ${l} accumulator has ${accFracBits} fractional bits, more than the parameters' ${paramFracBits}`,
      );
    if (weightFracBits > paramFracBits)
      throw new ProgramError(
        `layer ${l} weights have more fractional bits than the master parameters`,
      );
    const last = l === L - 1;
    if (last && accFracBits < EXP_INDEX_FRAC_BITS)
      throw new ProgramError(
        `logits need at least ${EXP_INDEX_FRAC_BITS} fractional bits, layer ${l} has ${accFracBits}`,
      );
    if (!last && accFracBits < activationFracBits)
      throw new ProgramError(
        `layer ${l} accumulator has fewer fractional bits than the activations`,
      );
    const gradFracBits = last ? OUTPUT_GRAD_FRAC_BITS : hiddenGradFracBits;
    const gradBound = last ? OUTPUT_GRAD_BOUND : HIDDEN_GRAD_BOUND;
    const shift = paramFracBits - weightFracBits;
    if (127 * 2 ** shift > 2 ** 30)
      throw new ProgramError(
        `layer ${l} master weights (F=${paramFracBits}) would exceed 2^30 in the 8-bit forward range (F=${weightFracBits}); lower paramFracBits`,
      );
    const weightUpdate = updateConstants(
      inputFracBits + gradFracBits,
      B * 127 * gradBound,
      perSample,
      hyper.momentum,
      paramFracBits,
      -128 * 2 ** shift,
      127 * 2 ** shift,
    );
    const biasUpdate = updateConstants(
      gradFracBits,
      B * gradBound,
      perSample,
      hyper.momentum,
      paramFracBits,
      -BIAS_BOUND,
      BIAS_BOUND,
    );
    out.push({
      weightFracBits,
      inputFracBits,
      accFracBits,
      gradFracBits,
      gradBits: last ? 15 : 8,
      weightUpdate,
      biasUpdate,
    });
  }
  // Hidden gradients come from dZ·Wᵀ (F = F_dz(l+1) + F_w(l+1)) by a right shift.
  for (let l = 0; l + 1 < L; l++) {
    const from = out[l + 1]!.gradFracBits + out[l + 1]!.weightFracBits;
    if (from < hiddenGradFracBits)
      throw new ProgramError(
        `layer ${l} gradient needs ${hiddenGradFracBits} fractional bits, only ${from} available`,
      );
  }
  return { paramFracBits, lossFracBits: LOSS_FRAC_BITS, layers: out };
}

/** exp table: E[i] = round(2^16 · e^(−i/64)), i < 768 (E[767] = 0). */
export function expTable(): Int32Array {
  return Int32Array.from({ length: EXP_TABLE_SIZE }, (_, i) =>
    Math.round(2 ** EXP_ONE_BITS * Math.exp(-i / 2 ** EXP_INDEX_FRAC_BITS)),
  );
}

/** The LN table's index shift k: S ∈ [2^16, C·2^16] is looked up at ⌊S / 2^k⌋. */
export function lnIndexShift(classes: number): number {
  return Math.max(0, ceilLog2(Math.ceil((classes * 2 ** EXP_ONE_BITS + 1) / LN_TABLE_MAX)));
}

/** ln table: LN[j] = round(2^F · ln(max(1, (j·2^k + 2^(k−1)) / 2^16))) (midpoint of the bucket). */
export function lnTable(classes: number, logitFracBits: number): Int32Array {
  const k = lnIndexShift(classes);
  const size = Math.floor((classes * 2 ** EXP_ONE_BITS) / 2 ** k) + 1;
  const mid = k === 0 ? 0 : 2 ** (k - 1);
  return Int32Array.from({ length: size }, (_, j) =>
    Math.round(2 ** logitFracBits * Math.log(Math.max(1, (j * 2 ** k + mid) / 2 ** EXP_ONE_BITS))),
  );
}
