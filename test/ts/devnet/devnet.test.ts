import { spawn } from "node:child_process";
import { access, readFile, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import path from "node:path";

import { expect } from "chai";
import { Redis } from "ioredis";
import { getAddress, parseEther, type Address } from "viem";

import { RedisUnavailableError } from "../../../src/errors.ts";
import {
  DevnetClock,
  daemonConfig,
  ensureRedis,
  pingRedis,
  spawnDaemon,
  startDevnet,
  type DaemonProcess,
  type Devnet,
  type RpcRequest,
} from "../../../src/devnet/index.ts";
import { NodeConfigSchema } from "../../../src/node/config.ts";
import { readDeploymentFile } from "../../../src/node/deployment.ts";
import { freePort } from "../helpers/ports.ts";
import { until } from "../../../src/devnet/poll.ts";

const SPEED = 20;

/** Whether something accepts TCP connections at the URL's host and port. */
function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

// A stand-in daemon (plain JavaScript, so the test does not depend on worker/main.ts): it reports
// its arguments and environment, asks the devnet's JSON-RPC endpoint for the chain id from its own
// process, writes to stderr, then runs until killed or exits with the code it is given.
const FAKE_DAEMON = `
const config = JSON.parse(require("node:fs").readFileSync(process.argv[3], "utf8"));
console.log("args", process.argv.slice(2).join(" "));
console.log("env ASSAY_RPC_URL", process.env.ASSAY_RPC_URL ?? "unset");
console.error("stderr line");
fetch(config.rpcUrl, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
}).then((r) => r.json()).then((body) => {
  console.log("chainId", parseInt(body.result, 16));
  if (config.exitCode !== undefined) process.exit(config.exitCode);
  setInterval(() => undefined, 1000);
});
`;

describe("devnet harness", function () {
  let devnet: Devnet;
  let fakeDaemon: string;

  before(async function () {
    devnet = await startDevnet({ speed: SPEED, tickMs: 100 });
    fakeDaemon = path.join(devnet.dir, "fake-daemon.cjs");
    await writeFile(fakeDaemon, FAKE_DAEMON);
  });

  after(async function () {
    await devnet?.close();
  });

  it("writes a deployment file that parses and names contracts with code on the served chain", async function () {
    const file = await readDeploymentFile(devnet.deploymentFile);
    expect(file.chainId).to.equal(devnet.chainId);
    expect(file.market).to.equal(getAddress(devnet.deployment.market.address));
    expect(file.token).to.equal(getAddress(devnet.deployment.tokenAddress));
    const client = await devnet.connection.viem.getPublicClient();
    for (const address of [
      file.token,
      file.registry,
      file.randomness,
      file.market,
      file.disputeGame,
      file.fraudProofs,
    ]) {
      const code = await client.getCode({ address });
      expect(code, address).to.match(/^0x[0-9a-f]{2,}$/);
    }
    // Event scans start at deployedAtBlock: no Assay contract may predate it.
    expect(
      await client.getCode({ address: file.token, blockNumber: BigInt(file.deployedAtBlock) - 1n }),
    ).to.be.undefined;
    expect(file.params.randomnessDelayBlocks).to.equal(2);
  });

  it("fund mints tokens to any address", async function () {
    const someone: Address = "0x00000000000000000000000000000000000a55a7";
    const token = devnet.deployment.testToken!;
    const before = await token.read.balanceOf([someone]);
    await devnet.fund(someone, parseEther("1234"));
    expect(await token.read.balanceOf([someone])).to.equal(before + parseEther("1234"));
  });

  it("fund sets the ether balance of an address that is not a devnet account", async function () {
    const fresh: Address = "0x00000000000000000000000000000000000e7e7e";
    const client = await devnet.connection.viem.getPublicClient();
    await devnet.fund(fresh, 0n, { eth: parseEther("3") });
    expect(await client.getBalance({ address: fresh })).to.equal(parseEther("3"));
  });

  it("the clock mines blocks and runs chain time about speed× faster than wall time", async function () {
    const client = await devnet.connection.viem.getPublicClient();
    const first = await client.getBlock();
    const startedAt = Date.now();
    await waitFor("three blocks", async () => (await client.getBlockNumber()) >= first.number + 3n);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // The last tick may lag the wall clock by a tick or two on a loaded machine: assert half.
    const elapsed = (Date.now() - startedAt - 500) / 1000;
    const last = await client.getBlock();
    expect(last.number - first.number >= 3n).to.equal(true);
    expect(Number(last.timestamp - first.timestamp)).to.be.at.least((SPEED - 1) * elapsed * 0.5);
  });

  it("a tick adds (speed − 1) × elapsed seconds, carrying fractions, and mines one block", async function () {
    await devnet.clock.pause();
    try {
      const increases: number[] = [];
      const request: RpcRequest = async (args) => {
        if (args.method === "evm_increaseTime") increases.push(Number(args.params?.[0]));
        return devnet.connection.provider.request(args);
      };
      let wall = 0;
      // speed 3, 250 ms per tick: half a second owed per tick, one whole second every other tick.
      const clock = new DevnetClock(request, { speed: 3, tickMs: 250, now: () => wall });
      const client = await devnet.connection.viem.getPublicClient();
      const before = await client.getBlockNumber();
      for (let i = 0; i < 7; i++) {
        wall += 250;
        await clock.tick();
      }
      expect(increases).to.deep.equal([1, 1, 1]);
      expect(await client.getBlockNumber()).to.equal(before + 7n);
      expect(clock.mined).to.equal(7);
      await clock.stop();
    } finally {
      devnet.clock.resume();
    }
  });

  it("advance() jumps chain time past a deadline at once", async function () {
    const client = await devnet.connection.viem.getPublicClient();
    const before = await client.getBlock();
    await devnet.clock.advance(6 * 3600);
    const after = await client.getBlock();
    expect(after.number > before.number).to.equal(true);
    expect(Number(after.timestamp - before.timestamp)).to.be.at.least(6 * 3600);
  });

  it("daemonConfig points a daemon at this devnet with its own account and data dir", function () {
    const config = daemonConfig(devnet, { account: 2, name: "provider-a", pollIntervalMs: 100 });
    expect(config).to.deep.equal({
      rpcUrl: devnet.rpcUrl,
      chainId: devnet.chainId,
      deployment: devnet.deploymentFile,
      storeUrl: devnet.storeUrl,
      redisUrl: devnet.redisUrl,
      redisPrefix: devnet.redisPrefix,
      account: { devnet: 2 },
      dataDir: path.join(devnet.dir, "provider-a-data"),
      pollIntervalMs: 100,
    });
    // What the daemons load it with: every key is valid and none falls back to a default.
    const loaded = NodeConfigSchema.parse(config);
    expect(loaded).to.include({ rpcUrl: devnet.rpcUrl, redisPrefix: devnet.redisPrefix });
    expect(loaded.account).to.deep.equal({ devnet: 2 });
  });

  it("spawnDaemon runs a process that reaches the chain, logs stdout and stderr, and dies by SIGKILL", async function () {
    process.env.ASSAY_RPC_URL = "http://127.0.0.1:1";
    let daemon: DaemonProcess;
    try {
      daemon = await spawnDaemon("worker", "fake-1", daemonConfig(devnet, { account: 3 }), devnet, {
        entry: fakeDaemon,
      });
    } finally {
      delete process.env.ASSAY_RPC_URL;
    }
    const log = (): Promise<string> => readFile(daemon.logFile, "utf8");
    await waitFor("the daemon's chain id line", async () => (await log()).includes("chainId"));
    const text = await log();
    expect(text).to.include(`args --config ${daemon.configFile}`);
    expect(text).to.include(`chainId ${devnet.chainId}`);
    expect(text).to.include("stderr line");
    // The shell's ASSAY_* variables would override the config file; the daemon must not see them.
    expect(text).to.include("env ASSAY_RPC_URL unset");
    expect(JSON.parse(await readFile(daemon.configFile, "utf8"))).to.have.property(
      "rpcUrl",
      devnet.rpcUrl,
    );

    await daemon.kill("SIGKILL");
    expect(await daemon.exited).to.equal(null);
    expect(() => process.kill(daemon.pid, 0)).to.throw();
  });

  it("spawnDaemon reports the exit code of a daemon that stops on its own", async function () {
    const config = { ...daemonConfig(devnet, { account: 4 }), exitCode: 3 };
    const daemon = await spawnDaemon("verifier", "fake-2", config, devnet, { entry: fakeDaemon });
    expect(await daemon.exited).to.equal(3);
    expect(await readFile(daemon.logFile, "utf8")).to.include(`chainId ${devnet.chainId}`);
    await daemon.kill("SIGKILL"); // already gone: resolves at once
  });

  it("close() stops the JSON-RPC server and the store, deletes its Redis keys and removes its dir", async function () {
    const redis = new Redis(devnet.redisUrl);
    try {
      await redis.set(`${devnet.redisPrefix}:probe`, "1");
      expect(await listening(devnet.rpcUrl)).to.equal(true);
      expect(await listening(devnet.storeUrl)).to.equal(true);
      await devnet.close();
      expect(await listening(devnet.rpcUrl)).to.equal(false);
      expect(await listening(devnet.storeUrl)).to.equal(false);
      expect(await redis.exists(`${devnet.redisPrefix}:probe`)).to.equal(0);
      expect(await exists(devnet.dir)).to.equal(false);
      expect(devnet.clock.running).to.equal(false);
    } finally {
      redis.disconnect();
    }
  });
});

describe("startDevnet without Redis", function () {
  it("fails with RedisUnavailableError before it starts a chain", async function () {
    const error = await startDevnet({ redisUrl: "redis://192.0.2.1:6379" }).catch(
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(RedisUnavailableError);
    expect((error as Error).message).to.include("REDIS_URL");
  });
});

describe("ensureRedis", function () {
  it("uses a Redis that already answers and leaves it running", async function () {
    const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
    const redis = await ensureRedis(url);
    expect(redis.started).to.equal(false);
    await redis.stop();
    expect(await pingRedis(url)).to.equal(true);
  });

  it("starts redis-server on a free loopback port and stop() stops it", async function () {
    const redisServer = await ensureRedis(`redis://127.0.0.1:${await freePort()}`).catch(
      (error: unknown) => error,
    );
    if (redisServer instanceof RedisUnavailableError && /not installed/.test(redisServer.message)) {
      this.skip();
    }
    if (redisServer instanceof Error) throw redisServer;
    const redis = redisServer as Awaited<ReturnType<typeof ensureRedis>>;
    expect(redis.started).to.equal(true);
    expect(await pingRedis(redis.url)).to.equal(true);
    await redis.stop();
    expect(await pingRedis(redis.url)).to.equal(false);
  });

  it("says how to get Redis when a remote one does not answer", async function () {
    // 192.0.2.0/24 is TEST-NET-1: never routed, so nothing answers.
    const error = await ensureRedis("redis://192.0.2.1:6379", { timeoutMs: 300 }).catch(
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(RedisUnavailableError);
    expect((error as Error).message).to.match(/cannot reach Redis at redis:\/\/192\.0\.2\.1:6379/);
    expect((error as Error).message).to.include("REDIS_URL");
    expect((error as Error).message).to.include("apt-get install redis-server");
  });

  it("names a Redis's refusal (protected mode, a password) instead of starting another on its port", async function () {
    // Found running compose.yaml: a Redis in protected mode answers other hosts with a DENIED
    // error, and the devnet said only "no PONG". A password-protected one refuses the same way.
    const port = await freePort();
    const server = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--requirepass", "s3cret"],
      { stdio: "ignore" },
    );
    try {
      const url = `redis://127.0.0.1:${port}`;
      await until(
        "the refusing redis-server listening",
        async () => (await listening(url)) || undefined,
        10_000,
        50,
      );
      const error = await ensureRedis(url, { timeoutMs: 1_000 }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(RedisUnavailableError);
      expect((error as Error).message).to.include(`Redis at ${url} refused`);
      expect((error as Error).message).to.include("NOAUTH");
    } finally {
      server.kill();
    }
  });

  it("says how to get Redis when nothing listens locally and redis-server is not installed", async function () {
    const error = await ensureRedis(`redis://127.0.0.1:${await freePort()}`, {
      redisServer: "/nonexistent/redis-server",
    }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RedisUnavailableError);
    expect((error as Error).message).to.match(/redis-server is not installed/);
    expect((error as Error).message).to.include("apt-get install redis-server");
  });
});

function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<true> {
  return until(what, async () => (await check()) || undefined, timeoutMs, 50);
}
