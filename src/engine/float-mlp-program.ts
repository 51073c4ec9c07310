// The tolerance-mode (float32) train step of an MLP as one ONNX graph: forward with
// ReLU, softmax cross-entropy (mean over the batch), the hand-written backward pass
// and an SGD-with-momentum or Adam update. Parameters and optimizer state go in and
// come out updated, with the loss of the batch before the update.
import { createGraphBuilder, type GraphBuilder } from "./onnx-graph.ts";
import {
  LOSS_OUTPUT,
  declareStepInputs,
  declareStepOutputs,
  PROGRAM_FORMAT,
  PROGRAM_METADATA_KEY,
  nextName,
  type OptimizerSpec,
  type ProgramInfo,
  type StateTensorSpec,
} from "./program-info.ts";

export interface MlpShape {
  /** Layer widths, input first: [784, 256, 10]. */
  layers: readonly number[];
  batchSize: number;
}

export function weightName(layer: number): string {
  return `layer${layer}.weight`;
}
export function biasName(layer: number): string {
  return `layer${layer}.bias`;
}

/** State tensors of an MLP in canonical order: parameters by layer, then optimizer state. */
export function mlpStateSpecs(
  layers: readonly number[],
  optimizer: OptimizerSpec["kind"],
  dtype: "float32" | "int32",
  paramFracBits: number,
  optimizerFracBits: (layer: number, bias: boolean) => number = () => 0,
): StateTensorSpec[] {
  const params: { spec: StateTensorSpec; layer: number; bias: boolean }[] = [];
  for (let l = 0; l + 1 < layers.length; l++) {
    const shapes: [string, number[], boolean][] = [
      [weightName(l), [layers[l]!, layers[l + 1]!], false],
      [biasName(l), [layers[l + 1]!], true],
    ];
    for (const [name, shape, bias] of shapes)
      params.push({
        spec: { name, role: "param", dtype, shape, fracBits: paramFracBits },
        layer: l,
        bias,
      });
  }
  const slots = optimizer === "sgd" ? ["momentum"] : ["adam_m", "adam_v"];
  const extra: StateTensorSpec[] = slots.flatMap((slot) =>
    params.map(({ spec, layer, bias }) => ({
      name: `${spec.name}.${slot}`,
      role: "optimizer" as const,
      dtype,
      shape: spec.shape,
      fracBits: optimizerFracBits(layer, bias),
    })),
  );
  return [...params.map((p) => p.spec), ...extra];
}

/** One-hot labels [B, C] (bool) from int32 class indices [B]. */
export function oneHot(g: GraphBuilder, labels: string, classes: number): string {
  const column = g.op("Unsqueeze", [labels, g.int64s([1])]);
  const range = g.constant(
    "int32",
    [1, classes],
    Int32Array.from({ length: classes }, (_, i) => i),
  );
  return g.op("Equal", [column, range]);
}

export interface FloatMlpOptions extends MlpShape {
  optimizer: OptimizerSpec;
}

export function floatMlpInfo(options: FloatMlpOptions): ProgramInfo {
  return {
    format: PROGRAM_FORMAT,
    numerics: "tolerance",
    model: { kind: "mlp", layers: [...options.layers] },
    batchSize: options.batchSize,
    optimizer: options.optimizer,
    state: mlpStateSpecs(options.layers, options.optimizer.kind, "float32", 0),
    loss: { dtype: "float32" },
  };
}

/**
 * The float forward pass over parameters named by `weightName`/`biasName`:
 * `acts[l]` feeds layer l (acts[0] = x), `pre[l]` is layer l's pre-activation.
 */
export function floatForward(
  g: GraphBuilder,
  layerCount: number,
  x: string,
): { acts: string[]; pre: string[] } {
  const acts: string[] = [x];
  const pre: string[] = [];
  for (let l = 0; l < layerCount; l++) {
    const z = g.op("Add", [g.op("MatMul", [acts[l]!, weightName(l)]), biasName(l)]);
    pre.push(z);
    if (l + 1 < layerCount) acts.push(g.op("Relu", [z]));
  }
  return { acts, pre };
}

/** Float features in [0, 1] from raw uint8 features. */
export function floatFeatures(g: GraphBuilder, features: string): string {
  return g.op("Mul", [g.op("Cast", [features], { to: { i: 1 } }), g.scalar("float32", 1 / 255)]);
}

/** Builds the float train-step program; returns its bytes and declaration. */
export function buildFloatMlpProgram(options: FloatMlpOptions): {
  bytes: Uint8Array;
  info: ProgramInfo;
} {
  const info = floatMlpInfo(options);
  const { layers, batchSize: B } = options;
  const L = layers.length - 1;
  const C = layers[L]!;
  const g = createGraphBuilder("assay_float_mlp_step");

  // SGD ignores the step index.
  const { features, labels, step } = declareStepInputs(g, info);

  const f = (v: number): string => g.scalar("float32", v);
  const x = floatFeatures(g, features);
  const y = g.op("Cast", [oneHot(g, labels, C)], { to: { i: 1 } });

  const { acts, pre } = floatForward(g, L, x);
  const logits = pre[L - 1]!;
  const logp = g.op("LogSoftmax", [logits], { axis: { i: 1 } });
  const nll = g.op("ReduceSum", [g.op("Mul", [logp, y])], { keepdims: { i: 0 } });
  g.op("Mul", [nll, f(-1 / B)], {}, { out: LOSS_OUTPUT });

  // Backward: dZ of the mean loss, then per layer dW = Aᵀ·dZ, db = Σ dZ, dA = dZ·Wᵀ.
  const grads = new Map<string, string>();
  let dz = g.op("Mul", [g.op("Sub", [g.op("Exp", [logp]), y]), f(1 / B)]);
  for (let l = L - 1; l >= 0; l--) {
    grads.set(weightName(l), g.op("Gemm", [acts[l]!, dz], { transA: { i: 1 } }));
    grads.set(biasName(l), g.op("ReduceSum", [dz, g.int64s([0])], { keepdims: { i: 0 } }));
    if (l > 0) {
      const da = g.op("Gemm", [dz, weightName(l)], { transB: { i: 1 } });
      dz = g.op("Where", [g.op("Greater", [pre[l - 1]!, f(0)]), da, f(0)]);
    }
  }

  const params = info.state.filter((t) => t.role === "param");
  const opt = options.optimizer;
  if (opt.kind === "sgd") {
    for (const p of params) {
      const v = `${p.name}.momentum`;
      const vNext = g.op(
        "Add",
        [g.op("Mul", [v, f(opt.momentum)]), grads.get(p.name)!],
        {},
        {
          out: nextName(v),
        },
      );
      g.op(
        "Sub",
        [p.name, g.op("Mul", [vNext, f(opt.learningRate)])],
        {},
        { out: nextName(p.name) },
      );
    }
  } else {
    // Adam with PyTorch's bias correction: t = step + 1.
    const t = g.op("Cast", [g.op("Add", [step, g.scalar("int64", 1)])], { to: { i: 1 } });
    const bc1 = g.op("Sub", [f(1), g.op("Pow", [f(opt.beta1), t])]);
    const bc2 = g.op("Sub", [f(1), g.op("Pow", [f(opt.beta2), t])]);
    const stepSize = g.op("Div", [f(opt.learningRate), bc1]);
    const invSqrtBc2 = g.op("Div", [f(1), g.op("Sqrt", [bc2])]);
    for (const p of params) {
      const grad = grads.get(p.name)!;
      const m = `${p.name}.adam_m`;
      const v = `${p.name}.adam_v`;
      const mNext = g.op(
        "Add",
        [g.op("Mul", [m, f(opt.beta1)]), g.op("Mul", [grad, f(1 - opt.beta1)])],
        {},
        { out: nextName(m) },
      );
      const vNext = g.op(
        "Add",
        [
          g.op("Mul", [v, f(opt.beta2)]),
          g.op("Mul", [g.op("Mul", [grad, grad]), f(1 - opt.beta2)]),
        ],
        {},
        { out: nextName(v) },
      );
      const denom = g.op("Add", [g.op("Mul", [g.op("Sqrt", [vNext]), invSqrtBc2]), f(opt.epsilon)]);
      const delta = g.op("Mul", [g.op("Div", [mNext, denom]), stepSize]);
      g.op("Sub", [p.name, delta], {}, { out: nextName(p.name) });
    }
  }
  declareStepOutputs(g, info);

  return { bytes: g.encode({ [PROGRAM_METADATA_KEY]: JSON.stringify(info) }), info };
}
