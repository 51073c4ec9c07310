import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import type { JsonRpcServer } from "hardhat/types/network";
import { BaseError, ContractFunctionExecutionError, parseEther, type Abi } from "viem";

import marketArtifact from "../../../artifacts/contracts/JobMarket.sol/JobMarket.json" with { type: "json" };

import { deployAssay } from "../../../deploy/deploy-assay.ts";
import {
  ConfigError,
  InsufficientFundsError,
  RpcUnreachableError,
  TransactionError,
  WrongChainError,
} from "../../../src/errors.ts";
import { connectChain, type ChainContext } from "../../../src/node/chain.ts";
import { NodeConfigSchema, loadConfig, parseFlags } from "../../../src/node/config.ts";
import { closestKey } from "../../../src/zod-issues.ts";
import { deploymentFileOf } from "../../../deploy/deployment-file.ts";
import { writeDeploymentFile } from "../../../src/node/deployment.ts";
import { Journal } from "../../../src/node/journal.ts";
import { MAX_ERROR_CHARS, createLogger } from "../../../src/node/log.ts";
import { bindJournal, chainIdentity } from "../../../src/node/journal-identity.ts";
import { createMetrics, startMetricsServer } from "../../../src/node/metrics.ts";
import { connectRedis } from "../../../src/node/redis.ts";
import { TxSender } from "../../../src/node/tx.ts";
import { VerifierConfigSchema } from "../../../verifier/config.ts";
import { WorkerConfigSchema } from "../../../worker/config.ts";
import { expectReject } from "../helpers/expect-reject.ts";

/** Runs `body` with a fresh temporary directory, removed afterwards whatever happens. */
async function withTempDir(prefix: string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("node runtime: config", function () {
  it("parses dashed, dotted and typed flags", function () {
    const { flags, positionals } = parseFlags([
      "start",
      "--rpc-url",
      "http://127.0.0.1:9",
      "--verifier.max-attempts=3",
      "--verbose",
      "--metrics-port",
      "0",
    ]);
    expect(positionals).to.deep.equal(["start"]);
    expect(flags).to.deep.equal({
      rpcUrl: "http://127.0.0.1:9",
      verifier: { maxAttempts: 3 },
      verbose: true,
      metricsPort: 0,
    });
  });

  it("takes flags over env over file over defaults, and lists every bad field", async function () {
    await withTempDir("assay-config-", async (dir) => {
      const file = path.join(dir, "config.json");
      await writeFile(
        file,
        JSON.stringify({
          rpcUrl: "http://127.0.0.1:1",
          storeUrl: "http://127.0.0.1:2",
          logLevel: "debug",
        }),
      );
      const config = loadConfig(NodeConfigSchema, {
        file,
        env: {
          ASSAY_STORE_URL: "http://127.0.0.1:3",
          REDIS_URL: "redis://127.0.0.1:4",
          ASSAY_DEVNET_ACCOUNT: "7",
        },
        flags: { rpcUrl: "http://127.0.0.1:5" },
      });
      expect(config.rpcUrl).to.equal("http://127.0.0.1:5");
      expect(config.storeUrl).to.equal("http://127.0.0.1:3");
      expect(config.redisUrl).to.equal("redis://127.0.0.1:4");
      expect(config.logLevel).to.equal("debug");
      expect(config.account).to.deep.equal({ devnet: 7 });
      expect(config.dataDir).to.equal(".assay");
      expect(() =>
        loadConfig(NodeConfigSchema, { flags: { rpcUrl: "not a url", metricsPort: -1 } }),
      ).to.throw(ConfigError, /rpcUrl: .*metricsPort: /);
      expect(() => loadConfig(NodeConfigSchema, { file: path.join(dir, "missing.json") })).to.throw(
        ConfigError,
        /cannot read the config file/,
      );
    });
  });
});

describe("node runtime: unknown config keys", function () {
  it("a misspelt section or key is an error naming the key and the closest valid one, not a run on defaults", async function () {
    await withTempDir("assay-config-", async (dir) => {
      const file = path.join(dir, "worker.json");
      await writeFile(file, JSON.stringify({ wroker: { servePort: 8800 }, rpcURL: "x" }));
      expect(() => loadConfig(WorkerConfigSchema, { file })).to.throw(
        ConfigError,
        /\(root\): unknown key "wroker" \(did you mean "worker"\?\).*unknown key "rpcURL" \(did you mean "rpcUrl"\?\)/,
      );
      // Inside a section too, and a key far from any is named without a guess.
      expect(() =>
        loadConfig(VerifierConfigSchema, { flags: { verifier: { refere: false }, zzz: 1 } }),
      ).to.throw(
        ConfigError,
        /verifier: unknown key "refere" \(did you mean "referee"\?\).*\(root\): unknown key "zzz"$/,
      );
      expect(closestKey("storUrl", ["storeUrl", "storeDir"])).to.equal("storeUrl");
      expect(closestKey("banana", ["storeUrl", "rpcUrl"])).to.equal(undefined);
    });
  });
});

describe("node runtime: logs", function () {
  it("an error is logged as one bounded line, without the ABI and calldata viem's errors carry", async function () {
    await withTempDir("assay-log-", async (dir) => {
      const file = path.join(dir, "daemon.log");
      const log = createLogger({ name: "test", destination: file });
      const error = new ContractFunctionExecutionError(new BaseError("execution reverted"), {
        abi: marketArtifact.abi as Abi,
        functionName: "getJob",
        args: [1n],
        contractAddress: "0x000000000000000000000000000000000000dEaD",
      });
      log.warn({ jobId: "1", err: error }, "step failed; will retry");
      const [line] = (await readFile(file, "utf8")).trim().split("\n");
      expect(JSON.stringify(marketArtifact.abi).length).to.be.greaterThan(10_000);
      expect(line!.length).to.be.below(MAX_ERROR_CHARS + 400);
      expect(line).to.not.contain('"abi"');
      const parsed = JSON.parse(line!) as { err: { type: string; message: string } };
      expect(parsed.err.type).to.equal("ContractFunctionExecutionError");
      expect(parsed.err.message).to.contain("execution reverted");
    });
  });
});

describe("node runtime: journal", function () {
  it("survives a reopen with bigints intact and rejects a corrupt file", async function () {
    await withTempDir("assay-journal-", async (dir) => {
      const file = path.join(dir, "sub", "journal.json");
      const journal = await Journal.open(file);
      await Promise.all([
        journal.set("a", { n: 2n ** 70n, s: "x" }),
        journal.set("b:1", 1),
        journal.set("b:2", 2),
      ]);
      await journal.delete("b:1");
      const again = await Journal.open(file);
      expect(again.get<{ n: bigint }>("a")!.n).to.equal(2n ** 70n);
      expect(again.keys("b:")).to.deep.equal(["b:2"]);
      await writeFile(file, "{ half");
      await expectReject(Journal.open(file), ConfigError, /corrupt/);
    });
  });
});

/** Moves the reset chain's clock on, so its blocks are not the first chain's. */
async function advanceClock(
  connection: Awaited<ReturnType<typeof network.connect>>,
): Promise<void> {
  await connection.networkHelpers.time.increase(3600);
}

describe("node runtime: chain, transactions, metrics, redis", function () {
  let server: JsonRpcServer;
  let url: string;
  let dir: string;
  let deploymentFile: string;
  let chain: ChainContext;

  before(async function () {
    server = await network.createServer("default", "127.0.0.1", 0);
    const { port } = await server.listen();
    url = `http://127.0.0.1:${port}`;
    const connection = await network.connect({ network: "localhost", override: { url } });
    const d = await deployAssay(connection.viem);
    const publicClient = await connection.viem.getPublicClient();
    dir = await mkdtemp(path.join(tmpdir(), "assay-node-"));
    deploymentFile = path.join(dir, "deployment.json");
    await writeDeploymentFile(
      deploymentFile,
      deploymentFileOf(d, await publicClient.getChainId(), 1n),
    );
    await d.testToken!.write.mint([
      "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      parseEther("5000"),
    ]);
    const config = loadConfig(NodeConfigSchema, {
      flags: {
        rpcUrl: url,
        deployment: deploymentFile,
        account: { devnet: 1 },
        pollIntervalMs: 50,
      },
    });
    chain = await connectChain(config);
  });

  after(async function () {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses an unreachable RPC, a wrong chain id and a stale deployment in one sentence", async function () {
    const base = { deployment: deploymentFile, account: { devnet: 1 } };
    await expectReject(
      connectChain(
        loadConfig(NodeConfigSchema, { flags: { ...base, rpcUrl: "http://127.0.0.1:1" } }),
        { timeoutMs: 500 },
      ),
      RpcUnreachableError,
      /cannot reach the RPC at http:\/\/127\.0\.0\.1:1/,
    );
    await expectReject(
      connectChain(loadConfig(NodeConfigSchema, { flags: { ...base, rpcUrl: url, chainId: 1 } })),
      WrongChainError,
      /serves chain 31337, but the config expects chain 1/,
    );
    const stale = path.join(dir, "stale.json");
    const json = JSON.parse(await readFile(deploymentFile, "utf8")) as Record<string, unknown>;
    await writeFile(
      stale,
      JSON.stringify({ ...json, market: "0x000000000000000000000000000000000000dEaD" }),
    );
    await expectReject(
      connectChain(
        loadConfig(NodeConfigSchema, { flags: { ...base, rpcUrl: url, deployment: stale } }),
      ),
      ConfigError,
      /no contract at the market address/,
    );
  });

  it("a journal is tied to its chain and deployment: after a devnet reset (same chain id, same addresses) it is refused with what to do", async function () {
    const file = path.join(dir, "bound-journal.json");
    const journal = await Journal.open(file);
    const identity = await chainIdentity(chain);
    await bindJournal(journal, identity);
    await journal.set("cursor", 42n);
    // Reopened against the same chain: accepted, nothing lost.
    const again = await Journal.open(file);
    await bindJournal(again, await chainIdentity(chain));
    expect(again.get("cursor")).to.equal(42n);

    // A reset devnet: a fresh chain, the same deployer, so the same chain id, market address and
    // deployment block number — but another block.
    const reset = await network.createServer("default", "127.0.0.1", 0);
    try {
      const { port } = await reset.listen();
      const resetUrl = `http://127.0.0.1:${port}`;
      const connection = await network.connect({
        network: "localhost",
        override: { url: resetUrl },
      });
      await advanceClock(connection);
      const d = await deployAssay(connection.viem);
      const resetDeployment = path.join(dir, "reset-deployment.json");
      await writeDeploymentFile(resetDeployment, deploymentFileOf(d, 31337, 1n));
      const resetChain = await connectChain(
        loadConfig(NodeConfigSchema, {
          flags: { rpcUrl: resetUrl, deployment: resetDeployment, account: { devnet: 1 } },
        }),
      );
      const resetIdentity = await chainIdentity(resetChain);
      expect(resetIdentity.chainId).to.equal(identity.chainId);
      expect(resetIdentity.market).to.equal(identity.market);
      expect(resetIdentity.deploymentBlockHash).to.not.equal(identity.deploymentBlockHash);
      await expectReject(
        bindJournal(await Journal.open(file), resetIdentity),
        ConfigError,
        /was written for chain 31337, market 0x[0-9a-f]{40} deployed in block 1 .*the chain was reset or redeployed.*move the file aside/,
      );
    } finally {
      await reset.close();
    }
  });

  it("sends a keyed transaction once: the same key after a 'restart' waits for the same tx", async function () {
    const journalFile = path.join(dir, "tx-journal.json");
    const metrics = createMetrics("worker");
    const sender = new TxSender(chain, await Journal.open(journalFile), { metrics });
    const { token, registry } = chain.contracts;
    const approve = {
      address: token.address,
      abi: token.abi,
      functionName: "approve",
      args: [registry.address, parseEther("1000")],
    } as const;
    const nonceBefore = await chain.publicClient.getTransactionCount({ address: chain.address });
    const first = await sender.send("approve:registry", "approve", approve);
    // A new process: a new sender over the same journal.
    const restarted = new TxSender(chain, await Journal.open(journalFile));
    expect(await restarted.recover()).to.equal(0);
    const second = await restarted.send("approve:registry", "approve", approve);
    expect(second.transactionHash).to.equal(first.transactionHash);
    expect(await chain.publicClient.getTransactionCount({ address: chain.address })).to.equal(
      nonceBefore + 1,
    );
    const server = await startMetricsServer(metrics.registry, 0);
    try {
      expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const body = await (await fetch(server.url)).text();
      expect(body).to.match(/assay_transactions_total\{action="approve",status="success"[^}]*\} 1/);
    } finally {
      await server.close();
    }
  });

  it("reports a contract rejection by its custom error and a token shortfall as missing funds, spending nothing", async function () {
    const sender = new TxSender(chain, await Journal.open(path.join(dir, "tx2.json")));
    const { registry, market } = chain.contracts;
    const nonceBefore = await chain.publicClient.getTransactionCount({ address: chain.address });
    const error = await expectReject(
      sender.send("accept:99", "accept job 99", {
        address: market.address,
        abi: market.abi,
        functionName: "accept",
        args: [99n],
      }),
      TransactionError,
      /accept job 99 was rejected by the contract: JobNotFound\(99\)/,
    );
    expect((error as TransactionError).revert).to.equal("JobNotFound");
    await expectReject(
      sender.send("stake:big", "stake", {
        address: registry.address,
        abi: registry.abi,
        functionName: "stake",
        args: [1, parseEther("100000")],
      }),
      InsufficientFundsError,
      /not enough tokens/,
    );
    expect(await chain.publicClient.getTransactionCount({ address: chain.address })).to.equal(
      nonceBefore,
    );
    expect(sender.sent("accept:99")).to.equal(false);
  });

  it("says where Redis was looked for when nothing answers", async function () {
    await expectReject(
      connectRedis("redis://127.0.0.1:1", { timeoutMs: 500 }),
      Error,
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:1.*REDIS_URL/,
    );
    const redis = await connectRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    expect(await redis.ping()).to.equal("PONG");
    redis.disconnect();
  });
});
