// The full training state: every state tensor a program declares (parameters, then
// optimizer state, in the program's canonical order) and the number of steps taken.
import { StateError } from "./errors.ts";
import { elementCount, type ProgramInfo, type StateTensorSpec } from "./program-info.ts";
import { seededRandom } from "./seeded-random.ts";

export type StateArray = Float32Array | Int32Array;

export interface TrainingState {
  /** Steps taken so far: the state after step t−1 has `step = t`. */
  step: number;
  specs: readonly StateTensorSpec[];
  /** Tensor data aligned with `specs`, row-major. */
  values: readonly StateArray[];
}

/** Checks that `state` has exactly the tensors `info` declares. */
export function assertStateMatches(info: ProgramInfo, state: TrainingState): void {
  if (!Number.isSafeInteger(state.step) || state.step < 0)
    throw new StateError(`state step ${state.step} is not a non-negative integer`);
  if (state.specs.length !== info.state.length || state.values.length !== info.state.length)
    throw new StateError(
      `state has ${state.specs.length} tensors, the program declares ${info.state.length}`,
    );
  info.state.forEach((want, i) => {
    const got = state.specs[i]!;
    const same =
      got.name === want.name &&
      got.role === want.role &&
      got.dtype === want.dtype &&
      got.fracBits === want.fracBits &&
      got.shape.length === want.shape.length &&
      got.shape.every((d, k) => d === want.shape[k]);
    if (!same)
      throw new StateError(
        `state tensor #${i} is ${describe(got)}, the program declares ${describe(want)}`,
      );
    const data = state.values[i]!;
    const ctor = want.dtype === "float32" ? Float32Array : Int32Array;
    if (!(data instanceof ctor) || data.length !== elementCount(want.shape))
      throw new StateError(
        `state tensor ${want.name} data is not ${elementCount(want.shape)} ${want.dtype}`,
      );
  });
}

export function describe(t: StateTensorSpec): string {
  return `${t.name} (${t.role}, ${t.dtype}[${t.shape.join("×")}], F=${t.fracBits})`;
}

/**
 * A fresh state: parameters He-uniform, U(±√(6/fan_in)) (biases zero), optimizer
 * state zero. Exact mode draws integers directly in [−A, A], A = ⌊√(6/fan_in)·2^F⌋,
 * so no float rounding is involved. Deterministic in `seed`; the initial state is
 * content-addressed by the job anyway, so this is a convenience, not a protocol rule.
 */
export function initialState(info: ProgramInfo, seed: string): TrainingState {
  const random = seededRandom(`assay.init/${seed}`);
  const values = info.state.map((spec): StateArray => {
    const n = elementCount(spec.shape);
    const isWeight = spec.role === "param" && spec.shape.length === 2;
    if (spec.dtype === "float32") {
      const out = new Float32Array(n);
      if (isWeight) {
        const a = Math.sqrt(6 / spec.shape[0]!);
        for (let i = 0; i < n; i++) out[i] = (2 * random.nextFloat() - 1) * a;
      }
      return out;
    }
    const out = new Int32Array(n);
    if (isWeight) {
      // Within the range the exact update maintains (the 8-bit forward range), which the
      // default formats make wider than ±a anyway.
      const layer = info.fixedPoint?.layers[Number(/^layer(\d+)\./.exec(spec.name)?.[1])];
      const bound = layer
        ? Math.min(-layer.weightUpdate.paramMin, layer.weightUpdate.paramMax)
        : 2 ** 30;
      const a = Math.min(bound, Math.floor(Math.sqrt(6 / spec.shape[0]!) * 2 ** spec.fracBits));
      for (let i = 0; i < n; i++) out[i] = random.nextInt(2 * a + 1) - a;
    }
    return out;
  });
  return { step: 0, specs: info.state, values };
}

/**
 * Exact programs are proven overflow-free only for states inside the ranges their
 * updates maintain (master weights within the 8-bit forward range, biases within
 * ±2^29, momentum within ±(2^22 − 1)); a state from outside is rejected before it runs.
 */
export function assertStateInRange(info: ProgramInfo, state: TrainingState): void {
  const format = info.fixedPoint;
  if (info.numerics !== "exact" || format === undefined) return;
  info.state.forEach((spec, i) => {
    const layer = Number(/^layer(\d+)\./.exec(spec.name)?.[1]);
    const c = format.layers[layer];
    if (c === undefined)
      throw new StateError(`state tensor ${spec.name} names no layer of the program`);
    const u = spec.name.includes(".bias") ? c.biasUpdate : c.weightUpdate;
    const [lo, hi] =
      spec.role === "param" ? [u.paramMin, u.paramMax] : [-u.momentumBound, u.momentumBound];
    const data = state.values[i]!;
    for (let k = 0; k < data.length; k++) {
      const v = data[k]!;
      if (v < lo || v > hi)
        throw new StateError(
          `state tensor ${spec.name}[${k}] = ${v} is outside the program's range [${lo}, ${hi}]`,
        );
    }
  });
}
