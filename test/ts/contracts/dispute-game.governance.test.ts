// DisputeGame.setParameters: the governor's only lever. Every parameter has bounds, and the longest
// possible dispute must fit in half the registry's unbonding delay, so that stake a dispute may
// slash cannot finish unbonding first (docs/protocol.md §7).
import { expect } from "chai";
import { keccak256, stringToHex, toHex } from "viem";

import { MAX_RECOVERABLE_BPS } from "../../../src/protocol/economics.ts";
import { networkHelpers } from "./fixtures.ts";
import {
  VOTE,
  disputeFixture,
  drawCommittee,
  expectRevertFrom,
  openDispute,
  tracedJob,
  vote,
  voteCommitment,
  type DisputeFixture,
} from "./dispute-fixtures.ts";
import { NUMERICS, STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

const GOVERNOR_ROLE = keccak256(toHex("GOVERNOR_ROLE"));
const UINT96_MAX = (1n << 96n) - 1n;

type Parameters = Awaited<ReturnType<DisputeFixture["disputeGame"]["read"]["parameters"]>>;

function name(parameter: string): `0x${string}` {
  return stringToHex(parameter, { size: 32 });
}

const day = 24n * 3600n;

/** An unbonding delay of `delayDays` and three-day vote windows (the longest the bounds allow). */
async function longVoteWindows(f: DisputeFixture, delayDays: bigint): Promise<void> {
  const p = await f.disputeGame.read.parameters();
  await f.registry.write.setUnbondingDelay([delayDays * day]);
  await f.disputeGame.write.setParameters([
    { ...p, voteCommitWindow: 3n * day, voteRevealWindow: 3n * day },
  ]);
}

describe("DisputeGame: governance", () => {
  it("only the governor sets parameters", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const p = await f.disputeGame.read.parameters();
    await expectRevertFrom(
      f.disputeGame.write.setParameters([p], { account: f.provider.account }),
      "AccessControlUnauthorizedAccount",
      [f.provider.account.address, GOVERNOR_ROLE],
    );
  });

  it("each parameter outside its bounds reverts DisputeParameterOutOfBounds naming it", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const p = await f.disputeGame.read.parameters();
    const [minClock, maxClock, minWindow, maxWindow] = await Promise.all([
      f.disputeGame.read.MIN_CLOCK(),
      f.disputeGame.read.MAX_CLOCK(),
      f.disputeGame.read.MIN_VOTE_WINDOW(),
      f.disputeGame.read.MAX_VOTE_WINDOW(),
    ]);
    const minVerifierStake = await f.registry.read.minVerifierStake();
    const cases: Array<[Partial<Parameters>, string, bigint, bigint, bigint]> = [
      [{ challengeBond: 0n }, "challengeBond", 0n, 1n, UINT96_MAX],
      [{ challengeBond: UINT96_MAX + 1n }, "challengeBond", UINT96_MAX + 1n, 1n, UINT96_MAX],
      [{ clockBudget: minClock - 1n }, "clockBudget", minClock - 1n, minClock, maxClock],
      [{ clockBudget: maxClock + 1n }, "clockBudget", maxClock + 1n, minClock, maxClock],
      [
        { voteCommitWindow: minWindow - 1n },
        "voteCommitWindow",
        minWindow - 1n,
        minWindow,
        maxWindow,
      ],
      [
        { voteRevealWindow: maxWindow + 1n },
        "voteRevealWindow",
        maxWindow + 1n,
        minWindow,
        maxWindow,
      ],
      [{ redrawDelay: minWindow - 1n }, "redrawDelay", minWindow - 1n, minWindow, maxWindow],
      // What a provider could win back through its own addresses is bounded (self-challenge):
      // the challenger's and the referees' shares together at most MAX_RECOVERABLE_BPS.
      [{ challengerShareBps: 1_001n }, "challengerShareBps", 1_001n, 0n, 1_000n],
      [{ challengerShareBps: 700n, refereeShareBps: 301n }, "refereeShareBps", 301n, 0n, 300n],
      [
        { refereePenalty: minVerifierStake + 1n },
        "refereePenalty",
        minVerifierStake + 1n,
        0n,
        minVerifierStake,
      ],
    ];
    for (const [change, parameter, value, min, max] of cases) {
      await expectRevertFrom(
        f.disputeGame.write.setParameters([{ ...p, ...change }]),
        "DisputeParameterOutOfBounds",
        [name(parameter), value, min, max],
      );
    }
    // The bounds themselves are accepted.
    await f.disputeGame.write.setParameters([
      {
        ...p,
        challengerShareBps: 700n,
        refereeShareBps: 300n,
        refereePenalty: minVerifierStake,
      },
    ]);
    expect((await f.disputeGame.read.parameters()).refereeShareBps).to.equal(300n);
    // The bound `assay params` sizes collateral with (src/protocol/economics.ts).
    expect(await f.disputeGame.read.MAX_RECOVERABLE_BPS()).to.equal(BigInt(MAX_RECOVERABLE_BPS));
  });

  it("the longest dispute (two clocks, two draw delays, the withdrawal window and a committee round) must fit in half the unbonding delay, and the bound follows the registry", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const p = await f.disputeGame.read.parameters();
    const half = (await f.registry.read.unbondingDelay()) / 2n;
    const rest = 2n * p.redrawDelay + 2n * p.voteCommitWindow + p.voteRevealWindow;
    // The largest clock that fits, exactly at the bound.
    const fits = (half - rest) / 2n;
    await f.disputeGame.write.setParameters([{ ...p, clockBudget: fits }]);
    expect((await f.disputeGame.read.parameters()).clockBudget).to.equal(fits);
    const longest = 2n * (fits + 1n) + rest;
    await expectRevertFrom(
      f.disputeGame.write.setParameters([{ ...p, clockBudget: fits + 1n }]),
      "DisputeParameterOutOfBounds",
      [name("disputeDuration"), longest, 0n, half],
    );
    // With a longer unbonding delay the same parameters fit.
    await f.registry.write.setUnbondingDelay([2n * longest]);
    await f.disputeGame.write.setParameters([{ ...p, clockBudget: fits + 1n }]);
    expect((await f.disputeGame.read.parameters()).clockBudget).to.equal(fits + 1n);
  });

  it("new parameters apply to disputes opened afterwards; an open dispute keeps its bond", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const p = await f.disputeGame.read.parameters();
    const job = await tracedJob(f, { k: 8, numerics: NUMERICS.Tolerance });
    const claim = keccak256(toHex("claim"));
    const first = await openDispute(f, job, 1, f.verifier, claim);
    const bond = p.challengeBond * 2n;
    await f.disputeGame.write.setParameters([{ ...p, challengeBond: bond }]);
    const events = await f.disputeGame.getEvents.ParametersSet();
    expect(events.at(-1)!.args.params!.challengeBond).to.equal(bond);
    expect(events.at(-1)!.args.version).to.equal(1n);
    const second = await openDispute(f, job, 2, f.verifier2, claim);
    expect((await f.disputeGame.read.getDispute([first.disputeId])).bond).to.equal(p.challengeBond);
    expect((await f.disputeGame.read.getDispute([second.disputeId])).bond).to.equal(bond);
    expect(await f.token.read.balanceOf([f.disputeGame.address])).to.equal(p.challengeBond + bond);
  });

  // D2 (docs/disputes.md §8): the bound "longest dispute ≤ unbondingDelay / 2" used to be checked
  // only when the dispute game's parameters were set; governance could later shorten the registry's
  // delay below what disputes need, and a referee drawn onto a committee unbonded and withdrew its
  // whole stake before the vote ended, escaping the penalty for not voting.
  it("a referee drawn onto a committee cannot withdraw its stake before the vote ends: governance cannot shorten the unbonding delay below what disputes need", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const p = await f.disputeGame.read.parameters();
    await longVoteWindows(f, 30n);
    const required = await f.disputeGame.read.requiredUnbondingDelay();
    await expectRevertFrom(f.registry.write.setUnbondingDelay([day]), "StakeParameterOutOfBounds", [
      stringToHex("unbondingDelay", { size: 32 }),
      day,
      required,
      90n * day,
    ]);
    await f.registry.write.setUnbondingDelay([required]);

    const job = await tracedJob(f, { k: 8, numerics: NUMERICS.Tolerance });
    const { disputeId } = await openDispute(f, job, 1, f.verifier, keccak256(toHex("claim")));
    const { members } = await drawCommittee(f, disputeId);
    const wallet = (seat: number) => f.wallets.get(members[seat]!.toLowerCase())!;
    const salt = keccak256(toHex("salt"));
    // The referee in seat 2 leaves at once: its whole stake starts unbonding, but cannot leave
    // before the dispute ends.
    const [stake] = await f.registry.read.accountOf([members[2]!, STAKE_ROLE.Verifier]);
    await f.registry.write.requestUnstake([STAKE_ROLE.Verifier, stake], {
      account: wallet(2).account,
    });
    for (const seat of [0, 1]) {
      const c = voteCommitment(disputeId, seat, VOTE.Challenger, 0n, salt, members[seat]!);
      await f.disputeGame.write.commitVote([disputeId, BigInt(seat), members, c], {
        account: wallet(seat).account,
      });
    }
    const d = await f.disputeGame.read.getDispute([disputeId]);
    await networkHelpers.time.increaseTo(BigInt(d.commitDeadline) + 1n);
    for (const seat of [0, 1]) {
      await f.disputeGame.write.revealVote([disputeId, BigInt(seat), VOTE.Challenger, 0n, salt], {
        account: wallet(seat).account,
      });
    }
    await networkHelpers.time.increaseTo(BigInt(d.revealDeadline) + 1n);
    await expectRevertFrom(
      f.registry.write.withdraw([STAKE_ROLE.Verifier], { account: wallet(2).account }),
      "StakeStillUnbonding",
    );
    await f.disputeGame.write.resolve([disputeId, members], { account: f.stranger.account });
    const [penalized] = await f.disputeGame.getEvents.RefereePenalized({ disputeId });
    expect(penalized!.args.amount).to.equal(p.refereePenalty);
  });

  it("shares and penalties are fixed when a dispute opens: a governance change mid-dispute applies only to later disputes", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const p = await f.disputeGame.read.parameters();
    const job = await tracedJob(f, { k: 8, numerics: NUMERICS.Tolerance });
    const { disputeId } = await openDispute(f, job, 1, f.verifier, keccak256(toHex("claim")));
    // Governance moves the whole challenger share to the referees and drops the penalty.
    await f.disputeGame.write.setParameters([
      { ...p, challengerShareBps: 0n, refereeShareBps: 1_000n, refereePenalty: 0n },
    ]);
    expect(await f.disputeGame.read.parametersOf([disputeId])).to.deep.equal(p);
    const { members } = await drawCommittee(f, disputeId);
    await vote(f, disputeId, members, (_m, seat) => (seat === 0 ? null : VOTE.Challenger));
    const collateral = job.params.collateral;
    const credited = await f.disputeGame.read.creditOf([f.verifier.account.address]);
    expect(credited).to.equal(p.challengeBond + (collateral * p.challengerShareBps) / 10_000n);
    const [penalized] = await f.disputeGame.getEvents.RefereePenalized({ disputeId });
    expect(
      penalized!.args.amount,
      "the absent referee pays the penalty in force at the open",
    ).to.equal(p.refereePenalty);
  });

  it("a referee drawn under an older, longer parameter version cannot unbond before its vote ends: the registry keeps the longest delay any version needs", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const p = await f.disputeGame.read.parameters();
    await longVoteWindows(f, 21n);
    const job = await tracedJob(f, { k: 8, numerics: NUMERICS.Tolerance });
    await openDispute(f, job, 1, f.verifier, keccak256(toHex("claim")));
    // Governance moves to short windows; the disputes opened before keep their long ones.
    const hour = 3600n;
    await f.disputeGame.write.setParameters([
      {
        ...p,
        clockBudget: hour,
        redrawDelay: hour,
        voteCommitWindow: hour,
        voteRevealWindow: hour,
      },
    ]);
    await expectRevertFrom(f.registry.write.setUnbondingDelay([day]), "StakeParameterOutOfBounds");
  });
});
