// Opening a dispute (docs/protocol.md §4 Challenge window, §5): commit–reveal so that nobody can copy a
// challenge from the mempool, eligibility, the parties' exclusion, the window, and the leaves.
import { expect } from "chai";
import { keccak256, toHex, type Hex } from "viem";

import { MIN_VERIFIER_STAKE, connection, networkHelpers } from "./fixtures.ts";
import {
  PHASE,
  VOTE,
  challengeCommitment,
  commitChallenge,
  disputeFixture,
  drawCommittee,
  expectMinedRevert,
  expectRevertFrom,
  revealArgs,
  segmentLeaves,
  submitTracedJob,
  tracedJob,
  vote,
  type DisputeFixture,
} from "./dispute-fixtures.ts";
import { JOB, NUMERICS, STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

const CLAIM = keccak256(toHex("challenger's digest"));

async function cheatingJob(f: DisputeFixture) {
  return tracedJob(f, { k: 16, cheatFromStep: 0 });
}

describe("DisputeGame: challenges", () => {
  it("a revealed challenge opens a dispute, pulls the bond and marks the job Disputed", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const p = await f.disputeGame.read.parameters();
    const job = await cheatingJob(f);
    const before = await f.token.read.balanceOf([f.verifier.account.address]);
    const { salt } = await commitChallenge(f, job, 3, f.verifier, CLAIM);
    await networkHelpers.mine(1);
    await f.disputeGame.write.revealChallenge(revealArgs(job, 3, CLAIM, salt), {
      account: f.verifier.account,
    });

    expect(await f.disputeGame.read.disputeCount()).to.equal(1n);
    const d = await f.disputeGame.read.getDispute([1n]);
    expect(d.jobId).to.equal(Number(job.jobId));
    expect(d.segment).to.equal(3);
    expect([d.lo, d.hi]).to.deep.equal([0, job.k]);
    expect(d.phase).to.equal(PHASE.Dissection);
    expect(d.providerTurn).to.equal(true);
    expect(d.exact).to.equal(true);
    expect(d.challenger.toLowerCase()).to.equal(f.verifier.account.address);
    expect(d.provider.toLowerCase()).to.equal(f.provider.account.address);
    expect(d.bond).to.equal(p.challengeBond);
    expect(await f.token.read.balanceOf([f.verifier.account.address])).to.equal(
      before - p.challengeBond,
    );
    expect(await f.token.read.balanceOf([f.disputeGame.address])).to.equal(p.challengeBond);
    const [opened] = await f.disputeGame.getEvents.DisputeOpened({ disputeId: 1n });
    expect(opened!.args.preDigest).to.equal(job.trace[1]!.stateDigest);
    expect(opened!.args.providerDigest).to.equal(job.trace[2]!.stateDigest);
    expect(opened!.args.challengerDigest).to.equal(CLAIM);
    const market = await f.market.read.getJob([job.jobId]);
    expect(market.status).to.equal(JOB.Disputed);
    expect(market.openDisputes).to.equal(1);
  });

  describe("commit–reveal", () => {
    it("a reveal in the same block as its commitment reverts DisputeCommitmentTooRecent", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await cheatingJob(f);
      const salt = keccak256(toHex("salt"));
      const commitment = challengeCommitment(job.jobId, 2, CLAIM, salt, f.verifier.account.address);
      // Both transactions go into one block: automine off, explicit gas (no estimate against
      // a state without the commitment).
      await connection.provider.request({ method: "evm_setAutomine", params: [false] });
      let commitHash: Hex;
      let revealHash: Hex;
      try {
        commitHash = await f.disputeGame.write.commitChallenge([commitment], {
          account: f.verifier.account,
        });
        revealHash = await f.disputeGame.write.revealChallenge(revealArgs(job, 2, CLAIM, salt), {
          account: f.verifier.account,
          gas: 1_000_000n,
        });
        await networkHelpers.mine(1);
      } finally {
        await connection.provider.request({ method: "evm_setAutomine", params: [true] });
      }
      const committed = await f.publicClient.getTransactionReceipt({ hash: commitHash });
      expect(committed.status).to.equal("success");
      await expectMinedRevert(f, revealHash, "DisputeCommitmentTooRecent", [
        commitment,
        committed.blockNumber,
      ]);
      // One block later the same reveal goes through.
      await f.disputeGame.write.revealChallenge(revealArgs(job, 2, CLAIM, salt), {
        account: f.verifier.account,
      });
      expect(await f.disputeGame.read.disputeCount()).to.equal(1n);
    });

    it("a reveal copied by another address fails (the commitment binds the challenger), and the original still works", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await cheatingJob(f);
      const { salt } = await commitChallenge(f, job, 2, f.verifier, CLAIM);
      await networkHelpers.mine(1);
      await expectRevertFrom(
        f.disputeGame.write.revealChallenge(revealArgs(job, 2, CLAIM, salt), {
          account: f.verifier2.account,
        }),
        "DisputeCommitmentUnknown",
        [challengeCommitment(job.jobId, 2, CLAIM, salt, f.verifier2.account.address)],
      );
      // Committing the copied hash does not help the copier either: it names the original author.
      const copied = challengeCommitment(job.jobId, 2, CLAIM, salt, f.verifier.account.address);
      await expectRevertFrom(
        f.disputeGame.write.commitChallenge([copied], { account: f.verifier2.account }),
        "DisputeCommitmentExists",
        [copied],
      );
      await f.disputeGame.write.revealChallenge(revealArgs(job, 2, CLAIM, salt), {
        account: f.verifier.account,
      });
      const d = await f.disputeGame.read.getDispute([1n]);
      expect(d.challenger.toLowerCase()).to.equal(f.verifier.account.address);
    });

    it("a commitment cannot be made twice, a reveal without a commitment fails, and a reveal consumes its commitment", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await cheatingJob(f);
      const { salt, commitment } = await commitChallenge(f, job, 2, f.verifier, CLAIM);
      await expectRevertFrom(
        f.disputeGame.write.commitChallenge([commitment], { account: f.verifier.account }),
        "DisputeCommitmentExists",
        [commitment],
      );
      await networkHelpers.mine(1);
      // Any field that differs from the commitment makes it unknown (here: the claim).
      const other = keccak256(toHex("other claim"));
      await expectRevertFrom(
        f.disputeGame.write.revealChallenge(revealArgs(job, 2, other, salt), {
          account: f.verifier.account,
        }),
        "DisputeCommitmentUnknown",
        [challengeCommitment(job.jobId, 2, other, salt, f.verifier.account.address)],
      );
      await f.disputeGame.write.revealChallenge(revealArgs(job, 2, CLAIM, salt), {
        account: f.verifier.account,
      });
      await expectRevertFrom(
        f.disputeGame.write.revealChallenge(revealArgs(job, 2, CLAIM, salt), {
          account: f.verifier.account,
        }),
        "DisputeCommitmentUnknown",
        [commitment],
      );
    });
  });

  describe("who may challenge", () => {
    it("the job's provider and submitter cannot challenge it, even when staked as eligible verifiers", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      for (const party of [f.provider, f.submitter]) {
        await f.registry.write.stake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], {
          account: party.account,
        });
        await f.token.write.approve([f.disputeGame.address, 10n ** 30n], {
          account: party.account,
        });
        expect(await f.registry.read.isEligibleVerifier([party.account.address])).to.equal(true);
      }
      const job = await cheatingJob(f);
      for (const party of [f.provider, f.submitter]) {
        const { salt } = await commitChallenge(f, job, 2, party, CLAIM);
        await networkHelpers.mine(1);
        await expectRevertFrom(
          f.disputeGame.write.revealChallenge(revealArgs(job, 2, CLAIM, salt), {
            account: party.account,
          }),
          "DisputePartyCannotChallenge",
          [job.jobId, party.account.address],
        );
      }
      expect(await f.disputeGame.read.disputeCount()).to.equal(0n);
    });

    it("an unstaked account, and a verifier whose free stake fell below the minimum, cannot challenge", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await cheatingJob(f);
      await f.token.write.approve([f.disputeGame.address, 10n ** 30n], {
        account: f.stranger.account,
      });
      // verifier2 starts unbonding part of its stake: below the minimum, out of the verifier set.
      await f.registry.write.requestUnstake([STAKE_ROLE.Verifier, 1n], {
        account: f.verifier2.account,
      });
      for (const outsider of [f.stranger, f.verifier2]) {
        expect(await f.registry.read.isEligibleVerifier([outsider.account.address])).to.equal(
          false,
        );
        const { salt } = await commitChallenge(f, job, 2, outsider, CLAIM);
        await networkHelpers.mine(1);
        await expectRevertFrom(
          f.disputeGame.write.revealChallenge(revealArgs(job, 2, CLAIM, salt), {
            account: outsider.account,
          }),
          "DisputeNotEligible",
          [outsider.account.address],
        );
      }
    });
  });

  describe("when", () => {
    it("a challenge committed inside the window but revealed after it fails with the market's JobDeadlinePassed", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await cheatingJob(f);
      const { salt } = await commitChallenge(f, job, 2, f.verifier, CLAIM);
      const { deadline } = await f.market.read.getJob([job.jobId]);
      await networkHelpers.time.increaseTo(BigInt(deadline) + 1n);
      await expectRevertFrom(
        f.disputeGame.write.revealChallenge(revealArgs(job, 2, CLAIM, salt), {
          account: f.verifier.account,
        }),
        "JobDeadlinePassed",
        [job.jobId, BigInt(deadline)],
      );
      // The window is over and nothing is open: the job finalizes.
      await f.market.write.finalize([job.jobId], { account: f.stranger.account });
    });

    it("a job that is not yet opened cannot be challenged (JobWrongStatus from the market)", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await submitTracedJob(f, { k: 16 });
      const { salt } = await commitChallenge(f, job, 2, f.verifier, CLAIM);
      await networkHelpers.mine(1);
      await expectRevertFrom(
        f.disputeGame.write.revealChallenge(revealArgs(job, 2, CLAIM, salt), {
          account: f.verifier.account,
        }),
        "JobWrongStatus",
        [job.jobId, JOB.Submitted],
      );
    });

    it("a job already slashed cannot be challenged again (JobWrongStatus from the market)", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await tracedJob(f, { k: 8, numerics: NUMERICS.Tolerance });
      const first = await commitChallenge(f, job, 2, f.verifier, CLAIM);
      const second = await commitChallenge(f, job, 3, f.verifier2, CLAIM);
      await networkHelpers.mine(1);
      await f.disputeGame.write.revealChallenge(revealArgs(job, 2, CLAIM, first.salt), {
        account: f.verifier.account,
      });
      const { members } = await drawCommittee(f, 1n);
      await vote(f, 1n, members, () => VOTE.Challenger);
      expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Slashed);
      await expectRevertFrom(
        f.disputeGame.write.revealChallenge(revealArgs(job, 3, CLAIM, second.salt), {
          account: f.verifier2.account,
        }),
        "JobWrongStatus",
        [job.jobId, JOB.Slashed],
      );
    });
  });

  describe("the claim and the leaves", () => {
    it("segments outside 1..n revert DisputeInvalidSegment", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await cheatingJob(f);
      const n = job.trace.length;
      for (const segment of [0, n + 1]) {
        const { salt } = await commitChallenge(f, job, segment, f.verifier, CLAIM);
        await networkHelpers.mine(1);
        const { leaves, proof } = segmentLeaves(job, n);
        await expectRevertFrom(
          f.disputeGame.write.revealChallenge(
            [job.jobId, BigInt(segment), CLAIM, salt, leaves, proof],
            { account: f.verifier.account },
          ),
          "DisputeInvalidSegment",
          [job.jobId, BigInt(segment)],
        );
      }
    });

    it("leaves without segment−1 and segment, or not strictly increasing, revert DisputeInvalidLeaves; a tampered leaf or a bad proof reverts", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await cheatingJob(f);
      const { salt } = await commitChallenge(f, job, 3, f.verifier, CLAIM);
      await networkHelpers.mine(1);
      const reveal = (leaves: ReturnType<typeof segmentLeaves>["leaves"], proof: Hex[]) =>
        f.disputeGame.write.revealChallenge([job.jobId, 3n, CLAIM, salt, leaves, proof], {
          account: f.verifier.account,
        });
      const right = segmentLeaves(job, 3);
      const invalid = [job.jobId, 3n];
      // Segment 2's leaves, only one leaf, leaves in the wrong order.
      const seg2 = segmentLeaves(job, 2);
      await expectRevertFrom(reveal(seg2.leaves, seg2.proof), "DisputeInvalidLeaves", invalid);
      await expectRevertFrom(
        reveal(right.leaves.slice(1), right.proof),
        "DisputeInvalidLeaves",
        invalid,
      );
      await expectRevertFrom(
        reveal([...right.leaves].reverse(), right.proof),
        "DisputeInvalidLeaves",
        invalid,
      );
      // Repeated leaves.
      await expectRevertFrom(
        reveal([right.leaves[0]!, right.leaves[0]!, right.leaves[1]!], right.proof),
        "DisputeInvalidLeaves",
        invalid,
      );
      // A pre-digest the trace does not commit.
      const forged = [{ ...right.leaves[0]!, stateDigest: CLAIM }, right.leaves[1]!];
      await expectRevertFrom(reveal(forged, right.proof), "DisputeInvalidProof", [job.jobId]);
      // A proof with a wrong sibling, and one with a sibling missing.
      const wrongSibling = right.proof.map((h, i) => (i === 0 ? keccak256(h) : h));
      await expectRevertFrom(reveal(right.leaves, wrongSibling), "DisputeInvalidProof", [
        job.jobId,
      ]);
      await expectRevertFrom(reveal(right.leaves, right.proof.slice(1)), "MerkleProofLength");
      // The right leaves and proof open the dispute.
      await reveal(right.leaves, right.proof);
      expect(await f.disputeGame.read.disputeCount()).to.equal(1n);
    });

    it("any segment can be challenged, sampled or not", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await cheatingJob(f);
      const sampled = (await f.market.read.sampledSegments([job.jobId])).map(Number);
      const unsampled = [1, 2, 3, 4, 5, 6, 7, 8].find((s) => !sampled.includes(s))!;
      for (const segment of [sampled[0]!, unsampled]) {
        const { salt } = await commitChallenge(f, job, segment, f.verifier, CLAIM);
        await networkHelpers.mine(1);
        await f.disputeGame.write.revealChallenge(revealArgs(job, segment, CLAIM, salt), {
          account: f.verifier.account,
        });
      }
      expect(await f.disputeGame.read.disputeCount()).to.equal(2n);
      expect((await f.market.read.getJob([job.jobId])).openDisputes).to.equal(2);
    });
  });
});
