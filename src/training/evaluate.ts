// Held-out evaluation: a forward-only program with the same numerics as the train step
// (the exact one uses the same 8-bit weights and integer forward pass), run over a
// sample set in fixed-size chunks. Not part of the protocol; used to report accuracy.
import ort from "onnxruntime-node";

import type { SampleSet } from "../data/dataset.ts";
import { RuntimeError } from "../engine/errors.ts";
import { exactForward } from "../engine/exact-mlp-program.ts";
import { floatFeatures, floatForward } from "../engine/float-mlp-program.ts";
import { createGraphBuilder } from "../engine/onnx-graph.ts";
import { FEATURES_INPUT, paramSpecs, type ProgramInfo } from "../engine/program-info.ts";
import type { TrainingState } from "../engine/training-state.ts";

const EVAL_CHUNK = 500;

export function buildEvalProgram(info: ProgramInfo, chunk = EVAL_CHUNK): Uint8Array {
  const g = createGraphBuilder("assay_mlp_eval");
  const layers = info.model.layers;
  const L = layers.length - 1;
  const features = g.input(FEATURES_INPUT, "uint8", [chunk, layers[0]!]);
  for (const p of paramSpecs(info)) g.input(p.name, p.dtype, p.shape);
  let logits: string;
  if (info.numerics === "tolerance") {
    logits = floatForward(g, L, floatFeatures(g, features)).pre[L - 1]!;
  } else {
    logits = exactForward(g, info, features).logits.name;
  }
  g.op("Identity", [logits], {}, { out: "logits" });
  g.output("logits", info.numerics === "tolerance" ? "float32" : "int32", [chunk, layers[L]!]);
  return g.encode({});
}

export interface Evaluation {
  accuracy: number;
  correct: number;
  count: number;
}

/** Classification accuracy of `state`'s parameters on `samples` (argmax, ties to the lower class). */
export async function evaluateAccuracy(
  info: ProgramInfo,
  state: TrainingState,
  samples: SampleSet,
): Promise<Evaluation> {
  const session = await ort.InferenceSession.create(buildEvalProgram(info), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "disabled",
    executionMode: "sequential",
  });
  try {
    const F = samples.featureCount;
    const C = info.model.layers.at(-1)!;
    const params: Record<string, ort.Tensor> = {};
    info.state.forEach((t, i) => {
      if (t.role === "param") params[t.name] = new ort.Tensor(t.dtype, state.values[i]!, t.shape);
    });
    let correct = 0;
    for (let start = 0; start < samples.count; start += EVAL_CHUNK) {
      const n = Math.min(EVAL_CHUNK, samples.count - start);
      const chunk = new Uint8Array(EVAL_CHUNK * F);
      chunk.set(samples.features.subarray(start * F, (start + n) * F));
      let out: ort.InferenceSession.OnnxValueMapType;
      try {
        out = await session.run({
          ...params,
          [FEATURES_INPUT]: new ort.Tensor("uint8", chunk, [EVAL_CHUNK, F]),
        });
      } catch (cause) {
        throw new RuntimeError("evaluation failed", { cause });
      }
      const logits = out["logits"]!.data as Float32Array | Int32Array;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let c = 1; c < C; c++) if (logits[i * C + c]! > logits[i * C + best]!) best = c;
        if (best === samples.labels[start + i]) correct += 1;
      }
    }
    return { accuracy: correct / samples.count, correct, count: samples.count };
  } finally {
    await session.release();
  }
}
