import { expect } from "chai";

import { balanceOf, createJob, networkHelpers, openedJob, stakedFixture } from "./fixtures.ts";
import { JOB } from "../../../src/protocol/onchain-enums.ts";

describe("JobMarket lifecycle", () => {
  it("an honest job goes Open → Accepted → Submitted → Opened → Finalized and pays everyone by pull", async () => {
    const f = await networkHelpers.loadFixture(stakedFixture);
    const submitterBefore = await balanceOf(f, f.submitter.account.address);
    const { jobId, params } = await openedJob(f);
    expect((await f.market.read.getJob([jobId])).status).to.equal(JOB.Opened);

    await networkHelpers.time.increase(params.challengeWindow + 1);
    await f.market.write.finalize([jobId], { account: f.stranger.account });
    const job = await f.market.read.getJob([jobId]);
    expect(job.status).to.equal(JOB.Finalized);

    const budget = (params.amount * BigInt(params.verificationBps)) / 10_000n;
    expect(await f.market.read.creditOf([f.provider.account.address])).to.equal(
      params.amount - budget,
    );
    expect(await f.market.read.creditOf([f.submitter.account.address])).to.equal(budget);
    expect(await f.registry.read.lockedStake([f.provider.account.address])).to.equal(0n);

    const providerBefore = await balanceOf(f, f.provider.account.address);
    await f.market.write.claimCredit({ account: f.provider.account });
    await f.market.write.claimCredit({ account: f.submitter.account });
    expect(await balanceOf(f, f.provider.account.address)).to.equal(
      providerBefore + params.amount - budget,
    );
    expect(await balanceOf(f, f.submitter.account.address)).to.equal(
      submitterBefore - params.amount + budget,
    );
    expect(await balanceOf(f, f.market.address)).to.equal(0n);
  });

  it("stores the smallest top-Q norm and how many top-Q norms exceed it, and emits the claim", async () => {
    const f = await networkHelpers.loadFixture(stakedFixture);
    const { jobId, opening } = await openedJob(f, { topQ: 3 });
    const [event] = await f.market.getEvents.SamplesOpened({ jobId });
    expect(event!.args.topIndices).to.deep.equal(opening.topIndices);
    const job = await f.market.read.getJob([jobId]);
    const topNorms = opening.leaves
      .filter((l) => opening.topIndices.includes(l.index))
      .map((l) => l.updateNorm);
    const min = topNorms.reduce((a, b) => (a < b ? a : b));
    expect(job.minTopNorm).to.equal(min);
    expect(job.topAbove).to.equal(topNorms.filter((x) => x > min).length);
  });

  it("creates a job id per call", async () => {
    const f = await networkHelpers.loadFixture(stakedFixture);
    const a = await createJob(f);
    const b = await createJob(f);
    expect(b.jobId).to.equal(a.jobId + 1n);
  });
});
