// Full dispute games (docs/protocol.md §6), each side winning, for both numerics: the dissection
// converges to the first wrong step, the committee decides, and the money lands where the rules
// say. Every scenario ends with the solvency check: each contract holds exactly what it owes.
import { expect } from "chai";
import { keccak256, toHex, type Hex } from "viem";

import { MIN_PROVIDER_STAKE, networkHelpers } from "./fixtures.ts";
import {
  PHASE,
  VOTE,
  claimEverythingAndExpectSolvent,
  disputeFixture,
  drawCommittee,
  expectRevertFrom,
  expectSolvent,
  openDispute,
  playDissection,
  readyForCommittee,
  resolution,
  seatsHeld,
  tracedJob,
  vote,
  type DisputeFixture,
  type TracedJob,
} from "./dispute-fixtures.ts";
import { JOB, NUMERICS, OUTCOME_CODE, STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

const BPS = 10_000n;

async function parameters(f: DisputeFixture) {
  return f.disputeGame.read.parameters();
}

/** What each majority referee gets from a pot, and the rounding left for the treasury. */
function refereeSplit(pot: bigint, winners: number): { each: bigint; dust: bigint } {
  const each = pot / BigInt(winners);
  return { each, dust: pot - each * BigInt(winners) };
}

/**
 * Honest referees re-execute the disputed step from the agreed digest before it (exact) and vote
 * for whichever post-step digest matches. The tests only reach this with an honest pre-digest.
 */
function honestVote(job: TracedJob, absoluteStep: number, providerDigest: Hex): number {
  return providerDigest === job.honestDigest(absoluteStep) ? VOTE.Provider : VOTE.Challenger;
}

describe("DisputeGame: full games", () => {
  describe("exact numerics", () => {
    it("a provider that cheats inside a segment is narrowed to its first wrong step, loses the vote and is slashed; every party is paid by the rules", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await parameters(f);
      const k = 64;
      const segment = 3;
      const segmentStart = (segment - 1) * k;
      // States after step segmentStart + 37 are fabricated: the first wrong step is offset 38.
      const job = await tracedJob(f, { k, cheatFromStep: segmentStart + 37 });
      const collateral = job.params.collateral;
      const lockedBefore = await f.registry.read.lockedStake([f.provider.account.address]);
      const freeBefore = await f.registry.read.freeStake([
        f.provider.account.address,
        STAKE_ROLE.Provider,
      ]);

      const { disputeId, digests } = await openDispute(
        f,
        job,
        segment,
        f.verifier,
        job.honestDigest(segment * k),
      );
      expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Disputed);
      const moves = await playDissection(
        f,
        disputeId,
        digests,
        (o) => job.providerDigest(segmentStart + o),
        (o) => job.honestDigest(segmentStart + o),
        f.verifier,
      );
      // 16-ary: [0, 64] → [36, 40] → [37, 38], two provider moves.
      expect(moves.post).to.have.length(2);
      const d = await f.disputeGame.read.getDispute([disputeId]);
      expect(d.phase).to.equal(PHASE.AwaitingCommittee);
      expect([d.lo, d.hi]).to.deep.equal([37, 38]);
      const ready = await readyForCommittee(f, disputeId);
      expect(ready.step).to.equal(38);
      expect(ready.preDigest).to.equal(job.honestDigest(segmentStart + 37));
      expect(ready.providerDigest).to.equal(job.providerDigest(segmentStart + 38));
      expect(ready.providerDigest).to.not.equal(job.honestDigest(segmentStart + 38));
      expect(ready.challengerDigest).to.equal(job.honestDigest(segmentStart + 38));

      const { members } = await drawCommittee(f, disputeId);
      expect(members).to.have.length(3);
      await vote(f, disputeId, members, () =>
        honestVote(job, segmentStart + ready.step, ready.providerDigest),
      );

      expect(await resolution(f, disputeId)).to.deep.equal({
        outcome: OUTCOME_CODE.ChallengerWon,
        byTimeout: false,
      });
      const job2 = await f.market.read.getJob([job.jobId]);
      expect(job2.status).to.equal(JOB.Slashed);
      expect(job2.openDisputes).to.equal(0);
      // The submitter gets the whole escrow back.
      expect(await f.market.read.creditOf([f.submitter.account.address])).to.equal(
        job.params.amount,
      );
      // Collateral: challenger share, referee share, treasury the rest (with rounding dust).
      const share = (collateral * p.challengerShareBps) / BPS;
      const pot = (collateral * p.refereeShareBps) / BPS;
      const { each, dust } = refereeSplit(pot, 3);
      expect(await f.disputeGame.read.creditOf([f.verifier.account.address])).to.equal(
        p.challengeBond + share,
      );
      for (const member of new Set(members)) {
        expect(await f.disputeGame.read.creditOf([member])).to.equal(
          each * seatsHeld(members, member),
        );
      }
      expect(await f.disputeGame.read.creditOf([f.treasury.account.address])).to.equal(
        collateral - share - pot + dust,
      );
      // The provider's stake: exactly the collateral left, the rest untouched, still active.
      expect(await f.registry.read.lockedStake([f.provider.account.address])).to.equal(
        lockedBefore - collateral,
      );
      expect(
        await f.registry.read.freeStake([f.provider.account.address, STAKE_ROLE.Provider]),
      ).to.equal(freeBefore);
      expect(await f.registry.read.isActiveProvider([f.provider.account.address])).to.equal(true);
      // A slashed job never pays the provider.
      await networkHelpers.time.increase(job.params.challengeWindow + 1);
      await expectRevertFrom(
        f.market.write.finalize([job.jobId], { account: f.stranger.account }),
        "JobWrongStatus",
        [job.jobId, JOB.Slashed],
      );

      await expectSolvent(f);
      await claimEverythingAndExpectSolvent(f);
      // Nothing is owed any more: the job ended and every credit was claimed.
      for (const holder of [f.market.address, f.disputeGame.address, f.fraudProofs.address]) {
        expect(await f.token.read.balanceOf([holder])).to.equal(0n);
      }
    });

    it("a provider staked at the minimum is ejected when the slash takes it below the minimum, and can take no further job", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      await f.registry.write.stake([STAKE_ROLE.Provider, MIN_PROVIDER_STAKE], {
        account: f.provider2.account,
      });
      const k = 16;
      const job = await tracedJob(f, { k, cheatFromStep: k + 3, provider: f.provider2 });
      const { disputeId, digests } = await openDispute(
        f,
        job,
        2,
        f.verifier,
        job.honestDigest(2 * k),
      );
      await playDissection(
        f,
        disputeId,
        digests,
        (o) => job.providerDigest(k + o),
        (o) => job.honestDigest(k + o),
        f.verifier,
        f.provider2,
      );
      const { members } = await drawCommittee(f, disputeId);
      await vote(f, disputeId, members, () => VOTE.Challenger);

      expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ChallengerWon);
      const [free, locked, , , ejected] = await f.registry.read.accountOf([
        f.provider2.account.address,
        STAKE_ROLE.Provider,
      ]);
      expect(free + locked).to.equal(MIN_PROVIDER_STAKE - job.params.collateral);
      expect(ejected).to.equal(true);
      expect(await f.registry.read.isActiveProvider([f.provider2.account.address])).to.equal(false);
      // Ejection is for good: new stake cannot buy the address back in.
      await expectRevertFrom(
        f.registry.write.stake([STAKE_ROLE.Provider, MIN_PROVIDER_STAKE], {
          account: f.provider2.account,
        }),
        "StakeAccountEjected",
      );
      await claimEverythingAndExpectSolvent(f);
    });

    it("an honest provider beats a lying challenger: the bond goes to the provider and the referees, the job returns to Opened and finalizes after the window", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await parameters(f);
      const k = 64;
      const segment = 2;
      const job = await tracedJob(f, { k });
      const lie = (o: number): Hex => keccak256(toHex(`lie:${o}`));
      const { disputeId, digests } = await openDispute(f, job, segment, f.verifier2, lie(k));
      // The liar disagrees with everything the provider posts, so the game ends at the first step.
      await playDissection(
        f,
        disputeId,
        digests,
        (o) => job.providerDigest(k + o),
        lie,
        f.verifier2,
      );
      const ready = await readyForCommittee(f, disputeId);
      expect(ready.step).to.equal(1);
      expect(ready.preDigest).to.equal(job.honestDigest(k));
      expect(ready.providerDigest).to.equal(job.honestDigest(k + 1));

      const { members } = await drawCommittee(f, disputeId);
      await vote(f, disputeId, members, () => honestVote(job, k + 1, ready.providerDigest));

      expect(await resolution(f, disputeId)).to.deep.equal({
        outcome: OUTCOME_CODE.ProviderWon,
        byTimeout: false,
      });
      const pot = (p.challengeBond * p.refereeShareBps) / BPS;
      const { each, dust } = refereeSplit(pot, 3);
      expect(await f.disputeGame.read.creditOf([f.provider.account.address])).to.equal(
        p.challengeBond - pot,
      );
      for (const member of new Set(members)) {
        expect(await f.disputeGame.read.creditOf([member])).to.equal(
          each * seatsHeld(members, member),
        );
      }
      expect(await f.disputeGame.read.creditOf([f.treasury.account.address])).to.equal(dust);
      expect(await f.disputeGame.read.creditOf([f.verifier2.account.address])).to.equal(0n);

      const after = await f.market.read.getJob([job.jobId]);
      expect(after.status).to.equal(JOB.Opened);
      expect(after.openDisputes).to.equal(0);
      await expectRevertFrom(
        f.market.write.finalize([job.jobId], { account: f.stranger.account }),
        "JobDeadlineNotReached",
      );
      await networkHelpers.time.increaseTo(BigInt(after.deadline) + 1n);
      await f.market.write.finalize([job.jobId], { account: f.stranger.account });
      const budget = (job.params.amount * BigInt(job.params.verificationBps)) / BPS;
      expect(await f.market.read.creditOf([f.provider.account.address])).to.equal(
        job.params.amount - budget,
      );
      expect(await f.registry.read.lockedStake([f.provider.account.address])).to.equal(0n);
      await claimEverythingAndExpectSolvent(f);
    });

    it("a provider that lies inconsistently at the dissection points is still pinned to one step with an agreed pre-digest and a different post-digest, and loses", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const k = 256;
      const segment = 2;
      const start = k;
      // Each job's committed trace is fabricated from offset 200 on, but in the game the provider
      // posts fabricated digests at some earlier points and honest ones at some later points.
      const patterns: Array<(o: number) => boolean> = [
        (o) => o === 48 || o === 80 || o > 200, // lies early, then tells the truth, then cheats
        (o) => o > 200 && o % 2 === 0, // honest at odd offsets even past the cheat
        (o) => o > 190 && o !== 208 && o !== 255, // honest at some points past the cheat
      ];
      for (const lies of patterns) {
        const job = await tracedJob(f, { k, cheatFromStep: start + 200 });
        const providerAt = (o: number): Hex =>
          lies(o) ? keccak256(toHex(`fabricated:${job.jobId}:${o}`)) : job.honestDigest(start + o);
        const { disputeId, digests } = await openDispute(
          f,
          job,
          segment,
          f.verifier,
          job.honestDigest(start + k),
        );
        await playDissection(
          f,
          disputeId,
          digests,
          providerAt,
          (o) => job.honestDigest(start + o),
          f.verifier,
        );
        const d = await f.disputeGame.read.getDispute([disputeId]);
        const ready = await readyForCommittee(f, disputeId);
        expect(d.hi - d.lo).to.equal(1);
        expect(ready.step).to.equal(d.hi);
        // Agreed before, disputed after: the first point where the provider's story is false.
        expect(ready.preDigest).to.equal(job.honestDigest(start + d.lo));
        expect(ready.providerDigest).to.equal(providerAt(d.hi));
        expect(ready.providerDigest).to.not.equal(job.honestDigest(start + d.hi));
        expect(ready.challengerDigest).to.equal(job.honestDigest(start + d.hi));
        const { members } = await drawCommittee(f, disputeId);
        await vote(f, disputeId, members, () =>
          honestVote(job, start + d.hi, ready.providerDigest),
        );
        expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ChallengerWon);
        expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Slashed);
      }
      // One slash for the job, whatever the number of disputes won against it.
      expect(await f.registry.read.lockedStake([f.provider.account.address])).to.equal(0n);
      await claimEverythingAndExpectSolvent(f);
    });

    it("a challenger that lies at the dissection points about an honest segment ends on a step the provider computed correctly, and loses", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const k = 256;
      const job = await tracedJob(f, { k });
      // Agrees with the truth up to offset 100, then makes things up.
      const liar = (o: number): Hex =>
        o <= 100 ? job.honestDigest(o) : keccak256(toHex(`liar:${o}`));
      const { disputeId, digests } = await openDispute(f, job, 1, f.verifier2, liar(k));
      await playDissection(f, disputeId, digests, (o) => job.honestDigest(o), liar, f.verifier2);
      const d = await f.disputeGame.read.getDispute([disputeId]);
      expect([d.lo, d.hi]).to.deep.equal([100, 101]);
      const ready = await readyForCommittee(f, disputeId);
      expect(ready.preDigest).to.equal(job.honestDigest(100));
      expect(ready.providerDigest).to.equal(job.honestDigest(101));
      const { members } = await drawCommittee(f, disputeId);
      await vote(f, disputeId, members, () => honestVote(job, 101, ready.providerDigest));
      expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ProviderWon);
      expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Opened);
      await claimEverythingAndExpectSolvent(f);
    });

    it("segment 1 is disputed from the job's initial state digest", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const k = 16;
      const job = await tracedJob(f, { k, cheatFromStep: 0 });
      const { disputeId, digests } = await openDispute(f, job, 1, f.verifier, job.honestDigest(k));
      expect(digests.lo).to.equal(job.params.initialStateDigest);
      await playDissection(
        f,
        disputeId,
        digests,
        (o) => job.providerDigest(o),
        (o) => job.honestDigest(o),
        f.verifier,
      );
      const ready = await readyForCommittee(f, disputeId);
      expect(ready.step).to.equal(1);
      expect(ready.preDigest).to.equal(job.params.initialStateDigest);
    });

    it("with k = 1 an exact dispute is already one step and goes straight to the committee", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const job = await tracedJob(f, { k: 1, checkpoints: 16, cheatFromStep: 4 });
      const { disputeId } = await openDispute(f, job, 5, f.verifier, job.honestDigest(5));
      const d = await f.disputeGame.read.getDispute([disputeId]);
      expect(d.phase).to.equal(PHASE.AwaitingCommittee);
      expect((await readyForCommittee(f, disputeId)).step).to.equal(1);
    });

    it("referees voting Neither (both post-digests wrong) decide against the provider in exact mode", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const k = 16;
      const job = await tracedJob(f, { k, cheatFromStep: k + 2 });
      const { disputeId, digests } = await openDispute(
        f,
        job,
        2,
        f.verifier,
        job.honestDigest(2 * k),
      );
      await playDissection(
        f,
        disputeId,
        digests,
        (o) => job.providerDigest(k + o),
        (o) => job.honestDigest(k + o),
        f.verifier,
      );
      const { members } = await drawCommittee(f, disputeId);
      await vote(f, disputeId, members, (_m, seat) => (seat === 2 ? VOTE.Provider : VOTE.Neither));
      expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ChallengerWon);
      // Neither voters were the majority: paid. The Provider voter was the minority: penalized.
      const p = await parameters(f);
      const pot = (job.params.collateral * p.refereeShareBps) / BPS;
      const minimum = await f.registry.read.minVerifierStake();
      for (const member of new Set(members)) {
        expect(await f.disputeGame.read.creditOf([member])).to.equal(
          (pot / 2n) * seatsHeld(members, member, [0, 1]),
        );
        const [free] = await f.registry.read.accountOf([member, STAKE_ROLE.Verifier]);
        expect(free).to.equal(minimum - p.refereePenalty * seatsHeld(members, member, [2]));
      }
      await claimEverythingAndExpectSolvent(f);
    });
  });

  describe("tolerance numerics", () => {
    async function toleranceDispute(f: DisputeFixture) {
      const job = await tracedJob(f, { k: 32, numerics: NUMERICS.Tolerance });
      const { disputeId } = await openDispute(f, job, 4, f.verifier, keccak256(toHex("mine")));
      return { job, disputeId };
    }

    it("a tolerance dispute skips the dissection: the committee re-executes the whole segment", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const { job, disputeId } = await toleranceDispute(f);
      const d = await f.disputeGame.read.getDispute([disputeId]);
      expect(d.phase).to.equal(PHASE.AwaitingCommittee);
      expect(d.exact).to.equal(false);
      const ready = await readyForCommittee(f, disputeId);
      expect(ready.step).to.equal(job.k);
      expect(ready.preDigest).to.equal(job.trace[2]!.stateDigest);
      expect(ready.providerDigest).to.equal(job.trace[3]!.stateDigest);
      // No dissection moves exist in tolerance mode.
      await expectRevertFrom(
        f.disputeGame.write.postPoints(
          [
            disputeId,
            {
              lo: ready.preDigest,
              hi: ready.providerDigest,
              challengerHi: ready.challengerDigest,
            },
            [],
          ],
          { account: f.provider.account },
        ),
        "DisputeWrongPhase",
        [disputeId, PHASE.AwaitingCommittee],
      );
    });

    it("referees who measure a distance above delta vote Challenger: the provider is slashed", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await parameters(f);
      const { job, disputeId } = await toleranceDispute(f);
      const { members } = await drawCommittee(f, disputeId);
      // deltaPpm is 10,000: a re-execution 25,000 ppm away fails.
      await vote(f, disputeId, members, () => VOTE.Challenger, 25_000n);
      const revealed = await f.disputeGame.getEvents.VoteRevealed({ disputeId }, { fromBlock: 0n });
      expect(revealed.map((e) => e.args.distancePpm)).to.deep.equal([25_000n, 25_000n, 25_000n]);
      expect(await resolution(f, disputeId)).to.deep.equal({
        outcome: OUTCOME_CODE.ChallengerWon,
        byTimeout: false,
      });
      expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Slashed);
      expect(await f.disputeGame.read.creditOf([f.verifier.account.address])).to.equal(
        p.challengeBond + (job.params.collateral * p.challengerShareBps) / BPS,
      );
      await claimEverythingAndExpectSolvent(f);
    });

    it("referees who measure a distance within delta vote Provider: the challenger loses its bond", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await parameters(f);
      const { job, disputeId } = await toleranceDispute(f);
      const { members } = await drawCommittee(f, disputeId);
      await vote(f, disputeId, members, () => VOTE.Provider, 4_000n);
      expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ProviderWon);
      expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Opened);
      const pot = (p.challengeBond * p.refereeShareBps) / BPS;
      expect(await f.disputeGame.read.creditOf([f.provider.account.address])).to.equal(
        p.challengeBond - pot,
      );
      await claimEverythingAndExpectSolvent(f);
    });

    it("Neither is not a valid vote in tolerance mode (a segment is either within delta or not)", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const { disputeId } = await toleranceDispute(f);
      const { members } = await drawCommittee(f, disputeId);
      await expectRevertFrom(
        vote(f, disputeId, members, () => VOTE.Neither),
        "DisputeInvalidVote",
        [disputeId, VOTE.Neither],
      );
    });
  });
});
