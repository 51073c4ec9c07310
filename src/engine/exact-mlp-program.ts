// The exact-mode (integer) train step of an MLP as one ONNX graph. Every tensor is an
// integer and every rescaling follows the element rule of docs/fixed-point.md
// (round half up, saturate), so the step is bit-for-bit reproducible on any hardware:
//   forward   x = ⌊p/2⌋ (uint8), W8 = round(W / 2^(F_m − F_w)) (int8),
//             Z = x·W8 + round(b / 2^(F_m − F_z)) (int32), A = clamp(round(Z / 2^s), 0, 127)
//   loss      table softmax: e = EXP[round((max − z) / 2^(F_o − 6))], p = ⌊e·2^14 / Σe⌋
//   backward  dZ_out = clamp(p − 2^14·y, ±(2^14 − 1)), dW = Aᵀ·dZ, db = Σ dZ,
//             dZ_hidden = clamp(round(dZ·W8ᵀ / 2^s), ±127) where 0 < A < 127, else 0
//   update    v' = clamp(round(μ·v / 2^8) + round(g / 2^r), ±(2^22 − 1)),
//             W' = clamp(W − round(v'·lrNum / 2^lrShift), W range)
// All constants are in the program's metadata (`fixedPoint`), derived by fixed-point.ts.
import {
  ACTIVATION_MAX,
  EXP_INDEX_FRAC_BITS,
  EXP_ONE_BITS,
  EXP_TABLE_SIZE,
  HIDDEN_GRAD_BOUND,
  LOSS_FRAC_BITS,
  MOMENTUM_DENOM_BITS,
  OUTPUT_GRAD_BOUND,
  OUTPUT_GRAD_FRAC_BITS,
  deriveExactFormat,
  expTable,
  lnIndexShift,
  lnTable,
  type ExactFormatOptions,
} from "./fixed-point.ts";
import { ProgramError } from "./errors.ts";
import { exactOps, value, type ExactOps, type IntValue } from "./exact-graph-ops.ts";
import { biasName, mlpStateSpecs, oneHot, weightName, type MlpShape } from "./float-mlp-program.ts";
import { createGraphBuilder, type GraphBuilder } from "./onnx-graph.ts";
import {
  LOSS_OUTPUT,
  declareStepInputs,
  declareStepOutputs,
  PROGRAM_FORMAT,
  PROGRAM_METADATA_KEY,
  nextName,
  type ExactFormat,
  type ExactUpdateConstants,
  type ProgramInfo,
} from "./program-info.ts";

export interface ExactMlpOptions extends MlpShape {
  optimizer: { kind: "sgd"; learningRate: number; momentum: number };
  format?: ExactFormatOptions;
}

export function exactMlpInfo(options: ExactMlpOptions): ProgramInfo {
  if (options.optimizer.kind !== "sgd")
    throw new ProgramError("exact mode supports SGD with momentum only (see docs/engine.md)");
  const fixedPoint = deriveExactFormat(
    {
      layers: options.layers,
      batchSize: options.batchSize,
      learningRate: options.optimizer.learningRate,
      momentum: options.optimizer.momentum,
    },
    options.format,
  );
  return {
    format: PROGRAM_FORMAT,
    numerics: "exact",
    model: { kind: "mlp", layers: [...options.layers] },
    batchSize: options.batchSize,
    optimizer: options.optimizer,
    state: mlpStateSpecs(
      options.layers,
      "sgd",
      "int32",
      fixedPoint.paramFracBits,
      (layer, bias) => {
        const c = fixedPoint.layers[layer]!;
        const u = bias ? c.biasUpdate : c.weightUpdate;
        return u.gradAccFracBits - u.gradShift;
      },
    ),
    loss: { dtype: "int64", fracBits: LOSS_FRAC_BITS },
    fixedPoint,
  };
}

/** The builder options that produce `info` (for re-building a loaded program). */
export function exactOptionsFromInfo(info: ProgramInfo): ExactMlpOptions {
  const format = formatOf(info);
  if (info.optimizer.kind !== "sgd")
    throw new ProgramError("exact mode supports SGD with momentum only");
  return {
    layers: info.model.layers,
    batchSize: info.batchSize,
    optimizer: info.optimizer,
    format: {
      paramFracBits: format.paramFracBits,
      weightFracBits: format.layers.map((l) => l.weightFracBits),
      ...(format.layers.length > 1
        ? {
            activationFracBits: format.layers[1]!.inputFracBits,
            hiddenGradFracBits: format.layers[0]!.gradFracBits,
          }
        : {}),
    },
  };
}

function formatOf(info: ProgramInfo): ExactFormat {
  if (info.fixedPoint === undefined)
    throw new ProgramError("not an exact program: no fixedPoint section");
  return info.fixedPoint;
}

export interface ExactForward {
  ops: ExactOps;
  /** Inputs of each layer as uint8 operands (acts[0] = x) and as int32 (for masks). */
  acts: IntValue[];
  acts32: IntValue[];
  /** 8-bit forward weights per layer. */
  weights8: IntValue[];
  logits: IntValue;
}

/** The integer forward pass (shared with the evaluation program). */
export function exactForward(g: GraphBuilder, info: ProgramInfo, features: string): ExactForward {
  const format = formatOf(info);
  const ops = exactOps(g);
  const layers = info.model.layers;
  const L = layers.length - 1;
  const x32 = ops.floorDivPow2NonNeg(ops.cast(value(features, "uint8", 0, 255), "int32"), 1);
  const acts = [ops.cast(x32, "uint8")];
  const acts32 = [x32];
  const weights8: IntValue[] = [];
  let logits: IntValue | undefined;
  for (let l = 0; l < L; l++) {
    const c = format.layers[l]!;
    const w = value(weightName(l), "int32", c.weightUpdate.paramMin, c.weightUpdate.paramMax);
    const w8 = ops.cast(ops.roundShift(w, format.paramFracBits - c.weightFracBits), "int8");
    weights8.push(w8);
    const b = value(biasName(l), "int32", c.biasUpdate.paramMin, c.biasUpdate.paramMax);
    const bq = ops.roundShift(b, format.paramFracBits - c.accFracBits);
    const z = ops.add(ops.matmul(acts[l]!, w8, layers[l]!), bq);
    if (l + 1 < L) {
      const next = format.layers[l + 1]!;
      const a32 = ops.roundShiftClampNonNeg(
        z,
        c.accFracBits - next.inputFracBits,
        0,
        ACTIVATION_MAX,
      );
      acts32.push(a32);
      acts.push(ops.cast(a32, "uint8"));
    } else {
      logits = z;
    }
  }
  return { ops, acts, acts32, weights8, logits: logits! };
}

/** Builds the exact train-step program; returns its bytes and declaration. */
export function buildExactMlpProgram(options: ExactMlpOptions): {
  bytes: Uint8Array;
  info: ProgramInfo;
} {
  const info = exactMlpInfo(options);
  const format = formatOf(info);
  const { layers, batchSize: B } = options;
  const L = layers.length - 1;
  const C = layers[L]!;
  const g = createGraphBuilder("assay_exact_mlp_step");

  const { features, labels } = declareStepInputs(g, info); // SGD does not use the step index

  const fwd = exactForward(g, info, features);
  const { ops } = fwd;
  const z = fwd.logits;
  const logitFracBits = format.layers[L - 1]!.accFracBits;
  const y = ops.cast(value(oneHot(g, labels, C), "uint8", 0, 1), "int32");

  // Softmax by table. d = max − z ≥ 0.
  const max = {
    ...z,
    name: g.op("ReduceMax", [z.name], { axes: { ints: [1] }, keepdims: { i: 1 } }),
  };
  const d = { ...ops.sub(max, z), lo: 0, hi: z.hi - z.lo };
  const index = ops.roundShiftClampNonNeg(
    d,
    logitFracBits - EXP_INDEX_FRAC_BITS,
    0,
    EXP_TABLE_SIZE - 1,
  );
  const exp = g.constant("int32", [EXP_TABLE_SIZE], expTable(), "exp_table");
  const e = value(g.op("Gather", [exp, index.name]), "int32", 0, 2 ** EXP_ONE_BITS);
  // The row maximum has d = 0, so every row sum is at least 2^16.
  const sum = { ...ops.reduceSum(e, 1, C, true), lo: 2 ** EXP_ONE_BITS };
  const p = value(
    g.op("Div", [ops.mulConst(e, 2 ** OUTPUT_GRAD_FRAC_BITS).name, sum.name]),
    "int32",
    0,
    2 ** OUTPUT_GRAD_FRAC_BITS,
  );
  let dz = ops.clamp(
    ops.sub(p, ops.mulConst(y, 2 ** OUTPUT_GRAD_FRAC_BITS)),
    -OUTPUT_GRAD_BOUND,
    OUTPUT_GRAD_BOUND,
  );

  // Loss: ℓ = (max − z_y) + ln(Σe / 2^16), summed in int64, mean with 16 fractional bits.
  const k = lnIndexShift(C);
  const ln = lnTable(C, logitFracBits);
  const lnIndex = ops.floorDivPow2NonNeg(sum, k);
  if (lnIndex.hi >= ln.length) throw new ProgramError("ln table too small for the row sums");
  const lnS = g.op("Gather", [g.constant("int32", [ln.length], ln, "ln_table"), lnIndex.name]);
  const dy = ops.reduceSum(value(g.op("Mul", [d.name, y.name]), "int32", 0, d.hi), 1, 1, true);
  const perSample = g.op("Add", [dy.name, lnS]);
  const total = g.op("ReduceSum", [g.op("Cast", [perSample], { to: { i: 7 } })], {
    keepdims: { i: 0 },
  });
  const i64 = (v: number): string => g.scalar("int64", v);
  const scaled =
    logitFracBits <= LOSS_FRAC_BITS
      ? g.op("Div", [g.op("Mul", [total, i64(2 ** (LOSS_FRAC_BITS - logitFracBits))]), i64(B)])
      : g.op("Div", [total, i64(B * 2 ** (logitFracBits - LOSS_FRAC_BITS))]);
  g.op("Identity", [scaled], {}, { out: LOSS_OUTPUT });

  // Backward and update, last layer first.
  for (let l = L - 1; l >= 0; l--) {
    const c = format.layers[l]!;
    const gradW = ops.matmul(ops.transpose(fwd.acts[l]!), dz, B);
    const gradB = ops.reduceSum(dz, 0, B);
    if (l > 0) {
      const dA = ops.matmul(dz, ops.transpose(fwd.weights8[l]!), layers[l + 1]!);
      const below = format.layers[l - 1]!;
      const q = ops.clamp(
        ops.roundShift(dA, c.gradFracBits + c.weightFracBits - below.gradFracBits),
        -HIDDEN_GRAD_BOUND,
        HIDDEN_GRAD_BOUND,
      );
      const a = fwd.acts32[l]!;
      const live = g.op("And", [
        g.op("Greater", [a.name, ops.int32(0)]),
        g.op("Less", [a.name, ops.int32(ACTIVATION_MAX)]),
      ]);
      dz = value(g.op("Where", [live, q.name, ops.int32(0)]), "int32", q.lo, q.hi);
    }
    update(ops, weightName(l), gradW, c.weightUpdate);
    update(ops, biasName(l), gradB, c.biasUpdate);
  }
  declareStepOutputs(g, info);
  return { bytes: g.encode({ [PROGRAM_METADATA_KEY]: JSON.stringify(info) }), info };
}

function update(ops: ExactOps, param: string, grad: IntValue, c: ExactUpdateConstants): void {
  const { g } = ops;
  const momentumName = `${param}.momentum`;
  const gv = ops.shift(grad, c.gradShift);
  const v = value(momentumName, "int32", -c.momentumBound, c.momentumBound);
  const decayed = ops.roundShift(ops.mulConst(v, c.momentumNum), MOMENTUM_DENOM_BITS);
  const sum = ops.add(decayed, gv);
  const vNext = g.op(
    "Clip",
    [sum.name, ops.int32(-c.momentumBound), ops.int32(c.momentumBound)],
    {},
    {
      out: nextName(momentumName),
    },
  );
  const v2 = value(vNext, "int32", -c.momentumBound, c.momentumBound);
  const step = ops.roundShift(ops.mulConst(v2, c.lrNum), c.lrShift);
  const p = value(param, "int32", c.paramMin, c.paramMax);
  const moved = ops.sub(p, step);
  g.op(
    "Clip",
    [moved.name, ops.int32(c.paramMin), ops.int32(c.paramMax)],
    {},
    { out: nextName(param) },
  );
}
