// Attacks on the committee and the dispute payouts (docs/disputes.md, "Committees" and
// "Self-challenge"): each was played against the contracts before stake-weighted sortition and
// the share bound, and won there.
import { expect } from "chai";
import { getAddress, keccak256, toHex, zeroAddress } from "viem";

import { MIN_VERIFIER_STAKE, networkHelpers } from "./fixtures.ts";
import {
  VOTE,
  answeredAvailabilityDispute,
  claimEverythingAndExpectSolvent,
  createSybils,
  disputeFixture,
  drainReferees,
  drawCommittee,
  expectRevertFrom,
  openDispute,
  resolution,
  tracedJob,
  vote,
} from "./dispute-fixtures.ts";
import { JOB, NUMERICS, OUTCOME_CODE, STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

const BPS = 10_000n;
const CLAIM = keccak256(toHex("challenger's digest"));

describe("DisputeGame: attacks on committees and payouts", () => {
  it("pollution: 100 dead verifier entries per live one (staked and unstaked at once) do not empty the committee; the cheater is judged and slashed", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    // Three live referees outside the parties: two of the pool and verifier2.
    await drainReferees(f, 2);
    const dead = await createSybils(f, 300, MIN_VERIFIER_STAKE, true);
    expect(dead).to.have.length(300);
    for (const d of dead.slice(0, 5))
      expect(await f.registry.read.verifierWeight([d])).to.equal(0n);

    const job = await tracedJob(f, { k: 8, numerics: NUMERICS.Tolerance });
    const { disputeId } = await openDispute(f, job, 2, f.verifier, CLAIM);
    const { members } = await drawCommittee(f, disputeId);
    expect(members).to.have.length(3);
    const live = new Set(
      [...f.referees.slice(0, 2), f.verifier2].map((w) => getAddress(w.account.address)),
    );
    for (const m of members) expect(live.has(getAddress(m)), `${m} is live`).to.equal(true);
    await vote(f, disputeId, members, () => VOTE.Challenger);
    expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ChallengerWon);
    expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Slashed);
  });

  it("splitting stake over addresses does not multiply weight: one verifier with 10 × the minimum holds about as many seats as 10 sybils with the minimum each", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    await drainReferees(f, 0);
    await f.registry.write.requestUnstake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], {
      account: f.verifier2.account,
    });
    const whale = f.referees[0]!;
    await f.registry.write.stake([STAKE_ROLE.Verifier, 10n * MIN_VERIFIER_STAKE], {
      account: whale.account,
    });
    const split = await createSybils(f, 10, MIN_VERIFIER_STAKE, false);
    await networkHelpers.mine(1);
    const snapshot = (await f.publicClient.getBlockNumber()) - 1n;
    let whaleSeats = 0;
    let sybilSeats = 0;
    for (let i = 0; i < 10; i++) {
      const seats = await f.registry.read.drawVerifiers([
        keccak256(toHex(`seed ${i}`)),
        snapshot,
        21n,
        [f.verifier.account.address, zeroAddress, zeroAddress],
      ]);
      expect(seats).to.have.length(21);
      for (const s of seats) {
        if (getAddress(s) === getAddress(whale.account.address)) whaleSeats++;
        else if (split.map((a) => getAddress(a)).includes(getAddress(s))) sybilSeats++;
        else expect.fail(`${s} holds no weight`);
      }
    }
    // 210 seats at even odds: a 3-sigma band is ±22 around 105. By count, the whale would get 1 in 11.
    expect(whaleSeats).to.be.within(83, 127);
    expect(whaleSeats + sybilSeats).to.equal(210);
  });

  it("drawn sybils that start unbonding once the randomness is public cannot shorten the committee: they keep their seats and pay for staying silent", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const p = await f.disputeGame.read.parameters();
    const job = await tracedJob(f, { k: 8, numerics: NUMERICS.Tolerance });
    const { disputeId } = await openDispute(f, job, 2, f.verifier, CLAIM);
    await networkHelpers.mine(4);
    const preview = await f.disputeGame.read.committeeOf([disputeId]);
    expect(preview).to.have.length(3);
    for (const m of new Set(preview)) {
      const wallet = f.wallets.get(m.toLowerCase())!;
      const [free] = await f.registry.read.accountOf([m, STAKE_ROLE.Verifier]);
      await f.registry.write.requestUnstake([STAKE_ROLE.Verifier, free], {
        account: wallet.account,
      });
    }
    const { members } = await drawCommittee(f, disputeId);
    expect(members).to.deep.equal(preview);
    // Nobody votes: each silent seat's penalty comes out of unbonding stake; the round is redrawn.
    const d = await f.disputeGame.read.getDispute([disputeId]);
    await networkHelpers.time.increaseTo(BigInt(d.revealDeadline) + 1n);
    await f.disputeGame.write.resolve([disputeId, members], { account: f.stranger.account });
    const penalties = await f.disputeGame.getEvents.RefereePenalized({ disputeId });
    expect(penalties.map((e) => e.args.amount)).to.deep.equal([
      p.refereePenalty,
      p.refereePenalty,
      p.refereePenalty,
    ]);
    expect((await f.disputeGame.read.getDispute([disputeId])).round).to.equal(2);
  });

  it("self-challenge: a provider that challenges its own cheating job through a sock puppet recovers at most MAX_RECOVERABLE_BPS of its collateral", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const p = await f.disputeGame.read.parameters();
    const job = await tracedJob(f, { k: 8, numerics: NUMERICS.Tolerance });
    const puppet = f.verifier2;
    const collateral = job.params.collateral;
    const lockedBefore = await f.registry.read.lockedStake([f.provider.account.address]);
    const { disputeId } = await openDispute(f, job, 2, puppet, CLAIM);
    const { members } = await drawCommittee(f, disputeId);
    await vote(f, disputeId, members, () => VOTE.Challenger);
    expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ChallengerWon);
    expect(await f.registry.read.lockedStake([f.provider.account.address])).to.equal(
      lockedBefore - collateral,
    );
    // The puppet's winnings beyond its own bond are what the provider wins back.
    const recovered =
      (await f.disputeGame.read.creditOf([puppet.account.address])) - p.challengeBond;
    expect(recovered).to.equal((collateral * p.challengerShareBps) / BPS);
    const max = await f.disputeGame.read.MAX_RECOVERABLE_BPS();
    // Even if every referee were the provider's too, the deterrent stays at least (1 − 10 %) · C.
    const pot = (collateral * p.refereeShareBps) / BPS;
    expect((recovered + pot) * BPS <= collateral * max, "recovered within the bound").to.equal(
      true,
    );
    expect(Number(collateral - recovered - pot) / Number(collateral)).to.be.at.least(0.9);
    await claimEverythingAndExpectSolvent(f);
  });

  // Found by an independent review of the first sortition: the first round's randomness was
  // requested at the answer, while the challenger could still withdraw for an hour. It read the
  // committee (committeeOf), withdrew (bond back) and challenged again until 3 friendly verifiers
  // out of 11 held a majority: 6 free re-rolls, then an honest provider was slashed.
  it("availability: no randomness exists while the challenger may withdraw, so it cannot preview the committee to re-roll it", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const job = await tracedJob(f, { k: 16 });
    const opened = await answeredAvailabilityDispute(f, job, 2);
    await networkHelpers.mine(20);
    const inside = await f.disputeGame.read.getDispute([opened.disputeId]);
    expect(BigInt(await networkHelpers.time.latest()) < BigInt(inside.commitDeadline)).to.equal(
      true,
    );
    expect(inside.round).to.equal(0);
    expect(await f.disputeGame.read.committeeOf([opened.disputeId])).to.deep.equal([]);
    await expectRevertFrom(
      f.disputeGame.write.drawCommittee([opened.disputeId], { account: f.stranger.account }),
      "DisputeDeadlineNotReached",
      [opened.disputeId, BigInt(inside.commitDeadline)],
    );
    // After the window: the first round is requested, and withdrawal is closed.
    await networkHelpers.time.increaseTo(BigInt(inside.commitDeadline) + 1n);
    await f.disputeGame.write.drawCommittee([opened.disputeId], { account: f.stranger.account });
    const [requested] = await f.disputeGame.getEvents.RandomnessRequested({
      disputeId: opened.disputeId,
    });
    expect(requested!.args.round).to.equal(1n);
    await expectRevertFrom(
      f.disputeGame.write.withdrawChallenge([opened.disputeId], { account: f.verifier.account }),
      "DisputeDeadlinePassed",
    );
    const { members } = await drawCommittee(f, opened.disputeId);
    expect(members).to.have.length(3);
  });

  // Found by the same review: a party's weight was cut from the line only if it still held its
  // snapshot slot, so releasing it after the randomness was public changed every seat drawn — a
  // free choice among committees for every challenger (it must hold verifier stake).
  it("once the randomness is public, no party changes the committee by releasing or keeping its verifier slot", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    await f.registry.write.stake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], {
      account: f.provider.account,
    });
    const job = await tracedJob(f, { k: 8, numerics: NUMERICS.Tolerance });
    const { disputeId } = await openDispute(f, job, 2, f.verifier, CLAIM);
    await networkHelpers.mine(4);
    const fixed = (await f.disputeGame.read.committeeOf([disputeId])).map((m) => getAddress(m));
    expect(fixed).to.have.length(3);
    const options: string[][] = [];
    for (const who of [[f.verifier], [f.provider], [f.verifier, f.provider]]) {
      const snap = await networkHelpers.takeSnapshot();
      for (const w of who)
        await f.registry.write.requestUnstake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], {
          account: w.account,
        });
      options.push((await f.disputeGame.read.committeeOf([disputeId])).map((m) => getAddress(m)));
      await snap.restore();
    }
    for (const option of options) expect(option).to.deep.equal(fixed);
    await f.registry.write.requestUnstake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], {
      account: f.verifier.account,
    });
    const { members } = await drawCommittee(f, disputeId);
    expect(members.map((m) => getAddress(m))).to.deep.equal(fixed);
  });

  // Found by the same review: a party with 100 × the outside weight released its slot right after
  // the snapshot; its range stayed on the line, the draws landing there were skipped, and round 1
  // came out empty although ample stake lay outside the parties.
  it("a party with large verifier stake that leaves after the snapshot cannot make the committee short", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const big = 100n * 11n * MIN_VERIFIER_STAKE;
    await f.registry.write.stake([STAKE_ROLE.Verifier, big], { account: f.provider.account });
    const job = await tracedJob(f, { k: 8, numerics: NUMERICS.Tolerance });
    const { disputeId } = await openDispute(f, job, 2, f.verifier, CLAIM);
    await f.registry.write.requestUnstake([STAKE_ROLE.Verifier, big], {
      account: f.provider.account,
    });
    const { members } = await drawCommittee(f, disputeId);
    expect(members).to.have.length(3);
    expect(
      await f.disputeGame.getEvents.CommitteeShort({ disputeId }, { fromBlock: 0n }),
    ).to.have.length(0);
  });
});
