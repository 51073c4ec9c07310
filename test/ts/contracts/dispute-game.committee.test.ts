// The committee (docs/protocol.md §6 Adjudication, §7): drawn from future randomness among eligible
// verifiers, never a party; votes by commit–reveal; a fixed majority decides; absent and minority
// referees lose a small part of their stake. Tolerance disputes are used where the numerics do not
// matter: they reach the committee without a dissection.
import { expect } from "chai";
import { keccak256, toHex, type Address, type Hex } from "viem";

import { MIN_VERIFIER_STAKE, UNIT, networkHelpers } from "./fixtures.ts";
import {
  PHASE,
  VOTE,
  claimEverythingAndExpectSolvent,
  disputeFixture,
  drawCommittee,
  expectRevertFrom,
  expectSolvent,
  openDispute,
  resolution,
  seatsHeld,
  tracedJob,
  vote,
  voteCommitment,
  type DisputeFixture,
} from "./dispute-fixtures.ts";
import { JOB, NUMERICS, OUTCOME_CODE, STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

const BPS = 10_000n;
const CLAIM = keccak256(toHex("challenger's digest"));

async function toleranceDispute(f: DisputeFixture, committeeSize = 3) {
  const job = await tracedJob(f, {
    k: 8,
    numerics: NUMERICS.Tolerance,
    overrides: { committeeSize },
  });
  const { disputeId } = await openDispute(f, job, 2, f.verifier, CLAIM);
  return { job, disputeId };
}

function salt(disputeId: bigint, seat: number): Hex {
  return keccak256(toHex(`referee salt ${disputeId}/${seat}`));
}

/** Seat `seat` commits `v` (the referee is whoever holds the seat). */
async function commit(
  f: DisputeFixture,
  disputeId: bigint,
  members: readonly Address[],
  seat: number,
  v: number,
) {
  const wallet = f.wallets.get(members[seat]!.toLowerCase())!;
  const c = voteCommitment(disputeId, seat, v, 0n, salt(disputeId, seat), wallet.account.address);
  return f.disputeGame.write.commitVote([disputeId, BigInt(seat), [...members], c], {
    account: wallet.account,
  });
}

async function reveal(
  f: DisputeFixture,
  disputeId: bigint,
  members: readonly Address[],
  seat: number,
  v: number,
) {
  const wallet = f.wallets.get(members[seat]!.toLowerCase())!;
  return f.disputeGame.write.revealVote([disputeId, BigInt(seat), v, 0n, salt(disputeId, seat)], {
    account: wallet.account,
  });
}

async function verifierStake(f: DisputeFixture, account: Address): Promise<bigint> {
  const [free, , unbonding] = await f.registry.read.accountOf([account, STAKE_ROLE.Verifier]);
  return free + unbonding;
}

describe("DisputeGame: committee", () => {
  describe("penalties", () => {
    it("a referee who does not vote loses refereePenalty of its stake per silent seat to the treasury; the majority splits the referee share by seat", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await f.disputeGame.read.parameters();
      const { job, disputeId } = await toleranceDispute(f);
      const { members } = await drawCommittee(f, disputeId);
      await vote(f, disputeId, members, (_m, seat) => (seat === 2 ? null : VOTE.Challenger));

      expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ChallengerWon);
      const absent = members[2]!;
      expect(await verifierStake(f, absent)).to.equal(MIN_VERIFIER_STAKE - p.refereePenalty);
      expect(await f.registry.read.isEligibleVerifier([absent])).to.equal(false);
      expect(await f.registry.read.verifierWeight([absent])).to.equal(0n);
      const [penalized] = await f.disputeGame.getEvents.RefereePenalized({ disputeId });
      expect(penalized!.args.referee!.toLowerCase()).to.equal(absent.toLowerCase());
      expect(penalized!.args.amount).to.equal(p.refereePenalty);
      const pot = (job.params.collateral * p.refereeShareBps) / BPS;
      const share = (job.params.collateral * p.challengerShareBps) / BPS;
      for (const member of new Set(members)) {
        expect(await f.disputeGame.read.creditOf([member])).to.equal(
          (pot / 2n) * seatsHeld(members, member, [0, 1]),
        );
      }
      expect(await f.disputeGame.read.creditOf([f.treasury.account.address])).to.equal(
        job.params.collateral - share - pot + p.refereePenalty,
      );
      await expectSolvent(f);
      await claimEverythingAndExpectSolvent(f);
    });

    it("a referee who votes with the minority is penalized; the majority is paid", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await f.disputeGame.read.parameters();
      const { disputeId } = await toleranceDispute(f);
      const { members } = await drawCommittee(f, disputeId);
      await vote(f, disputeId, members, (_m, seat) =>
        seat === 0 ? VOTE.Challenger : VOTE.Provider,
      );

      expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ProviderWon);
      const pot = (p.challengeBond * p.refereeShareBps) / BPS;
      for (const member of new Set(members)) {
        expect(await verifierStake(f, member)).to.equal(
          MIN_VERIFIER_STAKE - p.refereePenalty * seatsHeld(members, member, [0]),
        );
        expect(await f.disputeGame.read.creditOf([member])).to.equal(
          (pot / 2n) * seatsHeld(members, member, [1, 2]),
        );
      }
      expect(await f.disputeGame.read.creditOf([f.provider.account.address])).to.equal(
        p.challengeBond - pot,
      );
      await claimEverythingAndExpectSolvent(f);
    });

    it("no majority (Provider, Challenger, one committed but never revealed): only the silent referee is penalized, and a new committee is drawn that decides; the job stays held meanwhile", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await f.disputeGame.read.parameters();
      const { job, disputeId } = await toleranceDispute(f);
      const { members } = await drawCommittee(f, disputeId);
      await commit(f, disputeId, members, 0, VOTE.Provider);
      await commit(f, disputeId, members, 1, VOTE.Challenger);
      await commit(f, disputeId, members, 2, VOTE.Challenger);
      // Every seat committed: reveals open before the commit deadline.
      await reveal(f, disputeId, members, 0, VOTE.Provider);
      await reveal(f, disputeId, members, 1, VOTE.Challenger);
      const d = await f.disputeGame.read.getDispute([disputeId]);
      await expectRevertFrom(
        f.disputeGame.write.resolve([disputeId, members], { account: f.stranger.account }),
        "DisputeDeadlineNotReached",
        [disputeId, BigInt(d.revealDeadline)],
      );
      await networkHelpers.time.increaseTo(BigInt(d.revealDeadline) + 1n);
      await f.disputeGame.write.resolve([disputeId, members], { account: f.stranger.account });

      const after = await f.disputeGame.read.getDispute([disputeId]);
      expect(after.phase).to.equal(PHASE.AwaitingCommittee);
      expect(after.round).to.equal(2);
      expect(await f.disputeGame.getEvents.NoMajority({ disputeId })).to.have.length(1);
      expect(await f.disputeGame.getEvents.DisputeResolved({ disputeId })).to.have.length(0);
      expect(await f.disputeGame.read.creditOf([f.verifier.account.address])).to.equal(0n);
      for (const member of new Set(members)) {
        expect(await verifierStake(f, member)).to.equal(
          MIN_VERIFIER_STAKE - p.refereePenalty * seatsHeld(members, member, [2]),
        );
      }
      expect(await f.disputeGame.read.creditOf([f.treasury.account.address])).to.equal(
        p.refereePenalty,
      );
      const held = await f.market.read.getJob([job.jobId]);
      expect(held.status).to.equal(JOB.Disputed);
      // Past the job's original deadline, it still cannot finalize.
      const now = BigInt(await networkHelpers.time.latest());
      if (now <= BigInt(held.deadline))
        await networkHelpers.time.increaseTo(BigInt(held.deadline) + 1n);
      await expectRevertFrom(
        f.market.write.finalize([job.jobId], { account: f.provider.account }),
        "JobWrongStatus",
        [job.jobId, JOB.Disputed],
      );

      // Round 2: a fresh committee, whose votes (not round 1's) decide.
      const second = await drawCommittee(f, disputeId);
      expect(second.members).to.have.length(3);
      await vote(f, disputeId, second.members, () => VOTE.Challenger);
      expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ChallengerWon);
      expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Slashed);
      await claimEverythingAndExpectSolvent(f);
    });

    // Found by an independent review: in a round without a majority only silent seats paid, so one
    // bribed referee facing an honest and an absent seat forced a new round at no cost.
    it("a referee who voted against the eventual verdict in a round without a majority pays once the verdict is in", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await f.disputeGame.read.parameters();
      const { disputeId } = await toleranceDispute(f);
      const first = await drawCommittee(f, disputeId);
      // Seat 0 honest, seat 1 absent, seat 2 bribed: 1–1, no majority.
      await vote(f, disputeId, first.members, (_m, seat) =>
        seat === 0 ? VOTE.Challenger : seat === 2 ? VOTE.Provider : null,
      );
      expect((await f.disputeGame.read.getDispute([disputeId])).round).to.equal(2);
      // Before a verdict nobody can say who was wrong.
      await expectRevertFrom(
        f.disputeGame.write.penalizeSplitRound([disputeId, 1n, first.members], {
          account: f.stranger.account,
        }),
        "DisputeWrongPhase",
      );
      const second = await drawCommittee(f, disputeId);
      await vote(f, disputeId, second.members, () => VOTE.Challenger);
      expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ChallengerWon);

      const everyone = [...new Set([...first.members, ...second.members])];
      const before = new Map<string, bigint>();
      for (const m of everyone) before.set(m, await verifierStake(f, m));
      // Only the split round's committee as drawn, and once.
      await expectRevertFrom(
        f.disputeGame.write.penalizeSplitRound([disputeId, 1n, second.members], {
          account: f.stranger.account,
        }),
        "DisputeNotReferee",
      );
      await f.disputeGame.write.penalizeSplitRound([disputeId, 1n, first.members], {
        account: f.stranger.account,
      });
      for (const m of everyone)
        expect(await verifierStake(f, m), m).to.equal(
          before.get(m)! - p.refereePenalty * seatsHeld(first.members, m, [2]),
        );
      await expectRevertFrom(
        f.disputeGame.write.penalizeSplitRound([disputeId, 1n, first.members], {
          account: f.stranger.account,
        }),
        "DisputeNotReferee",
      );
      await claimEverythingAndExpectSolvent(f);
    });

    it("too few referees outside the parties: the draw is short, so it is redrawn (nobody judged, nothing settled) until stake is back, and the next full committee decides", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      // Every verifier but the challenger starts leaving: no weight outside the parties.
      for (const w of [...f.referees, f.verifier2]) {
        await f.registry.write.requestUnstake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], {
          account: w.account,
        });
      }
      const { job, disputeId } = await toleranceDispute(f);
      const { members } = await drawCommittee(f, disputeId);
      expect(members).to.have.length(0);
      const [short] = await f.disputeGame.getEvents.CommitteeShort({ disputeId });
      expect(short!.args).to.deep.include({ round: 1n, found: 0n, seats: 3n });
      const d = await f.disputeGame.read.getDispute([disputeId]);
      expect(d.phase).to.equal(PHASE.AwaitingCommittee);
      expect(d.round).to.equal(2);
      expect(await f.disputeGame.getEvents.DisputeResolved({ disputeId })).to.have.length(0);
      expect(await f.disputeGame.getEvents.RefereePenalized({ disputeId })).to.have.length(0);
      expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Disputed);

      // Stake returns after round 2's snapshot: round 2 is short too, round 3 sees it and decides.
      for (const referee of f.referees.slice(0, 3)) {
        await f.registry.write.stake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], {
          account: referee.account,
        });
      }
      expect((await drawCommittee(f, disputeId)).members).to.have.length(0);
      const full = await drawCommittee(f, disputeId);
      expect(full.members).to.have.length(3);
      expect((await f.disputeGame.read.getDispute([disputeId])).round).to.equal(3);
      await vote(f, disputeId, full.members, () => VOTE.Challenger);
      expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ChallengerWon);
      await claimEverythingAndExpectSolvent(f);
    });
  });

  describe("vote rules", () => {
    it("commits: members only, their own seat, the drawn list, once, before the commit deadline", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const { disputeId } = await toleranceDispute(f);
      const { members } = await drawCommittee(f, disputeId);
      const c = keccak256(toHex("commitment"));
      const outsider = f.referees.find(
        (r) => !members.map((m) => m.toLowerCase()).includes(r.account.address),
      )!;
      await expectRevertFrom(
        f.disputeGame.write.commitVote([disputeId, 0n, members, c], {
          account: outsider.account,
        }),
        "DisputeNotReferee",
        [disputeId, outsider.account.address, 0n],
      );
      const seat0 = f.wallets.get(members[0]!.toLowerCase())!;
      // Someone else's seat, a seat past the end, a list other than the drawn one.
      // (Seats go by stake, so the draw may give every seat to one referee: then there is none
      // held by someone else to try.)
      const other = members.findIndex((m) => m !== members[0]);
      if (other !== -1)
        await expectRevertFrom(
          f.disputeGame.write.commitVote([disputeId, BigInt(other), members, c], {
            account: seat0.account,
          }),
          "DisputeNotReferee",
          [disputeId, seat0.account.address, BigInt(other)],
        );
      await expectRevertFrom(
        f.disputeGame.write.commitVote([disputeId, 3n, members, c], { account: seat0.account }),
        "DisputeNotReferee",
        [disputeId, seat0.account.address, 3n],
      );
      await expectRevertFrom(
        f.disputeGame.write.commitVote(
          [disputeId, 0n, [members[0]!, members[1]!, outsider.account.address], c],
          { account: seat0.account },
        ),
        "DisputeNotReferee",
        [disputeId, seat0.account.address, 0n],
      );
      await expectRevertFrom(
        f.disputeGame.write.commitVote([disputeId, 0n, members, `0x${"00".repeat(32)}`], {
          account: seat0.account,
        }),
        "DisputeVoteCommitted",
        [disputeId, 0n],
      );
      await commit(f, disputeId, members, 0, VOTE.Provider);
      await expectRevertFrom(
        commit(f, disputeId, members, 0, VOTE.Challenger),
        "DisputeVoteCommitted",
        [disputeId, 0n],
      );
      const d = await f.disputeGame.read.getDispute([disputeId]);
      await networkHelpers.time.increaseTo(BigInt(d.commitDeadline) + 1n);
      await expectRevertFrom(
        commit(f, disputeId, members, 1, VOTE.Provider),
        "DisputeDeadlinePassed",
        [disputeId, BigInt(d.commitDeadline)],
      );
    });

    it("reveals: not before the commit deadline unless every seat committed; must match the commitment; once; not after the reveal deadline", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const { disputeId } = await toleranceDispute(f);
      const { members } = await drawCommittee(f, disputeId);
      await commit(f, disputeId, members, 0, VOTE.Provider);
      await commit(f, disputeId, members, 1, VOTE.Provider);
      const d = await f.disputeGame.read.getDispute([disputeId]);
      // Seat 2 could still choose its vote after seeing these: reveals wait.
      await expectRevertFrom(
        reveal(f, disputeId, members, 0, VOTE.Provider),
        "DisputeDeadlineNotReached",
        [disputeId, BigInt(d.commitDeadline)],
      );
      await networkHelpers.time.increaseTo(BigInt(d.commitDeadline) + 1n);
      // A different vote, or the seat's commitment revealed by another address, does not match.
      await expectRevertFrom(
        reveal(f, disputeId, members, 0, VOTE.Challenger),
        "DisputeVoteMismatch",
        [disputeId, 0n],
      );
      await expectRevertFrom(
        f.disputeGame.write.revealVote([disputeId, 0n, VOTE.Provider, 0n, salt(disputeId, 0)], {
          account: f.stranger.account,
        }),
        "DisputeVoteMismatch",
        [disputeId, 0n],
      );
      await expectRevertFrom(
        reveal(f, disputeId, members, 2, VOTE.Provider),
        "DisputeVoteNotCommitted",
        [disputeId, 2n],
      );
      await reveal(f, disputeId, members, 0, VOTE.Provider);
      await expectRevertFrom(
        reveal(f, disputeId, members, 0, VOTE.Provider),
        "DisputeVoteCommitted",
        [disputeId, 0n],
      );
      await networkHelpers.time.increaseTo(BigInt(d.revealDeadline) + 1n);
      await expectRevertFrom(
        reveal(f, disputeId, members, 1, VOTE.Provider),
        "DisputeDeadlinePassed",
        [disputeId, BigInt(d.revealDeadline)],
      );
    });

    it("a vote for nobody (None) is invalid; resolve needs the drawn list and, before the deadline, every reveal", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const { disputeId } = await toleranceDispute(f);
      const { members } = await drawCommittee(f, disputeId);
      for (const seat of [0, 1, 2]) await commit(f, disputeId, members, seat, VOTE.None);
      await expectRevertFrom(reveal(f, disputeId, members, 0, VOTE.None), "DisputeInvalidVote", [
        disputeId,
        VOTE.None,
      ]);
      await expectRevertFrom(
        f.disputeGame.write.resolve([disputeId, members.slice(0, 2)], {
          account: f.stranger.account,
        }),
        "DisputeNotReferee",
        [disputeId, f.stranger.account.address, 2n],
      );
      const d = await f.disputeGame.read.getDispute([disputeId]);
      await expectRevertFrom(
        f.disputeGame.write.resolve([disputeId, members], { account: f.stranger.account }),
        "DisputeDeadlineNotReached",
        [disputeId, BigInt(d.revealDeadline)],
      );
      // The committee is drawn once.
      await expectRevertFrom(
        f.disputeGame.write.drawCommittee([disputeId], { account: f.stranger.account }),
        "DisputeWrongPhase",
        [disputeId, PHASE.Voting],
      );
    });

    it("once every referee revealed, resolve needs no deadline; a resolved dispute takes no more votes", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const { disputeId } = await toleranceDispute(f);
      const { members } = await drawCommittee(f, disputeId);
      await vote(f, disputeId, members, () => VOTE.Provider);
      const d = await f.disputeGame.read.getDispute([disputeId]);
      const { timestamp } = await f.publicClient.getBlock();
      expect(timestamp < BigInt(d.commitDeadline)).to.equal(true);
      expect(d.phase).to.equal(PHASE.Resolved);
      await expectRevertFrom(
        f.disputeGame.write.resolve([disputeId, members], { account: f.stranger.account }),
        "DisputeWrongPhase",
        [disputeId, PHASE.Resolved],
      );
    });
  });

  describe("randomness", () => {
    it("randomness that never arrives: drawCommittee reverts until redrawDelay has passed, then requests new randomness, from which the committee is drawn", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const p = await f.disputeGame.read.parameters();
      const { disputeId } = await toleranceDispute(f);
      const requested = (await f.disputeGame.read.getDispute([disputeId])).randomnessRequest;
      // Too early: the block whose hash is the randomness does not exist yet.
      await expectRevertFrom(
        f.disputeGame.write.drawCommittee([disputeId], { account: f.stranger.account }),
        "DisputeRandomnessUnavailable",
        [disputeId],
      );
      // Too late: nobody drew within 256 blocks, the EVM forgot the hash.
      await networkHelpers.mine(300);
      expect(await f.disputeGame.read.committeeOf([disputeId])).to.deep.equal([]);
      const { lastMoveAt } = await f.disputeGame.read.getDispute([disputeId]);
      await networkHelpers.time.setNextBlockTimestamp(BigInt(lastMoveAt) + p.redrawDelay);
      await expectRevertFrom(
        f.disputeGame.write.drawCommittee([disputeId], { account: f.stranger.account }),
        "DisputeRandomnessUnavailable",
        [disputeId],
      );
      await networkHelpers.time.setNextBlockTimestamp(BigInt(lastMoveAt) + p.redrawDelay + 1n);
      await f.disputeGame.write.drawCommittee([disputeId], { account: f.stranger.account });
      const d = await f.disputeGame.read.getDispute([disputeId]);
      expect(d.phase).to.equal(PHASE.AwaitingCommittee);
      expect(d.randomnessRequest > requested).to.equal(true);
      const [event] = await f.disputeGame.getEvents.RandomnessRequested({ disputeId });
      expect(event!.args.randomnessRequest).to.equal(BigInt(d.randomnessRequest));
      const { members } = await drawCommittee(f, disputeId);
      expect(members).to.have.length(3);
    });
  });

  describe("who is drawn", () => {
    it("a party is never drawn: over 24 committees with the provider, the submitter and the challenger staked as verifiers, members are eligible non-parties, and stay fixed as blocks pass", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      // The parties join the verifier set; so does verifier2 (it will be made ineligible).
      for (const party of [f.provider, f.submitter]) {
        await f.registry.write.stake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], {
          account: party.account,
        });
      }
      // Governance raises the minimum: everyone at the old minimum is no longer eligible, except
      // the parties and four referees, who top up; a keeper refreshes the others' weights to zero.
      const newMinimum = MIN_VERIFIER_STAKE + 50n * UNIT;
      await f.registry.write.setMinVerifierStake([newMinimum]);
      const eligibleReferees = f.referees.slice(0, 4);
      for (const w of [f.provider, f.submitter, f.verifier, ...eligibleReferees]) {
        await f.registry.write.stake([STAKE_ROLE.Verifier, 50n * UNIT], { account: w.account });
      }
      for (const w of [...f.referees.slice(4), f.verifier2]) {
        expect(await f.registry.read.verifierWeight([w.account.address])).to.equal(
          MIN_VERIFIER_STAKE,
        );
        await f.registry.write.refreshVerifier([w.account.address], {
          account: f.stranger.account,
        });
        expect(await f.registry.read.verifierWeight([w.account.address])).to.equal(0n);
      }
      const parties = new Set(
        [f.provider, f.submitter, f.verifier].map((w) => w.account.address.toLowerCase()),
      );
      const allowed = new Set(eligibleReferees.map((w) => w.account.address.toLowerCase()));

      const job = await tracedJob(f, { k: 8, numerics: NUMERICS.Tolerance });
      const disputes: bigint[] = [];
      for (let i = 0; i < 24; i++) {
        disputes.push((await openDispute(f, job, 1 + (i % 8), f.verifier, CLAIM)).disputeId);
      }
      await networkHelpers.mine(4);
      const seen = new Set<string>();
      const committees = new Map<bigint, readonly Address[]>();
      for (const id of disputes) {
        const members = await f.disputeGame.read.committeeOf([id]);
        committees.set(id, members);
        const lower = members.map((m) => m.toLowerCase());
        for (const m of lower) {
          expect(parties.has(m), `party ${m} drawn for dispute ${id}`).to.equal(false);
          expect(allowed.has(m), `ineligible ${m} drawn for dispute ${id}`).to.equal(true);
          seen.add(m);
        }
      }
      // Not vacuous: the draws do reach every eligible non-party.
      expect(seen).to.deep.equal(allowed);
      // The committee depends on the randomness only, not on the block it is read in.
      await networkHelpers.mine(100);
      for (const id of disputes) {
        expect(await f.disputeGame.read.committeeOf([id])).to.deep.equal(committees.get(id));
      }
      // drawCommittee draws exactly what committeeOf showed.
      for (const id of disputes.slice(0, 3)) {
        const { members } = await drawCommittee(f, id);
        expect(members).to.deep.equal(committees.get(id));
      }
    });

    // D1 (docs/disputes.md): once the randomness is public (committeeOf shows the committee),
    // anyone who could change the weights the draw reads — stake, or requestUnstake a sybil —
    // could try subsets until the committee suits them. The draw reads the weights at the
    // request's block instead.
    it("the committee is fixed once its randomness is public: a verifier leaving the set afterwards does not change who is drawn", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      const { disputeId } = await toleranceDispute(f);
      await networkHelpers.mine(4);
      const before = await f.disputeGame.read.committeeOf([disputeId]);
      expect(before).to.have.length(3);
      const bystander = f.referees.find(
        (r) => !before.map((m) => m.toLowerCase()).includes(r.account.address),
      )!;
      await f.registry.write.requestUnstake([STAKE_ROLE.Verifier, 1n], {
        account: bystander.account,
      });
      expect(await f.disputeGame.read.committeeOf([disputeId])).to.deep.equal(before);
      const { members } = await drawCommittee(f, disputeId);
      expect(members).to.deep.equal(before);
    });

    // D1, second vector: a verifier that was not eligible when the randomness was requested (it
    // started unbonding 1 wei) stakes again once the randomness is public, to take a seat.
    it("a verifier that was not eligible when the committee's randomness was requested is never drawn, even if it stakes again before the draw", async () => {
      const f = await networkHelpers.loadFixture(disputeFixture);
      // Seven referees are dormant (just below the minimum) when the randomness is requested.
      const dormant = f.referees.slice(0, 7);
      for (const referee of dormant) {
        await f.registry.write.requestUnstake([STAKE_ROLE.Verifier, 1n], {
          account: referee.account,
        });
      }
      const { disputeId } = await toleranceDispute(f);
      await networkHelpers.mine(4);
      // The randomness is public: the dormant referees wake up before anyone draws.
      for (const referee of dormant) {
        await f.registry.write.stake([STAKE_ROLE.Verifier, 1n], { account: referee.account });
      }
      const { members } = await drawCommittee(f, disputeId);
      const late = new Set(dormant.map((w) => w.account.address.toLowerCase()));
      for (const member of members) {
        expect(late.has(member.toLowerCase()), `${member} joined after the request`).to.equal(
          false,
        );
      }
    });
  });
});
