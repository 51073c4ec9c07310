// What a train-step program declares about itself (its ONNX metadata entry
// `assay.program`, JSON). The loader checks the graph against this declaration and the
// runtime feeds and reads tensors by it, so both are parsed with zod, never trusted.
import { z } from "zod";

import { optimizerSchema } from "../protocol/job-spec.ts";
import type { GraphBuilder } from "./onnx-graph.ts";

export const PROGRAM_METADATA_KEY = "assay.program";
export const PROGRAM_FORMAT = "assay.train-step/1";

/** Graph input names (besides the state tensors, which keep their own names). */
export const FEATURES_INPUT = "features";
export const LABELS_INPUT = "labels";
export const STEP_INPUT = "step";
export const LOSS_OUTPUT = "loss";
/** The output carrying the updated value of state tensor `name`. */
export function nextName(name: string): string {
  return `next.${name}`;
}

export type Numerics = "exact" | "tolerance";

const positiveInt = z.number().int().positive();
const tensorName = z
  .string()
  .regex(/^[a-z][a-z0-9_.]{0,62}$/, "tensor names are lowercase [a-z0-9_.], at most 63 characters");

export const stateTensorSpecSchema = z.strictObject({
  name: tensorName,
  /** Parameters count towards update norms and tolerance distances; optimizer state does not. */
  role: z.enum(["param", "optimizer"]),
  dtype: z.enum(["float32", "int32"]),
  shape: z.array(positiveInt).min(1).max(4),
  /** Fixed-point fractional bits (exact mode); 0 for float tensors. */
  fracBits: z.number().int().min(0).max(32),
});
export type StateTensorSpec = z.infer<typeof stateTensorSpecSchema>;

export type OptimizerSpec = z.infer<typeof optimizerSchema>;

export const exactUpdateSchema = z.strictObject({
  /** Gradient accumulator fractional bits, before `gradShift`. */
  gradAccFracBits: z.number().int().min(0).max(48),
  /** Shift taking the gradient into momentum units: right (rounded) if > 0, exact left if < 0. */
  gradShift: z.number().int().min(-30).max(30),
  /** Momentum coefficient numerator over 2^8. */
  momentumNum: z.number().int().min(0).max(255),
  /** Learning-rate multiplier: Δparam = round(v · lrNum / 2^lrShift). */
  lrNum: z
    .number()
    .int()
    .min(1)
    .max(2 ** 16),
  lrShift: z.number().int().min(0).max(30),
  /** Saturation bounds of the master parameter (raw, inclusive). */
  paramMin: z.number().int(),
  paramMax: z.number().int(),
  /** Saturation bound of the momentum buffer (raw, symmetric, inclusive). */
  momentumBound: z.number().int().positive(),
});
/** Per-layer integer constants of an exact-mode program (docs/fixed-point.md). */
export const exactLayerSchema = z.strictObject({
  /** Fractional bits of the 8-bit forward weights. */
  weightFracBits: z.number().int().min(0).max(16),
  /** Fractional bits of this layer's input activations (uint8, 0..127). */
  inputFracBits: z.number().int().min(0).max(16),
  /** Fractional bits of this layer's pre-activation accumulator (int32). */
  accFracBits: z.number().int().min(0).max(40),
  /** Fractional bits of this layer's output gradient dZ. */
  gradFracBits: z.number().int().min(0).max(24),
  /** Bits of dZ as a matmul operand: 8 (hidden layers) or 15 (the output layer). */
  gradBits: z.union([z.literal(8), z.literal(15)]),
  /** Per parameter tensor: the update's integer constants. */
  weightUpdate: exactUpdateSchema,
  biasUpdate: exactUpdateSchema,
});

export type ExactUpdateConstants = z.infer<typeof exactUpdateSchema>;
export type ExactLayerConstants = z.infer<typeof exactLayerSchema>;

export const exactFormatSchema = z.strictObject({
  /** Fractional bits of master parameters (all parameter tensors share it). */
  paramFracBits: z.number().int().min(0).max(32),
  /** Fractional bits of the loss output. */
  lossFracBits: z.number().int().min(0).max(32),
  layers: z.array(exactLayerSchema).min(1),
});
export type ExactFormat = z.infer<typeof exactFormatSchema>;

export const programInfoSchema = z
  .strictObject({
    format: z.literal(PROGRAM_FORMAT),
    numerics: z.enum(["exact", "tolerance"]),
    model: z.strictObject({
      kind: z.literal("mlp"),
      /** Layer widths, input first: [784, 256, 10]. */
      layers: z.array(positiveInt.max(65_536)).min(2).max(16),
    }),
    batchSize: positiveInt.max(65_536),
    optimizer: optimizerSchema,
    state: z.array(stateTensorSpecSchema).min(1).max(256),
    loss: z.discriminatedUnion("dtype", [
      z.strictObject({ dtype: z.literal("float32") }),
      z.strictObject({ dtype: z.literal("int64"), fracBits: z.number().int().min(0).max(32) }),
    ]),
    fixedPoint: exactFormatSchema.optional(),
  })
  .superRefine((info, ctx) => {
    const classes = info.model.layers.at(-1)!;
    if (classes < 2 || classes > 256)
      ctx.addIssue({ code: "custom", message: "the output layer needs 2 to 256 classes" });
    if (info.numerics === "exact") {
      if (info.fixedPoint === undefined)
        ctx.addIssue({ code: "custom", message: "an exact program needs its fixedPoint section" });
      if (info.loss.dtype !== "int64")
        ctx.addIssue({ code: "custom", message: "an exact program reports an int64 loss" });
      if (info.optimizer.kind !== "sgd")
        ctx.addIssue({ code: "custom", message: "exact mode supports SGD with momentum only" });
      for (const t of info.state)
        if (t.dtype !== "int32")
          ctx.addIssue({ code: "custom", message: `exact state tensor ${t.name} must be int32` });
    } else {
      if (info.fixedPoint !== undefined)
        ctx.addIssue({ code: "custom", message: "a tolerance program has no fixedPoint section" });
      if (info.loss.dtype !== "float32")
        ctx.addIssue({ code: "custom", message: "a tolerance program reports a float32 loss" });
      for (const t of info.state)
        if (t.dtype !== "float32" || t.fracBits !== 0)
          ctx.addIssue({ code: "custom", message: `float state tensor ${t.name} must be float32` });
    }
    const names = new Set(info.state.map((t) => t.name));
    if (names.size !== info.state.length)
      ctx.addIssue({ code: "custom", message: "state tensor names must be unique" });
  });
export type ProgramInfo = z.infer<typeof programInfoSchema>;

export function paramSpecs(info: ProgramInfo): StateTensorSpec[] {
  return info.state.filter((t) => t.role === "param");
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Declares on `g` the inputs of the step signature every program has, in this order (the runtime
 * feeds them by name: runtime.ts): features [B, F] uint8, labels [B] int32, the step index (int64
 * scalar; a program may ignore it), then each state tensor.
 */
export function declareStepInputs(
  g: GraphBuilder,
  info: ProgramInfo,
): { features: string; labels: string; step: string } {
  const features = g.input(FEATURES_INPUT, "uint8", [info.batchSize, info.model.layers[0]!]);
  const labels = g.input(LABELS_INPUT, "int32", [info.batchSize]);
  const step = g.input(STEP_INPUT, "int64", []);
  for (const t of info.state) g.input(t.name, t.dtype, t.shape);
  return { features, labels, step };
}

/**
 * Declares on `g` the outputs of the step signature: the loss (raw int64 fixed point for exact
 * programs, float32 for tolerance ones), then each state tensor's next value, in state order.
 */
export function declareStepOutputs(g: GraphBuilder, info: ProgramInfo): void {
  g.output(LOSS_OUTPUT, info.numerics === "exact" ? "int64" : "float32", []);
  for (const t of info.state) g.output(nextName(t.name), t.dtype, t.shape);
}
