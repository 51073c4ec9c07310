import { readFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { startDevnet, type Devnet } from "../../../src/devnet/devnet.ts";
import { startAnvil, type Anvil } from "../helpers/anvil.ts";
import {
  postTinyJob,
  startWorker,
  tinySpec,
  waitFor,
  workerConfigInput,
  type RunningDaemon,
} from "../worker/helpers.ts";

// On a chain that mines only when a transaction arrives (anvil without a block time, the devnet's
// clock stopped), the block whose hash seeds a job's samples never comes by itself: the provider
// daemon must say that it waits for it, with the chain head, and go on once blocks are mined.
describe("a provider daemon on a chain that mines only on transactions (anvil)", function () {
  this.timeout(120_000);
  let anvil: Anvil;
  let devnet: Devnet;
  let worker: RunningDaemon | undefined;

  before(async function () {
    anvil = await startAnvil();
    devnet = await startDevnet({ rpcUrl: anvil.url, startClock: false });
  });
  after(async function () {
    await worker?.close();
    await devnet?.close();
    await anvil?.stop();
  });

  it("says which block it waits for and the chain head, then opens once the block is mined", async function () {
    worker = await startWorker(devnet, workerConfigInput(devnet, 2), "info");
    const jobId = await postTinyJob(devnet, await tinySpec(devnet));
    await waitFor(
      "the worker to wait for its seed",
      async () => worker!.daemon.jobEntry(jobId)?.state === "awaiting-seed",
    );
    const logFile = path.join(worker.config.dataDir, "worker.log");
    const said = await waitFor("the wait to be logged", async () =>
      (await readFile(logFile, "utf8"))
        .split("\n")
        .find((line) => line.includes("whose hash seeds the samples")),
    );
    const { msg, seedBlock, head } = JSON.parse(said) as Record<string, string>;
    expect(BigInt(head!) < BigInt(seedBlock!)).to.equal(true);
    expect(msg).to.equal(
      `job ${jobId}: waiting for block ${seedBlock}, whose hash seeds the samples (chain head ${head})`,
    );
    // Nothing moves by itself: the chain still stands at the head it named.
    const client = await devnet.connection.viem.getPublicClient();
    expect(await client.getBlockNumber()).to.equal(BigInt(head!));
    // Blocks mined by hand (as a devnet clock or a block time would): the worker opens its samples.
    for (let b = BigInt(head!); b <= BigInt(seedBlock!); b++) await devnet.clock.advance(0);
    await waitFor(
      "the samples to be opened",
      async () => worker!.daemon.jobEntry(jobId)?.state === "challenge-window",
    );
    const [opened] = await devnet.deployment.market.getEvents.LeavesOpened(
      { jobId },
      { fromBlock: 0n },
    );
    expect(opened, "LeavesOpened").to.not.equal(undefined);
  });
});
