import { expect } from "chai";
import { keccak256, toHex } from "viem";

import { hashLeaf, type TraceLeaf } from "../../../src/protocol/leaf.ts";
import { merkleRoot, multiProofRoot, treeDepth } from "../../../src/protocol/merkle.ts";
import {
  buildOpening,
  requiredLeafIndices,
  topSegmentsByNorm,
} from "../../../src/protocol/opening.ts";

function trace(norms: readonly bigint[]): TraceLeaf[] {
  return norms.map((updateNorm, i) => ({
    index: BigInt(i + 1),
    stateDigest: keccak256(toHex(`state ${i + 1}`)),
    lossBits: BigInt(1000 - i),
    updateNorm,
  }));
}

describe("openings (src/protocol/opening.ts)", () => {
  describe("requiredLeafIndices", () => {
    it("needs leaves i − 1 and i of each segment, but no leaf 0 for segment 1", () => {
      expect(requiredLeafIndices([])).to.deep.equal([]);
      expect(requiredLeafIndices([1n])).to.deep.equal([1n]);
      expect(requiredLeafIndices([2n])).to.deep.equal([1n, 2n]);
      expect(requiredLeafIndices([5n, 3n])).to.deep.equal([2n, 3n, 4n, 5n]);
    });

    it("merges shared and repeated leaves and sorts them", () => {
      expect(requiredLeafIndices([9n, 2n, 3n, 9n, 10n])).to.deep.equal([1n, 2n, 3n, 8n, 9n, 10n]);
    });

    it("refuses segment 0, which does not exist", () => {
      expect(() => requiredLeafIndices([0n])).to.throw(RangeError, /at least 1/);
    });
  });

  describe("topSegmentsByNorm", () => {
    it("picks the largest norms, ties to the lower index", () => {
      const leaves = trace([5n, 9n, 9n, 1n, 7n]);
      expect(topSegmentsByNorm(leaves, 3)).to.deep.equal([2n, 3n, 5n]);
      expect(topSegmentsByNorm(leaves, 1)).to.deep.equal([2n]);
      expect(topSegmentsByNorm(trace([4n, 4n, 4n]), 2)).to.deep.equal([1n, 2n]);
    });

    it("returns nothing for Q = 0 and every segment for Q ≥ n, without reordering the input", () => {
      const leaves = trace([3n, 1n, 2n]);
      expect(topSegmentsByNorm(leaves, 0)).to.deep.equal([]);
      expect(topSegmentsByNorm(leaves, 10)).to.deep.equal([1n, 3n, 2n]);
      expect(leaves.map((l) => l.index)).to.deep.equal([1n, 2n, 3n]);
    });
  });

  describe("buildOpening", () => {
    const jobId = 77n;
    const leaves = trace([3n, 50n, 7n, 2n, 40n, 9n, 1n, 8n, 4n]);
    const root = merkleRoot(leaves.map((l) => hashLeaf(jobId, l)));

    it("opens exactly the required leaves, sorted, with a multi-proof of the trace root", () => {
      const top = topSegmentsByNorm(leaves, 2); // [2, 5]
      const opening = buildOpening(jobId, leaves, [1n, 7n], top);
      expect(top).to.deep.equal([2n, 5n]);
      expect(opening.topIndices).to.deep.equal(top);
      expect(opening.leaves.map((l) => l.index)).to.deep.equal([1n, 2n, 4n, 5n, 6n, 7n]);
      const depth = treeDepth(leaves.length);
      const rebuilt = multiProofRoot(
        depth,
        opening.leaves.map((l) => Number(l.index) - 1),
        opening.leaves.map((l) => hashLeaf(jobId, l)),
        opening.proof,
      );
      expect(rebuilt).to.equal(root);
    });

    it("opens a segment once when it is both sampled and top-Q", () => {
      const opening = buildOpening(jobId, leaves, [2n, 5n], [2n, 5n]);
      expect(opening.leaves.map((l) => l.index)).to.deep.equal([1n, 2n, 4n, 5n]);
    });

    it("binds the job id: the same opening does not verify under another job's leaves", () => {
      const opening = buildOpening(jobId, leaves, [3n], []);
      const depth = treeDepth(leaves.length);
      const other = multiProofRoot(
        depth,
        opening.leaves.map((l) => Number(l.index) - 1),
        opening.leaves.map((l) => hashLeaf(jobId + 1n, l)),
        opening.proof,
      );
      expect(other).to.not.equal(root);
    });

    it("refuses a trace whose indices are not 1..n in order", () => {
      const shuffled = [leaves[1]!, leaves[0]!, ...leaves.slice(2)];
      expect(() => buildOpening(jobId, shuffled, [1n], [])).to.throw(RangeError, /trace\[0\]/);
    });
  });
});
