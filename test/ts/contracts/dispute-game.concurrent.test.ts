// Several disputes on one job (IDisputeGame: a provider that loses a staged dispute against its own
// sock-puppet cannot stop an honest challenger). The job is slashed at most once, cannot finalize
// while any dispute is open, and reopens only when every dispute ended without a slash.
import { expect } from "chai";
import { keccak256, toHex, type Hex } from "viem";

import { networkHelpers } from "./fixtures.ts";
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
  resolution,
  tracedJob,
  vote,
  type DisputeFixture,
  type TracedJob,
} from "./dispute-fixtures.ts";
import { JOB, OUTCOME_CODE, STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

const BPS = 10_000n;

/** Plays an honest challenger's dispute on `segment` of `job` through to the committee vote. */
async function honestDispute(
  f: DisputeFixture,
  job: TracedJob,
  segment: number,
  challenger: DisputeFixture["verifier"],
  verdict: number,
) {
  const start = (segment - 1) * job.k;
  const { disputeId, digests } = await openDispute(
    f,
    job,
    segment,
    challenger,
    job.honestDigest(segment * job.k),
  );
  const finish = async (): Promise<void> => {
    await playDissection(
      f,
      disputeId,
      digests,
      (o) => job.providerDigest(start + o),
      (o) => job.honestDigest(start + o),
      challenger,
    );
    const { members } = await drawCommittee(f, disputeId);
    await vote(f, disputeId, members, () => verdict);
  };
  return { disputeId, finish };
}

async function providerSlashes(f: DisputeFixture): Promise<number> {
  const events = await f.registry.getEvents.Slashed(
    { account: f.provider.account.address, role: STAKE_ROLE.Provider },
    { fromBlock: 0n },
  );
  return events.length;
}

describe("DisputeGame: several disputes on one job", () => {
  it("a sock-puppet challenger that loses on purpose does not save a cheating provider: an honest challenger disputes the same segment, wins, and the provider is slashed once", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const p = await f.disputeGame.read.parameters();
    const k = 16;
    // A long challenge window: the staged dispute can end inside it.
    const job = await tracedJob(f, {
      k,
      cheatFromStep: k + 9,
      overrides: { challengeWindow: 24 * 3600 },
    });
    const lockedBefore = await f.registry.read.lockedStake([f.provider.account.address]);
    // verifier2 is the provider's sock-puppet: a staked verifier that challenges segment 2 and
    // then lets its clock run out.
    const staged = await openDispute(f, job, 2, f.verifier2, job.honestDigest(2 * k));
    const points = (await f.disputeGame.read.pointsOf([staged.disputeId])).map(Number);
    await f.disputeGame.write.postPoints(
      [staged.disputeId, staged.digests, points.map((o) => job.providerDigest(k + o))],
      { account: f.provider.account },
    );
    await networkHelpers.time.increase(p.clockBudget + 1n);
    await f.disputeGame.write.timeout([staged.disputeId], { account: f.provider.account });
    expect(await resolution(f, staged.disputeId)).to.deep.equal({
      outcome: OUTCOME_CODE.ProviderWon,
      byTimeout: true,
    });
    // The staged loss cleared nothing: the job reopened, but its window is still running.
    const reopened = await f.market.read.getJob([job.jobId]);
    expect(reopened.status).to.equal(JOB.Opened);
    const { timestamp } = await f.publicClient.getBlock();
    expect(timestamp < BigInt(reopened.deadline)).to.equal(true);
    await expectRevertFrom(
      f.market.write.finalize([job.jobId], { account: f.provider.account }),
      "JobDeadlineNotReached",
    );

    const honest = await honestDispute(f, job, 2, f.verifier, VOTE.Challenger);
    await honest.finish();
    expect((await resolution(f, honest.disputeId)).outcome).to.equal(OUTCOME_CODE.ChallengerWon);
    expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Slashed);
    expect(await f.registry.read.lockedStake([f.provider.account.address])).to.equal(
      lockedBefore - job.params.collateral,
    );
    expect(await providerSlashes(f)).to.equal(1);
    // The colluders only moved the puppet's bond to the provider; the honest challenger is paid.
    expect(await f.disputeGame.read.creditOf([f.provider.account.address])).to.equal(
      p.challengeBond,
    );
    expect(await f.disputeGame.read.creditOf([f.verifier.account.address])).to.equal(
      p.challengeBond + (job.params.collateral * p.challengerShareBps) / BPS,
    );
    await claimEverythingAndExpectSolvent(f);
  });

  it("two concurrent winning disputes: the first slashes, the second returns its challenger's bond without a second slash; no finalize while either is open", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const p = await f.disputeGame.read.parameters();
    const k = 16;
    const job = await tracedJob(f, { k, cheatFromStep: k + 3 });
    const lockedBefore = await f.registry.read.lockedStake([f.provider.account.address]);
    const first = await honestDispute(f, job, 2, f.verifier, VOTE.Challenger);
    const second = await honestDispute(f, job, 3, f.verifier2, VOTE.Challenger);
    let state = await f.market.read.getJob([job.jobId]);
    expect(state.status).to.equal(JOB.Disputed);
    expect(state.openDisputes).to.equal(2);
    await networkHelpers.time.increaseTo(BigInt(state.deadline) + 1n);
    await expectRevertFrom(
      f.market.write.finalize([job.jobId], { account: f.provider.account }),
      "JobWrongStatus",
      [job.jobId, JOB.Disputed],
    );

    await first.finish();
    state = await f.market.read.getJob([job.jobId]);
    expect(state.status).to.equal(JOB.Slashed);
    expect(state.openDisputes).to.equal(1);
    expect(await f.market.read.creditOf([f.submitter.account.address])).to.equal(job.params.amount);
    const treasuryAfterFirst = await f.disputeGame.read.creditOf([f.treasury.account.address]);
    // verifier2 may have sat on the first committee (it is no party to that dispute) and been paid.
    const secondChallengerBefore = await f.disputeGame.read.creditOf([f.verifier2.account.address]);
    await expectSolvent(f);

    await second.finish();
    expect((await resolution(f, second.disputeId)).outcome).to.equal(OUTCOME_CODE.ChallengerWon);
    state = await f.market.read.getJob([job.jobId]);
    expect(state.status).to.equal(JOB.Slashed);
    expect(state.openDisputes).to.equal(0);
    // One slash, one refund of the escrow.
    expect(await f.registry.read.lockedStake([f.provider.account.address])).to.equal(
      lockedBefore - job.params.collateral,
    );
    expect(await providerSlashes(f)).to.equal(1);
    expect(await f.market.read.creditOf([f.submitter.account.address])).to.equal(job.params.amount);
    // The second challenger gets its bond back and nothing else; no collateral left to share.
    expect(await f.disputeGame.read.creditOf([f.verifier2.account.address])).to.equal(
      secondChallengerBefore + p.challengeBond,
    );
    expect(await f.disputeGame.read.creditOf([f.treasury.account.address])).to.equal(
      treasuryAfterFirst,
    );
    await claimEverythingAndExpectSolvent(f);
    expect(await f.token.read.balanceOf([f.market.address])).to.equal(0n);
    expect(await f.token.read.balanceOf([f.disputeGame.address])).to.equal(0n);
  });

  it("an honest provider facing two lying challengers: the job stays Disputed until both lose, then reopens, its window extended by the disputes, and finalizes", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const p = await f.disputeGame.read.parameters();
    const k = 16;
    const job = await tracedJob(f, { k });
    const lie = (tag: string) => (o: number) => keccak256(toHex(`${tag}:${o}`)) as Hex;
    const a = await openDispute(f, job, 4, f.verifier, lie("a")(k));
    const b = await openDispute(f, job, 5, f.verifier2, lie("b")(k));
    for (const [d, challenger, tag] of [
      [a, f.verifier, "a"],
      [b, f.verifier2, "b"],
    ] as const) {
      const start = (d === a ? 3 : 4) * k;
      await playDissection(
        f,
        d.disputeId,
        d.digests,
        (o) => job.providerDigest(start + o),
        lie(tag),
        challenger,
      );
    }
    await networkHelpers.time.increase(job.params.challengeWindow + 1);

    const committeeA = await drawCommittee(f, a.disputeId);
    await vote(f, a.disputeId, committeeA.members, () => VOTE.Provider);
    let state = await f.market.read.getJob([job.jobId]);
    expect(state.status).to.equal(JOB.Disputed);
    expect(state.openDisputes).to.equal(1);
    await expectRevertFrom(
      f.market.write.finalize([job.jobId], { account: f.provider.account }),
      "JobWrongStatus",
      [job.jobId, JOB.Disputed],
    );

    const committeeB = await drawCommittee(f, b.disputeId);
    await vote(f, b.disputeId, committeeB.members, () => VOTE.Provider);
    state = await f.market.read.getJob([job.jobId]);
    expect(state.status).to.equal(JOB.Opened);
    expect(state.openDisputes).to.equal(0);
    // The window stood still while the disputes were open: it runs again for what was left of it.
    await expectRevertFrom(
      f.market.write.finalize([job.jobId], { account: f.provider.account }),
      "JobDeadlineNotReached",
    );
    await networkHelpers.time.increaseTo(BigInt(state.deadline) + 1n);
    await f.market.write.finalize([job.jobId], { account: f.provider.account });
    expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Finalized);
    const pot = (p.challengeBond * p.refereeShareBps) / BPS;
    expect(await f.disputeGame.read.creditOf([f.provider.account.address])).to.equal(
      2n * (p.challengeBond - pot),
    );
    expect(await f.registry.read.lockedStake([f.provider.account.address])).to.equal(0n);
    await claimEverythingAndExpectSolvent(f);
  });

  it("one dispute lost by the challenger and one whose first committee reached no majority: the job stays held until the redrawn committee decides, then reopens unslashed", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const k = 16;
    const job = await tracedJob(f, { k });
    const liar = (o: number): Hex => keccak256(toHex(`liar:${o}`));
    const a = await openDispute(f, job, 2, f.verifier, liar(k));
    const b = await openDispute(f, job, 2, f.verifier2, liar(k));
    for (const [d, challenger] of [
      [a, f.verifier],
      [b, f.verifier2],
    ] as const) {
      await playDissection(
        f,
        d.disputeId,
        d.digests,
        (o) => job.providerDigest(k + o),
        liar,
        challenger,
      );
    }
    const committeeA = await drawCommittee(f, a.disputeId);
    await vote(f, a.disputeId, committeeA.members, () => VOTE.Provider);
    const committeeB = await drawCommittee(f, b.disputeId);
    await vote(f, b.disputeId, committeeB.members, (_m, seat) =>
      seat === 0 ? VOTE.Provider : seat === 1 ? VOTE.Challenger : null,
    );
    expect((await resolution(f, a.disputeId)).outcome).to.equal(OUTCOME_CODE.ProviderWon);
    expect((await f.disputeGame.read.getDispute([b.disputeId])).phase).to.equal(
      PHASE.AwaitingCommittee,
    );
    expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Disputed);
    const again = await drawCommittee(f, b.disputeId);
    await vote(f, b.disputeId, again.members, () => VOTE.Provider);
    expect((await resolution(f, b.disputeId)).outcome).to.equal(OUTCOME_CODE.ProviderWon);
    expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Opened);
    await claimEverythingAndExpectSolvent(f);
  });
});
