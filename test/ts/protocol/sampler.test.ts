import { expect } from "chai";
import { encodeAbiParameters, keccak256, type Hex } from "viem";

import { detectionProbability, jobSeed, sampleSegments } from "../../../src/protocol/sampler.ts";
import { seededRandom } from "./random.ts";

const SEED: Hex = `0x${"5a".repeat(32)}`;

describe("segment sampling (src/protocol/sampler.ts)", () => {
  it("jobSeed is keccak256(abi.encode(bytes32 randomness, uint256 jobId))", () => {
    const expected = keccak256(
      encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }], [SEED, 12n]),
    );
    expect(jobSeed(SEED, 12n)).to.equal(expected);
    expect(jobSeed(SEED, 13n)).to.not.equal(expected);
  });

  it("draws q distinct indices in [1, n]", () => {
    const rng = seededRandom("sampler range");
    for (let i = 0; i < 200; i++) {
      const n = BigInt(rng.pick([1, 2, 3, 33, rng.int(1, 1 << 20)]));
      const q = rng.int(0, n < 32n ? Number(n) : 32);
      const picked = sampleSegments(rng.bytes32(), n, q);
      expect(picked).to.have.length(q);
      expect(new Set(picked).size, "distinct").to.equal(q);
      for (const index of picked)
        expect(index >= 1n && index <= n, `${index} in [1, ${n}]`).to.equal(true);
    }
  });

  it("q = n draws a permutation of 1..n, q = 0 nothing", () => {
    for (const n of [1, 2, 7, 32]) {
      const picked = sampleSegments(SEED, BigInt(n), n).sort((a, b) => (a < b ? -1 : 1));
      expect(picked).to.deep.equal(Array.from({ length: n }, (_, i) => BigInt(i + 1)));
    }
    expect(sampleSegments(SEED, 5n, 0)).to.deep.equal([]);
  });

  it("is Floyd's algorithm: draw j is 1 + keccak(seed, j) mod m, or m when already taken", () => {
    const n = 6n;
    const q = 4;
    const picked = sampleSegments(SEED, n, q);
    const taken: bigint[] = [];
    for (let j = 0; j < q; j++) {
      const m = n - BigInt(q) + 1n + BigInt(j);
      const draw = BigInt(
        keccak256(
          encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }], [SEED, BigInt(j)]),
        ),
      );
      const t = 1n + (draw % m);
      taken.push(taken.includes(t) ? m : t);
    }
    expect(picked).to.deep.equal(taken);
  });

  it("depends on the seed", () => {
    expect(sampleSegments(SEED, 1000n, 8)).to.not.deep.equal(
      sampleSegments(jobSeed(SEED, 1n), 1000n, 8),
    );
  });

  it("is roughly uniform (fixed seeds: deterministic)", () => {
    const hits = new Map<bigint, number>();
    for (let s = 0; s < 2000; s++) {
      for (const i of sampleSegments(jobSeed(SEED, BigInt(s)), 10n, 3))
        hits.set(i, (hits.get(i) ?? 0) + 1);
    }
    // 600 expected per index, σ ≈ 22: the band is ±5σ.
    for (let i = 1n; i <= 10n; i++) expect(hits.get(i) ?? 0, `index ${i}`).to.be.within(490, 710);
  });

  it("rejects empty traces and impossible draws", () => {
    expect(() => sampleSegments(SEED, 0n, 0)).to.throw(RangeError, /n must be at least 1/);
    expect(() => sampleSegments(SEED, 3n, 4)).to.throw(RangeError);
    expect(() => sampleSegments(SEED, 3n, -1)).to.throw(RangeError);
    expect(() => sampleSegments(SEED, 3n, 1.5)).to.throw(RangeError);
  });

  it("detectionProbability is 1 − (1 − f)^q", () => {
    expect(detectionProbability(0, 10)).to.equal(0);
    expect(detectionProbability(1, 1)).to.equal(1);
    expect(detectionProbability(0.1, 10)).to.be.closeTo(1 - 0.9 ** 10, 1e-15);
    expect(detectionProbability(0.5, 0)).to.equal(0);
    expect(() => detectionProbability(-0.1, 3)).to.throw(RangeError);
    expect(() => detectionProbability(1.1, 3)).to.throw(RangeError);
    expect(() => detectionProbability(Number.NaN, 3)).to.throw(RangeError);
  });
});
