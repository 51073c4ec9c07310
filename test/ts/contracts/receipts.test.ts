// Paid verification by receipts (docs/receipts.md), played as the people who would cheat it: a
// lazy verifier that guesses, one that does half the work, one that copies another's commitment,
// the parties paying themselves, stake added once the job is seen, a provider that withholds its
// probes or publishes false ones. Honest receipts are paid their stake-weighted share, exactly.
import { expect } from "chai";
import { keccak256, toHex, type Hex } from "viem";

import { UNIT, networkHelpers } from "./fixtures.ts";
import {
  VOTE,
  claimEverythingAndExpectSolvent,
  disputeFixture,
  drawCommittee,
  expectRevertFrom,
  expectSolvent,
  playDissection,
  resolution,
  segmentLeaves,
  tracedJob,
  vote,
  type DisputeFixture,
  type TracedJob,
} from "./dispute-fixtures.ts";
import {
  commitReceipt,
  publishProbes,
  receiptPhases,
  revealArgs,
  revealReceipt,
} from "./receipt-fixtures.ts";
import { probeChallengeCommitment, type Probes } from "../../../src/protocol/receipts.ts";
import { JOB, NUMERICS, OUTCOME_CODE, STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

const BPS = 10_000n;

function budgetOf(job: TracedJob): bigint {
  return (job.params.amount * BigInt(job.params.verificationBps)) / BPS;
}

/** A digest nobody computed: what a verifier that skipped step `step` has to guess. */
function guess(label: string): (step: number) => Hex {
  return (step) => keccak256(toHex(`${label}:guess:${step}`));
}

async function finalizeAfterWindow(f: DisputeFixture, job: TracedJob): Promise<void> {
  const onchain = await f.market.read.getJob([job.jobId]);
  await networkHelpers.time.increaseTo(BigInt(onchain.deadline) + 1n);
  await f.market.write.finalize([job.jobId], { account: f.stranger.account });
}

async function claim(f: DisputeFixture, job: TracedJob, who: DisputeFixture["verifier"]) {
  const before = await f.token.read.balanceOf([who.account.address]);
  await f.receipts.write.claimReceipt([job.jobId], { account: who.account });
  return (await f.token.read.balanceOf([who.account.address])) - before;
}

describe("Receipts: paid verification", () => {
  it("pays the matching receipts the whole budget by stake weight at the open; a lazy verifier and a copier get nothing", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    // verifier2 holds three times verifier's stake when the job opens.
    await f.registry.write.stake([STAKE_ROLE.Verifier, 200n * UNIT], {
      account: f.verifier2.account,
    });
    const job = await tracedJob(f, { receipts: true, k: 8, checkpoints: 6 });
    const budget = budgetOf(job);
    expect(budget > 0n, "the job has a verification budget").to.equal(true);
    const submitterCredit = await f.market.read.creditOf([f.submitter.account.address]);

    const honest = await commitReceipt(f, job, f.verifier);
    const heavy = await commitReceipt(f, job, f.verifier2);
    const lazy = await commitReceipt(f, job, f.referees[0]!, guess("lazy"));
    // The copier commits the honest verifier's commitment as its own.
    const { commitment } = await f.receipts.read.receiptOf([job.jobId, f.verifier.account.address]);
    await f.receipts.write.commitReceipt([job.jobId, commitment], {
      account: f.referees[1]!.account,
    });

    const { probes } = await publishProbes(f, job);
    await revealReceipt(f, job, honest, probes);
    await revealReceipt(f, job, heavy, probes);
    await expectRevertFrom(
      f.receipts.write.revealReceipt(revealArgs(job, lazy, probes), {
        account: f.referees[0]!.account,
      }),
      "ReceiptDigestMismatch",
    );
    // Revealing the honest verifier's preimage from another address does not open its commitment.
    await expectRevertFrom(
      f.receipts.write.revealReceipt(revealArgs(job, honest, probes), {
        account: f.referees[1]!.account,
      }),
      "ReceiptCommitmentMismatch",
    );

    await finalizeAfterWindow(f, job);
    // The budget left the market for the receipts; the submitter's credit did not grow by it.
    expect(await f.market.read.creditOf([f.submitter.account.address])).to.equal(submitterCredit);
    const round = await f.receipts.read.roundOf([job.jobId]);
    expect(round.budget).to.equal(budget);
    expect(round.matchedWeight).to.equal(400n * UNIT);
    await expectSolvent(f);

    const paidHonest = await claim(f, job, f.verifier);
    const paidHeavy = await claim(f, job, f.verifier2);
    expect(paidHonest).to.equal((budget * 100n) / 400n);
    expect(paidHonest + paidHeavy).to.equal(budget);
    for (const [who, name] of [
      [f.verifier, "verifier"],
      [f.referees[0]!, "lazy"],
      [f.referees[1]!, "copier"],
    ] as const) {
      await expectRevertFrom(
        f.receipts.write.claimReceipt([job.jobId], { account: who.account }),
        "ReceiptNothingToClaim",
      );
      expect(await f.receipts.read.claimable([job.jobId, who.account.address]), name).to.equal(0n);
    }
    await claimEverythingAndExpectSolvent(f);
    expect(await f.token.read.balanceOf([f.receipts.address])).to.equal(0n);
  });

  it("a verifier that computed only the first half of each segment is paid only when every probe falls in that half", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const k = 16;
    let paid = 0;
    let unpaid = 0;
    // Several jobs, so both cases come up whatever the block hashes are.
    for (let round = 0; round < 4 && (paid === 0 || unpaid === 0); round++) {
      const job = await tracedJob(f, { receipts: true, k, checkpoints: 6 });
      const half = k / 2;
      const halfWork = (step: number): Hex =>
        step % k !== 0 && step % k <= half ? job.honestDigest(step) : guess("half")(step);
      const receipt = await commitReceipt(f, job, f.verifier, halfWork);
      const { probes } = await publishProbes(f, job);
      const inHalf = probes.steps.every((s) => Number(s) <= half);
      if (inHalf) {
        await revealReceipt(f, job, receipt, probes);
        paid += 1;
      } else {
        await expectRevertFrom(
          f.receipts.write.revealReceipt(revealArgs(job, receipt, probes), {
            account: f.verifier.account,
          }),
          "ReceiptDigestMismatch",
        );
        unpaid += 1;
      }
      expect(
        (await f.receipts.read.receiptOf([job.jobId, f.verifier.account.address])).matched,
      ).to.equal(inHalf);
    }
    expect(unpaid).to.be.greaterThan(0);
  });

  it("refuses receipts from the job's parties, from stake staked after the open, after the commit phase, and twice", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const job = await tracedJob(f, { receipts: true, k: 4, checkpoints: 4 });
    // The provider and the submitter stake as verifiers too: still parties.
    for (const party of [f.provider, f.submitter]) {
      await f.registry.write.stake([STAKE_ROLE.Verifier, 100n * UNIT], { account: party.account });
      await expectRevertFrom(commitReceipt(f, job, party), "ReceiptPartyCannotCommit");
    }
    // A verifier that stakes once it sees the job had no weight at the open.
    await f.token.write.approve([f.registry.address, 10n ** 30n], { account: f.stranger.account });
    await f.registry.write.stake([STAKE_ROLE.Verifier, 100n * UNIT], {
      account: f.stranger.account,
    });
    await expectRevertFrom(commitReceipt(f, job, f.stranger), "ReceiptNotEligible");

    await commitReceipt(f, job, f.verifier);
    await expectRevertFrom(commitReceipt(f, job, f.verifier), "ReceiptExists");

    const { commitEnd } = await receiptPhases(f, job.jobId);
    await networkHelpers.time.increaseTo(commitEnd + 1n);
    // Too late to commit: a lazy verifier would now wait for the provider's digests.
    await expectRevertFrom(commitReceipt(f, job, f.verifier2), "ReceiptsTooLate");
  });

  it("probe steps are drawn only after the commit phase, only when some receipt is owed, and only the provider publishes them", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const quiet = await tracedJob(f, { receipts: true, k: 4, checkpoints: 4 });
    const job = await tracedJob(f, { receipts: true, k: 4, checkpoints: 4 });
    await commitReceipt(f, job, f.verifier);
    await expectRevertFrom(f.receipts.write.requestProbes([job.jobId]), "ReceiptsTooEarly");
    const { commitEnd } = await receiptPhases(f, job.jobId);
    await networkHelpers.time.increaseTo(commitEnd + 1n);
    await expectRevertFrom(f.receipts.write.requestProbes([quiet.jobId]), "ProbesNotDue");
    // No receipt on the quiet job: nothing is owed, it finalizes and the budget goes back.
    expect(await f.receipts.read.probesMissed([quiet.jobId])).to.equal(false);
    await f.receipts.write.requestProbes([job.jobId]);
    await expectRevertFrom(f.receipts.write.requestProbes([job.jobId]), "ProbesAlreadyRequested");
    await networkHelpers.mine(4);
    await expectRevertFrom(
      f.receipts.write.publishProbes([job.jobId, [keccak256(toHex("a")), keccak256(toHex("b"))]], {
        account: f.verifier.account,
      }),
      "ProbesNotProvider",
    );
    const before = await f.market.read.creditOf([f.submitter.account.address]);
    await finalizeAfterWindow(f, quiet);
    expect(await f.market.read.creditOf([f.submitter.account.address])).to.equal(
      before + budgetOf(quiet),
    );
  });

  it("a provider that owes probes and does not publish them cannot finalize: the job expires and its collateral is slashed", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const job = await tracedJob(f, { receipts: true, k: 4, checkpoints: 4 });
    await commitReceipt(f, job, f.verifier);
    const { publishEnd } = await receiptPhases(f, job.jobId);
    await networkHelpers.time.increaseTo(publishEnd + 1n);
    expect(await f.market.read.isExpirable([job.jobId])).to.equal(true);
    const onchain = await f.market.read.getJob([job.jobId]);
    await networkHelpers.time.increaseTo(BigInt(onchain.deadline) + 1n);
    await expectRevertFrom(f.market.write.finalize([job.jobId]), "JobProbesMissing");
    const locked = await f.registry.read.lockedStake([f.provider.account.address]);
    await f.market.write.expire([job.jobId], { account: f.stranger.account });
    expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Expired);
    expect(await f.registry.read.lockedStake([f.provider.account.address])).to.equal(
      locked - job.params.collateral,
    );
    await claimEverythingAndExpectSolvent(f);
  });

  it("an honest provider with no owed probes is never expired by the receipts rule", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const job = await tracedJob(f, { receipts: true, k: 4, checkpoints: 4 });
    const { publishEnd } = await receiptPhases(f, job.jobId);
    await networkHelpers.time.increaseTo(publishEnd + 1n);
    expect(await f.market.read.isExpirable([job.jobId])).to.equal(false);
    await expectRevertFrom(f.market.write.expire([job.jobId]), "JobWrongStatus");
    await finalizeAfterWindow(f, job);
    expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Finalized);
  });

  it("a false probe digest is a state dispute over the probed steps: the honest verifier narrows it and the provider is slashed", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const k = 16;
    const job = await tracedJob(f, { receipts: true, k, checkpoints: 6 });
    const receipt = await commitReceipt(f, job, f.verifier);
    // The provider trained honestly but publishes made-up probe digests (saving the probe work).
    const lie = guess("probe-lie");
    const { probes } = await publishProbes(f, job, lie);
    await expectRevertFrom(
      f.receipts.write.revealReceipt(revealArgs(job, receipt, probes), {
        account: f.verifier.account,
      }),
      "ReceiptDigestMismatch",
    );
    const segment = Number(probes.segments[0]!);
    const p = Number(probes.steps[0]!);
    const base = (segment - 1) * k;
    const claim = job.honestDigest(base + p);
    const salt = keccak256(toHex("probe-salt"));
    await f.disputeGame.write.commitChallenge(
      [probeChallengeCommitment(job.jobId, segment, claim, salt, f.verifier.account.address)],
      { account: f.verifier.account },
    );
    await networkHelpers.mine(1);
    const { leaves, proof } = segmentLeaves(job, segment);
    const probesArg = probeArg(probes);
    // The plain reveal does not open a probe commitment.
    await expectRevertFrom(
      f.disputeGame.write.revealChallenge(
        [job.jobId, BigInt(segment), claim, salt, leaves, proof],
        {
          account: f.verifier.account,
        },
      ),
      "DisputeCommitmentUnknown",
    );
    await f.disputeGame.write.revealProbeChallenge(
      [job.jobId, BigInt(segment), claim, salt, leaves, proof, probesArg],
      { account: f.verifier.account },
    );
    const disputeId = await f.disputeGame.read.disputeCount();
    const d = await f.disputeGame.read.getDispute([disputeId]);
    expect(d.hi).to.equal(p);
    const start = {
      lo: segment === 1 ? job.params.initialStateDigest : job.trace[segment - 2]!.stateDigest,
      hi: probes.digests[0]!,
      challengerHi: claim,
    };
    // The provider's honest digests before the probe, its lie at the probe.
    const providerAt = (offset: number): Hex =>
      offset === p ? probes.digests[0]! : job.honestDigest(base + offset);
    await playDissection(
      f,
      disputeId,
      start,
      providerAt,
      (o) => job.honestDigest(base + o),
      f.verifier,
    );
    const { members } = await drawCommittee(f, disputeId);
    await vote(f, disputeId, members, () => VOTE.Challenger);
    expect((await resolution(f, disputeId)).outcome).to.equal(OUTCOME_CODE.ChallengerWon);
    expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Slashed);
    await claimEverythingAndExpectSolvent(f);
  });

  it("probe challenges are refused on tolerance jobs, and name a digest other than the provider's", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    for (const numerics of [NUMERICS.Tolerance, NUMERICS.Exact]) {
      const job = await tracedJob(f, { receipts: true, k: 4, checkpoints: 4, numerics });
      await commitReceipt(f, job, f.verifier);
      const { probes } = await publishProbes(f, job);
      const segment = Number(probes.segments[0]!);
      const claim =
        numerics === NUMERICS.Exact ? probes.digests[0]! : keccak256(toHex("other digest"));
      const salt = keccak256(toHex(`salt-${numerics}`));
      await f.disputeGame.write.commitChallenge(
        [probeChallengeCommitment(job.jobId, segment, claim, salt, f.verifier.account.address)],
        { account: f.verifier.account },
      );
      await networkHelpers.mine(1);
      const { leaves, proof } = segmentLeaves(job, segment);
      await expectRevertFrom(
        f.disputeGame.write.revealProbeChallenge(
          [job.jobId, BigInt(segment), claim, salt, leaves, proof, probeArg(probes)],
          { account: f.verifier.account },
        ),
        numerics === NUMERICS.Exact ? "DisputeSameDigest" : "DisputeProbeNotExact",
      );
    }
  });

  it("a reveal with probes other than the published ones is refused", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const job = await tracedJob(f, { receipts: true, k: 8, checkpoints: 4 });
    const receipt = await commitReceipt(f, job, f.verifier);
    const { probes } = await publishProbes(f, job);
    // The verifier's own digests in place of the provider's, at other steps.
    const forged: Probes = {
      ...probes,
      steps: probes.steps.map((s) => (s === 1n ? 2n : s - 1n)),
      digests: probes.segments.map((seg, i) =>
        job.honestDigest(
          (Number(seg) - 1) * job.k + Number(probes.steps[i]! === 1n ? 2n : probes.steps[i]! - 1n),
        ),
      ),
    };
    await expectRevertFrom(
      f.receipts.write.revealReceipt(revealArgs(job, receipt, forged), {
        account: f.verifier.account,
      }),
      "ProbesMismatch",
    );
  });

  it("no receipts on jobs of one step per segment or without a budget", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const single = await tracedJob(f, { receipts: true, k: 1, checkpoints: 4 });
    const free = await tracedJob(f, {
      receipts: true,
      k: 4,
      checkpoints: 4,
      overrides: { verificationBps: 0 },
    });
    for (const job of [single, free]) {
      expect((await f.receipts.read.roundOf([job.jobId])).openedAt).to.equal(0);
      await expectRevertFrom(
        f.receipts.write.commitReceipt([job.jobId, keccak256(toHex("c"))], {
          account: f.verifier.account,
        }),
        "ReceiptsNotOffered",
      );
    }
  });
});

function probeArg(probes: Probes) {
  return {
    segments: [...probes.segments],
    steps: [...probes.steps],
    digests: [...probes.digests],
  };
}
