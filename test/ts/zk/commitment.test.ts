// The Poseidon commitments of src/zk/commitment.ts: the documented packing and chaining,
// circomlib's Poseidon test vector, and equality with the circuit's PackedCommitment
// (the circuit's witness calculator accepts TypeScript's commitments and nothing else).
import { expect } from "chai";

import {
  ITEMS_PER_CHUNK,
  commitVector,
  commitmentItems,
  poseidonHash,
} from "../../../src/zk/commitment.ts";
import { loadElementCircuit } from "../../../src/zk/element-circuit.ts";
import { ElementInputError } from "../../../src/zk/errors.ts";
import { SNARK_SCALAR_FIELD, randomFieldElement } from "../../../src/zk/field.ts";
import { elementOutput } from "../../../src/zk/fixed-point.ts";
import { circuitAccepts, randomVector, seededRandom } from "./fixtures.ts";

describe("zk: Poseidon commitments", () => {
  it("Poseidon([1, 2]) is circomlib's published test vector", async () => {
    expect(await poseidonHash([1n, 2n])).to.equal(
      0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189an,
    );
  });

  it("packs biased values little-endian behind a header of bits + 256·n", () => {
    expect(commitmentItems([-128n, 127n, 0n], 8)).to.deep.equal([
      8n + 256n * 3n,
      0n + 255n * 2n ** 8n + 128n * 2n ** 16n,
    ]);
    // 31 eight-bit values per word: 64 values take 3 words.
    const items = commitmentItems(new Array<bigint>(64).fill(-128n), 8);
    expect(items).to.deep.equal([8n + 256n * 64n, 0n, 0n, 0n]);
    expect(commitmentItems([5n], 16)).to.deep.equal([16n + 256n, 5n + 32768n]);
  });

  it("chains Poseidon over chunks of 15 items starting from the salt", async () => {
    const next = seededRandom(3);
    const values = randomVector(next, 600, 8); // 20 words + header: two chunks
    const items = commitmentItems(values, 8);
    expect(items.length).to.be.greaterThan(ITEMS_PER_CHUNK);
    const salt = 987654321n;
    const first = await poseidonHash([salt, ...items.slice(0, ITEMS_PER_CHUNK)]);
    const second = await poseidonHash([first, ...items.slice(ITEMS_PER_CHUNK)]);
    expect(await commitVector(values, 8, salt)).to.equal(second);
  });

  it("hides the data behind the salt and binds length and width", async () => {
    const values = [1n, -2n, 3n];
    const a = await commitVector(values, 8, randomFieldElement());
    const b = await commitVector(values, 8, randomFieldElement());
    expect(a).to.not.equal(b);
    expect(await commitVector(values, 8, 1n)).to.not.equal(await commitVector(values, 9, 1n));
    // A trailing −128 packs to a zero digit; the header still tells the vectors apart.
    expect(await commitVector([...values, -128n], 8, 1n)).to.not.equal(
      await commitVector(values, 8, 1n),
    );
  });

  it("refuses values outside the signed range and salts outside the field, naming them", async () => {
    expect(() => commitmentItems([0n, 128n], 8, "a")).to.throw(
      ElementInputError,
      "a[1] = 128 is outside the signed 8-bit range [-128, 127]",
    );
    expect(() => commitmentItems([-129n], 8)).to.throw(ElementInputError, "value[0] = -129");
    let caught: unknown;
    try {
      await commitVector([0n], 8, SNARK_SCALAR_FIELD);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ElementInputError);
  });

  it("equals the circuit's commitments: the circuit accepts TypeScript's and rejects any other", async () => {
    const circuit = await loadElementCircuit();
    const p = circuit.params;
    const next = seededRandom(11);
    const a = randomVector(next, p.n, p.aBits);
    const b = randomVector(next, p.n, p.bBits);
    const out = elementOutput(a, b, p);
    const salts = { saltA: randomFieldElement(), saltB: randomFieldElement(), saltOut: 0n };
    const commitments = {
      commitA: await commitVector(a, p.aBits, salts.saltA),
      commitB: await commitVector(b, p.bBits, salts.saltB),
      commitOut: await commitVector([out], p.outBits, salts.saltOut),
    };
    const base = { ...salts, ...commitments, a, b, out };
    expect(await circuitAccepts(circuit.wasmPath, base)).to.equal(true);
    for (const key of ["commitA", "commitB", "commitOut"] as const)
      expect(
        await circuitAccepts(circuit.wasmPath, { ...base, [key]: commitments[key] + 1n }),
        key,
      ).to.equal(false);
    // The salt is bound too: the same data under another salt is another commitment.
    expect(await circuitAccepts(circuit.wasmPath, { ...base, saltA: salts.saltA + 1n })).to.equal(
      false,
    );
  });
});
