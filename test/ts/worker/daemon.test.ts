import { expect } from "chai";

import { startDevnet, type Devnet } from "../../../src/devnet/index.ts";
import { statusName } from "../../../src/node/onchain-job.ts";
import {
  postTinyJob,
  startWorker,
  TERMS,
  tinySpec,
  UNIT,
  waitFor,
  workerConfigInput,
  type RunningDaemon,
} from "./helpers.ts";

// The provider daemon in-process against a devnet (JSON-RPC server, store, clock at 20×): an honest
// job goes all the way to Finalized and paid, and a job outside the filters is skipped untouched.
describe("provider daemon (in-process, devnet)", function () {
  this.timeout(120_000);
  let devnet: Devnet;
  let worker: RunningDaemon | undefined;

  before(async function () {
    devnet = await startDevnet();
  });
  after(async function () {
    await worker?.close();
    await devnet?.close();
  });

  it("serves an honest job: accepts, trains, submits, opens, finalizes after the window and claims its payment", async function () {
    worker = await startWorker(devnet, workerConfigInput(devnet, 2, { progressEvery: 2 }));
    const { market, testToken } = devnet.deployment;
    const provider = worker.daemon.chain.address;
    const balanceBefore = await testToken!.read.balanceOf([provider]);
    const spec = await tinySpec(devnet);
    const jobId = await postTinyJob(devnet, spec);
    await waitFor(
      "the job to be done",
      async () => worker!.daemon.jobEntry(jobId)?.state === "done",
    );
    const job = await market.read.getJob([jobId]);
    expect(statusName(job.status)).to.equal("Finalized");
    expect(job.provider.toLowerCase()).to.equal(provider.toLowerCase());
    // Progress was committed every 2 of the 6 checkpoints (2 and 4; submit covers 6).
    const progress = await market.getEvents.ProgressCommitted({ jobId }, { fromBlock: 0n });
    expect(progress.map((e) => Number(e.args.checkpoints))).to.deep.equal([2, 4]);
    // 90% of the escrow pays the provider (10% verification budget returns to the submitter).
    await waitFor(
      "the credit to be claimed",
      async () => (await market.read.creditOf([provider])) === 0n,
    );
    expect((await testToken!.read.balanceOf([provider])) - balanceBefore).to.equal(
      (TERMS.amount * 9n) / 10n,
    );
    const entry = worker.daemon.jobEntry(jobId)!;
    expect(entry.resumedFrom).to.equal(0);
    expect(worker.daemon.journal.keys(`ckpt:${jobId}:`)).to.have.length(7);
  });

  it("skips a job outside its filters without sending an accept", async function () {
    // The same daemon now wants at least 10 tokens per step: a 48-step job for 100 pays ~2.
    await worker?.close();
    worker = await startWorker(
      devnet,
      workerConfigInput(devnet, 3, { filters: { minAmountPerStep: (10n * UNIT).toString() } }),
    );
    const spec = await tinySpec(devnet);
    const jobId = await postTinyJob(devnet, spec);
    const entry = await waitFor("the job to be skipped", async () => {
      const e = worker!.daemon.jobEntry(jobId);
      return e?.state === "skipped" ? e : undefined;
    });
    expect(entry.reason).to.match(/minAmountPerStep/);
    expect(worker.daemon.journal.has(`tx:accept:${jobId}`)).to.equal(false);
    const job = await devnet.deployment.market.read.getJob([jobId]);
    expect(statusName(job.status)).to.equal("Open");
    const accepted = await devnet.deployment.market.getEvents.JobAccepted(
      { jobId },
      { fromBlock: 0n },
    );
    expect(accepted).to.have.length(0);
  });

  it("skips a job whose checkpoints its shared store could not take (committedBlobProblem)", async function () {
    // A provider is held to the protocol's blob limit, and to its own store's: a job whose
    // checkpoints it could not publish would lose every availability dispute over them.
    await worker?.close();
    worker = await startWorker(devnet, workerConfigInput(devnet, 4), "warn", 256);
    const jobId = await postTinyJob(devnet, await tinySpec(devnet));
    const entry = await waitFor("the job to be skipped", async () => {
      const e = worker!.daemon.jobEntry(jobId);
      return e?.state === "skipped" ? e : undefined;
    });
    expect(entry.reason).to.match(
      /its checkpoints would be \d+ bytes, over this provider's shared store limit of 256 bytes/,
    );
    expect(worker.daemon.journal.has(`tx:accept:${jobId}`)).to.equal(false);
  });
});
