// A plain-integer reference of the exact-mode MLP step, written from docs/fixed-point.md
// with ordinary loops and no ONNX: the program must match it bit for bit. It shares only
// the published constants (the program's fixedPoint section and the exp/ln tables).
import type { Batch } from "../../../../src/engine/runtime.ts";
import {
  EXP_INDEX_FRAC_BITS,
  EXP_TABLE_SIZE,
  expTable,
  lnIndexShift,
  lnTable,
} from "../../../../src/engine/fixed-point.ts";
import type { ProgramInfo } from "../../../../src/engine/program-info.ts";
import type { TrainingState } from "../../../../src/engine/training-state.ts";

/** The element rule's rounding: ⌊(x + 2^(s−1)) / 2^s⌋, exact for |x| < 2^53. */
export function roundShift(x: number, s: number): number {
  return s === 0 ? x : Math.floor((x + 2 ** (s - 1)) / 2 ** s);
}
export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

export interface ExactReferenceResult {
  values: Int32Array[];
  loss: bigint;
}

export function exactReferenceStep(
  info: ProgramInfo,
  state: TrainingState,
  batch: Batch,
): ExactReferenceResult {
  const format = info.fixedPoint!;
  const layers = info.model.layers;
  const L = layers.length - 1;
  const B = info.batchSize;
  const C = layers[L]!;
  const get = (name: string): Int32Array =>
    state.values[info.state.findIndex((t) => t.name === name)] as Int32Array;

  // Forward.
  // Integers in Float64Arrays: every value here is below 2^53, so the arithmetic is exact.
  const acts: Float64Array[] = [Float64Array.from(batch.features, (p) => Math.floor(p / 2))];
  const w8: Float64Array[] = [];
  let logits = new Float64Array(0);
  for (let l = 0; l < L; l++) {
    const c = format.layers[l]!;
    const nIn = layers[l]!;
    const nOut = layers[l + 1]!;
    const w = Float64Array.from(get(`layer${l}.weight`), (v) =>
      roundShift(v, format.paramFracBits - c.weightFracBits),
    );
    w8.push(w);
    const bq = Float64Array.from(get(`layer${l}.bias`), (v) =>
      roundShift(v, format.paramFracBits - c.accFracBits),
    );
    const z = new Float64Array(B * nOut);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < nOut; j++) z[b * nOut + j] = bq[j]!;
      for (let i = 0; i < nIn; i++) {
        const a = acts[l]![b * nIn + i]!;
        if (a === 0) continue;
        for (let j = 0; j < nOut; j++) z[b * nOut + j]! += a * w[i * nOut + j]!;
      }
    }
    if (l + 1 < L) {
      const shift = c.accFracBits - format.layers[l + 1]!.inputFracBits;
      acts.push(z.map((v) => clamp(roundShift(v, shift), 0, 127)));
    } else logits = z;
  }

  // Softmax cross-entropy by table.
  const logitFracBits = format.layers[L - 1]!.accFracBits;
  const EXP = expTable();
  const LN = lnTable(C, logitFracBits);
  const k = lnIndexShift(C);
  let total = 0n;
  let dz = new Float64Array(B * C);
  for (let b = 0; b < B; b++) {
    const row = Array.from(logits.subarray(b * C, (b + 1) * C));
    const max = Math.max(...row);
    const d = row.map((z) => max - z);
    const e = d.map(
      (v) => EXP[Math.min(roundShift(v, logitFracBits - EXP_INDEX_FRAC_BITS), EXP_TABLE_SIZE - 1)]!,
    );
    const sum = e.reduce((a, v) => a + v, 0);
    const y = batch.labels[b]!;
    for (let c = 0; c < C; c++) {
      const p = Math.floor((e[c]! * 2 ** 14) / sum);
      dz[b * C + c] = clamp(p - (c === y ? 2 ** 14 : 0), -(2 ** 14 - 1), 2 ** 14 - 1);
    }
    total += BigInt(d[y]! + LN[Math.floor(sum / 2 ** k)]!);
  }
  const loss =
    logitFracBits <= 16
      ? (total * 2n ** BigInt(16 - logitFracBits)) / BigInt(B)
      : total / (BigInt(B) * 2n ** BigInt(logitFracBits - 16));

  // Backward and update, last layer first (gradients use the pre-update 8-bit weights).
  const next = new Map<string, Int32Array>();
  for (let l = L - 1; l >= 0; l--) {
    const c = format.layers[l]!;
    const nIn = layers[l]!;
    const nOut = layers[l + 1]!;
    const gW = new Float64Array(nIn * nOut);
    const gB = new Float64Array(nOut);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < nOut; j++) gB[j]! += dz[b * nOut + j]!;
      for (let i = 0; i < nIn; i++) {
        const a = acts[l]![b * nIn + i]!;
        if (a === 0) continue;
        for (let j = 0; j < nOut; j++) gW[i * nOut + j]! += a * dz[b * nOut + j]!;
      }
    }
    if (l > 0) {
      const below = format.layers[l - 1]!;
      const shift = c.gradFracBits + c.weightFracBits - below.gradFracBits;
      const dzBelow = new Float64Array(B * nIn);
      for (let b = 0; b < B; b++)
        for (let i = 0; i < nIn; i++) {
          let acc = 0;
          for (let j = 0; j < nOut; j++) acc += dz[b * nOut + j]! * w8[l]![i * nOut + j]!;
          const a = acts[l]![b * nIn + i]!;
          dzBelow[b * nIn + i] = a > 0 && a < 127 ? clamp(roundShift(acc, shift), -127, 127) : 0;
        }
      dz = dzBelow;
    }
    for (const [param, grad, u] of [
      [`layer${l}.weight`, gW, c.weightUpdate],
      [`layer${l}.bias`, gB, c.biasUpdate],
    ] as const) {
      const p = get(param);
      const v = get(`${param}.momentum`);
      const pNext = new Int32Array(p.length);
      const vNext = new Int32Array(v.length);
      for (let i = 0; i < p.length; i++) {
        const gv =
          u.gradShift >= 0 ? roundShift(grad[i]!, u.gradShift) : grad[i]! * 2 ** -u.gradShift;
        vNext[i] = clamp(
          roundShift(u.momentumNum * v[i]!, 8) + gv,
          -u.momentumBound,
          u.momentumBound,
        );
        pNext[i] = clamp(
          p[i]! - roundShift(u.lrNum * vNext[i]!, u.lrShift),
          u.paramMin,
          u.paramMax,
        );
      }
      next.set(param, pNext);
      next.set(`${param}.momentum`, vNext);
    }
  }
  return { values: info.state.map((t) => next.get(t.name)!), loss };
}
