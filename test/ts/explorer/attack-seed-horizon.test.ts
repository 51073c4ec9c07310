// ATTACK (explorer, availability, no privilege needed): 256 blocks after any job's trace submission
// the explorer stops updating, and a fresh explorer does not start at all.
//
// src/explorer/state.ts reads, for every job with an opening, at every state build:
//     job.opening.sampled = (await market.read.sampledSegments([job.id], at)).map(Number);
// JobMarket.sampledSegments recomputes the seed from BlockhashRandomness.randomness(request), which
// is blockhash(request) unless someone called record(request), and nothing in the protocol or the
// daemons does. After 256 blocks the blockhash is gone, randomness() is 0 and sampledSegments
// reverts JobSeedUnavailable. One revert fails the whole readExplorerState: the running explorer
// logs the failure and serves the last state forever (new jobs, disputes, slashes never appear), and
// startExplorer (server.ts `let state = await fold();`) throws, so `assay explorer` cannot start
// while any such job exists. On the devnet (a block every 250 ms) that is about a minute after the
// first job opens its samples; anyone (a provider who wants its later misbehaviour unseen) just has
// to open a job and wait. Who is misled: every viewer, shown a frozen state as live.
//
// Expected once fixed: the explorer does not depend on a read that expires (compute the sampled
// segments from SamplesOpened's seed, which the event carries, or treat a failed read per job as
// unknown) and keeps following the chain.
import { expect } from "chai";

import { startDevnet, type Devnet } from "../../../src/devnet/index.ts";
import { until } from "../../../src/devnet/poll.ts";
import { startExplorer, type Explorer } from "../../../src/explorer/server.ts";
import { connectChain } from "../../../src/node/chain.ts";
import { HttpBlobStore } from "../../../src/store/http-client.ts";
import { chainStory, explorerOn } from "./chain-story.ts";

describe("attack: a job opened more than 256 blocks ago", function () {
  this.timeout(240_000);
  let devnet: Devnet;
  let explorer: Explorer | undefined;
  let story: Awaited<ReturnType<typeof chainStory>>;
  let chain: Awaited<ReturnType<typeof connectChain>>;
  const logs: string[] = [];

  before(async function () {
    devnet = await startDevnet({ speed: 20, tickMs: 100 });
    story = await chainStory(devnet);
    await story.stakeParties();
    const jobId = await story.post("old");
    await story.accept(jobId);
    await story.submit(jobId);
    await story.open(jobId);
    ({ explorer, chain } = await explorerOn(devnet, { log: (line) => logs.push(line) }));
    // 300 blocks later (a devnet mines that many in under a minute).
    await devnet.connection.provider.request({ method: "hardhat_mine", params: ["0x12c"] });
  });

  after(async function () {
    await explorer?.close();
    await devnet?.close();
  });

  it("the running explorer still shows a job posted afterwards", async function () {
    const next = await story.post("after the horizon");
    const ex = explorer!;
    const seen = await until(
      `job ${next} in the running explorer`,
      async () => (ex.current().jobs.some((j) => j.id === next) ? true : undefined),
      15_000,
    ).catch((error: unknown) => `${String(error)}; explorer log: ${logs.join(" | ")}`);
    expect(seen, String(seen)).to.equal(true);
  });

  it("a fresh explorer starts", async function () {
    let fresh: Explorer | undefined;
    try {
      fresh = await startExplorer({
        chain,
        store: new HttpBlobStore({ url: devnet.storeUrl }),
        port: 0,
        pollMs: 100,
      });
      expect(fresh.current().jobs.length).to.be.at.least(1);
    } finally {
      await fresh?.close();
    }
  });
});
