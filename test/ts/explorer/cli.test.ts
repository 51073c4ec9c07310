// `assay explorer` as a user runs it: a child process against a devnet's RPC and deployment file,
// on the port asked for, serving the chain's jobs; a taken port is one clear line; SIGTERM stops it.
import { expect } from "chai";

import { startDevnet, type Devnet } from "../../../src/devnet/index.ts";
import { until } from "../../../src/devnet/poll.ts";
import { startExplorer } from "../../../src/explorer/server.ts";
import { connectChain } from "../../../src/node/chain.ts";
import { freePort } from "../helpers/ports.ts";
import { errorLines, runCli, startCli } from "../cli/run-cli.ts";
import { chainStory } from "./chain-story.ts";

describe("assay explorer", function () {
  this.timeout(120_000);
  let devnet: Devnet;

  before(async function () {
    devnet = await startDevnet({ speed: 20, tickMs: 100 });
    const story = await chainStory(devnet);
    await story.stakeParties();
    await story.post("cli");
  });

  after(async function () {
    await devnet?.close();
  });

  it("serves the chain's jobs on 127.0.0.1, names a taken port, and stops on SIGTERM", async function () {
    const port = await freePort();
    const chain = ["--rpc-url", devnet.rpcUrl, "--deployment", devnet.deploymentFile];
    const serving = startCli(["explorer", ...chain, "--port", String(port)]);
    try {
      await serving.waitForOutput(
        new RegExp(`explorer serving chain 31337 at http://127\\.0\\.0\\.1:${port}`),
      );
      const state = (await (await fetch(`http://127.0.0.1:${port}/api/state`)).json()) as {
        jobs: { id: string; status: string }[];
      };
      expect(state.jobs.map((j) => [j.id, j.status])).to.deep.equal([["1", "Open"]]);

      const second = await runCli(["explorer", ...chain, "--port", String(port)]);
      expect(second.code).to.equal(1);
      expect(errorLines(second).join("\n")).to.match(
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is taken: pick another with --port`),
      );
    } finally {
      serving.child.kill("SIGTERM");
    }
    expect((await serving.done).code).to.equal(0);

    const wrong = await runCli([
      "explorer",
      "--rpc-url",
      devnet.rpcUrl,
      "--deployment",
      "/nonexistent.json",
    ]);
    expect(wrong.code).to.equal(1);
    expect(errorLines(wrong).join("\n")).to.match(/nonexistent\.json/);
  });

  // Last: it stops the devnet.
  it("keeps serving the last state when the chain goes away, and says why", async function () {
    const chain = await connectChain(
      {
        rpcUrl: devnet.rpcUrl,
        deployment: devnet.deploymentFile,
        account: { devnet: 0 },
        pollIntervalMs: 100,
      },
      { readOnly: true, timeoutMs: 500 },
    );
    const lines: string[] = [];
    const explorer = await startExplorer({ chain, port: 0, pollMs: 50, log: (l) => lines.push(l) });
    try {
      await devnet.close();
      await until("the explorer's failure line", async () => lines.length > 0, 30_000);
      expect(lines[0]).to.match(/^explorer: reading the chain failed, retrying every 50 ms: /);
      const page = await fetch(`${explorer.url}/`);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.contain("Job 1");
    } finally {
      await explorer.close();
    }
  });
});
