// Claims and availability disputes (docs/protocol.md §6): every field of a leaf is a claim the
// provider can lose, and a blob it committed to but does not serve is its loss, not the
// verifiers'. Each test plays what a cheating provider (or a griefing challenger) would do.
import { expect } from "chai";
import { parseEventLogs, zeroHash, type Hex } from "viem";

import { networkHelpers } from "./fixtures.ts";
import {
  DISPUTE_KIND,
  PHASE,
  VOTE,
  answeredAvailabilityDispute,
  claimEverythingAndExpectSolvent,
  commitChallenge,
  disputeFixture,
  drawCommittee,
  expectRevertFrom,
  openDispute,
  resolution,
  startDigests,
  submitTracedJob,
  traceLeaves,
  tracedJob,
  vote,
  voteCommitment,
  type DisputeFixture,
  type TracedJob,
} from "./dispute-fixtures.ts";
import { openTracedJob } from "./dispute-fixtures.ts";
import { JOB, NUMERICS, OUTCOME_CODE } from "../../../src/protocol/onchain-enums.ts";

/** A fresh deployment with an honest, opened exact job (k = 16). */
async function honestJob(): Promise<{ f: DisputeFixture; job: TracedJob }> {
  const f = await networkHelpers.loadFixture(disputeFixture);
  return { f, job: await tracedJob(f, { k: 16 }) };
}

/** A claims dispute: the challenger reveals the provider's own end digest. */
async function claimsDispute(f: DisputeFixture, job: TracedJob, segment: number) {
  return openDispute(f, job, segment, f.verifier, job.trace[segment - 1]!.stateDigest);
}

/** Waits out the challenger's withdrawal window after an answer (voteCommitWindow). */
async function afterWithdrawalWindow(f: DisputeFixture): Promise<void> {
  const { voteCommitWindow } = await f.disputeGame.read.parameters();
  await networkHelpers.time.increase(Number(voteCommitWindow) + 1);
}

/** An availability dispute: the challenger reveals the zero digest. */
async function availabilityDispute(f: DisputeFixture, job: TracedJob, segment: number) {
  return openDispute(f, job, segment, f.verifier, zeroHash);
}

describe("DisputeGame: claims and availability disputes", () => {
  describe("claims", () => {
    it("revealing the provider's own digest opens a claims dispute that goes straight to the committee (exact, k > 1) and names the leaf's loss and norm", async () => {
      const { f, job } = await honestJob();
      const { disputeId } = await claimsDispute(f, job, 3);
      const d = await f.disputeGame.read.getDispute([disputeId]);
      expect(d.kind).to.equal(DISPUTE_KIND.Claims);
      expect(d.phase).to.equal(PHASE.AwaitingCommittee);
      const [named] = await f.disputeGame.getEvents.ClaimsDisputed(
        { disputeId },
        { fromBlock: 0n },
      );
      expect(named!.args.lossBits).to.equal(job.trace[2]!.lossBits);
      expect(named!.args.updateNorm).to.equal(job.trace[2]!.updateNorm);
      const [opened] = await f.disputeGame.getEvents.DisputeOpened(
        { disputeId },
        { fromBlock: 0n },
      );
      expect(opened!.args.kind).to.equal(DISPUTE_KIND.Claims);
    });

    it("a false claim the committee confirms slashes the provider; a 'Neither' vote is refused", async () => {
      const { f, job } = await honestJob();
      const { disputeId } = await claimsDispute(f, job, 2);
      const { members } = await drawCommittee(f, disputeId);
      const wallet = f.wallets.get(members[0]!.toLowerCase())!;
      const salt = zeroHash.replace(/0$/, "1") as Hex;
      await f.disputeGame.write.commitVote(
        [
          disputeId,
          0n,
          members,
          voteCommitment(disputeId, 0, VOTE.Neither, 0n, salt, wallet.account.address),
        ],
        { account: wallet.account },
      );
      const d = await f.disputeGame.read.getDispute([disputeId]);
      await networkHelpers.time.increaseTo(BigInt(d.commitDeadline) + 1n);
      await expectRevertFrom(
        f.disputeGame.write.revealVote([disputeId, 0n, VOTE.Neither, 0n, salt], {
          account: wallet.account,
        }),
        "DisputeInvalidVote",
      );

      const g = await networkHelpers.loadFixture(disputeFixture);
      const job2 = await tracedJob(g, { k: 16 });
      const opened = await claimsDispute(g, job2, 2);
      const drawn = await drawCommittee(g, opened.disputeId);
      await vote(g, opened.disputeId, drawn.members, () => VOTE.Challenger);
      expect((await resolution(g, opened.disputeId)).outcome).to.equal(OUTCOME_CODE.ChallengerWon);
      expect((await g.market.read.getJob([job2.jobId])).status).to.equal(JOB.Slashed);
      await claimEverythingAndExpectSolvent(g);
    });

    it("a false claims challenge costs the challenger its bond", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await tracedJob(f, { k: 8, numerics: NUMERICS.Tolerance });
      const { disputeId } = await claimsDispute(f, job, 2);
      const { members } = await drawCommittee(f, disputeId);
      await vote(f, disputeId, members, () => VOTE.Provider);
      expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ProviderWon);
      expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Opened);
      await claimEverythingAndExpectSolvent(f);
    });
  });

  describe("availability", () => {
    it("a zero digest opens an availability dispute: the provider must answer on its clock, or lose by timeout and be slashed", async () => {
      const { f, job } = await honestJob();
      const { disputeId } = await availabilityDispute(f, job, 2);
      const d = await f.disputeGame.read.getDispute([disputeId]);
      expect(d.kind).to.equal(DISPUTE_KIND.Availability);
      expect(d.phase).to.equal(PHASE.Answer);
      // Not the provider's dissection: no points, no committee yet.
      await expectRevertFrom(
        f.disputeGame.write.postPoints([disputeId, startDigests(job, 2, zeroHash), []], {
          account: f.provider.account,
        }),
        "DisputeWrongPhase",
      );
      await expectRevertFrom(
        f.disputeGame.write.drawCommittee([disputeId], { account: f.stranger.account }),
        "DisputeWrongPhase",
      );
      await expectRevertFrom(
        f.disputeGame.write.timeout([disputeId], { account: f.stranger.account }),
        "DisputeClockRunning",
      );
      await networkHelpers.time.increase(Number(d.providerClock) + 1);
      await f.disputeGame.write.timeout([disputeId], { account: f.stranger.account });
      const r = await resolution(f, disputeId);
      expect(r).to.deep.equal({ outcome: OUTCOME_CODE.ChallengerWon, byTimeout: true });
      expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Slashed);
      await claimEverythingAndExpectSolvent(f);
    });

    it("only the provider answers, with the dispute's digests, before its clock runs out; then the committee is drawn", async () => {
      const { f, job } = await honestJob();
      const { disputeId, digests } = await availabilityDispute(f, job, 2);
      await expectRevertFrom(
        f.disputeGame.write.answerAvailability([disputeId, digests], {
          account: f.verifier.account,
        }),
        "DisputeNotYourTurn",
      );
      await expectRevertFrom(
        f.disputeGame.write.answerAvailability([disputeId, { ...digests, hi: digests.lo }], {
          account: f.provider.account,
        }),
        "DisputeStateMismatch",
      );
      const hash = await f.disputeGame.write.answerAvailability([disputeId, digests], {
        account: f.provider.account,
      });
      const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
      const names = parseEventLogs({ abi: f.disputeGame.abi, logs: receipt.logs }).map(
        (e) => e.eventName,
      );
      expect(names).to.include.members(["AvailabilityAnswered", "ReadyForCommittee"]);
      expect((await f.disputeGame.read.getDispute([disputeId])).phase).to.equal(
        PHASE.AwaitingCommittee,
      );
      // The challenger's window to fetch again and withdraw comes before any committee.
      await networkHelpers.mine(4);
      await expectRevertFrom(
        f.disputeGame.write.drawCommittee([disputeId], { account: f.stranger.account }),
        "DisputeDeadlineNotReached",
      );
      await afterWithdrawalWindow(f);
      const { members } = await drawCommittee(f, disputeId);
      expect(members.length).to.be.greaterThan(0);
    });

    it("an answer after the clock ran out is refused", async () => {
      const { f, job } = await honestJob();
      const { disputeId, digests } = await availabilityDispute(f, job, 2);
      const d = await f.disputeGame.read.getDispute([disputeId]);
      await networkHelpers.time.increase(Number(d.providerClock) + 1);
      await expectRevertFrom(
        f.disputeGame.write.answerAvailability([disputeId, digests], {
          account: f.provider.account,
        }),
        "DisputeClockExpired",
      );
    });

    it("answered: the committee decides; a challenge the referees find false costs the bond, one they confirm slashes", async () => {
      for (const [verdict, outcome] of [
        [VOTE.Provider, OUTCOME_CODE.ProviderWon],
        [VOTE.Challenger, OUTCOME_CODE.ChallengerWon],
      ] as const) {
        const f = await networkHelpers.loadFixture(disputeFixture);
        const job = await tracedJob(f, { k: 16 });
        const { disputeId } = await answeredAvailabilityDispute(f, job, 2);
        await afterWithdrawalWindow(f);
        const { members } = await drawCommittee(f, disputeId);
        await vote(f, disputeId, members, () => verdict);
        expect((await resolution(f, disputeId)).outcome).to.equal(outcome);
        expect((await f.market.read.getJob([job.jobId])).status).to.equal(
          outcome === OUTCOME_CODE.ChallengerWon ? JOB.Slashed : JOB.Opened,
        );
        await claimEverythingAndExpectSolvent(f);
      }
    });

    it("the challenger may withdraw an answered challenge before the draw (bond back, nobody judged) — not before the answer, not someone else's, not another kind", async () => {
      const { f, job } = await honestJob();
      const bond = (await f.disputeGame.read.parameters()).challengeBond;
      const { disputeId, digests } = await availabilityDispute(f, job, 2);
      await expectRevertFrom(
        f.disputeGame.write.withdrawChallenge([disputeId], { account: f.verifier.account }),
        "DisputeWrongPhase",
      );
      await f.disputeGame.write.answerAvailability([disputeId, digests], {
        account: f.provider.account,
      });
      await expectRevertFrom(
        f.disputeGame.write.withdrawChallenge([disputeId], { account: f.provider.account }),
        "DisputeNotYourTurn",
      );
      await f.disputeGame.write.withdrawChallenge([disputeId], { account: f.verifier.account });
      expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.NoVerdict);
      expect(await f.disputeGame.read.creditOf([f.verifier.account.address])).to.equal(bond);
      expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Opened);

      const claims = await claimsDispute(f, job, 3);
      await expectRevertFrom(
        f.disputeGame.write.withdrawChallenge([claims.disputeId], { account: f.verifier.account }),
        "DisputeWrongKind",
      );
      await claimEverythingAndExpectSolvent(f);
    });
  });

  describe("availability: what a false challenger or a withholding provider would try", () => {
    it("a false challenger cannot withdraw once the committee is drawn (after seeing the votes): it loses its bond, no free re-rolls", async () => {
      const { f, job } = await honestJob();
      const { disputeId } = await answeredAvailabilityDispute(f, job, 2);
      await afterWithdrawalWindow(f);
      const { members } = await drawCommittee(f, disputeId);
      await expectRevertFrom(
        f.disputeGame.write.withdrawChallenge([disputeId], { account: f.verifier.account }),
        "DisputeWrongPhase",
      );
      await vote(f, disputeId, members, () => VOTE.Provider);
      expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ProviderWon);
      expect(await f.disputeGame.read.creditOf([f.verifier.account.address])).to.equal(0n);
      await claimEverythingAndExpectSolvent(f);
    });

    it("the challenge window stands still while disputes are open: a provider that answers after the window closed still faces a new challenge", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await tracedJob(f, { k: 8, numerics: NUMERICS.Tolerance, cheatFromStep: 8 });
      const before = (await f.market.read.getJob([job.jobId])).deadline;
      const { disputeId, digests } = await availabilityDispute(f, job, 2);
      const opened = (await f.disputeGame.read.getDispute([disputeId])).lastMoveAt;
      // The provider waits until the window has closed, then answers within its clock.
      await networkHelpers.time.increaseTo(BigInt(before) + 60n);
      await f.disputeGame.write.answerAvailability([disputeId, digests], {
        account: f.provider.account,
      });
      await f.disputeGame.write.withdrawChallenge([disputeId], { account: f.verifier.account });
      const ended = await networkHelpers.time.latest();
      const after = await f.market.read.getJob([job.jobId]);
      expect(BigInt(after.deadline)).to.equal(BigInt(before) + BigInt(ended) - BigInt(opened));
      const [extended] = await f.market.getEvents.ChallengeWindowExtended(
        { jobId: job.jobId },
        { fromBlock: 0n },
      );
      expect(extended!.args.challengeEnd).to.equal(BigInt(after.deadline));
      // The fabricated segment is still challengeable: nobody can finalize yet.
      await expectRevertFrom(
        f.market.write.finalize([job.jobId], { account: f.stranger.account }),
        "JobDeadlineNotReached",
      );
      const state = await openDispute(f, job, 2, f.verifier, job.honestDigest(16));
      expect((await f.disputeGame.read.getDispute([state.disputeId])).kind).to.equal(
        DISPUTE_KIND.State,
      );
    });
  });

  describe("availability: liveness of the draw", () => {
    it("an answered dispute gets its committee even when the withdrawal window outlasts the randomness (12 s blocks: 256 blocks < 1 hour)", async () => {
      const { f, job } = await honestJob();
      const { disputeId } = await answeredAvailabilityDispute(f, job, 2);
      const blockTime = 12;
      const mineUntil = async (t: bigint) => {
        const now = BigInt(await networkHelpers.time.latest());
        if (t > now)
          await networkHelpers.mine(Math.ceil(Number(t - now) / blockTime), {
            interval: blockTime,
          });
      };
      const draw = () =>
        f.disputeGame.write.drawCommittee([disputeId], { account: f.stranger.account });
      // The window outlasts the 256 blocks the answer's randomness is readable for.
      const answered = await f.disputeGame.read.getDispute([disputeId]);
      await mineUntil(BigInt(answered.commitDeadline) + 1n);
      expect((await f.disputeGame.read.getDispute([disputeId])).phase).to.equal(
        PHASE.AwaitingCommittee,
      );
      if ((await f.disputeGame.read.committeeOf([disputeId])).length === 0) {
        // Expired: anyone asks again at once, and the gate does not close again.
        await draw();
        await networkHelpers.mine(4, { interval: blockTime });
      }
      await draw();
      expect((await f.disputeGame.read.getDispute([disputeId])).phase).to.equal(PHASE.Voting);
    });

    it("the challenger can withdraw only inside the window after the answer", async () => {
      const { f, job } = await honestJob();
      const { disputeId } = await answeredAvailabilityDispute(f, job, 2);
      await afterWithdrawalWindow(f);
      await expectRevertFrom(
        f.disputeGame.write.withdrawChallenge([disputeId], { account: f.verifier.account }),
        "DisputeDeadlinePassed",
      );
    });
  });

  describe("what a challenge may quote", () => {
    it("the whole on-chain opening (LeavesOpened) proves a sampled segment: a challenge needs no manifest", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await submitTracedJob(f, { k: 16 });
      await openTracedJob(f, job);
      const [event] = await f.market.getEvents.LeavesOpened(
        { jobId: job.jobId },
        { fromBlock: 0n },
      );
      const leaves = [...event!.args.leaves!];
      const proof = [...event!.args.proof!];
      const sampled = (await f.market.read.sampledSegments([job.jobId])).map(Number);
      const segment = sampled.find((s) => s > 1) ?? sampled[0]!;
      const { salt } = await commitChallenge(f, job, segment, f.verifier, zeroHash);
      await networkHelpers.mine(1);
      await f.disputeGame.write.revealChallenge(
        [job.jobId, BigInt(segment), zeroHash, salt, leaves, proof],
        { account: f.verifier.account },
      );
      const d = await f.disputeGame.read.getDispute([1n]);
      expect(d.segment).to.equal(segment);
      expect(d.kind).to.equal(DISPUTE_KIND.Availability);
    });

    it("a superset of the two leaves with its multi-proof is accepted; one without leaf segment − 1 is not", async () => {
      const { f, job } = await honestJob();
      const claim = job.trace[4]!.stateDigest;
      const { salt } = await commitChallenge(f, job, 5, f.verifier, claim);
      await networkHelpers.mine(1);
      const gap = traceLeaves(job, [1, 3, 5, 7]);
      await expectRevertFrom(
        f.disputeGame.write.revealChallenge([job.jobId, 5n, claim, salt, gap.leaves, gap.proof], {
          account: f.verifier.account,
        }),
        "DisputeInvalidLeaves",
        [job.jobId, 5n],
      );
      const wide = traceLeaves(job, [1, 4, 5, 8]);
      await f.disputeGame.write.revealChallenge(
        [job.jobId, 5n, claim, salt, wide.leaves, wide.proof],
        {
          account: f.verifier.account,
        },
      );
      const [opened] = await f.disputeGame.getEvents.DisputeOpened({}, { fromBlock: 0n });
      expect(opened!.args.preDigest).to.equal(job.trace[3]!.stateDigest);
      expect(opened!.args.providerDigest).to.equal(claim);
    });
  });
});
