import { expect } from "chai";
import { concatHex, keccak256, type Hex } from "viem";

import {
  MAX_DEPTH,
  ZERO_HASH,
  buildLevels,
  hashPair,
  merkleProof,
  merkleRoot,
  multiProof,
  multiProofRoot,
  treeDepth,
  verifyProof,
} from "../../../src/protocol/merkle.ts";
import { seededRandom } from "./random.ts";

const leavesOf = (n: number, label = "leaf"): Hex[] =>
  Array.from({ length: n }, (_, i) => keccak256(new TextEncoder().encode(`${label}${i}`)));

describe("positional Merkle trees (src/protocol/merkle.ts)", () => {
  describe("shape", () => {
    it("treeDepth is ⌈log₂ n⌉ and refuses empty, fractional and too-deep trees", () => {
      expect([1, 2, 3, 4, 5, 8, 9, 16, 17].map(treeDepth)).to.deep.equal([
        0, 1, 2, 2, 3, 3, 4, 4, 5,
      ]);
      expect(treeDepth(2 ** MAX_DEPTH)).to.equal(MAX_DEPTH);
      expect(() => treeDepth(2 ** MAX_DEPTH + 1)).to.throw(RangeError, /exceeds depth/);
      expect(() => treeDepth(0)).to.throw(RangeError);
      expect(() => treeDepth(1.5)).to.throw(RangeError);
    });

    it("pads with zero leaves to a power of two and hashes left ‖ right", () => {
      const leaves = leavesOf(3);
      const levels = buildLevels(leaves);
      expect(levels.map((l) => l.length)).to.deep.equal([4, 2, 1]);
      expect(levels[0]![3]).to.equal(ZERO_HASH);
      expect(hashPair(leaves[0]!, leaves[1]!)).to.equal(
        keccak256(concatHex([leaves[0]!, leaves[1]!])),
      );
      expect(merkleRoot(leaves)).to.equal(
        hashPair(hashPair(leaves[0]!, leaves[1]!), hashPair(leaves[2]!, ZERO_HASH)),
      );
    });

    it("the root of one leaf is the leaf", () => {
      const [leaf] = leavesOf(1);
      expect(merkleRoot([leaf!])).to.equal(leaf);
      expect(merkleProof(buildLevels([leaf!]), 0)).to.deep.equal([]);
      expect(verifyProof(leaf!, 0, 0, leaf!, [])).to.equal(true);
    });

    it("order matters: positions are committed", () => {
      const leaves = leavesOf(4);
      expect(merkleRoot([leaves[1]!, leaves[0]!, leaves[2]!, leaves[3]!])).to.not.equal(
        merkleRoot(leaves),
      );
    });
  });

  describe("single proofs", () => {
    it("every leaf of trees of 1..33 leaves verifies", () => {
      for (let n = 1; n <= 33; n++) {
        const levels = buildLevels(leavesOf(n));
        const root = levels.at(-1)![0]!;
        for (let p = 0; p < n; p++) {
          expect(
            verifyProof(root, levels.length - 1, p, levels[0]![p]!, merkleProof(levels, p)),
          ).to.equal(true);
        }
      }
    });

    it("rejects a wrong leaf, a wrong position, a wrong length and a position outside the tree", () => {
      const levels = buildLevels(leavesOf(6));
      const root = levels.at(-1)![0]!;
      const proof = merkleProof(levels, 2);
      const leaf = levels[0]![2]!;
      expect(verifyProof(root, 3, 2, leavesOf(1, "other")[0]!, proof)).to.equal(false);
      expect(verifyProof(root, 3, 3, leaf, proof)).to.equal(false);
      expect(verifyProof(root, 3, 2, leaf, proof.slice(1))).to.equal(false);
      expect(verifyProof(root, 3, 2, leaf, [...proof, ZERO_HASH])).to.equal(false);
      expect(verifyProof(root, 3, 8, leaf, proof)).to.equal(false);
      expect(verifyProof(root, 3, -1, leaf, proof)).to.equal(false);
      // An inner node with the upper part of the proof is not a leaf.
      expect(verifyProof(root, 3, 1, levels[1]![1]!, proof.slice(1))).to.equal(false);
    });
  });

  describe("multi-proofs", () => {
    it("proving every leaf needs no sibling; proving one leaf needs its single proof", () => {
      const levels = buildLevels(leavesOf(8));
      const all = [0, 1, 2, 3, 4, 5, 6, 7];
      expect(multiProof(levels, all)).to.deep.equal([]);
      expect(multiProofRoot(3, all, levels[0]!, [])).to.equal(levels[3]![0]);
      expect(multiProof(levels, [5])).to.deep.equal(merkleProof(levels, 5));
    });

    it("adjacent pairs share their parent: siblings come level by level, left to right", () => {
      const levels = buildLevels(leavesOf(8));
      // Leaves 2 and 3 make node (1,1); leaf 6 needs leaf 7; then node (1,0) and node (2,0)... :
      expect(multiProof(levels, [2, 3, 6])).to.deep.equal([
        levels[0]![7],
        levels[1]![0],
        levels[1]![2],
      ]);
      // Positions 1 and 2 are not siblings: each needs its own.
      expect(multiProof(levels, [1, 2])).to.deep.equal([
        levels[0]![0],
        levels[0]![3],
        levels[2]![1],
      ]);
    });

    it("round-trips random subsets of random trees", () => {
      const rng = seededRandom("multi-proof round trip");
      for (let i = 0; i < 60; i++) {
        const n = rng.int(1, 70);
        const levels = buildLevels(leavesOf(n, `t${i}`));
        const positions = Array.from({ length: n }, (_, p) => p).filter(() => rng.int(0, 3) === 0);
        if (positions.length === 0) positions.push(rng.int(0, n - 1));
        const proof = multiProof(levels, positions);
        const root = multiProofRoot(
          levels.length - 1,
          positions,
          positions.map((p) => levels[0]![p]!),
          proof,
        );
        expect(root, `seed ${rng.seed}, case ${i}`).to.equal(levels.at(-1)![0]);
      }
    });

    it("an empty position list has an empty proof but proves nothing", () => {
      const levels = buildLevels(leavesOf(4));
      expect(multiProof(levels, [])).to.deep.equal([]);
      expect(() => multiProofRoot(2, [], [], [])).to.throw(RangeError, /at least one/);
    });

    it("refuses positions that repeat, decrease or leave the tree", () => {
      const levels = buildLevels(leavesOf(4));
      const leaves = levels[0]!;
      expect(() => multiProof(levels, [1, 1])).to.throw(RangeError, /strictly increasing/);
      expect(() => multiProof(levels, [2, 1])).to.throw(RangeError, /strictly increasing/);
      expect(() => multiProof(levels, [4])).to.throw(RangeError, /outside the tree/);
      expect(() => multiProof(levels, [-1])).to.throw(RangeError, /outside the tree/);
      expect(() => multiProof(levels, [0.5])).to.throw(RangeError, /outside the tree/);
      expect(() => multiProofRoot(2, [2, 1], [leaves[2]!, leaves[1]!], [])).to.throw(
        RangeError,
        /strictly increasing/,
      );
    });

    it("refuses mismatched lengths and proofs that are too short or too long", () => {
      const levels = buildLevels(leavesOf(4));
      const leaves = levels[0]!;
      const proof = multiProof(levels, [0, 3]);
      expect(() => multiProofRoot(2, [0, 3], [leaves[0]!], proof)).to.throw(RangeError);
      expect(() => multiProofRoot(2, [0, 3], [leaves[0]!, leaves[3]!], proof.slice(1))).to.throw(
        RangeError,
        /too short/,
      );
      expect(() =>
        multiProofRoot(2, [0, 3], [leaves[0]!, leaves[3]!], [...proof, ZERO_HASH]),
      ).to.throw(RangeError, /too long/);
    });

    it("a tampered leaf or sibling changes the root", () => {
      const levels = buildLevels(leavesOf(9));
      const positions = [0, 4, 8];
      const leaves = positions.map((p) => levels[0]![p]!);
      const proof = multiProof(levels, positions);
      const root = levels.at(-1)![0];
      const flip = (h: Hex): Hex => `0x${(BigInt(h) ^ 1n).toString(16).padStart(64, "0")}`;
      expect(
        multiProofRoot(4, positions, [leaves[0]!, flip(leaves[1]!), leaves[2]!], proof),
      ).to.not.equal(root);
      expect(
        multiProofRoot(4, positions, leaves, [flip(proof[0]!), ...proof.slice(1)]),
      ).to.not.equal(root);
    });
  });
});
