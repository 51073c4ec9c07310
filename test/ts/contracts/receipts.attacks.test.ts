// Attacks on paid verification that an independent review found on the first version of receipts
// (docs/receipts.md), each failing there and passing now: a griefer who requests the probe
// randomness early and lets it expire (the provider could not publish and was slashed), a window
// too short for the randomness, stake added in the open's own block, and a lazy verifier that made
// the provider post every interior digest through a dissection before the commit phase ended.
import { expect } from "chai";
import { keccak256, toHex, zeroHash, type Hex } from "viem";

import { buildOpening, topSegmentsByNorm } from "../../../src/protocol/opening.ts";
import { receiptCommitment, receiptRoot } from "../../../src/protocol/receipts.ts";
import { UNIT, connection, networkHelpers, openArgs } from "./fixtures.ts";
import {
  disputeFixture,
  expectRevertFrom,
  openDispute,
  submitTracedJob,
  tracedJob,
  type DisputeFixture,
  type TracedJob,
} from "./dispute-fixtures.ts";
import { commitReceipt, publishProbes, receiptPhases, revealReceipt } from "./receipt-fixtures.ts";
import { JOB, STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

async function finalizeAfterWindow(f: DisputeFixture, job: TracedJob): Promise<void> {
  const onchain = await f.market.read.getJob([job.jobId]);
  await networkHelpers.time.increaseTo(BigInt(onchain.deadline) + 1n);
  await f.market.write.finalize([job.jobId], { account: f.stranger.account });
}

describe("Receipts: attacks found by review", () => {
  it("a griefer's early probe request that expires unread does not cost an honest provider: the request is renewed and the probes published on time", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    // A 12 h window: commit until t + 6 h, publish until t + 9 h.
    const job = await tracedJob(f, {
      receipts: true,
      k: 16,
      checkpoints: 6,
      overrides: { challengeWindow: 12 * 3600 },
    });
    const { randomnessRequest } = await f.market.read.getJob([job.jobId]);
    await f.randomness.write.record([randomnessRequest], { account: job.provider.account });
    const griefer = f.referees[0]!;
    await commitReceipt(f, job, griefer, (s) => keccak256(toHex(`junk:${s}`)));
    const honest = await commitReceipt(f, job, f.verifier);
    const { commitEnd, publishEnd } = await receiptPhases(f, job.jobId);
    await networkHelpers.time.increaseTo(commitEnd + 1n);
    await f.receipts.write.requestProbes([job.jobId], { account: griefer.account });
    // Nobody can renew a request whose value is pending or readable.
    await expectRevertFrom(f.receipts.write.requestProbes([job.jobId]), "ProbesAlreadyRequested");
    await networkHelpers.mine(4);
    await expectRevertFrom(f.receipts.write.requestProbes([job.jobId]), "ProbesAlreadyRequested");
    // 300 blocks of 12 s later the block hash is gone; the provider is still on time.
    await networkHelpers.mine(300, { interval: 12 });
    expect(BigInt(await networkHelpers.time.latest()) < publishEnd).to.equal(true);
    const { probes } = await publishProbes(f, job);
    await revealReceipt(f, job, honest, probes);
    await finalizeAfterWindow(f, job);
    expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Finalized);
    expect(await f.receipts.read.claimable([job.jobId, f.verifier.account.address])).to.equal(
      (job.params.amount * BigInt(job.params.verificationBps)) / 10_000n,
    );
  });

  it("a window whose publish phase is shorter than minPublishWindow offers no receipts, so nobody can force an impossible deadline", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const min = await f.receipts.read.minPublishWindow();
    const short = Number(min) * 4 - 4; // C/4 just below the minimum
    const job = await tracedJob(f, {
      receipts: true,
      k: 8,
      checkpoints: 4,
      overrides: { challengeWindow: short },
    });
    expect((await f.receipts.read.roundOf([job.jobId])).openedAt).to.equal(0);
    await expectRevertFrom(
      commitReceipt(f, job, f.referees[0]!, (s) => keccak256(toHex(`junk:${s}`))),
      "ReceiptsNotOffered",
    );
    const before = await f.market.read.creditOf([f.submitter.account.address]);
    await finalizeAfterWindow(f, job);
    expect(await f.market.read.creditOf([f.submitter.account.address])).to.equal(
      before + (job.params.amount * BigInt(job.params.verificationBps)) / 10_000n,
    );
    // At the minimum, the round opens.
    const fit = await tracedJob(f, {
      receipts: true,
      k: 8,
      checkpoints: 4,
      overrides: { challengeWindow: Number(min) * 4 },
    });
    expect((await f.receipts.read.roundOf([fit.jobId])).openedAt).to.not.equal(0);
  });

  it("stake that lands in the open's own block, after the open, has no weight in its round", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const job = await submitTracedJob(f, { receipts: true, k: 8, checkpoints: 4 });
    const sampled = await f.market.read.sampledSegments([job.jobId]);
    const opening = buildOpening(
      job.jobId,
      job.trace,
      sampled,
      topSegmentsByNorm(job.trace, job.params.topQ),
    );
    const late = f.stranger;
    await connection.provider.request({ method: "evm_setAutomine", params: [false] });
    let openHash: Hex;
    let stakeHash: Hex;
    try {
      openHash = await f.market.write.openSamples(openArgs(job.jobId, opening), {
        account: job.provider.account,
        gas: 3_000_000n,
      });
      stakeHash = await f.registry.write.stake([STAKE_ROLE.Verifier, 300n * UNIT], {
        account: late.account,
        gas: 1_000_000n,
      });
      await networkHelpers.mine(1);
    } finally {
      await connection.provider.request({ method: "evm_setAutomine", params: [true] });
    }
    const open = await f.publicClient.getTransactionReceipt({ hash: openHash });
    const stake = await f.publicClient.getTransactionReceipt({ hash: stakeHash });
    expect(stake.blockNumber).to.equal(open.blockNumber);
    expect(stake.transactionIndex > open.transactionIndex).to.equal(true);
    await expectRevertFrom(commitReceipt(f, job, late), "ReceiptNotEligible");
    // Stake from before the open counts.
    await commitReceipt(f, job, f.verifier);
  });

  it("a dissection opened during the commit phase posts nothing before it ends: a lazy verifier cannot copy the provider's interior digests", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const k = 16;
    const job = await tracedJob(f, { receipts: true, k, checkpoints: 6 });
    const lazy = f.verifier2;
    const segment = Number((await f.market.read.sampledSegments([job.jobId]))[0]!);
    const { disputeId, digests } = await openDispute(
      f,
      job,
      segment,
      lazy,
      keccak256(toHex("lazy claim")),
    );
    const points = (await f.disputeGame.read.pointsOf([disputeId])).map(Number);
    const base = (segment - 1) * k;
    const post = () =>
      f.disputeGame.write.postPoints(
        [disputeId, digests, points.map((o) => job.providerDigest(base + o))],
        { account: job.provider.account },
      );
    const { commitEnd } = await receiptPhases(f, job.jobId);
    await expectRevertFrom(post(), "DisputeTooEarly");
    // The provider's clock has not started: nobody can time it out meanwhile.
    await networkHelpers.time.increaseTo(commitEnd - 10n);
    await expectRevertFrom(f.disputeGame.write.timeout([disputeId]), "DisputeClockRunning");
    await expectRevertFrom(post(), "DisputeTooEarly");
    // The commit phase ends before any interior digest is on chain; too late to commit after.
    await networkHelpers.time.increaseTo(commitEnd + 1n);
    const roots = [receiptRoot(segment, Array<Hex>(k - 1).fill(keccak256(toHex("nothing"))))];
    await expectRevertFrom(
      f.receipts.write.commitReceipt(
        [
          job.jobId,
          receiptCommitment(job.jobId, roots, keccak256(toHex("s")), lazy.account.address),
        ],
        { account: lazy.account },
      ),
      "ReceiptsTooLate",
    );
    await post();
    // The whole clock budget is left: the wait did not count against the provider.
    const d = await f.disputeGame.read.getDispute([disputeId]);
    const { clockBudget } = await f.disputeGame.read.parameters();
    expect(BigInt(d.providerClock) >= clockBudget - 5n).to.equal(true);
  });

  it("probe steps that anyone recorded are never re-rolled, however long ago they were drawn", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const job = await tracedJob(f, {
      receipts: true,
      k: 8,
      checkpoints: 4,
      overrides: { challengeWindow: 12 * 3600 },
    });
    // The sample seed is kept for good, as the provider and the keepers do.
    const { randomnessRequest } = await f.market.read.getJob([job.jobId]);
    await f.randomness.write.record([randomnessRequest]);
    await commitReceipt(f, job, f.verifier);
    const { commitEnd } = await receiptPhases(f, job.jobId);
    await networkHelpers.time.increaseTo(commitEnd + 1n);
    await f.receipts.write.requestProbes([job.jobId]);
    const { probeRequest } = await f.receipts.read.roundOf([job.jobId]);
    await networkHelpers.mine(4);
    // Anyone records the value while it is readable; then it can never be re-rolled.
    await f.randomness.write.record([BigInt(probeRequest)], { account: f.verifier.account });
    await networkHelpers.mine(300);
    await expectRevertFrom(f.receipts.write.requestProbes([job.jobId]), "ProbesAlreadyRequested");
    await publishProbes(f, job);
  });

  it("an honest provider publishes its probes however many blocks after the open: the round keeps the sample seed", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    // The provider opens at once and, like any client that follows the contract, does not record
    // the sample seed; a sybil of the submitter commits junk, so probes are owed.
    const job = await tracedJob(f, { receipts: true, k: 8, checkpoints: 4 });
    await commitReceipt(f, job, f.referees[0]!, (s) => keccak256(toHex(`junk:${s}`)));
    const honest = await commitReceipt(f, job, f.verifier);
    // 300 blocks of 12 s: the seed's block hash is gone.
    await networkHelpers.mine(300, { interval: 12 });
    const { randomnessRequest } = await f.market.read.getJob([job.jobId]);
    expect(await f.randomness.read.randomness([randomnessRequest])).to.equal(zeroHash);
    const { probes } = await publishProbes(f, job);
    expect(probes.segments.map(Number)).to.deep.equal(
      (await f.receipts.read.segmentsOf([job.jobId])).map(Number),
    );
    await revealReceipt(f, job, honest, probes);
    await finalizeAfterWindow(f, job);
    expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB.Finalized);
  });
});
