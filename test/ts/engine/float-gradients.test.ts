import { expect } from "chai";

import { assembleBatch, batchIndices } from "../../../src/data/batch-schedule.ts";
import { loadProgram } from "../../../src/engine/program-loader.ts";
import { openStepSession } from "../../../src/engine/runtime.ts";
import { initialState, type TrainingState } from "../../../src/engine/training-state.ts";
import type { OptimizerSpec } from "../../../src/engine/program-info.ts";
import { floatReferenceStep, lossAndGrads, paramsOf } from "./helpers/reference-float.ts";
import { ADAM, SMALL_LAYERS, smallProgram, smallSamples } from "./helpers/fixtures.ts";

const ROOT = `0x${"12".repeat(32)}` as const;
const SEED = `0x${"34".repeat(32)}` as const;

function maxRelativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  return worst / Math.max(scale, 1e-12);
}

describe("float-mode train step", function () {
  const samples = smallSamples();
  const batchAt = (t: number) =>
    assembleBatch(samples, batchIndices(ROOT, SEED, 1n, t, 8, samples.count));

  it("the TypeScript reference's gradients agree with central finite differences", function () {
    const { info } = smallProgram("tolerance");
    const state = initialState(info, "fd");
    const params = paramsOf(info, state);
    const batch = batchAt(0);
    const analytic = lossAndGrads(SMALL_LAYERS, params, batch);
    const h = 1e-6;
    let checked = 0;
    // Per tensor: the coordinate with the largest gradient and an arbitrary one.
    const probes: ["w" | "b", number, number][] = [];
    for (let l = 0; l < SMALL_LAYERS.length - 1; l++) {
      for (const [kind, grad] of [
        ["w", analytic.gradW[l]!],
        ["b", analytic.gradB[l]!],
      ] as const) {
        let best = 0;
        for (let i = 1; i < grad.length; i++)
          if (Math.abs(grad[i]!) > Math.abs(grad[best]!)) best = i;
        probes.push([kind, l, best], [kind, l, (7 * l + 3) % grad.length]);
      }
    }
    for (const [kind, l, index] of probes) {
      const tensor = kind === "w" ? params.weights[l]! : params.biases[l]!;
      const grad = kind === "w" ? analytic.gradW[l]! : analytic.gradB[l]!;
      const saved = tensor[index]!;
      tensor[index] = saved + h;
      const up = lossAndGrads(SMALL_LAYERS, params, batch).loss;
      tensor[index] = saved - h;
      const down = lossAndGrads(SMALL_LAYERS, params, batch).loss;
      tensor[index] = saved;
      const numeric = (up - down) / (2 * h);
      expect(Math.abs(numeric - grad[index]!), `${kind}${l}[${index}]`).to.be.below(
        1e-6 + 1e-4 * Math.abs(numeric),
      );
      if (Math.abs(grad[index]!) > 1e-4) checked += 1;
    }
    expect(checked).to.be.greaterThan(3);
  });

  for (const optimizer of [
    { kind: "sgd", learningRate: 0.05, momentum: 0.9 },
    ADAM,
  ] as OptimizerSpec[]) {
    it(`the ONNX ${optimizer.kind} step matches the TypeScript reference over several steps`, async function () {
      const program = loadProgram(smallProgram("tolerance", optimizer).bytes);
      const session = await openStepSession(program);
      try {
        let state: TrainingState = initialState(program.info, "float-ref");
        for (let t = 0; t < 4; t++) {
          const batch = batchAt(t);
          const want = floatReferenceStep(program.info, state, batch);
          const got = await session.step(state, batch);
          expect(Number(got.loss)).to.be.closeTo(want.loss, 1e-5 * Math.max(1, want.loss));
          program.info.state.forEach((spec, i) => {
            const err = maxRelativeError(got.state.values[i]!, want.values[i]!);
            expect(err, `${spec.name} at step ${t}`).to.be.below(1e-4);
          });
          state = got.state;
        }
      } finally {
        await session.close();
      }
    });
  }

  it("the ONNX gradient (recovered from a plain SGD step) matches the reference and finite differences of the ONNX loss", async function () {
    const lr = 1;
    const program = loadProgram(
      smallProgram("tolerance", { kind: "sgd", learningRate: lr, momentum: 0 }).bytes,
    );
    const session = await openStepSession(program);
    try {
      const state = initialState(program.info, "grad");
      const batch = batchAt(1);
      const { state: next, loss } = await session.step(state, batch);
      const reference = lossAndGrads(SMALL_LAYERS, paramsOf(program.info, state), batch);
      const w = program.info.state.findIndex((t) => t.name === "layer1.weight");
      const onnxGrad = Float64Array.from(
        state.values[w]!,
        (x, i) => (x - next.values[w]![i]!) / lr,
      );
      expect(maxRelativeError(onnxGrad, reference.gradW[1]!)).to.be.below(1e-3);
      // Finite differences of the program's own float32 loss, on the largest coordinates.
      const order = [...onnxGrad.keys()].sort(
        (a, b) => Math.abs(onnxGrad[b]!) - Math.abs(onnxGrad[a]!),
      );
      for (const index of order.slice(0, 3)) {
        const h = 1e-2;
        const probe = async (delta: number): Promise<number> => {
          const values = state.values.map((v) => v.slice());
          values[w]![index]! += delta;
          return Number((await session.step({ ...state, values }, batch)).loss);
        };
        const numeric = ((await probe(h)) - (await probe(-h))) / (2 * h);
        expect(numeric).to.be.closeTo(onnxGrad[index]!, 0.05 * Math.abs(onnxGrad[index]!) + 1e-4);
      }
      expect(Number(loss)).to.be.closeTo(reference.loss, 1e-5);
    } finally {
      await session.close();
    }
  });
});
