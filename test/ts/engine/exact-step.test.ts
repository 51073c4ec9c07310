import { expect } from "chai";
import ort from "onnxruntime-node";

import { assembleBatch, batchIndices } from "../../../src/data/batch-schedule.ts";
import { loadMnist } from "../../../src/data/mnist.ts";
import { ProgramError, StateError } from "../../../src/engine/errors.ts";
import { exactOps, value } from "../../../src/engine/exact-graph-ops.ts";
import { buildExactMlpProgram } from "../../../src/engine/exact-mlp-program.ts";
import { deriveExactFormat } from "../../../src/engine/fixed-point.ts";
import { createGraphBuilder, onnx } from "../../../src/engine/onnx-graph.ts";
import { loadProgram } from "../../../src/engine/program-loader.ts";
import { openStepSession } from "../../../src/engine/runtime.ts";
import {
  assertStateInRange,
  initialState,
  type TrainingState,
} from "../../../src/engine/training-state.ts";
import { exactReferenceStep } from "./helpers/reference-exact.ts";
import { SMALL_BATCH, smallProgram, smallSamples } from "./helpers/fixtures.ts";

const ROOT = `0x${"ab".repeat(32)}` as const;
const SEED = `0x${"cd".repeat(32)}` as const;

async function compareWithReference(
  built: ReturnType<typeof smallProgram>,
  samples: ReturnType<typeof smallSamples>,
  steps: number,
): Promise<void> {
  const program = loadProgram(built.bytes);
  const session = await openStepSession(program);
  try {
    let state: TrainingState = initialState(program.info, "reference");
    for (let t = 0; t < steps; t++) {
      const batch = assembleBatch(
        samples,
        batchIndices(ROOT, SEED, 1n, t, program.info.batchSize, samples.count),
      );
      const want = exactReferenceStep(program.info, state, batch);
      const got = await session.step(state, batch);
      expect(got.loss, `loss at step ${t}`).to.equal(want.loss);
      program.info.state.forEach((spec, i) => {
        const a = got.state.values[i] as Int32Array;
        const b = want.values[i]!;
        const firstDiff = a.findIndex((v, k) => v !== b[k]);
        expect(firstDiff, `${spec.name} at step ${t}: first differing element`).to.equal(-1);
      });
      // The reference moved something: a test of equal no-ops would prove nothing.
      expect(want.values.some((v, i) => v.some((x, k) => x !== state.values[i]![k]))).to.equal(
        true,
      );
      state = got.state;
    }
  } finally {
    await session.close();
  }
}

async function runGraph(
  build: (g: ReturnType<typeof createGraphBuilder>) => void,
  feeds: Record<string, ort.Tensor>,
): Promise<Int32Array> {
  const g = createGraphBuilder("probe");
  build(g);
  const session = await ort.InferenceSession.create(g.encode({}), {
    intraOpNumThreads: 1,
    graphOptimizationLevel: "disabled",
    executionMode: "sequential",
  });
  try {
    return (await session.run(feeds))["out"]!.data as Int32Array;
  } finally {
    await session.release();
  }
}

function plainMatmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let t = 0; t < k; t++) acc += a[i * k + t]! * b[t * n + j]!;
      out.push(acc);
    }
  return out;
}

/** VPMADDUBSW: u8×s8 products summed in pairs with signed 16-bit saturation. */
function vpmaddubswPair(a0: number, b0: number, a1: number, b1: number): number {
  return Math.max(-32768, Math.min(32767, a0 * b0 + a1 * b1));
}

describe("exact-mode train step", function () {
  it("matches the plain-integer reference bit for bit over several steps of a 3-layer MLP", async function () {
    await compareWithReference(smallProgram("exact"), smallSamples(), 6);
  });

  it("matches the plain-integer reference bit for bit on the 784-256-10 MNIST program", async function () {
    const { train } = loadMnist();
    const built = buildExactMlpProgram({
      layers: [784, 256, 10],
      batchSize: 64,
      optimizer: { kind: "sgd", learningRate: 0.1, momentum: 0.9 },
    });
    await compareWithReference(built, train, 2);
  });

  it("computes exact sums for worst-case u8×s8 operands (127 × −128) through MatMulInteger", async function () {
    const K = 1024;
    const a = new Uint8Array(2 * K).fill(127);
    const b = new Int8Array(K * 3);
    for (let t = 0; t < K; t++) {
      b[t * 3] = -128;
      b[t * 3 + 1] = 127;
      b[t * 3 + 2] = t % 2 === 0 ? -128 : 127;
    }
    const out = await runGraph(
      (g) => {
        const ops = exactOps(g);
        const left = value(g.input("a", "uint8", [2, K]), "uint8", 0, 127);
        const right = value(g.input("b", "int8", [K, 3]), "int8", -128, 127);
        g.op("Identity", [ops.matmul(left, right, K).name], {}, { out: "out" });
        g.output("out", "int32", [2, 3]);
      },
      { a: new ort.Tensor("uint8", a, [2, K]), b: new ort.Tensor("int8", b, [K, 3]) },
    );
    expect(Array.from(out)).to.deep.equal(plainMatmul(a, b, 2, K, 3));
    expect(out[0]).to.equal(-127 * 128 * K);
  });

  it("splits signed and 15-bit operands into non-saturating limbs and keeps the sum exact", async function () {
    const K = 4;
    const M = 3;
    const N = 2;
    const bound = 2 ** 14 - 1;
    const a = Int32Array.from([
      bound,
      -bound,
      77,
      -5,
      -bound,
      -bound,
      -bound,
      -bound,
      0,
      1,
      -1,
      bound,
    ]);
    const b = Int32Array.from([bound, -bound, -bound, bound, 128, -129, -bound, -bound]);
    let matmuls = 0;
    const out = await runGraph(
      (g) => {
        const ops = exactOps(g);
        const left = value(g.input("a", "int32", [M, K]), "int32", -bound, bound);
        const right = value(g.input("b", "int32", [K, N]), "int32", -bound, bound);
        g.op("Identity", [ops.matmul(left, right, K).name], {}, { out: "out" });
        g.output("out", "int32", [M, N]);
        const bytes = g.encode({});
        matmuls = (onnx.ModelProto.decode(bytes).graph?.node ?? []).filter(
          (n) => n.opType === "MatMulInteger",
        ).length;
      },
      { a: new ort.Tensor("int32", a, [M, K]), b: new ort.Tensor("int32", b, [K, N]) },
    );
    expect(Array.from(out)).to.deep.equal(plainMatmul(a, b, M, K, N));
    // Left: positive and negative parts, two 7-bit limbs each; right: two limbs.
    expect(matmuls).to.equal(8);
  });

  it("keeps u8×s8 operands where a VPMADDUBSW pair sum cannot saturate, and the full u8 range would", function () {
    // Within the bound (u8 ≤ 127), every pair of extreme products sums exactly.
    for (const a0 of [0, 1, 126, 127])
      for (const a1 of [0, 127])
        for (const b0 of [-128, -1, 0, 127])
          for (const b1 of [-128, 127])
            expect(vpmaddubswPair(a0, b0, a1, b1)).to.equal(a0 * b0 + a1 * b1);
    // With the full u8 range the same instruction saturates: the bound is necessary.
    expect(vpmaddubswPair(255, -128, 255, -128)).to.not.equal(255 * -128 * 2);
    expect(vpmaddubswPair(200, 127, 200, 127)).to.not.equal(200 * 127 * 2);
    // So a wider left operand is split into 7-bit limbs rather than fed whole.
    const g = createGraphBuilder("split");
    const ops = exactOps(g);
    const wide = value(g.input("a", "int32", [1, 8]), "int32", 0, 255);
    const right = value(g.input("b", "int8", [8, 1]), "int8", -128, 127);
    ops.matmul(wide, right, 8);
    const nodes = onnx.ModelProto.decode(g.encode({})).graph?.node ?? [];
    expect(nodes.filter((n) => n.opType === "MatMulInteger")).to.have.length(2);
  });

  it("refuses to build a product whose int32 accumulator could overflow", function () {
    const g = createGraphBuilder("overflow");
    const ops = exactOps(g);
    const a = value(g.input("a", "uint8", [1, 200_000]), "uint8", 0, 127);
    const b = value(g.input("b", "int8", [200_000, 1]), "int8", -128, 127);
    expect(() => ops.matmul(a, b, 200_000)).to.throw(ProgramError, /overflow/);
  });

  it("refuses fixed-point formats that cannot hold the parameters", function () {
    const hyper = { layers: [784, 256, 10], batchSize: 64, learningRate: 0.1, momentum: 0.9 };
    expect(() => deriveExactFormat(hyper, { weightFracBits: [0, 0] })).to.throw(
      ProgramError,
      /exceed 2\^30/,
    );
    expect(() => deriveExactFormat({ ...hyper, learningRate: 1e6 })).to.throw(
      ProgramError,
      /learning rate/,
    );
    expect(() => deriveExactFormat({ ...hyper, momentum: 0.999 })).to.throw(
      ProgramError,
      /momentum/,
    );
    expect(() => deriveExactFormat(hyper, { weightFracBits: [9] })).to.throw(
      ProgramError,
      /2 layers|layers/,
    );
  });

  it("rejects a state outside the ranges the exact program is proven safe for", function () {
    const { info } = smallProgram("exact");
    const state = initialState(info, "range");
    expect(() => assertStateInRange(info, state)).to.not.throw();
    const bad = { ...state, values: state.values.map((v) => v.slice()) };
    (bad.values[0] as Int32Array)[3] = 2 ** 31 - 1;
    expect(() => assertStateInRange(info, bad)).to.throw(
      StateError,
      /layer0\.weight\[3\].*outside/,
    );
    expect(SMALL_BATCH).to.equal(info.batchSize);
  });
});
