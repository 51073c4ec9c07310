// A plain TypeScript (float64) reference of the float MLP step: forward, softmax
// cross-entropy, backward by the chain rule, SGD with momentum and Adam. Used to check
// the ONNX program's gradients and updates, and itself checked by finite differences.
import type { Batch } from "../../../../src/engine/runtime.ts";
import type { ProgramInfo } from "../../../../src/engine/program-info.ts";
import type { TrainingState } from "../../../../src/engine/training-state.ts";

export interface FloatParams {
  weights: Float64Array[];
  biases: Float64Array[];
}

export function paramsOf(info: ProgramInfo, state: TrainingState): FloatParams {
  const L = info.model.layers.length - 1;
  const get = (name: string): Float64Array =>
    Float64Array.from(state.values[info.state.findIndex((t) => t.name === name)]!);
  return {
    weights: Array.from({ length: L }, (_, l) => get(`layer${l}.weight`)),
    biases: Array.from({ length: L }, (_, l) => get(`layer${l}.bias`)),
  };
}

export interface LossAndGrads {
  loss: number;
  gradW: Float64Array[];
  gradB: Float64Array[];
}

export function lossAndGrads(
  layers: readonly number[],
  params: FloatParams,
  batch: Batch,
): LossAndGrads {
  const L = layers.length - 1;
  const B = batch.labels.length;
  const acts: Float64Array[] = [Float64Array.from(batch.features, (p) => p / 255)];
  const pre: Float64Array[] = [];
  for (let l = 0; l < L; l++) {
    const nIn = layers[l]!;
    const nOut = layers[l + 1]!;
    const z = new Float64Array(B * nOut);
    for (let b = 0; b < B; b++)
      for (let j = 0; j < nOut; j++) {
        let acc = params.biases[l]![j]!;
        for (let i = 0; i < nIn; i++)
          acc += acts[l]![b * nIn + i]! * params.weights[l]![i * nOut + j]!;
        z[b * nOut + j] = acc;
      }
    pre.push(z);
    if (l + 1 < L) acts.push(z.map((v) => Math.max(0, v)));
  }
  const C = layers[L]!;
  const logits = pre[L - 1]!;
  let loss = 0;
  let dz = new Float64Array(B * C);
  for (let b = 0; b < B; b++) {
    const row = logits.subarray(b * C, (b + 1) * C);
    const max = Math.max(...row);
    const sum = row.reduce((a, v) => a + Math.exp(v - max), 0);
    const y = batch.labels[b]!;
    loss -= row[y]! - max - Math.log(sum);
    for (let c = 0; c < C; c++)
      dz[b * C + c] = (Math.exp(row[c]! - max) / sum - (c === y ? 1 : 0)) / B;
  }
  loss /= B;
  const gradW: Float64Array[] = new Array<Float64Array>(L);
  const gradB: Float64Array[] = new Array<Float64Array>(L);
  for (let l = L - 1; l >= 0; l--) {
    const nIn = layers[l]!;
    const nOut = layers[l + 1]!;
    const gW = new Float64Array(nIn * nOut);
    const gB = new Float64Array(nOut);
    for (let b = 0; b < B; b++)
      for (let j = 0; j < nOut; j++) {
        const g = dz[b * nOut + j]!;
        gB[j]! += g;
        for (let i = 0; i < nIn; i++) gW[i * nOut + j]! += acts[l]![b * nIn + i]! * g;
      }
    gradW[l] = gW;
    gradB[l] = gB;
    if (l > 0) {
      const below = new Float64Array(B * nIn);
      for (let b = 0; b < B; b++)
        for (let i = 0; i < nIn; i++) {
          if (pre[l - 1]![b * nIn + i]! <= 0) continue;
          let acc = 0;
          for (let j = 0; j < nOut; j++)
            acc += dz[b * nOut + j]! * params.weights[l]![i * nOut + j]!;
          below[b * nIn + i] = acc;
        }
      dz = below;
    }
  }
  return { loss, gradW, gradB };
}

/** The reference update: new values of every state tensor, in the program's order. */
export function floatReferenceStep(
  info: ProgramInfo,
  state: TrainingState,
  batch: Batch,
): { values: Float64Array[]; loss: number } {
  const layers = info.model.layers;
  const { loss, gradW, gradB } = lossAndGrads(layers, paramsOf(info, state), batch);
  const grads = new Map<string, Float64Array>();
  gradW.forEach((g, l) => grads.set(`layer${l}.weight`, g));
  gradB.forEach((g, l) => grads.set(`layer${l}.bias`, g));
  const value = (name: string): Float64Array =>
    Float64Array.from(state.values[info.state.findIndex((t) => t.name === name)]!);
  const next = new Map<string, Float64Array>();
  const opt = info.optimizer;
  for (const [name, g] of grads) {
    const w = value(name);
    if (opt.kind === "sgd") {
      const v = value(`${name}.momentum`).map((m, i) => opt.momentum * m + g[i]!);
      next.set(`${name}.momentum`, v);
      next.set(
        name,
        w.map((x, i) => x - opt.learningRate * v[i]!),
      );
    } else {
      const t = state.step + 1;
      const m = value(`${name}.adam_m`).map((x, i) => opt.beta1 * x + (1 - opt.beta1) * g[i]!);
      const v = value(`${name}.adam_v`).map(
        (x, i) => opt.beta2 * x + (1 - opt.beta2) * g[i]! * g[i]!,
      );
      const bc1 = 1 - opt.beta1 ** t;
      const bc2 = 1 - opt.beta2 ** t;
      next.set(`${name}.adam_m`, m);
      next.set(`${name}.adam_v`, v);
      next.set(
        name,
        w.map(
          (x, i) =>
            x -
            (opt.learningRate / bc1) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + opt.epsilon)),
        ),
      );
    }
  }
  return { values: info.state.map((t) => next.get(t.name)!), loss };
}
