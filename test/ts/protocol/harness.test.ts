// TypeScript (src/protocol) against Solidity (contracts/libraries, through ProtocolLibHarness) on
// random inputs: both sides must compute the same bytes and reject the same malformed proofs.
import { expect } from "chai";
import { network } from "hardhat";
import type { Hex } from "viem";

import { expectRevert } from "../helpers/expect-revert.ts";
import { hashLeaf, UINT64_MAX, type TraceLeaf } from "../../../src/protocol/leaf.ts";
import {
  buildLevels,
  merkleProof,
  multiProof,
  multiProofRoot,
  treeDepth,
  verifyProof,
} from "../../../src/protocol/merkle.ts";
import { jobSeed, sampleSegments } from "../../../src/protocol/sampler.ts";
import { seededRandom, type Random } from "./random.ts";

const { viem } = await network.getOrCreate();

function randomLeaf(rng: Random): { jobId: bigint; leaf: TraceLeaf } {
  // Edge values often: they are where encodings differ.
  const u64 = (): bigint => rng.pick([0n, 1n, UINT64_MAX, rng.bits(64), rng.bits(32)]);
  return {
    jobId: rng.pick([0n, 1n, (1n << 256n) - 1n, rng.bits(256), rng.bits(40)]),
    leaf: {
      index: rng.pick([0n, 1n, rng.bits(20), rng.bits(256)]),
      stateDigest: rng.bytes32(),
      lossBits: u64(),
      updateNorm: u64(),
    },
  };
}

function randomTree(
  rng: Random,
  minLeaves: number,
  maxLeaves: number,
): { leaves: Hex[]; levels: Hex[][] } {
  const leaves = Array.from({ length: rng.int(minLeaves, maxLeaves) }, () => rng.bytes32());
  return { leaves, levels: buildLevels(leaves) };
}

function randomPositions(rng: Random, n: number): number[] {
  const positions = Array.from({ length: n }, (_, i) => i).filter(() => rng.int(0, 2) === 0);
  return positions.length > 0 ? positions : [rng.int(0, n - 1)];
}

describe("src/protocol and the Solidity libraries agree (ProtocolLibHarness)", () => {
  let harness: Awaited<ReturnType<typeof deployHarness>>;
  const deployHarness = () => viem.deployContract("ProtocolLibHarness");

  before(async () => {
    harness = await deployHarness();
  });

  it("leaf hashes match on random leaves, edge values included", async () => {
    const rng = seededRandom("harness leaves");
    for (let i = 0; i < 40; i++) {
      const { jobId, leaf } = randomLeaf(rng);
      const onChain = await harness.read.leafHash([
        jobId,
        leaf.index,
        leaf.stateDigest,
        leaf.lossBits,
        leaf.updateNorm,
      ]);
      expect(onChain, `seed ${rng.seed}, case ${i}`).to.equal(hashLeaf(jobId, leaf));
    }
  });

  it("tree depths match, up to 2^32 leaves", async () => {
    const rng = seededRandom("harness depth");
    const counts = [
      1,
      2,
      3,
      4,
      5,
      16,
      17,
      1 << 20,
      2 ** 32,
      ...Array.from({ length: 10 }, () => rng.int(1, 2 ** 32)),
    ];
    for (const n of counts) {
      expect(await harness.read.depthOf([BigInt(n)]), `n = ${n}`).to.equal(BigInt(treeDepth(n)));
    }
  });

  it("single proofs built in TypeScript verify in Solidity, and tampered ones fail on both sides", async () => {
    const rng = seededRandom("harness single proofs");
    for (let i = 0; i < 25; i++) {
      const { leaves, levels } = randomTree(rng, 1, 40);
      const depth = levels.length - 1;
      const root = levels[depth]![0]!;
      const position = rng.int(0, leaves.length - 1);
      const proof = merkleProof(levels, position);
      expect(
        await harness.read.rootFromProof([
          BigInt(depth),
          BigInt(position),
          leaves[position]!,
          proof,
        ]),
      ).to.equal(root);
      const forged = rng.bytes32();
      expect(verifyProof(root, depth, position, forged, proof)).to.equal(false);
      expect(
        await harness.read.rootFromProof([BigInt(depth), BigInt(position), forged, proof]),
      ).to.not.equal(root);
    }
  });

  it("multi-proofs built in TypeScript give the same root in Solidity", async () => {
    const rng = seededRandom("harness multi-proofs");
    for (let i = 0; i < 25; i++) {
      const { leaves, levels } = randomTree(rng, 1, 64);
      const depth = levels.length - 1;
      const positions = randomPositions(rng, leaves.length);
      const nodes = positions.map((p) => leaves[p]!);
      const proof = multiProof(levels, positions);
      const onChain = await harness.read.rootFromMultiProof([
        BigInt(depth),
        positions.map(BigInt),
        nodes,
        proof,
      ]);
      expect(onChain, `seed ${rng.seed}, case ${i}`).to.equal(
        multiProofRoot(depth, positions, nodes, proof),
      );
      expect(onChain).to.equal(levels[depth]![0]);
    }
  });

  it("both sides reject a short, a long and a misordered multi-proof", async () => {
    const rng = seededRandom("harness malformed multi-proofs");
    const tree = randomTree(rng, 2, 32);
    const n = tree.leaves.length;
    const depth = tree.levels.length - 1;
    const positions = [0, n - 1];
    const nodes = positions.map((p) => tree.leaves[p]!);
    const proof = multiProof(tree.levels, positions);
    const read = (pos: number[], sib: Hex[]) =>
      harness.read.rootFromMultiProof([BigInt(depth), pos.map(BigInt), nodes, sib]);

    expect(() => multiProofRoot(depth, positions, nodes, [...proof, rng.bytes32()])).to.throw(
      /too long/,
    );
    await expectRevert(read(positions, [...proof, rng.bytes32()]), "MerkleProofLength", [
      BigInt(proof.length),
      BigInt(proof.length + 1),
    ]);
    if (proof.length > 0) {
      expect(() => multiProofRoot(depth, positions, nodes, proof.slice(1))).to.throw(/too short/);
      await expectRevert(read(positions, proof.slice(1)), "MerkleProofLength");
    }
    const reversed = [...positions].reverse();
    expect(() => multiProofRoot(depth, reversed, nodes, proof)).to.throw(/strictly increasing/);
    await expectRevert(read(reversed, proof), "MerklePositionsNotIncreasing", [1n]);
  });

  it("job seeds and sampled indices match, q = n and the largest n included", async () => {
    const rng = seededRandom("harness sampler");
    for (let i = 0; i < 30; i++) {
      const randomness = rng.bytes32();
      const jobId = rng.pick([0n, 1n, rng.bits(64), rng.bits(256)]);
      const seed = jobSeed(randomness, jobId);
      expect(await harness.read.jobSeed([randomness, jobId])).to.equal(seed);
      const n = BigInt(rng.pick([1, 2, 5, 32, rng.int(1, 1 << 20), 1 << 20]));
      const maxQ = n < 32n ? Number(n) : 32;
      const q = rng.pick([0, maxQ, rng.int(0, maxQ)]);
      const onChain = await harness.read.sample([seed, n, BigInt(q)]);
      expect([...onChain], `seed ${seed}, n ${n}, q ${q}`).to.deep.equal(
        sampleSegments(seed, n, q),
      );
    }
  });

  it("both sides refuse to draw more segments than there are", async () => {
    expect(() => sampleSegments(`0x${"11".repeat(32)}`, 3n, 4)).to.throw(RangeError);
    await expectRevert(
      harness.read.sample([`0x${"11".repeat(32)}`, 3n, 4n]),
      "SamplerInvalidCount",
      [3n, 4n],
    );
    expect(() => sampleSegments(`0x${"11".repeat(32)}`, 0n, 0)).to.throw(RangeError);
    await expectRevert(
      harness.read.sample([`0x${"11".repeat(32)}`, 0n, 0n]),
      "SamplerInvalidCount",
      [0n, 0n],
    );
  });
});
