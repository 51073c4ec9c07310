import { expect } from "chai";
import { encodeAbiParameters, keccak256, size } from "viem";

import {
  UINT64_MAX,
  encodeLeaf,
  encodeNormFromSquaredRaw,
  encodeNormQ32,
  float32LossBits,
  hashLeaf,
  int64LossBits,
  isqrt,
  type TraceLeaf,
} from "../../../src/protocol/leaf.ts";
import { seededRandom } from "./random.ts";

const LEAF: TraceLeaf = {
  index: 3n,
  stateDigest: `0x${"ab".repeat(32)}`,
  lossBits: 0x3f800000n,
  updateNorm: 1n << 32n,
};

describe("trace leaves (src/protocol/leaf.ts)", () => {
  describe("encodeLeaf / hashLeaf", () => {
    it("is the 160-byte abi.encode(uint256, uint256, bytes32, uint64, uint64) and its keccak256", () => {
      const encoded = encodeLeaf(9n, LEAF);
      expect(size(encoded)).to.equal(160);
      const expected = encodeAbiParameters(
        [
          { type: "uint256" },
          { type: "uint256" },
          { type: "bytes32" },
          { type: "uint64" },
          { type: "uint64" },
        ],
        [9n, 3n, LEAF.stateDigest, LEAF.lossBits, LEAF.updateNorm],
      );
      expect(encoded).to.equal(expected);
      expect(hashLeaf(9n, LEAF)).to.equal(keccak256(expected));
    });

    it("binds the job id: the same checkpoint in another job is another leaf", () => {
      expect(hashLeaf(1n, LEAF)).to.not.equal(hashLeaf(2n, LEAF));
    });

    it("accepts the uint64 edges and rejects values outside them", () => {
      expect(() =>
        encodeLeaf(0n, { ...LEAF, lossBits: 0n, updateNorm: UINT64_MAX }),
      ).to.not.throw();
      expect(() => encodeLeaf(0n, { ...LEAF, lossBits: UINT64_MAX + 1n })).to.throw(
        RangeError,
        /lossBits/,
      );
      expect(() => encodeLeaf(0n, { ...LEAF, lossBits: -1n })).to.throw(RangeError, /lossBits/);
      expect(() => encodeLeaf(0n, { ...LEAF, updateNorm: UINT64_MAX + 1n })).to.throw(
        RangeError,
        /updateNorm/,
      );
      expect(() => encodeLeaf(0n, { ...LEAF, updateNorm: -1n })).to.throw(RangeError, /updateNorm/);
    });
  });

  describe("loss encodings", () => {
    it("float32LossBits gives IEEE-754 single bits", () => {
      expect(float32LossBits(1)).to.equal(0x3f800000n);
      expect(float32LossBits(-2)).to.equal(0xc0000000n);
      expect(float32LossBits(0)).to.equal(0n);
      expect(float32LossBits(-0)).to.equal(0x80000000n);
      expect(float32LossBits(Infinity)).to.equal(0x7f800000n);
      // Rounded to the nearest float32, so float64 noise below its precision does not change the leaf.
      expect(float32LossBits(0.1)).to.equal(float32LossBits(0.1 + 1e-12));
    });

    it("int64LossBits is the two's complement of a signed raw loss", () => {
      expect(int64LossBits(0n)).to.equal(0n);
      expect(int64LossBits(5n)).to.equal(5n);
      expect(int64LossBits(-1n)).to.equal(UINT64_MAX);
      expect(int64LossBits(-(1n << 63n))).to.equal(1n << 63n);
      expect(int64LossBits((1n << 63n) - 1n)).to.equal((1n << 63n) - 1n);
      expect(() => int64LossBits(1n << 63n)).to.throw(RangeError);
      expect(() => int64LossBits(-(1n << 63n) - 1n)).to.throw(RangeError);
    });
  });

  describe("norm encodings", () => {
    it("encodeNormQ32 is unsigned Q32.32, floored and saturated", () => {
      expect(encodeNormQ32(0)).to.equal(0n);
      expect(encodeNormQ32(1)).to.equal(1n << 32n);
      expect(encodeNormQ32(0.5)).to.equal(1n << 31n);
      expect(encodeNormQ32(2 ** -32)).to.equal(1n);
      expect(encodeNormQ32(2 ** -33)).to.equal(0n);
      expect(encodeNormQ32(2 ** 31)).to.equal(1n << 63n);
      expect(encodeNormQ32(2 ** 32)).to.equal(UINT64_MAX);
      expect(encodeNormQ32(Infinity)).to.equal(UINT64_MAX);
    });

    it("encodeNormQ32 rejects negative and NaN norms", () => {
      expect(() => encodeNormQ32(-1e-9)).to.throw(RangeError);
      expect(() => encodeNormQ32(Number.NaN)).to.throw(RangeError);
    });

    it("encodeNormFromSquaredRaw is the exact Q32.32 norm of a fixed-point update", () => {
      // Δ = (3, 4) raw with 16 fractional bits: ‖Δ‖ = 5 / 2^16, in Q32.32 5 · 2^16.
      expect(encodeNormFromSquaredRaw(25n, 16)).to.equal(5n << 16n);
      // 32 fractional bits: raw units are already Q32.32 units.
      expect(encodeNormFromSquaredRaw(25n, 32)).to.equal(5n);
      // 0 fractional bits: integers, ‖(1)‖ = 1.
      expect(encodeNormFromSquaredRaw(1n, 0)).to.equal(1n << 32n);
      // Floors: sqrt(2) · 2^16 = 92681.9…
      expect(encodeNormFromSquaredRaw(2n, 16)).to.equal(92681n);
      expect(encodeNormFromSquaredRaw(0n, 8)).to.equal(0n);
      // A real norm of 2^32 or more saturates.
      expect(encodeNormFromSquaredRaw(1n << 64n, 0)).to.equal(UINT64_MAX);
      expect(encodeNormFromSquaredRaw((1n << 64n) - 1n, 0)).to.equal(UINT64_MAX);
    });

    it("encodeNormFromSquaredRaw agrees with encodeNormQ32 where floats are exact", () => {
      for (const [raw, frac] of [
        [3n, 8],
        [1000n, 20],
        [7n, 0],
      ] as const) {
        expect(encodeNormFromSquaredRaw(raw * raw, frac)).to.equal(
          encodeNormQ32(Number(raw) / 2 ** frac),
        );
      }
    });

    it("encodeNormFromSquaredRaw rejects fractional bits outside [0, 32]", () => {
      expect(() => encodeNormFromSquaredRaw(1n, -1)).to.throw(RangeError);
      expect(() => encodeNormFromSquaredRaw(1n, 33)).to.throw(RangeError);
    });
  });

  describe("isqrt", () => {
    it("is the floor square root at small values and perfect squares", () => {
      const expected = [0n, 1n, 1n, 1n, 2n, 2n, 2n, 2n, 2n, 3n, 3n];
      expected.forEach((root, v) => expect(isqrt(BigInt(v)), `isqrt(${v})`).to.equal(root));
      expect(isqrt(UINT64_MAX * UINT64_MAX)).to.equal(UINT64_MAX);
      expect(isqrt(UINT64_MAX * UINT64_MAX - 1n)).to.equal(UINT64_MAX - 1n);
      expect(isqrt((1n << 256n) - 1n)).to.equal((1n << 128n) - 1n);
    });

    const checkRandom = (label: string, maxBits: number): void => {
      const rng = seededRandom(label);
      for (let i = 0; i < 300; i++) {
        const v = rng.bits(rng.int(1, maxBits));
        const r = isqrt(v);
        expect(r * r <= v && (r + 1n) * (r + 1n) > v, `isqrt(${v}) = ${r}`).to.equal(true);
      }
    };

    // Up to 300 bits: a float-seeded start below the root once made this loop for ~√v · 2^-53 steps.
    it("satisfies r² ≤ v < (r + 1)² on random values up to 300 bits, far beyond float precision", () => {
      checkRandom("isqrt 300", 300);
    });

    it("rejects negative values", () => {
      expect(() => isqrt(-1n)).to.throw(RangeError);
    });
  });
});
