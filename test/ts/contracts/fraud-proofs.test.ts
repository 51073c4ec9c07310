// Objective fraud proofs (IFraudProofs, docs/protocol.md §4 Sample): a top-Q claim that leaves out a
// larger update, and a last leaf that is not the submitted model. Anyone may prove; the provider is
// slashed as if it had lost a dispute.
import { expect } from "chai";
import { keccak256, stringToHex, toHex, type Hex } from "viem";

import { fraudCommitment, topQEvidence } from "../../../src/protocol/dispute-commitments.ts";

import { connection, networkHelpers } from "./fixtures.ts";
import {
  VOTE,
  claimEverythingAndExpectSolvent,
  commitFraudProof,
  disputeFixture,
  drawCommittee,
  expectMinedRevert,
  expectRevertFrom,
  expectSolvent,
  openDispute,
  openTracedJob,
  resolution,
  submitTracedJob,
  proveFinalDigestFraud,
  proveTopQFraud,
  traceLeaves,
  vote,
  type DisputeFixture,
  type TracedJob,
} from "./dispute-fixtures.ts";
import { JOB, OUTCOME_CODE, STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

const BPS = 10_000n;
const GOVERNOR_ROLE = keccak256(toHex("GOVERNOR_ROLE"));

// n = 8, Q = 2: the honest top-2 are segments 2 (900) and 6 (800).
const NORMS = [100n, 900n, 300n, 700n, 500n, 800n, 200n, 400n];

/** A job opened with the top-Q claim `claim` over a trace with the given norms. */
async function jobClaiming(
  f: DisputeFixture,
  claim: readonly bigint[],
  norms: readonly bigint[] = NORMS,
): Promise<TracedJob> {
  const job = await submitTracedJob(f, {
    k: 4,
    checkpoints: norms.length,
    norms,
    overrides: { topQ: claim.length },
  });
  await openTracedJob(f, job, claim);
  return job;
}

function proveTopQ(f: DisputeFixture, job: TracedJob, indices: number[]) {
  const { leaves, proof } = traceLeaves(job, indices);
  return proveTopQFraud(f, job.jobId, leaves, proof, f.stranger);
}

/**
 * A job whose submitted final digest is not its last leaf's digest, opened without segment n
 * (the market would refuse to open leaf n): new jobs until the seed leaves n unsampled.
 */
async function jobWithFalseFinalDigest(f: DisputeFixture): Promise<TracedJob> {
  for (let attempt = 0; attempt < 12; attempt++) {
    const job = await submitTracedJob(f, {
      k: 4,
      checkpoints: 16,
      finalDigest: keccak256(toHex("the model the submitter receives")),
      overrides: { samples: 1, topQ: 0 },
    });
    const sampled = await f.market.read.sampledSegments([job.jobId]);
    if (sampled.includes(16n)) continue;
    await openTracedJob(f, job, []);
    return job;
  }
  throw new Error("every seed sampled the last segment");
}

async function expectSlashedByProof(
  f: DisputeFixture,
  job: TracedJob,
  kind: string,
  index: bigint,
): Promise<void> {
  const share = await f.fraudProofs.read.proverShareBps();
  const collateral = job.params.collateral;
  expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Slashed);
  const [event] = await f.fraudProofs.getEvents.FraudProven({ jobId: job.jobId });
  expect(event!.args.prover!.toLowerCase()).to.equal(f.stranger.account.address);
  expect(event!.args.kind).to.equal(stringToHex(kind, { size: 32 }));
  expect(event!.args.index).to.equal(index);
  expect(event!.args.slashed).to.equal(collateral);
  expect(await f.fraudProofs.read.creditOf([f.stranger.account.address])).to.equal(
    (collateral * share) / BPS,
  );
  expect(await f.fraudProofs.read.creditOf([f.treasury.account.address])).to.equal(
    collateral - (collateral * share) / BPS,
  );
  expect(await f.market.read.creditOf([f.submitter.account.address])).to.equal(job.params.amount);
}

describe("FraudProofs", () => {
  describe("top-Q", () => {
    it("a claim that leaves out a larger update is slashed with topAbove + 1 leaves above its minimum; the prover and the treasury share the collateral, the submitter is refunded", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      // Claims 2 (900) and 4 (700), hiding 6 (800): minimum 700, one claimed norm above it.
      const job = await jobClaiming(f, [2n, 4n]);
      const stored = await f.market.read.getJob([job.jobId]);
      expect([stored.minTopNorm, stored.topAbove]).to.deep.equal([700n, 1]);
      const lockedBefore = await f.registry.read.lockedStake([f.provider.account.address]);

      await proveTopQ(f, job, [2, 6]);
      await expectSlashedByProof(f, job, "topQ", 2n);
      expect(await f.registry.read.lockedStake([f.provider.account.address])).to.equal(
        lockedBefore - job.params.collateral,
      );
      // Slashed is final: neither a second proof nor a finalize.
      await expectRevertFrom(proveTopQ(f, job, [2, 6]), "JobWrongStatus", [job.jobId, JOB.Slashed]);
      await networkHelpers.time.increase(job.params.challengeWindow + 1);
      await expectRevertFrom(
        f.market.write.finalize([job.jobId], { account: f.provider.account }),
        "JobWrongStatus",
        [job.jobId, JOB.Slashed],
      );
      await expectSolvent(f);
      await claimEverythingAndExpectSolvent(f);
    });

    it("an honest claim cannot be proven fraudulent: only topAbove leaves lie above its minimum", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await jobClaiming(f, [2n, 6n]);
      // Leaf 6's norm equals the minimum; leaf 4's is below it.
      await expectRevertFrom(proveTopQ(f, job, [2, 6]), "FraudNotShown", [job.jobId, 6n]);
      await expectRevertFrom(proveTopQ(f, job, [2, 4]), "FraudNotShown", [job.jobId, 4n]);
      await expectRevertFrom(proveTopQ(f, job, [2]), "FraudNotShown", [job.jobId, 1n]);
      expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Opened);
    });

    it("ties at the minimum: naming either tied segment is honest, and the unnamed tied leaf proves nothing", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      // 3 and 5 tie at 800 behind 2 (900).
      const norms = [100n, 900n, 800n, 700n, 800n, 100n, 200n, 300n];
      for (const claim of [
        [2n, 3n],
        [5n, 2n],
      ]) {
        const job = await jobClaiming(f, claim, norms);
        const stored = await f.market.read.getJob([job.jobId]);
        expect([stored.minTopNorm, stored.topAbove]).to.deep.equal([800n, 1]);
        await expectRevertFrom(proveTopQ(f, job, [2, 3]), "FraudNotShown", [job.jobId, 3n]);
        await expectRevertFrom(proveTopQ(f, job, [2, 5]), "FraudNotShown", [job.jobId, 5n]);
      }
      // All claimed norms equal (topAbove = 0) and an unclaimed leaf ties with them.
      const flat = [500n, 500n, 500n, 500n, 100n, 100n, 100n, 100n];
      const job = await jobClaiming(f, [1n, 2n, 4n], flat);
      const stored = await f.market.read.getJob([job.jobId]);
      expect([stored.minTopNorm, stored.topAbove]).to.deep.equal([500n, 0]);
      await expectRevertFrom(proveTopQ(f, job, [3]), "FraudNotShown", [job.jobId, 3n]);
    });

    it("wrong leaf counts, repeated leaves, leaves outside the trace and bad proofs revert", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await jobClaiming(f, [2n, 4n]);
      const right = traceLeaves(job, [2, 6]);
      const prove = (leaves: typeof right.leaves, proof: typeof right.proof) =>
        proveTopQFraud(f, job.jobId, leaves, proof, f.stranger);
      // topAbove + 1 = 2 leaves exactly: three (all above 700) are refused too.
      const three = traceLeaves(job, [2, 4, 6]);
      await expectRevertFrom(prove(three.leaves, three.proof), "FraudNotShown", [job.jobId, 3n]);
      // The same leaf twice is one leaf.
      await expectRevertFrom(
        prove([right.leaves[0]!, right.leaves[0]!], right.proof),
        "MerklePositionsNotIncreasing",
      );
      // A leaf index past n, and a norm the trace does not commit.
      await expectRevertFrom(
        prove([right.leaves[0]!, { ...right.leaves[1]!, index: 9n }], right.proof),
        "FraudNotShown",
        [job.jobId, 9n],
      );
      await expectRevertFrom(
        prove([right.leaves[0]!, { ...right.leaves[1]!, updateNorm: 950n }], right.proof),
        "FraudInvalidProof",
        [job.jobId],
      );
      const wrongSibling = right.proof.map((h, i) => (i === 0 ? keccak256(h) : h));
      await expectRevertFrom(prove(right.leaves, wrongSibling), "FraudInvalidProof", [job.jobId]);
      await expectRevertFrom(prove(right.leaves, right.proof.slice(1)), "MerkleProofLength");
      await prove(right.leaves, right.proof);
    });

    it("a job with Q = 0 claims nothing and cannot be proven to have hidden an update", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await jobClaiming(f, []);
      await expectRevertFrom(proveTopQ(f, job, [2]), "FraudNotShown", [job.jobId, 1n]);
    });
  });

  describe("final digest", () => {
    it("a last leaf that is not the submitted model (segment n not opened) gets the provider slashed", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await jobWithFalseFinalDigest(f);
      const n = job.trace.length;
      const { leaves, proof } = traceLeaves(job, [n]);
      await proveFinalDigestFraud(f, job.jobId, leaves[0]!, proof, f.stranger);
      await expectSlashedByProof(f, job, "finalDigest", BigInt(n));
      await claimEverythingAndExpectSolvent(f);
    });

    it("an honest last leaf, another leaf, or a bad proof proves nothing", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const honest = await submitTracedJob(f, { k: 4, checkpoints: 16 });
      await openTracedJob(f, honest);
      const n = honest.trace.length;
      const last = traceLeaves(honest, [n]);
      await expectRevertFrom(
        proveFinalDigestFraud(f, honest.jobId, last.leaves[0]!, last.proof, f.stranger),
        "FraudNotShown",
        [honest.jobId, BigInt(n)],
      );
      const lying = await jobWithFalseFinalDigest(f);
      const other = traceLeaves(lying, [n - 1]);
      await expectRevertFrom(
        proveFinalDigestFraud(f, lying.jobId, other.leaves[0]!, other.proof, f.stranger),
        "FraudNotShown",
        [lying.jobId, BigInt(n - 1)],
      );
      const right = traceLeaves(lying, [n]);
      const forged = { ...right.leaves[0]!, stateDigest: keccak256(toHex("forged")) };
      await expectRevertFrom(
        proveFinalDigestFraud(f, lying.jobId, forged, right.proof, f.stranger),
        "FraudInvalidProof",
        [lying.jobId],
      );
    });
  });

  describe("when", () => {
    it("proofs are refused before the job is opened and after it finalized", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await submitTracedJob(f, {
        k: 4,
        checkpoints: 8,
        norms: NORMS,
        overrides: { topQ: 2 },
      });
      await expectRevertFrom(proveTopQ(f, job, [2]), "JobWrongStatus", [job.jobId, JOB.Submitted]);
      // Opened with a dishonest claim, but nobody proved it within the window: the job is final.
      await openTracedJob(f, job, [2n, 4n]);
      await networkHelpers.time.increase(job.params.challengeWindow + 1);
      await f.market.write.finalize([job.jobId], { account: f.provider.account });
      await expectRevertFrom(proveTopQ(f, job, [2, 6]), "JobWrongStatus", [
        job.jobId,
        JOB.Finalized,
      ]);
    });

    it("a proof during an open dispute slashes the job once; the dispute then ends without a second slash and the challenger keeps its bond", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await f.disputeGame.read.parameters();
      const job = await submitTracedJob(f, {
        k: 1,
        checkpoints: 8,
        cheatFromStep: 0,
        norms: NORMS,
        overrides: { topQ: 2 },
      });
      await openTracedJob(f, job, [2n, 4n]);
      const { disputeId } = await openDispute(f, job, 3, f.verifier, job.honestDigest(3));
      expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Disputed);

      await proveTopQ(f, job, [2, 6]);
      await expectSlashedByProof(f, job, "topQ", 2n);
      expect((await f.market.read.getJob([job.jobId])).openDisputes).to.equal(1);

      const { members } = await drawCommittee(f, disputeId);
      await vote(f, disputeId, members, () => VOTE.Challenger);
      expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ChallengerWon);
      expect(await f.disputeGame.read.creditOf([f.verifier.account.address])).to.equal(
        p.challengeBond,
      );
      const slashes = await f.registry.getEvents.Slashed(
        { account: f.provider.account.address, role: STAKE_ROLE.Provider },
        { fromBlock: 0n },
      );
      expect(slashes).to.have.length(1);
      await claimEverythingAndExpectSolvent(f);
    });
  });

  describe("who may prove, and when (commit–reveal)", () => {
    it("a proof seen in the mempool cannot be copied: another sender's reveal has no commitment, and the prover's own reveal still pays it", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await jobClaiming(f, [2n, 4n]);
      const { leaves, proof } = traceLeaves(job, [2, 6]);
      const salt = await commitFraudProof(
        f,
        "topQ",
        job.jobId,
        topQEvidence(leaves, proof),
        f.verifier,
      );
      // The copier replays the reveal (same salt, same evidence) from its own address.
      await expectRevertFrom(
        f.fraudProofs.write.proveTopQFraud([job.jobId, leaves, proof, salt], {
          account: f.verifier2.account,
        }),
        "FraudCommitmentUnknown",
      );
      await f.fraudProofs.write.proveTopQFraud([job.jobId, leaves, proof, salt], {
        account: f.verifier.account,
      });
      const [proven] = await f.fraudProofs.getEvents.FraudProven(
        { jobId: job.jobId },
        { fromBlock: 0n },
      );
      expect(proven!.args.prover!.toLowerCase()).to.equal(f.verifier.account.address);
    });

    it("a reveal needs a commitment at least a block old, to the same evidence, used once", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await jobClaiming(f, [2n, 4n]);
      const { leaves, proof } = traceLeaves(job, [2, 6]);
      const salt = keccak256(toHex("salt"));
      const commitment = fraudCommitment(
        "topQ",
        job.jobId,
        topQEvidence(leaves, proof),
        salt,
        f.stranger.account.address,
      );
      await connection.provider.request({ method: "evm_setAutomine", params: [false] });
      let revealHash: Hex;
      try {
        await f.fraudProofs.write.commitProof([commitment], { account: f.stranger.account });
        revealHash = await f.fraudProofs.write.proveTopQFraud([job.jobId, leaves, proof, salt], {
          account: f.stranger.account,
          gas: 1_000_000n,
        });
        await networkHelpers.mine(1);
      } finally {
        await connection.provider.request({ method: "evm_setAutomine", params: [true] });
      }
      await expectMinedRevert(f, revealHash, "FraudCommitmentTooRecent");
      await expectRevertFrom(
        f.fraudProofs.write.commitProof([commitment], { account: f.stranger.account }),
        "FraudCommitmentExists",
      );
      // Committed to other evidence (one leaf short): the full proof has no commitment.
      const other = await commitFraudProof(
        f,
        "topQ",
        job.jobId,
        topQEvidence(leaves.slice(1), proof),
        f.stranger,
      );
      await expectRevertFrom(
        f.fraudProofs.write.proveTopQFraud([job.jobId, leaves, proof, other], {
          account: f.stranger.account,
        }),
        "FraudCommitmentUnknown",
      );
      await f.fraudProofs.write.proveTopQFraud([job.jobId, leaves, proof, salt], {
        account: f.stranger.account,
      });
      await expectRevertFrom(
        f.fraudProofs.write.proveTopQFraud([job.jobId, leaves, proof, salt], {
          account: f.stranger.account,
        }),
        "FraudCommitmentUnknown",
      );
    });

    it("the job's provider and submitter cannot prove fraud on it (a provider proving its own fraud would recover the prover share)", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await jobClaiming(f, [2n, 4n]);
      const { leaves, proof } = traceLeaves(job, [2, 6]);
      for (const party of [job.provider, f.submitter])
        await expectRevertFrom(
          proveTopQFraud(f, job.jobId, leaves, proof, party),
          "FraudPartyCannotProve",
          [job.jobId, party.account.address],
        );
      expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Opened);
    });
  });

  describe("governance", () => {
    it("setProverShareBps: governor only, at most MAX_RECOVERABLE_BPS (a puppet prover wins back at most 10%), and it sets the split of the next slash", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      await expectRevertFrom(
        f.fraudProofs.write.setProverShareBps([1_000n], { account: f.stranger.account }),
        "AccessControlUnauthorizedAccount",
        [f.stranger.account.address, GOVERNOR_ROLE],
      );
      await expectRevertFrom(
        f.fraudProofs.write.setProverShareBps([1_001n]),
        "FraudParameterOutOfBounds",
        [stringToHex("proverShareBps", { size: 32 }), 1_001n, 0n, 1_000n],
      );
      await f.fraudProofs.write.setProverShareBps([1_000n]);
      expect(await f.fraudProofs.read.proverShareBps()).to.equal(1_000n);
      const [event] = await f.fraudProofs.getEvents.ParameterSet();
      expect(event!.args.value).to.equal(1_000n);
      const job = await jobClaiming(f, [2n, 4n]);
      await proveTopQ(f, job, [2, 6]);
      const share = (job.params.collateral * 1_000n) / BPS;
      expect(await f.fraudProofs.read.creditOf([f.stranger.account.address])).to.equal(share);
      expect(await f.fraudProofs.read.creditOf([f.treasury.account.address])).to.equal(
        job.params.collateral - share,
      );
      await claimEverythingAndExpectSolvent(f);
    });
  });
});
