import { expect } from "chai";
import { encodeFunctionData, getAddress, keccak256, maxUint256, toHex, zeroHash } from "viem";

import { ROLES } from "../../../deploy/deploy-assay.ts";
import { buildOpening } from "../../../src/protocol/opening.ts";
import { expectRevert } from "../helpers/expect-revert.ts";
import {
  LEAVES_DIGEST,
  MIN_PROVIDER_STAKE,
  RESULT_DIGEST,
  UNIT,
  balanceOf,
  createJob,
  honestOpening,
  jobParams,
  makeTrace,
  mineForSeed,
  networkHelpers,
  openArgs,
  openedJob,
  stakedFixture,
  submittedJob,
  traceRoot,
  viem,
  type Fixture,
} from "./fixtures.ts";
import { JOB, NUMERICS, STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

const { time } = networkHelpers;

async function acceptedJob(f: Fixture, overrides = {}) {
  const job = await createJob(f, overrides);
  await f.market.write.accept([job.jobId], { account: f.provider.account });
  return job;
}

describe("JobMarket", () => {
  describe("createJob", () => {
    it("escrows the amount, stores the job and emits JobCreated", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const before = await balanceOf(f, f.submitter.account.address);
      const { jobId, params } = await createJob(f);
      expect(await balanceOf(f, f.submitter.account.address)).to.equal(before - params.amount);
      expect(await balanceOf(f, f.market.address)).to.equal(params.amount);
      const job = await f.market.read.getJob([jobId]);
      expect(job.status).to.equal(JOB.Open);
      expect(job.submitter).to.equal(getAddress(f.submitter.account.address));
      expect(job.checkpoints).to.equal(params.totalSteps / params.checkpointInterval);
      expect(job.specHash).to.equal(params.specHash);
      const events = await f.market.getEvents.JobCreated();
      expect(events.at(-1)!.args).to.deep.include({
        jobId,
        specHash: params.specHash,
        amount: params.amount,
      });
    });

    const invalid: [string, Record<string, unknown>][] = [
      ["specHash", { specHash: zeroHash }],
      ["initialStateDigest", { initialStateDigest: zeroHash }],
      ["amount", { amount: 0n }],
      ["collateral", { collateral: 0n }],
      ["collateral", { collateral: 49n * UNIT }], // below 50% of 100 (minCollateralBps 5000)
      // Above 96 bits: it used to be stored truncated (1 base unit) while JobCreated advertised it.
      ["collateral", { collateral: (1n << 96n) + 1n }],
      ["totalSteps", { totalSteps: 0 }],
      ["checkpointInterval", { checkpointInterval: 0 }],
      ["checkpointInterval", { totalSteps: 100, checkpointInterval: 7 }],
      ["checkpoints", { totalSteps: (1 << 20) + 1, checkpointInterval: 1, samples: 1 }],
      ["numerics", { numerics: NUMERICS.None }],
      ["deltaPpm", { numerics: NUMERICS.Exact, deltaPpm: 5 }],
      ["deltaPpm", { numerics: NUMERICS.Tolerance, deltaPpm: 0 }],
      ["deltaPpm", { numerics: NUMERICS.Tolerance, deltaPpm: 1_000_001 }],
      ["samples", { samples: 0 }],
      ["samples", { samples: 33, totalSteps: 1000 }],
      ["samples", { samples: 17 }], // q larger than n = 16
      ["topQ", { topQ: 9, totalSteps: 1000 }],
      ["topQ", { topQ: 3, totalSteps: 20, samples: 2 }],
      ["committeeSize", { committeeSize: 0 }],
      ["committeeSize", { committeeSize: 4 }],
      ["committeeSize", { committeeSize: 23 }],
      ["verificationBps", { verificationBps: 5_001 }],
      ["acceptWindow", { acceptWindow: 59 }],
      ["trainWindow", { trainWindow: 31 * 24 * 3600 }],
      ["openWindow", { openWindow: 0 }],
      ["challengeWindow", { challengeWindow: 4 * 24 * 3600 }], // more than half the 7-day unbonding delay
    ];
    for (const [name, overrides] of invalid) {
      it(`rejects ${name} = ${JSON.stringify(overrides, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`, async () => {
        const f = await networkHelpers.loadFixture(stakedFixture);
        const [parameter] = await expectRevert(
          f.market.write.createJob([jobParams(overrides)], { account: f.submitter.account }),
          "JobInvalidParameter",
        );
        expect(parameter).to.equal(toHex(name, { size: 32 }));
      });
    }

    it("accepts k dividing T, q = n and Q = n (bounds are inclusive)", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId } = await createJob(f, {
        totalSteps: 40,
        checkpointInterval: 10,
        samples: 4,
        topQ: 4,
      });
      expect((await f.market.read.getJob([jobId])).checkpoints).to.equal(4);
    });

    it("rejects a fee-on-transfer token", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const fee = await viem.deployContract("FeeOnTransferToken");
      const registry = await viem.deployContract("StakeRegistry", [
        fee.address,
        f.deployer.account.address,
        1n,
        1n,
        7n * 86400n,
      ]);
      const market = await viem.deployContract("JobMarket", [
        registry.address,
        f.randomness.address,
        f.deployer.account.address,
        f.treasury.account.address,
        0n,
        0n,
      ]);
      await fee.write.mint([f.submitter.account.address, 1000n * UNIT]);
      await fee.write.approve([market.address, maxUint256], { account: f.submitter.account });
      await expectRevert(
        market.write.createJob([jobParams()], { account: f.submitter.account }),
        "CreditFeeOnTransferToken",
        [100n * UNIT, 99n * UNIT],
      );
    });
  });

  describe("cancel", () => {
    it("lets the submitter withdraw an open job and credits the escrow back", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId, params } = await createJob(f);
      await f.market.write.cancel([jobId], { account: f.submitter.account });
      expect((await f.market.read.getJob([jobId])).status).to.equal(JOB.Cancelled);
      expect(await f.market.read.creditOf([f.submitter.account.address])).to.equal(params.amount);
      await expectRevert(
        f.market.write.cancel([jobId], { account: f.submitter.account }),
        "JobWrongStatus",
        [jobId, JOB.Cancelled],
      );
    });

    it("is refused to anyone but the submitter, after accept, and for unknown jobs", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId } = await createJob(f);
      await expectRevert(
        f.market.write.cancel([jobId], { account: f.stranger.account }),
        "JobNotSubmitter",
      );
      await f.market.write.accept([jobId], { account: f.provider.account });
      await expectRevert(
        f.market.write.cancel([jobId], { account: f.submitter.account }),
        "JobWrongStatus",
        [jobId, JOB.Accepted],
      );
      await expectRevert(
        f.market.write.cancel([99n], { account: f.submitter.account }),
        "JobNotFound",
        [99n],
      );
    });
  });

  describe("accept", () => {
    it("locks the collateral and sets the submit deadline", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId, params } = await acceptedJob(f);
      const job = await f.market.read.getJob([jobId]);
      expect(job.status).to.equal(JOB.Accepted);
      expect(job.provider).to.equal(getAddress(f.provider.account.address));
      expect(await f.registry.read.lockedStake([f.provider.account.address])).to.equal(
        params.collateral,
      );
      const block = await f.publicClient.getBlock();
      expect(BigInt(job.deadline)).to.equal(block.timestamp + BigInt(params.trainWindow));
    });

    it("a submitter cannot accept its own job", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId } = await createJob(f, {}, f.provider.account);
      await expectRevert(
        f.market.write.accept([jobId], { account: f.provider.account }),
        "JobSubmitterCannotAccept",
        [jobId],
      );
    });

    it("is refused after the accept deadline, twice, and to unstaked or under-collateralised providers", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId } = await createJob(f);
      await expectRevert(
        f.market.write.accept([jobId], { account: f.provider2.account }),
        "StakeBelowMinimum",
      );
      await f.registry.write.stake([STAKE_ROLE.Provider, MIN_PROVIDER_STAKE], {
        account: f.provider2.account,
      });
      const big = await createJob(f, { collateral: MIN_PROVIDER_STAKE + 1n });
      await expectRevert(
        f.market.write.accept([big.jobId], { account: f.provider2.account }),
        "StakeInsufficientFree",
      );
      await f.market.write.accept([jobId], { account: f.provider.account });
      await expectRevert(
        f.market.write.accept([jobId], { account: f.provider2.account }),
        "JobWrongStatus",
      );
      const late = await createJob(f);
      await time.increase(jobParams().acceptWindow + 1);
      await expectRevert(
        f.market.write.accept([late.jobId], { account: f.provider.account }),
        "JobDeadlinePassed",
      );
    });
  });

  describe("commitProgress", () => {
    it("records increasing partial roots from the provider only", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId } = await acceptedJob(f);
      const root = keccak256(toHex("partial"));
      await f.market.write.commitProgress([jobId, 4n, root], { account: f.provider.account });
      expect((await f.market.read.getJob([jobId])).progress).to.equal(4);
      await expectRevert(
        f.market.write.commitProgress([jobId, 4n, root], { account: f.provider.account }),
        "JobProgressNotIncreasing",
      );
      await expectRevert(
        f.market.write.commitProgress([jobId, 17n, root], { account: f.provider.account }),
        "JobProgressNotIncreasing",
      );
      await expectRevert(
        f.market.write.commitProgress([jobId, 5n, zeroHash], { account: f.provider.account }),
        "JobInvalidParameter",
      );
      await expectRevert(
        f.market.write.commitProgress([jobId, 5n, root], { account: f.stranger.account }),
        "JobNotProvider",
      );
    });
  });

  describe("submit", () => {
    it("stores the trace root, requests the seed and emits TraceSubmitted", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId, root, trace } = await submittedJob(f);
      const job = await f.market.read.getJob([jobId]);
      expect(job.status).to.equal(JOB.Submitted);
      expect(job.traceRoot).to.equal(root);
      expect(job.finalDigest).to.equal(trace.at(-1)!.stateDigest);
      const [event] = await f.market.getEvents.TraceSubmitted({ jobId });
      expect(event!.args.resultDigest).to.equal(RESULT_DIGEST);
      expect(event!.args.randomnessRequest).to.equal(BigInt(job.randomnessRequest));
    });

    it("is refused to others, with zero commitments, and after the submit deadline", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId, params } = await acceptedJob(f);
      const h = keccak256(toHex("x"));
      await expectRevert(
        f.market.write.submit([jobId, h, h, h, h], { account: f.stranger.account }),
        "JobNotProvider",
      );
      await expectRevert(
        f.market.write.submit([jobId, zeroHash, h, h, h], { account: f.provider.account }),
        "JobInvalidParameter",
      );
      await expectRevert(
        f.market.write.submit([jobId, h, zeroHash, h, h], { account: f.provider.account }),
        "JobInvalidParameter",
      );
      await expectRevert(
        f.market.write.submit([jobId, h, h, h, zeroHash], { account: f.provider.account }),
        "JobInvalidParameter",
      );
      await time.increase(params.trainWindow + 1);
      await expectRevert(
        f.market.write.submit([jobId, h, h, h, h], { account: f.provider.account }),
        "JobDeadlinePassed",
      );
    });
  });

  describe("openSamples", () => {
    it("waits for the seed block: the sample does not exist at submission", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId } = await submittedJob(f);
      await expectRevert(f.market.read.sampledSegments([jobId]), "JobSeedUnavailable");
    });

    it("rejects a missing leaf, an extra leaf, a tampered leaf and a wrong top-Q list", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId, trace, params } = await submittedJob(f);
      await mineForSeed();
      const good = await honestOpening(f, jobId, trace, params.topQ);
      const open = (o: typeof good) =>
        f.market.write.openSamples(openArgs(jobId, o), { account: f.provider.account });

      await expectRevert(open({ ...good, leaves: good.leaves.slice(1) }), "JobOpeningIncomplete");
      const unused = trace.find((l) => !good.leaves.some((g) => g.index === l.index))!;
      const extra = [...good.leaves, unused].sort((a, b) => Number(a.index - b.index));
      await expectRevert(open({ ...good, leaves: extra }), "JobOpeningIncomplete", [
        jobId,
        BigInt(good.leaves.length),
        BigInt(extra.length),
      ]);
      const swapped = good.leaves.map((l, i) => (i === 1 ? unused : l));
      await expectRevert(open({ ...good, leaves: swapped }), "JobOpeningMismatch");
      const tampered = good.leaves.map((l, i) =>
        i === 0 ? { ...l, updateNorm: l.updateNorm + 1n } : l,
      );
      await expectRevert(open({ ...good, leaves: tampered }), "JobInvalidProof", [jobId]);
      await expectRevert(
        open({ ...good, topIndices: good.topIndices.slice(1) }),
        "JobTopIndicesInvalid",
      );
      await expectRevert(
        open({ ...good, topIndices: [good.topIndices[0]!, good.topIndices[0]!] }),
        "JobTopIndicesInvalid",
      );
      await expectRevert(
        open({ ...good, topIndices: [0n, good.topIndices[0]!] }),
        "JobTopIndicesInvalid",
      );
      await expectRevert(open({ ...good, proof: good.proof.slice(1) }), "MerkleProofLength");
      await expectRevert(open({ ...good, proof: [...good.proof, zeroHash] }), "MerkleProofLength");
      await expectRevert(
        f.market.write.openSamples(openArgs(jobId, good), { account: f.stranger.account }),
        "JobNotProvider",
      );
      await open(good);
      await expectRevert(open(good), "JobWrongStatus", [jobId, JOB.Opened]);
    });

    it("rejects a proof replayed from another job with the same trace (leaves bind the job id)", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const a = await submittedJob(f);
      const b = await createJob(f);
      await f.market.write.accept([b.jobId], { account: f.provider.account });
      // Job b commits the root that job a's leaves give: the leaf hashes carry a's id, not b's.
      await f.market.write.submit(
        [
          b.jobId,
          traceRoot(a.jobId, a.trace),
          a.trace.at(-1)!.stateDigest,
          RESULT_DIGEST,
          LEAVES_DIGEST,
        ],
        {
          account: f.provider.account,
        },
      );
      await mineForSeed();
      const sampled = await f.market.read.sampledSegments([b.jobId]);
      const replay = buildOpening(a.jobId, a.trace, sampled, [1n, 2n]);
      await expectRevert(
        f.market.write.openSamples(openArgs(b.jobId, replay), { account: f.provider.account }),
        "JobInvalidProof",
      );
    });

    it("rejects an opened last leaf that differs from the submitted final digest", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId } = await acceptedJob(f);
      const trace = makeTrace(16, "lying-final");
      await f.market.write.submit(
        [
          jobId,
          traceRoot(jobId, trace),
          keccak256(toHex("another model")),
          RESULT_DIGEST,
          LEAVES_DIGEST,
        ],
        {
          account: f.provider.account,
        },
      );
      await mineForSeed();
      const sampled = await f.market.read.sampledSegments([jobId]);
      // Claim segment 16 as a top segment so that leaf n must be opened.
      const top = sampled.includes(16n) ? [16n, sampled.includes(1n) ? 2n : 1n] : [16n, 1n];
      const opening = buildOpening(
        jobId,
        trace,
        sampled,
        top.filter((t, i, all) => all.indexOf(t) === i).slice(0, 2),
      );
      await expectRevert(
        f.market.write.openSamples(openArgs(jobId, opening), { account: f.provider.account }),
        "JobOpeningMismatch",
      );
    });

    it("the seed becomes unavailable 256 blocks later unless recorded; then the job can only expire", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId, params } = await submittedJob(f);
      await networkHelpers.mine(300);
      await expectRevert(f.market.read.sampledSegments([jobId]), "JobSeedUnavailable");
      await time.increase(params.openWindow + 1);
      await f.market.write.expire([jobId]);
      expect((await f.market.read.getJob([jobId])).status).to.equal(JOB.Expired);
    });

    it("a recorded seed survives the 256-block horizon", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId, trace, params } = await submittedJob(f);
      await mineForSeed();
      const request = BigInt((await f.market.read.getJob([jobId])).randomnessRequest);
      await f.randomness.write.record([request], { account: f.stranger.account });
      await networkHelpers.mine(300);
      const opening = await honestOpening(f, jobId, trace, params.topQ);
      await f.market.write.openSamples(openArgs(jobId, opening), { account: f.provider.account });
      expect((await f.market.read.getJob([jobId])).status).to.equal(JOB.Opened);
    });
  });

  describe("finalize", () => {
    it("waits for the end of the challenge window, then cannot run twice", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId, params } = await openedJob(f);
      await expectRevert(f.market.write.finalize([jobId]), "JobDeadlineNotReached");
      await time.increase(params.challengeWindow + 1);
      await f.market.write.finalize([jobId]);
      await expectRevert(f.market.write.finalize([jobId]), "JobWrongStatus", [
        jobId,
        JOB.Finalized,
      ]);
    });

    it("is refused before the job is opened", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId } = await submittedJob(f);
      await time.increase(30 * 24 * 3600);
      await expectRevert(f.market.write.finalize([jobId]), "JobWrongStatus", [
        jobId,
        JOB.Submitted,
      ]);
    });
  });

  describe("expire", () => {
    it("refunds an open job nobody accepted", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId, params } = await createJob(f);
      await expectRevert(f.market.write.expire([jobId]), "JobDeadlineNotReached");
      expect(await f.market.read.isExpirable([jobId])).to.equal(false);
      await time.increase(params.acceptWindow + 1);
      expect(await f.market.read.isExpirable([jobId])).to.equal(true);
      await f.market.write.expire([jobId], { account: f.stranger.account });
      expect(await f.market.read.creditOf([f.submitter.account.address])).to.equal(params.amount);
    });

    for (const phase of ["submit", "open"] as const) {
      it(`slashes the collateral when the provider misses the ${phase} deadline`, async () => {
        const f = await networkHelpers.loadFixture(stakedFixture);
        const { jobId, params } = phase === "submit" ? await acceptedJob(f) : await submittedJob(f);
        const stakeBefore = await f.registry.read.accountOf([
          f.provider.account.address,
          STAKE_ROLE.Provider,
        ]);
        await time.increase((phase === "submit" ? params.trainWindow : params.openWindow) + 1);
        await f.market.write.expire([jobId], { account: f.stranger.account });
        const job = await f.market.read.getJob([jobId]);
        expect(job.status).to.equal(JOB.Expired);
        const toSubmitter = params.collateral / 2n; // expirySubmitterBps = 5000
        expect(await f.market.read.creditOf([f.submitter.account.address])).to.equal(
          params.amount + toSubmitter,
        );
        expect(await f.market.read.creditOf([f.treasury.account.address])).to.equal(
          params.collateral - toSubmitter,
        );
        const stakeAfter = await f.registry.read.accountOf([
          f.provider.account.address,
          STAKE_ROLE.Provider,
        ]);
        expect(stakeAfter[1]).to.equal(stakeBefore[1] - params.collateral);
        expect(stakeAfter[0]).to.equal(stakeBefore[0]);
        expect(await balanceOf(f, f.market.address)).to.equal(params.amount + params.collateral);
      });
    }

    it("ejects a provider whose bonded stake falls below the minimum", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      await f.registry.write.stake([STAKE_ROLE.Provider, MIN_PROVIDER_STAKE], {
        account: f.provider2.account,
      });
      const { jobId, params } = await createJob(f, { collateral: 500n * UNIT });
      await f.market.write.accept([jobId], { account: f.provider2.account });
      await time.increase(params.trainWindow + 1);
      await f.market.write.expire([jobId]);
      expect(await f.registry.read.isActiveProvider([f.provider2.account.address])).to.equal(false);
      const next = await createJob(f);
      await expectRevert(
        f.market.write.accept([next.jobId], { account: f.provider2.account }),
        "StakeAccountEjected",
      );
    });

    it("never applies to an opened job", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId } = await openedJob(f);
      await time.increase(30 * 24 * 3600);
      await expectRevert(f.market.write.expire([jobId]), "JobWrongStatus", [jobId, JOB.Opened]);
    });
  });

  describe("credits", () => {
    it("claimCredit pays the caller once and refuses an empty credit", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const { jobId, params } = await createJob(f);
      await f.market.write.cancel([jobId], { account: f.submitter.account });
      const before = await balanceOf(f, f.submitter.account.address);
      await f.market.write.claimCredit({ account: f.submitter.account });
      expect(await balanceOf(f, f.submitter.account.address)).to.equal(before + params.amount);
      await expectRevert(
        f.market.write.claimCredit({ account: f.submitter.account }),
        "CreditNone",
      );
    });

    it("a malicious token that re-enters claimCredit during the payout gets nothing twice", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      const evil = await viem.deployContract("ReentrantToken");
      const registry = await viem.deployContract("StakeRegistry", [
        evil.address,
        f.deployer.account.address,
        1n,
        1n,
        7n * 86400n,
      ]);
      const market = await viem.deployContract("JobMarket", [
        registry.address,
        f.randomness.address,
        f.deployer.account.address,
        f.treasury.account.address,
        0n,
        0n,
      ]);
      // The token contract itself is the submitter, so the reentrant call claims its own credit.
      await evil.write.mint([f.submitter.account.address, 1000n * UNIT]);
      await evil.write.approve([market.address, maxUint256], { account: f.submitter.account });
      await market.write.createJob([jobParams()], { account: f.submitter.account });
      await market.write.cancel([1n], { account: f.submitter.account });
      await evil.write.arm([
        market.address,
        encodeFunctionData({ abi: market.abi, functionName: "claimCredit" }),
      ]);
      await market.write.claimCredit({ account: f.submitter.account });
      expect(await evil.read.reentered()).to.equal(true);
      expect(await evil.read.reentrySucceeded()).to.equal(false);
      expect(await evil.read.balanceOf([market.address])).to.equal(0n);
      expect(await evil.read.balanceOf([f.submitter.account.address])).to.equal(1000n * UNIT);
    });
  });

  describe("governance", () => {
    it("parameters change only through GOVERNOR_ROLE and within bounds", async () => {
      const f = await networkHelpers.loadFixture(stakedFixture);
      await expectRevert(
        f.market.write.setMinCollateralBps([1n], { account: f.stranger.account }),
        "AccessControlUnauthorizedAccount",
        [f.stranger.account.address, ROLES.GOVERNOR],
      );
      await expectRevert(f.market.write.setMinCollateralBps([100_001n]), "JobParameterOutOfBounds");
      await expectRevert(
        f.market.write.setExpirySubmitterBps([10_001n]),
        "JobParameterOutOfBounds",
      );
      await expectRevert(
        f.market.write.setTreasury(["0x0000000000000000000000000000000000000000"]),
        "JobParameterOutOfBounds",
      );
      await f.market.write.setMinCollateralBps([30_000n]);
      await expectRevert(
        f.market.write.createJob([jobParams()], { account: f.submitter.account }),
        "JobInvalidParameter",
      );
      await f.market.write.setExpirySubmitterBps([10_000n]);
      expect(await f.market.read.expirySubmitterBps()).to.equal(10_000n);
    });
  });
});
