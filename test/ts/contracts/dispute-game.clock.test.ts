// Chess clocks and move rules of the dissection (docs/protocol.md §6: every move has a clock; whoever
// runs out of time loses). Times are set to the second with setNextBlockTimestamp, so the overdue
// and remaining seconds in the errors are exact.
import { expect } from "chai";
import { keccak256, toHex, type Hex } from "viem";

import { networkHelpers } from "./fixtures.ts";
import {
  PHASE,
  claimEverythingAndExpectSolvent,
  disputeFixture,
  expectRevertFrom,
  openDispute,
  resolution,
  tracedJob,
  type DisputeFixture,
} from "./dispute-fixtures.ts";
import { chooseNarrowing, type DissectionDigests } from "../../../src/protocol/dissection.ts";
import { JOB, OUTCOME_CODE } from "../../../src/protocol/onchain-enums.ts";

const BPS = 10_000n;
const { time } = networkHelpers;

/** A cheating job (k = 64: two provider moves) with a dispute on segment 2 by `f.verifier`. */
async function dissection(f: DisputeFixture) {
  const k = 64;
  const job = await tracedJob(f, { k, cheatFromStep: k + 37 });
  const opened = await openDispute(f, job, 2, f.verifier, job.honestDigest(2 * k));
  const providerAt = (o: number): Hex => job.providerDigest(k + o);
  const challengerAt = (o: number): Hex => job.honestDigest(k + o);
  return { job, k, providerAt, challengerAt, ...opened };
}

async function lastMoveAt(f: DisputeFixture, disputeId: bigint): Promise<bigint> {
  return BigInt((await f.disputeGame.read.getDispute([disputeId])).lastMoveAt);
}

async function postPoints(
  f: DisputeFixture,
  disputeId: bigint,
  current: DissectionDigests,
  providerAt: (o: number) => Hex,
): Promise<Hex[]> {
  const points = (await f.disputeGame.read.pointsOf([disputeId])).map(Number);
  const posted = points.map(providerAt);
  await f.disputeGame.write.postPoints([disputeId, current, posted], {
    account: f.provider.account,
  });
  return posted;
}

async function narrow(
  f: DisputeFixture,
  disputeId: bigint,
  current: DissectionDigests,
  posted: Hex[],
  challengerAt: (o: number) => Hex,
): Promise<DissectionDigests> {
  const d = await f.disputeGame.read.getDispute([disputeId]);
  const move = chooseNarrowing(d.lo, d.hi, current, posted, challengerAt);
  await f.disputeGame.write.narrow(
    [disputeId, current, posted, BigInt(move.choice), move.ownDigest],
    { account: f.verifier.account },
  );
  return move.next;
}

describe("DisputeGame: clocks and dissection moves", () => {
  describe("timeouts", () => {
    it("a provider that never posts its points loses by timeout: slashed, the challenger gets its bond and share, the treasury the rest", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await f.disputeGame.read.parameters();
      const { job, disputeId } = await dissection(f);
      await time.setNextBlockTimestamp((await lastMoveAt(f, disputeId)) + p.clockBudget + 1n);
      // Anyone may call timeout: here a stranger.
      await f.disputeGame.write.timeout([disputeId], { account: f.stranger.account });

      expect(await resolution(f, disputeId)).to.deep.equal({
        outcome: OUTCOME_CODE.ChallengerWon,
        byTimeout: true,
      });
      expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Slashed);
      const share = (job.params.collateral * p.challengerShareBps) / BPS;
      expect(await f.disputeGame.read.creditOf([f.verifier.account.address])).to.equal(
        p.challengeBond + share,
      );
      // Nobody refereed, so the referee share goes to the treasury with the rest.
      expect(await f.disputeGame.read.creditOf([f.treasury.account.address])).to.equal(
        job.params.collateral - share,
      );
      expect(await f.market.read.creditOf([f.submitter.account.address])).to.equal(
        job.params.amount,
      );
      await claimEverythingAndExpectSolvent(f);
    });

    it("a challenger that never narrows loses by timeout: the whole bond goes to the provider and the job returns to Opened", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await f.disputeGame.read.parameters();
      const { job, disputeId, digests, providerAt } = await dissection(f);
      await postPoints(f, disputeId, digests, providerAt);
      await time.setNextBlockTimestamp((await lastMoveAt(f, disputeId)) + p.clockBudget + 1n);
      await f.disputeGame.write.timeout([disputeId], { account: f.provider.account });

      expect(await resolution(f, disputeId)).to.deep.equal({
        outcome: OUTCOME_CODE.ProviderWon,
        byTimeout: true,
      });
      expect(await f.disputeGame.read.creditOf([f.provider.account.address])).to.equal(
        p.challengeBond,
      );
      expect(await f.disputeGame.read.creditOf([f.verifier.account.address])).to.equal(0n);
      const after = await f.market.read.getJob([job.jobId]);
      expect(after.status).to.equal(JOB.Opened);
      expect(after.openDisputes).to.equal(0);
      await claimEverythingAndExpectSolvent(f);
    });

    it("a provider move after its clock ran out reverts DisputeClockExpired with the seconds overdue", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await f.disputeGame.read.parameters();
      const { disputeId, digests, providerAt } = await dissection(f);
      await time.setNextBlockTimestamp((await lastMoveAt(f, disputeId)) + p.clockBudget + 7n);
      await expectRevertFrom(postPoints(f, disputeId, digests, providerAt), "DisputeClockExpired", [
        disputeId,
        7n,
      ]);
    });

    it("a challenger move after its clock ran out reverts DisputeClockExpired with the seconds overdue", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await f.disputeGame.read.parameters();
      const { disputeId, digests, providerAt, challengerAt } = await dissection(f);
      const posted = await postPoints(f, disputeId, digests, providerAt);
      await time.setNextBlockTimestamp((await lastMoveAt(f, disputeId)) + p.clockBudget + 1n);
      await expectRevertFrom(
        narrow(f, disputeId, digests, posted, challengerAt),
        "DisputeClockExpired",
        [disputeId, 1n],
      );
    });

    it("timeout before the mover's clock runs out reverts DisputeClockRunning with the seconds left, on either side's turn", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await f.disputeGame.read.parameters();
      const { disputeId, digests, providerAt } = await dissection(f);
      await time.setNextBlockTimestamp((await lastMoveAt(f, disputeId)) + 100n);
      await expectRevertFrom(
        f.disputeGame.write.timeout([disputeId], { account: f.verifier.account }),
        "DisputeClockRunning",
        [disputeId, p.clockBudget - 100n],
      );
      await postPoints(f, disputeId, digests, providerAt);
      // Exactly at the budget the clock has not run out yet: 0 s left.
      await time.setNextBlockTimestamp((await lastMoveAt(f, disputeId)) + p.clockBudget);
      await expectRevertFrom(
        f.disputeGame.write.timeout([disputeId], { account: f.provider.account }),
        "DisputeClockRunning",
        [disputeId, 0n],
      );
    });

    it("chess clocks: time used on earlier moves is gone for later ones, each side's clock runs only on its own turn", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await f.disputeGame.read.parameters();
      const { disputeId, digests, providerAt, challengerAt } = await dissection(f);
      const hour = 3600n;
      // Provider: 2 h on its first move.
      await time.setNextBlockTimestamp((await lastMoveAt(f, disputeId)) + 2n * hour);
      const posted = await postPoints(f, disputeId, digests, providerAt);
      let d = await f.disputeGame.read.getDispute([disputeId]);
      expect(BigInt(d.providerClock)).to.equal(p.clockBudget - 2n * hour);
      expect(BigInt(d.challengerClock)).to.equal(p.clockBudget);
      // Challenger: 1 h on its first move.
      await time.setNextBlockTimestamp((await lastMoveAt(f, disputeId)) + hour);
      const current = await narrow(f, disputeId, digests, posted, challengerAt);
      d = await f.disputeGame.read.getDispute([disputeId]);
      expect(BigInt(d.providerClock)).to.equal(p.clockBudget - 2n * hour);
      expect(BigInt(d.challengerClock)).to.equal(p.clockBudget - hour);
      expect(d.providerTurn).to.equal(true);

      // The provider has budget − 2 h left for its second move, not a fresh budget.
      const left = p.clockBudget - 2n * hour;
      await time.setNextBlockTimestamp((await lastMoveAt(f, disputeId)) + left);
      await expectRevertFrom(
        f.disputeGame.write.timeout([disputeId], { account: f.verifier.account }),
        "DisputeClockRunning",
        [disputeId, 0n],
      );
      await time.setNextBlockTimestamp((await lastMoveAt(f, disputeId)) + left + 1n);
      await expectRevertFrom(postPoints(f, disputeId, current, providerAt), "DisputeClockExpired", [
        disputeId,
        1n,
      ]);
      await f.disputeGame.write.timeout([disputeId], { account: f.verifier.account });
      expect(await resolution(f, disputeId)).to.deep.equal({
        outcome: OUTCOME_CODE.ChallengerWon,
        byTimeout: true,
      });
    });

    it("timeout only applies during the dissection (not once the dispute awaits its committee) and to disputes that exist", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await f.disputeGame.read.parameters();
      const { disputeId, digests, providerAt, challengerAt } = await dissection(f);
      let current = digests;
      for (let round = 0; round < 2; round++) {
        const posted = await postPoints(f, disputeId, current, providerAt);
        current = await narrow(f, disputeId, current, posted, challengerAt);
      }
      await time.increase(p.clockBudget * 2n);
      await expectRevertFrom(
        f.disputeGame.write.timeout([disputeId], { account: f.provider.account }),
        "DisputeWrongPhase",
        [disputeId, PHASE.AwaitingCommittee],
      );
      await expectRevertFrom(
        f.disputeGame.write.timeout([99n], { account: f.provider.account }),
        "DisputeNotFound",
        [99n],
      );
    });
  });

  describe("move rules", () => {
    it("only the provider posts, only on its turn; only the challenger narrows, only on its turn", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const { disputeId, digests, providerAt, challengerAt } = await dissection(f);
      const points = (await f.disputeGame.read.pointsOf([disputeId])).map(Number);
      await expectRevertFrom(
        f.disputeGame.write.postPoints([disputeId, digests, points.map(providerAt)], {
          account: f.verifier.account,
        }),
        "DisputeNotYourTurn",
        [disputeId, f.verifier.account.address],
      );
      await expectRevertFrom(
        f.disputeGame.write.narrow([disputeId, digests, [], 0n, challengerAt(4)], {
          account: f.verifier.account,
        }),
        "DisputeNotYourTurn",
        [disputeId, f.verifier.account.address],
      );
      const posted = await postPoints(f, disputeId, digests, providerAt);
      await expectRevertFrom(postPoints(f, disputeId, digests, providerAt), "DisputeNotYourTurn", [
        disputeId,
        f.provider.account.address,
      ]);
      await expectRevertFrom(
        f.disputeGame.write.narrow([disputeId, digests, posted, 0n, challengerAt(4)], {
          account: f.provider.account,
        }),
        "DisputeNotYourTurn",
        [disputeId, f.provider.account.address],
      );
    });

    it("the provider posts exactly the points pointsOf names, against the current digests", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const { disputeId, digests, providerAt } = await dissection(f);
      const points = (await f.disputeGame.read.pointsOf([disputeId])).map(Number);
      expect(points).to.deep.equal(Array.from({ length: 15 }, (_, j) => 4 * (j + 1)));
      await expectRevertFrom(
        f.disputeGame.write.postPoints([disputeId, digests, points.slice(1).map(providerAt)], {
          account: f.provider.account,
        }),
        "DisputeInvalidPoints",
        [disputeId, 15n, 14n],
      );
      // The dissection state is a hash: a provider cannot swap in other digests.
      await expectRevertFrom(
        f.disputeGame.write.postPoints(
          [disputeId, { ...digests, challengerHi: digests.hi }, points.map(providerAt)],
          { account: f.provider.account },
        ),
        "DisputeStateMismatch",
        [disputeId],
      );
    });

    it("the challenger must repeat the posted digests, pick a sub-range that exists, and keep a digest that differs from the provider's", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const { disputeId, digests, providerAt, challengerAt } = await dissection(f);
      const posted = await postPoints(f, disputeId, digests, providerAt);
      const other: Hex[] = posted.map((_, j) => (j === 0 ? keccak256(toHex("x")) : posted[j]!));
      await expectRevertFrom(
        f.disputeGame.write.narrow([disputeId, digests, other, 0n, challengerAt(4)], {
          account: f.verifier.account,
        }),
        "DisputeStateMismatch",
        [disputeId],
      );
      await expectRevertFrom(
        f.disputeGame.write.narrow([disputeId, digests, posted, 16n, challengerAt(4)], {
          account: f.verifier.account,
        }),
        "DisputeInvalidChoice",
        [disputeId, 16n],
      );
      // Disputing [32, 36] while claiming the provider's own digest at 36 is no dispute.
      await expectRevertFrom(
        f.disputeGame.write.narrow([disputeId, digests, posted, 8n, posted[8]!], {
          account: f.verifier.account,
        }),
        "DisputeSameDigest",
        [disputeId],
      );
      // The last sub-range keeps hi and both sides' digests there: ownDigest is ignored.
      await f.disputeGame.write.narrow([disputeId, digests, posted, 15n, posted[0]!], {
        account: f.verifier.account,
      });
      const d = await f.disputeGame.read.getDispute([disputeId]);
      expect([d.lo, d.hi]).to.deep.equal([60, 64]);
      const [event] = await f.disputeGame.getEvents.RangeNarrowed({ disputeId });
      expect(event!.args.loDigest).to.equal(posted[14]);
      expect(event!.args.providerDigest).to.equal(digests.hi);
      expect(event!.args.challengerDigest).to.equal(digests.challengerHi);
    });
  });
});
