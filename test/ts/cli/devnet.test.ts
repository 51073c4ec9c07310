import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { createPublicClient, http } from "viem";

import { HttpBlobStore } from "../../../src/store/http-client.ts";
import { startAnvil } from "../helpers/anvil.ts";
import { freePort } from "../helpers/ports.ts";
import { errorLines, runCli, startCli, type RunningCli } from "./run-cli.ts";

// A network run by hand: `assay devnet` (chain, contracts, store, Redis at the ports every command
// defaults to; here on free ports), `assay faucet` for test tokens, and `assay store serve` on its
// own — each started as a user would, as a child process, and stopped with SIGTERM.
describe("assay devnet, faucet and store serve", function () {
  this.timeout(240_000);
  let dir: string;

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "assay-cli-devnet-"));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  async function stop(cli: RunningCli): Promise<number | null> {
    cli.child.kill("SIGTERM");
    return (await cli.done).code;
  }

  it("store serve: serves and keeps blobs, stops on SIGTERM, and names a taken port", async function () {
    const port = await freePort();
    const blobs = path.join(dir, "blobs");
    const serving = startCli(["store", "serve", "--dir", blobs, "--port", String(port)]);
    await serving.waitForOutput(/store serving .* at http:\/\/127\.0\.0\.1:\d+/);
    const store = new HttpBlobStore({ url: `http://127.0.0.1:${port}` });
    const cid = await store.put(new TextEncoder().encode("a blob for the hand-run network"));
    expect(new TextDecoder().decode(await store.get(cid))).to.equal(
      "a blob for the hand-run network",
    );

    const second = await runCli(["store", "serve", "--dir", blobs, "--port", String(port)]);
    expect(second.code).to.equal(1);
    expect(errorLines(second).join("\n")).to.match(/port \d+ on 127\.0\.0\.1 is taken/);

    expect(await stop(serving)).to.equal(0);
    // Served again from the same directory: the blob is still there.
    const again = startCli(["store", "serve", "--dir", blobs, "--port", String(port)]);
    await again.waitForOutput(/store serving/);
    expect(await store.has(cid)).to.equal(true);
    expect(await stop(again)).to.equal(0);

    // Refused before anything is built or bound.
    const badHost = await runCli(["devnet", "--rpc-host", "every-interface"]);
    expect(badHost.code).to.equal(1);
    expect(errorLines(badHost).join("\n")).to.match(
      /--rpc-host "every-interface" is not an IP address \(127\.0\.0\.1: this machine only; 0\.0\.0\.0: every interface/,
    );

    const bad = await runCli(["store", "serve", "--port", "99999"]);
    expect(errorLines(bad).join("\n")).to.match(/--port "99999" is not a port number/);
    // Open writes on a reachable interface would let anyone fill the disk (attack review): refused
    // before anything binds.
    const exposed = await runCli(["store", "serve", "--dir", blobs, "--host", "0.0.0.0"]);
    expect(exposed.code).to.equal(1);
    expect(errorLines(exposed).join("\n")).to.match(
      /--host 0\.0\.0\.0 exposes the store: give writes a token .* or pass --open-writes/,
    );
  });

  it("devnet: ready with chain, deployment and store; the faucet mints on it; SIGTERM stops it", async function () {
    const [rpcPort, storePort, explorerPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const deployment = path.join(dir, "deployments", "localhost.json");
    const started = performance.now();
    const devnet = startCli([
      "devnet",
      "--rpc-port",
      String(rpcPort),
      "--store-port",
      String(storePort),
      "--explorer-port",
      String(explorerPort),
      "--deployment",
      deployment,
      "--rpc-host",
      "127.0.0.1",
    ]);
    try {
      await devnet.waitForOutput(/devnet ready in [\d.]+ s/);
      await devnet.waitForOutput(
        new RegExp(
          `rpc +http://127\\.0\\.0\\.1:${rpcPort} \\(chain 31337, bound to 127\\.0\\.0\\.1\\)`,
        ),
      );
      const readySeconds = (performance.now() - started) / 1000;
      console.log(
        `      assay devnet: ready ${readySeconds.toFixed(1)} s after the command started`,
      );
      // The explorer is part of the devnet: its URL printed, its page served.
      await devnet.waitForOutput(new RegExp(`explorer +http://127\\.0\\.0\\.1:${explorerPort}`));
      const page = await fetch(`http://127.0.0.1:${explorerPort}/`);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.contain("No jobs yet");
      const written = JSON.parse(await readFile(deployment, "utf8")) as { chainId: number };
      expect(written.chainId).to.equal(31337);

      const chain = [
        "--rpc-url",
        `http://127.0.0.1:${rpcPort}`,
        "--deployment",
        deployment,
        "--account",
        "3",
      ];
      const minted = await runCli(["faucet", ...chain, "--amount", "25"]);
      expect(minted.code, minted.stderr).to.equal(0);
      expect(minted.stdout).to.match(/minted 25(\.0+)? tokens to 0x[0-9a-fA-F]{40}; balance 25/);
      const balance = await runCli(["balance", ...chain, "--json"]);
      expect(BigInt((JSON.parse(balance.stdout) as { token: string }).token)).to.equal(
        25n * 10n ** 18n,
      );
      const refused = await runCli(["faucet", ...chain, "--amount", "0"]);
      expect(errorLines(refused).join("\n")).to.match(/--amount must be more than 0/);

      const store = new HttpBlobStore({ url: `http://127.0.0.1:${storePort}` });
      const cid = await store.put(new TextEncoder().encode("spec"));
      expect(await store.has(cid)).to.equal(true);
    } finally {
      expect(await stop(devnet)).to.equal(0);
    }
  });

  it("devnet --rpc-url: deploys on an external node (anvil), the faucet mints there, and the node outlives the devnet", async function () {
    const anvil = await startAnvil();
    try {
      const deployment = path.join(dir, "deployments", "anvil.json");
      const [storePort, explorerPort] = [await freePort(), await freePort()];
      const devnet = startCli([
        "devnet",
        "--rpc-url",
        anvil.url,
        "--store-port",
        String(storePort),
        "--explorer-port",
        String(explorerPort),
        "--deployment",
        deployment,
      ]);
      try {
        await devnet.waitForOutput(/devnet ready in [\d.]+ s/);
        const rpcLine = `rpc +${anvil.url.replaceAll(".", "\\.")} \\(chain 31337, external node\\)`;
        await devnet.waitForOutput(new RegExp(rpcLine));
        const written = JSON.parse(await readFile(deployment, "utf8")) as { chainId: number };
        expect(written.chainId).to.equal(31337);
        const chain = ["--rpc-url", anvil.url, "--deployment", deployment, "--account", "15"];
        const minted = await runCli(["faucet", ...chain, "--amount", "7"]);
        expect(minted.code, minted.stderr).to.equal(0);
        expect(minted.stdout).to.match(/minted 7(\.0+)? tokens to 0x[0-9a-fA-F]{40}; balance 7/);
      } finally {
        expect(await stop(devnet)).to.equal(0);
      }
      const client = createPublicClient({ transport: http(anvil.url) });
      expect(await client.getChainId()).to.equal(31337);

      const both = await runCli(["devnet", "--rpc-url", anvil.url, "--rpc-port", "8545"]);
      expect(errorLines(both).join("\n")).to.match(/--rpc-port .* cannot go with --rpc-url/);
      const bad = await runCli(["devnet", "--rpc-url", "ws://127.0.0.1:8545"]);
      expect(errorLines(bad).join("\n")).to.match(/--rpc-url "ws:.*" must be an http/);
    } finally {
      await anvil.stop();
    }
  });
});
