// The prover/verifier API: proofs verify in TypeScript, tampering is rejected, and bad
// inputs are refused by validation (ElementInputError) before snarkjs ever runs.
import { expect } from "chai";

import {
  commitElement,
  ElementProver,
  type ElementProofResult,
} from "../../../src/zk/element-prover.ts";
import { ElementInputError, ProverClosedError } from "../../../src/zk/errors.ts";
import { SNARK_SCALAR_FIELD, randomFieldElement } from "../../../src/zk/field.ts";
import { elementOutput } from "../../../src/zk/fixed-point.ts";
import { randomVector, seededRandom } from "./fixtures.ts";

async function expectInputError(work: Promise<unknown>, message: string): Promise<void> {
  let caught: unknown;
  try {
    await work;
  } catch (error) {
    caught = error;
  }
  expect(caught, "expected an ElementInputError").to.be.instanceOf(ElementInputError);
  expect((caught as Error).message).to.contain(message);
}

describe("zk: ElementProver", () => {
  let prover: ElementProver;
  let a: bigint[];
  let b: bigint[];
  let salts: { saltA: bigint; saltB: bigint; saltOut: bigint };
  let proven: ElementProofResult;

  before(async () => {
    prover = await ElementProver.open();
    const next = seededRandom(5);
    a = randomVector(next, prover.params.n, prover.params.aBits);
    b = randomVector(next, prover.params.n, prover.params.bBits);
    salts = {
      saltA: randomFieldElement(),
      saltB: randomFieldElement(),
      saltOut: randomFieldElement(),
    };
    proven = await prover.prove({ a, b, ...salts });
  });
  after(async () => {
    await prover.close();
  });

  it("proves the element of a and b and the proof verifies for their commitments", async () => {
    expect(proven.out).to.equal(elementOutput(a, b, prover.params));
    const { out, ...commitments } = await commitElement({ a, b, ...salts }, prover.params);
    expect(out).to.equal(proven.out);
    expect(proven.commitments).to.deep.equal(commitments);
    expect(await prover.verify(proven.commitments, proven.proof)).to.equal(true);
  });

  it("accepts number inputs and an explicit, correct out", async () => {
    const again = await prover.prove({
      a: a.map(Number),
      b: b.map(Number),
      out: Number(proven.out),
      ...salts,
    });
    expect(again.commitments).to.deep.equal(proven.commitments);
    expect(await prover.verify(again.commitments, again.proof)).to.equal(true);
  });

  it("rejects the proof for any other commitment", async () => {
    for (const key of ["commitA", "commitB", "commitOut"] as const) {
      const tampered = { ...proven.commitments, [key]: proven.commitments[key] + 1n };
      expect(await prover.verify(tampered, proven.proof), key).to.equal(false);
    }
    const outOfField = {
      ...proven.commitments,
      commitA: proven.commitments.commitA + SNARK_SCALAR_FIELD,
    };
    expect(await prover.verify(outOfField, proven.proof)).to.equal(false);
  });

  it("rejects tampered proofs", async () => {
    const { proof } = proven;
    const tampered = [
      { ...proof, a: [proof.a[0], proof.a[1] + 1n] as const }, // off the curve
      { ...proof, a: proof.c, c: proof.a }, // valid points, wrong places
      { ...proof, b: [proof.b[1], proof.b[0]] as const },
    ];
    for (const [i, t] of tampered.entries())
      expect(await prover.verify(proven.commitments, t), `tampering #${i}`).to.equal(false);
  });

  it("refuses out-of-range and malformed inputs before proving, naming the problem", async () => {
    const { n, aBits, bBits } = prover.params;
    const aMax = (1n << BigInt(aBits - 1)) - 1n;
    const bMin = -(1n << BigInt(bBits - 1));
    await expectInputError(
      prover.prove({ a: a.map((x, i) => (i === 3 ? aMax + 1n : x)), b, ...salts }),
      `a[3] = ${aMax + 1n} is outside the signed ${aBits}-bit range`,
    );
    await expectInputError(
      prover.prove({ a, b: b.map((x, i) => (i === n - 1 ? bMin - 1n : x)), ...salts }),
      `b[${n - 1}] = ${bMin - 1n} is outside the signed ${bBits}-bit range`,
    );
    await expectInputError(
      prover.prove({ a: a.slice(1), b, ...salts }),
      `a has ${n - 1} elements, the circuit takes N = ${n}`,
    );
    await expectInputError(
      prover.prove({ a, b, out: proven.out + 1n, ...salts }),
      `out = ${proven.out + 1n} is not the element of a and b, which is ${proven.out}`,
    );
    await expectInputError(
      prover.prove({ a, b, out: 1n << 40n, ...salts }),
      `is outside the signed ${prover.params.outBits}-bit range`,
    );
    await expectInputError(prover.prove({ a, b, ...salts, saltB: SNARK_SCALAR_FIELD }), "saltB");
    await expectInputError(prover.prove({ a: [...a.slice(1), 0.5], b, ...salts }), "a[63]");
  });

  it("refuses to work after close", async () => {
    const other = await ElementProver.open(prover.circuit);
    await other.close();
    let caught: unknown;
    try {
      await other.verify(proven.commitments, proven.proof);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ProverClosedError);
    // Closing one prover leaves the others working.
    expect(await prover.verify(proven.commitments, proven.proof)).to.equal(true);
  });
});
