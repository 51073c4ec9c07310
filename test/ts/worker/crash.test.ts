import { readFile } from "node:fs/promises";

import path from "node:path";

import { expect } from "chai";
import { getAddress } from "viem";

import { statusName } from "../../../src/node/onchain-job.ts";
import {
  spawnDaemon,
  startDevnet,
  type DaemonProcess,
  type Devnet,
} from "../../../src/devnet/index.ts";
import { Journal } from "../../../src/node/journal.ts";
import { cidOf } from "../../../src/protocol/cid.ts";
import { dataPaths } from "../../../worker/daemon.ts";
import { postTinyJob, tinySpec, waitFor, workerConfigInput } from "./helpers.ts";

// kill -9 in the middle of training: the worker runs as a real process (node worker/main.ts), is
// SIGKILLed once some checkpoints are journaled, and restarted on the same data directory. It must
// resume from a local checkpoint (not step 0), finish the job, and have sent exactly one accept and
// one submit (counted on chain, from every block, by sender and selector).
const PROVIDER_ACCOUNT = 4;

async function journalState(
  file: string,
): Promise<{ checkpoints: number; state?: string; resumedFrom?: number }> {
  let journal: Journal;
  try {
    journal = await Journal.open(file);
  } catch {
    return { checkpoints: 0 }; // being rewritten right now
  }
  const entry = journal
    .keys("job:")
    .map((k) => journal.get<{ state: string; resumedFrom?: number }>(k)!)[0];
  return {
    checkpoints: journal.keys("ckpt:").length,
    state: entry?.state,
    resumedFrom: entry?.resumedFrom,
  };
}

/** The daemon's checkpoint server returns a journaled checkpoint's exact bytes and refuses writes. */
async function checkServedCheckpoint(log: string, journalFile: string): Promise<void> {
  const served = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*serving local checkpoints/.exec(log);
  if (served === null) expect.fail("the daemon did not log its checkpoint server");
  const journal = await Journal.open(journalFile);
  const record = journal.get<{ cid: string }>(journal.keys("ckpt:").at(-1)!)!;
  const response = await fetch(`${served[1]}/ipfs/${record.cid}`);
  expect(response.status).to.equal(200);
  const bytes = new Uint8Array(await response.arrayBuffer());
  expect(cidOf(bytes)).to.equal(record.cid);
  const put = await fetch(`${served[1]}/ipfs`, { method: "POST", body: new Uint8Array([1, 2, 3]) });
  expect(put.status).to.equal(401);
}

describe("provider daemon crash safety (spawned process, kill -9)", function () {
  this.timeout(180_000);
  let devnet: Devnet;
  let daemon: DaemonProcess | undefined;

  before(async function () {
    devnet = await startDevnet();
  });
  after(async function () {
    await daemon?.kill("SIGKILL");
    await devnet?.close();
  });

  it("resumes training from its last journaled checkpoint after SIGKILL and sends no duplicate transaction", async function () {
    // T = 4 000, k = 100: 40 checkpoints, a few seconds of training at this size.
    const spec = await tinySpec(devnet, { totalSteps: 4000, checkpointInterval: 100 });
    const config = workerConfigInput(devnet, PROVIDER_ACCOUNT, {}, "crash-worker");
    const provider = getAddress(
      (await devnet.connection.viem.getWalletClients())[PROVIDER_ACCOUNT]!.account.address,
    );
    await devnet.fund(provider, 1_000n * 10n ** 18n);
    const journalFile = dataPaths(config.dataDir as string).journal;
    daemon = await spawnDaemon("worker", "crash-worker", config, devnet);
    const jobId = await postTinyJob(devnet, spec);
    await waitFor(
      "a few checkpoints journaled",
      async () => (await journalState(journalFile)).checkpoints >= 5,
      90_000,
    );
    await daemon.kill("SIGKILL");
    const atKill = await journalState(journalFile);
    expect(atKill.state).to.equal("training");
    expect(atKill.checkpoints).to.be.below(41);

    // The restarted daemon also serves its local checkpoints (read-only).
    const serving = { ...config, worker: { ...(config.worker as object), servePort: 0 } };
    daemon = await spawnDaemon("worker", "crash-worker", serving, devnet);
    const final = await waitFor(
      "the job to be done",
      async () => {
        const s = await journalState(journalFile);
        return s.state === "done" ? s : undefined;
      },
      120_000,
    );
    await checkServedCheckpoint(
      await readFile(path.join(devnet.dir, "crash-worker.log"), "utf8"),
      journalFile,
    );
    await daemon.kill("SIGTERM");
    expect(final.resumedFrom)
      .to.be.at.least(atKill.checkpoints - 1)
      .and.above(0);
    const log = await readFile(path.join(devnet.dir, "crash-worker.log"), "utf8");
    expect(log).to.match(/resuming training of job \d+ from local checkpoint [1-9]\d*/);

    const { market } = devnet.deployment;
    expect(statusName((await market.read.getJob([jobId])).status)).to.equal("Finalized");
    // Count the provider's transactions on chain by function.
    const publicClient = await devnet.connection.viem.getPublicClient();
    const latest = await publicClient.getBlockNumber();
    const counts = new Map<string, number>();
    const selectors = new Map<string, string>();
    for (const item of market.abi)
      if (item.type === "function") {
        const { toFunctionSelector } = await import("viem");
        selectors.set(toFunctionSelector(item), item.name);
      }
    for (let b = 0n; b <= latest; b++) {
      const block = await publicClient.getBlock({ blockNumber: b, includeTransactions: true });
      for (const tx of block.transactions)
        if (
          tx.from.toLowerCase() === provider.toLowerCase() &&
          tx.to?.toLowerCase() === market.address.toLowerCase()
        ) {
          const name = selectors.get(tx.input.slice(0, 10)) ?? tx.input.slice(0, 10);
          counts.set(name, (counts.get(name) ?? 0) + 1);
        }
    }
    expect(counts.get("accept")).to.equal(1);
    expect(counts.get("submit")).to.equal(1);
    expect(counts.get("openSamples")).to.equal(1);
  });
});
