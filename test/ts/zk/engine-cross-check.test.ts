// The circuit's relation against the learning engine's own integer matrix product: the
// ONNX graph that src/engine/exact-graph-ops.ts builds (u8×s8 MatMulInteger limbs,
// round-half-up shift, saturation), run on ONNX Runtime with the reproducible settings.
// Every element of the engine's product must equal src/zk's element, which the circuit
// tests tie to the circuit.
import { expect } from "chai";
import ort from "onnxruntime-node";

import { exactOps, value } from "../../../src/engine/exact-graph-ops.ts";
import { createGraphBuilder } from "../../../src/engine/onnx-graph.ts";
import { loadElementCircuit } from "../../../src/zk/element-circuit.ts";
import { signedRange, type ElementParams } from "../../../src/zk/element-params.ts";
import { elementOutput } from "../../../src/zk/fixed-point.ts";
import { randomVector, seededRandom } from "./fixtures.ts";

async function engineProduct(p: ElementParams, A: bigint[][], Bt: bigint[][]): Promise<Int32Array> {
  const M = A.length;
  const K = Bt.length;
  const g = createGraphBuilder("element-cross-check");
  const ops = exactOps(g);
  const a = signedRange(p.aBits);
  const b = signedRange(p.bBits);
  const left = value(g.input("a", "int32", [M, p.n]), "int32", Number(a.min), Number(a.max));
  const right = value(g.input("b", "int32", [p.n, K]), "int32", Number(b.min), Number(b.max));
  const acc = ops.matmul(left, right, p.n);
  const o = signedRange(p.outBits);
  const out = ops.clamp(ops.roundShift(acc, p.shift), Number(o.min), Number(o.max));
  g.op("Identity", [out.name], {}, { out: "out" });
  g.output("out", "int32", [M, K]);
  const session = await ort.InferenceSession.create(g.encode({}), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "disabled",
    executionMode: "sequential",
  });
  try {
    const feeds = {
      a: new ort.Tensor("int32", Int32Array.from(A.flat(), Number), [M, p.n]),
      b: new ort.Tensor(
        "int32",
        Int32Array.from({ length: p.n * K }, (_, i) => Number(Bt[i % K]![Math.floor(i / K)])),
        [p.n, K],
      ),
    };
    const result = await session.run(feeds);
    return result.out!.data as Int32Array;
  } finally {
    await session.release();
  }
}

describe("zk: the element equals the engine's integer matrix product", () => {
  const committed = loadElementCircuit().then((c) => c.params);
  const cases: (ElementParams | "committed")[] = [
    "committed",
    { n: 64, aBits: 8, bBits: 8, shift: 0, outBits: 16 },
    { n: 100, aBits: 8, bBits: 8, shift: 6, outBits: 8 },
  ];
  for (const c of cases) {
    const name =
      c === "committed"
        ? "the committed circuit's parameters"
        : `N=${c.n}, Ba=${c.aBits}, Bb=${c.bBits}, s=${c.shift}, Bo=${c.outBits}`;
    it(`on random matrices with extreme rows (${name})`, async () => {
      const p = c === "committed" ? await committed : c;
      const next = seededRandom(p.n + p.shift);
      const M = 6;
      const K = 5;
      const A = Array.from({ length: M }, () => randomVector(next, p.n, p.aBits));
      const Bt = Array.from({ length: K }, () => randomVector(next, p.n, p.bBits));
      A[0] = A[0]!.map(() => signedRange(p.aBits).min);
      A[1] = A[1]!.map(() => signedRange(p.aBits).max);
      const engine = await engineProduct(p, A, Bt);
      for (let i = 0; i < M; i++)
        for (let j = 0; j < K; j++)
          expect(BigInt(engine[i * K + j]!), `C[${i}][${j}]`).to.equal(
            elementOutput(A[i]!, Bt[j]!, p),
          );
    });
  }
});
