// The element relation, three ways: the TypeScript reference (src/zk/fixed-point.ts), an
// independent transcription of docs/fixed-point.md over an integer matrix product, and
// the circuit itself (its witness calculator evaluates every constraint assertion).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { commitVector } from "../../../src/zk/commitment.ts";
import { compileCircuit } from "../../../src/zk/circuit-build.ts";
import {
  REPO_ROOT,
  loadElementCircuit,
  type ElementCircuit,
} from "../../../src/zk/element-circuit.ts";
import { signedRange, type ElementParams } from "../../../src/zk/element-params.ts";
import { releaseZkWorkers } from "../../../src/zk/element-prover.ts";
import { elementOutput, requantize } from "../../../src/zk/fixed-point.ts";
import {
  circuitAccepts,
  edgeCaseVectors,
  randomVector,
  seededRandom,
  type ElementVectors,
} from "./fixtures.ts";

// docs/fixed-point.md transcribed with plain Numbers (exact: every value is below 2^31),
// deliberately not sharing code with src/zk/fixed-point.ts.
function docsRule(acc: number, s: number, bo: number): number {
  const rounded = s === 0 ? acc : Math.floor((acc + 2 ** (s - 1)) / 2 ** s);
  return Math.min(Math.max(rounded, -(2 ** (bo - 1))), 2 ** (bo - 1) - 1);
}

function integerMatmul(A: number[][], B: number[][]): number[][] {
  return A.map((row) => B[0]!.map((_, j) => row.reduce((acc, aik, k) => acc + aik * B[k]![j]!, 0)));
}

const VARIANTS: ElementParams[] = [
  { n: 64, aBits: 8, bBits: 8, shift: 8, outBits: 16 },
  { n: 64, aBits: 8, bBits: 8, shift: 0, outBits: 16 },
  { n: 33, aBits: 8, bBits: 8, shift: 4, outBits: 8 },
  { n: 7, aBits: 3, bBits: 12, shift: 1, outBits: 4 },
  { n: 256, aBits: 8, bBits: 8, shift: 12, outBits: 8 },
];

describe("zk: fixed-point element semantics", () => {
  it("requantize rounds half up (ties toward +∞) and saturates, as docs/fixed-point.md states", () => {
    const cases: [bigint, number, number, bigint][] = [
      [128n, 8, 16, 1n], // +0.5 → 1
      [127n, 8, 16, 0n],
      [-128n, 8, 16, 0n], // −0.5 → 0, not −1
      [-129n, 8, 16, -1n],
      [-384n, 8, 16, -1n], // −1.5 → −1
      [-385n, 8, 16, -2n],
      [1n << 30n, 8, 16, 32767n],
      [-(1n << 30n), 8, 16, -32768n],
      [40000n, 0, 16, 32767n],
      [-5n, 0, 16, -5n],
      [3n, 1, 4, 2n], // 1.5 → 2
      [-3n, 1, 4, -1n], // −1.5 → −1
    ];
    for (const [acc, s, bo, expected] of cases)
      expect(requantize(acc, s, bo), `requantize(${acc}, ${s}, ${bo})`).to.equal(expected);
  });

  for (const p of VARIANTS) {
    it(`equals one element of an integer matrix product (N=${p.n}, Ba=${p.aBits}, Bb=${p.bBits}, s=${p.shift}, Bo=${p.outBits})`, () => {
      const next = seededRandom(p.n * 1000 + p.shift * 10 + p.outBits);
      const M = 6;
      const K = 5;
      const A = Array.from({ length: M }, () => randomVector(next, p.n, p.aBits));
      const Bt = Array.from({ length: K }, () => randomVector(next, p.n, p.bBits));
      // One row of A scaled to the extremes, so both saturations appear in the product.
      A[0] = A[0]!.map(() => signedRange(p.aBits).min);
      const C = integerMatmul(
        A.map((r) => r.map(Number)),
        Array.from({ length: p.n }, (_, k) => Bt.map((col) => Number(col[k]))),
      );
      for (let i = 0; i < M; i++)
        for (let j = 0; j < K; j++)
          expect(elementOutput(A[i]!, Bt[j]!, p), `C[${i}][${j}]`).to.equal(
            BigInt(docsRule(C[i]![j]!, p.shift, p.outBits)),
          );
    });
  }
});

function witnessCases(p: ElementParams, seed: number, randomCount: number): ElementVectors[] {
  const next = seededRandom(seed);
  const random = Array.from({ length: randomCount }, (_, i) => ({
    label: `random #${i}`,
    a: randomVector(next, p.n, p.aBits),
    b: randomVector(next, p.n, p.bBits),
  }));
  return [...edgeCaseVectors(p), ...random];
}

async function expectCircuitComputesTheElement(
  wasmPath: string,
  p: ElementParams,
  cases: ElementVectors[],
): Promise<void> {
  const { min, max } = signedRange(p.outBits);
  for (const { label, a, b } of cases) {
    const out = elementOutput(a, b, p);
    const salts = { saltA: 11n, saltB: 22n, saltOut: 33n };
    const commitA = await commitVector(a, p.aBits, salts.saltA);
    const commitB = await commitVector(b, p.bBits, salts.saltB);
    const witness = async (claimed: bigint): Promise<boolean> =>
      circuitAccepts(wasmPath, {
        ...salts,
        commitA,
        commitB,
        // The committed out matches the claim, so only the relation can reject it.
        commitOut: await commitVector([claimed], p.outBits, salts.saltOut),
        a,
        b,
        out: claimed,
      });
    expect(await witness(out), `${label}: the element ${out} is accepted`).to.equal(true);
    for (const wrong of [out - 1n, out + 1n].filter((x) => x >= min && x <= max))
      expect(await witness(wrong), `${label}: ${wrong} instead of ${out} is rejected`).to.equal(
        false,
      );
  }
}

describe("zk: the element circuit computes the docs/fixed-point.md element", () => {
  let circuit: ElementCircuit;
  before(async () => {
    circuit = await loadElementCircuit();
  });
  after(releaseZkWorkers);

  it("the committed circuit accepts exactly the element on random and edge-case inputs", async () => {
    const p = circuit.params;
    await expectCircuitComputesTheElement(circuit.wasmPath, p, witnessCases(p, 7, 2));
  });

  it("the committed circuit's edge cases give the documented values", async () => {
    const p = circuit.params;
    const cases = edgeCaseVectors(p);
    const byLabel = new Map(cases.map((c) => [c.label, elementOutput(c.a, c.b, p)]));
    const { min, max } = signedRange(p.outBits);
    expect(byLabel.get("largest positive accumulator")).to.equal(
      requantize(BigInt(p.n) << BigInt(p.aBits + p.bBits - 2), p.shift, p.outBits),
    );
    if (p.shift > 0) {
      expect(byLabel.get("positive tie (+0.5 rounds up to 1)")).to.equal(1n > max ? max : 1n);
      expect(byLabel.get("negative tie (−0.5 rounds up to 0)")).to.equal(0n);
      expect(byLabel.get("negative tie (−1.5 rounds up to −1)")).to.equal(-1n < min ? min : -1n);
    }
  });

  describe("other instances of the template", () => {
    let scratch: string;
    before(async () => {
      scratch = await mkdtemp(path.join(tmpdir(), "assay-element-variants-"));
    });
    after(async () => {
      await rm(scratch, { recursive: true, force: true });
    });

    // The committed instance covers the shift and the comparators of the clamp; this one
    // covers s = 0 (clamp only) with a narrow output that saturates on both sides.
    for (const p of [{ n: 9, aBits: 6, bBits: 5, shift: 0, outBits: 5 }]) {
      it(`ElementProof(${p.n}, ${p.aBits}, ${p.bBits}, ${p.shift}, ${p.outBits}) accepts exactly the element`, async () => {
        const name = `element_${p.n}_${p.aBits}_${p.bBits}_${p.shift}_${p.outBits}`;
        const main = path.join(scratch, `${name}.circom`);
        await writeFile(
          main,
          `pragma circom 2.1.0;\ninclude "circuits/lib/element.circom";\n` +
            `component main {public [commitA, commitB, commitOut]} = ` +
            `ElementProof(${p.n}, ${p.aBits}, ${p.bBits}, ${p.shift}, ${p.outBits});\n`,
        );
        const compiled = await compileCircuit(REPO_ROOT, scratch, main);
        await expectCircuitComputesTheElement(compiled.wasmPath, p, witnessCases(p, p.n, 1));
      });
    }
  });
});
