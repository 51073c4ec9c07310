import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { getAddress } from "viem";
import { mnemonicToAccount } from "viem/accounts";

import { deserializeState, encodeState } from "../../../src/checkpoint/state-codec.ts";
import { startDevnet, type Devnet } from "../../../src/devnet/index.ts";
import { DEVNET_MNEMONIC } from "../../../src/node/chain.ts";
import { parseJobSpecBytes, specHash, type JobSpec } from "../../../src/protocol/job-spec.ts";
import { FsBlobStore } from "../../../src/store/fs-store.ts";
import { errorLines, runCli, startCli, type CliResult } from "./run-cli.ts";

// The chain commands against a devnet (Hardhat's chain over JSON-RPC, the contracts, a store
// server), each run as a child process configured through ASSAY_* variables like an operator's
// shell. The provider's side (accept, progress, submit) is played by the test through hardhat-viem.
const UNIT = 10n ** 18n;
const SUBMITTER = 1;
const PROVIDER = 2;
const BROKE = 3; // holds ether for gas but no tokens

const addressOf = (index: number): `0x${string}` =>
  mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index }).address;

describe("assay CLI against a devnet: stake, submit, status, download and the errors operators meet", function () {
  let devnet: Devnet;
  let dir: string;
  let env: Record<string, string>;
  let spec: JobSpec;
  let specFile: string;

  const cli = (args: string[], account = SUBMITTER, extra: Record<string, string> = {}) =>
    runCli(args, { ...env, ASSAY_DEVNET_ACCOUNT: String(account), ...extra });

  const ok = (r: CliResult): CliResult => {
    expect(r.code, `stderr: ${r.stderr}`).to.equal(0);
    return r;
  };

  /** The provider (account 2) accepts the job through the harness's own connection. */
  async function wallet(index: number) {
    const wallets = await devnet.connection.viem.getWalletClients();
    const w = wallets.find(
      (x) => x.account.address.toLowerCase() === addressOf(index).toLowerCase(),
    );
    if (w === undefined) throw new Error(`no wallet for devnet account ${index}`);
    return w;
  }

  async function providerCall(
    fn: "accept" | "commitProgress" | "submit",
    args: readonly unknown[],
  ): Promise<void> {
    const w = await wallet(PROVIDER);
    const market = devnet.deployment.market;
    const publicClient = await devnet.connection.viem.getPublicClient();
    const hash = await (
      market.write[fn] as (
        a: readonly unknown[],
        o: { account: typeof w.account },
      ) => Promise<`0x${string}`>
    )(args, { account: w.account });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal("success");
  }

  async function submitJob(): Promise<bigint> {
    const r = ok(
      await cli(["submit", "--spec", specFile, "--amount", "100", "--collateral", "200", "--json"]),
    );
    return BigInt((JSON.parse(r.stdout) as { jobId: string }).jobId);
  }

  before(async function () {
    this.timeout(120_000);
    devnet = await startDevnet({ startClock: false });
    dir = await mkdtemp(path.join(tmpdir(), "assay-cli-chain-"));
    env = {
      ASSAY_RPC_URL: devnet.rpcUrl,
      ASSAY_DEPLOYMENT: devnet.deploymentFile,
      ASSAY_STORE_URL: devnet.storeUrl,
    };
    await devnet.fund(addressOf(SUBMITTER), 1_000n * UNIT);
    await devnet.fund(addressOf(PROVIDER), 2_000n * UNIT);
    specFile = path.join(dir, "spec.json");
    ok(
      await cli([
        "spec",
        "build",
        "--mlp",
        "8,6,3",
        "--dataset",
        "synthetic",
        "--sample-count",
        "32",
        "--batch-size",
        "4",
        "--steps",
        "16",
        "--interval",
        "4",
        "--samples",
        "2",
        "--seed",
        "cli-chain-test",
        "--out",
        specFile,
        "--upload",
      ]),
    );
    spec = parseJobSpecBytes(await readFile(specFile));
  });

  after(async function () {
    await devnet?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("stake approves the registry when the allowance is short, then deposits", async function () {
    const r = ok(await cli(["stake", "--role", "provider", "--amount", "1500"], PROVIDER));
    expect(r.stderr).to.contain("approving 1500");
    expect(r.stdout).to.contain("staked 1500 as provider: free 1500");
    const balance = ok(await cli(["balance", "--json"], PROVIDER));
    const b = JSON.parse(balance.stdout) as {
      token: string;
      provider: { free: string; locked: string };
    };
    expect(BigInt(b.provider.free)).to.equal(1_500n * UNIT);
    expect(BigInt(b.token)).to.equal(500n * UNIT);
  });

  it("submit approves the market, creates the job and escrows the amount; status shows it Open", async function () {
    const market = devnet.deployment.market;
    const r = ok(
      await cli(["submit", "--spec", specFile, "--amount", "100", "--collateral", "200"]),
    );
    expect(r.stderr).to.contain("approving 100");
    const jobId = BigInt(/^jobId (\d+)$/m.exec(r.stdout)![1]!);
    expect(jobId).to.equal(1n);
    const job = await market.read.getJob([jobId]);
    expect(job.submitter).to.equal(addressOf(SUBMITTER));
    expect(job.amount).to.equal(100n * UNIT);
    expect(job.collateral).to.equal(200n * UNIT);
    expect(job.specHash).to.equal(specHash(spec));

    const status = ok(await cli(["status", String(jobId), "--json"]));
    const s = JSON.parse(status.stdout) as {
      status: string;
      provider: string | null;
      progress: number;
      checkpoints: number;
      deadline: { meaning: string } | null;
    };
    expect(s).to.include({ status: "Open", provider: null, progress: 0, checkpoints: 4 });
    expect(s.deadline?.meaning).to.equal("accept by");
  });

  it("status follows the provider: Accepted with progress 2/4, then Submitted with its result", async function () {
    await providerCall("accept", [1n]);
    await providerCall("commitProgress", [1n, 2n, `0x${"11".repeat(32)}`]);
    const text = ok(await cli(["status", "1"]));
    expect(text.stdout).to.contain("job 1: Accepted (exact)");
    expect(text.stdout).to.contain(`provider    ${addressOf(PROVIDER)}`);
    expect(text.stdout).to.contain("progress    2/4 checkpoints committed");
    expect(text.stdout).to.match(/deadline {4}submit by \d{4}-\d\d-\d\dT.*\(in /);
  });

  it("download verifies the submitted result against the committed digest and writes the state", async function () {
    // The "result": a valid state (the initial state advanced to step 16), put to the store.
    const store = new FsBlobStore({ root: devnet.storeDir });
    const initial = deserializeState(await store.get(spec.program.initialStateCid));
    const result = encodeState({ ...initial, step: 16 });
    await store.put(result.bytes);
    await providerCall("submit", [
      1n,
      `0x${"22".repeat(32)}`,
      result.digest,
      result.digest,
      `0x${"33".repeat(32)}`,
    ]);
    const out = path.join(dir, "model.bin");
    const r = ok(await cli(["download", "1", "--out", out]));
    expect(r.stdout).to.contain(`verified against finalDigest ${result.digest}`);
    expect(r.stdout).to.contain("state after 16 steps");
    // Submitted, not final: written, with a warning that it may still be disputed.
    expect(r.stderr).to.match(/warning: job 1 is Submitted, still inside its challenge window/);
    expect(new Uint8Array(await readFile(out))).to.deep.equal(result.bytes);
    const status = JSON.parse(ok(await cli(["status", "1", "--json"])).stdout) as {
      status: string;
      progress: number;
      result: { cid: string } | null;
    };
    expect(status.status).to.equal("Submitted");
    expect(status.progress).to.equal(4);
    expect(status.result?.cid).to.equal(result.cid);
  });

  it("download refuses a result whose bytes were tampered with (by a lying store server, or on its disk) and writes nothing", async function () {
    const store = new FsBlobStore({ root: devnet.storeDir });
    const initial = deserializeState(await store.get(spec.program.initialStateCid));
    const jobId = await submitJob();
    await providerCall("accept", [jobId]);
    const result = encodeState({ ...initial, step: 12 });
    await store.put(result.bytes);
    await providerCall("submit", [
      jobId,
      `0x${"44".repeat(32)}`,
      result.digest,
      result.digest,
      `0x${"55".repeat(32)}`,
    ]);
    // A store server that lies: it answers every request with the blob, one byte flipped.
    const lie = new Uint8Array(result.bytes);
    lie[lie.length - 1]! ^= 0x01;
    const liar = createServer((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/vnd.ipld.raw",
        "content-length": String(lie.length),
      });
      res.end(lie);
    });
    await new Promise<void>((resolve) => liar.listen(0, "127.0.0.1", resolve));
    const liarUrl = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`;
    try {
      const lied = await cli(
        ["download", String(jobId), "--out", path.join(dir, "lied.bin")],
        SUBMITTER,
        {
          ASSAY_STORE_URL: liarUrl,
        },
      );
      expect(lied.code).to.equal(1);
      expect(errorLines(lied)).to.have.length(1);
      expect(errorLines(lied)[0]).to.contain(
        `refused: cannot fetch an intact copy of job ${jobId}'s result`,
      );
      expect(errorLines(lied)[0]).to.contain("hash to");
    } finally {
      await new Promise((resolve) => liar.close(resolve));
    }
    expect(await readdir(dir)).to.not.include("lied.bin");

    // The store's own disk, tampered behind its back: flip one byte of the stored blob.
    const file = store.pathOf(result.cid);
    const bytes = await readFile(file);
    bytes[bytes.length - 1]! ^= 0x01;
    await writeFile(file, bytes);
    const out = path.join(dir, "tampered.bin");
    const r = await cli(["download", String(jobId), "--out", out]);
    expect(r.code).to.equal(1);
    const lines = errorLines(r);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.contain(`refused: cannot fetch an intact copy of job ${jobId}'s result`);
    expect(await readdir(dir)).to.not.include("tampered.bin");
  });

  it("download refuses a result address that is not the committed final state", async function () {
    const store = new FsBlobStore({ root: devnet.storeDir });
    const initial = deserializeState(await store.get(spec.program.initialStateCid));
    const jobId = await submitJob();
    await providerCall("accept", [jobId]);
    const committed = encodeState({ ...initial, step: 16 });
    const other = encodeState({ ...initial, step: 15 });
    await store.put(other.bytes);
    await providerCall("submit", [
      jobId,
      `0x${"66".repeat(32)}`,
      committed.digest,
      other.digest,
      `0x${"77".repeat(32)}`,
    ]);
    const r = await cli(["download", String(jobId), "--out", path.join(dir, "other.bin")]);
    expect(r.code).to.equal(1);
    expect(errorLines(r)[0]).to.contain("is not the committed final state");
    expect(await readdir(dir)).to.not.include("other.bin");
  });

  it("a wrong chain id, an unreachable RPC, an empty token balance and a refused parameter each fail with one clear line", async function () {
    const market = devnet.deployment.market;
    const jobsBefore = await market.read.jobCount();

    const wrongChain = await cli(["status", "1", "--chain-id", "1"]);
    expect(wrongChain.code).to.equal(1);
    expect(errorLines(wrongChain)).to.deep.equal([
      `assay: the RPC at ${devnet.rpcUrl} serves chain 31337, but the config expects chain 1`,
    ]);

    // A job id the market never issued: named, with the ids that exist (not "getJob reverted").
    const missing = await cli(["status", String(jobsBefore + 99n)]);
    expect(missing.code).to.equal(1);
    expect(errorLines(missing)).to.deep.equal([
      `assay: job ${jobsBefore + 99n} does not exist: the market at ${getAddress(market.address)} has jobs 1 to ${jobsBefore}`,
    ]);

    const unreachable = await cli(["balance", "--rpc-url", "http://127.0.0.1:1"]);
    expect(unreachable.code).to.equal(1);
    expect(errorLines(unreachable)).to.have.length(1);
    expect(errorLines(unreachable)[0]).to.contain("cannot reach the RPC at http://127.0.0.1:1");

    const broke = await cli(
      ["submit", "--spec", specFile, "--amount", "100", "--collateral", "200"],
      BROKE,
    );
    expect(broke.code).to.equal(1);
    expect(errorLines(broke)).to.deep.equal([
      `assay: ${addressOf(BROKE)} holds 0 tokens, 100 are needed`,
    ]);
    expect(await market.read.jobCount()).to.equal(jobsBefore);

    // A parameter the market refuses: the simulated revert is decoded, no job is created.
    const refused = await cli([
      "submit",
      "--spec",
      specFile,
      "--amount",
      "100",
      "--collateral",
      "200",
      "--verification-bps",
      "6000",
    ]);
    expect(refused.code).to.equal(1);
    expect(errorLines(refused)).to.deep.equal([
      "assay: createJob was rejected by the contract: JobInvalidParameter(verificationBps, 6000)",
    ]);
    expect(await market.read.jobCount()).to.equal(jobsBefore);
  });

  it("unstake starts unbonding; withdraw before the delay and claim without credit are refused clearly", async function () {
    const r = ok(await cli(["unstake", "--role", "provider", "--amount", "100"], PROVIDER));
    expect(r.stdout).to.match(/unbonding 100 provider stake; withdraw after .* \(in 7d/);
    const early = await cli(["withdraw", "--role", "provider"], PROVIDER);
    expect(early.code).to.equal(1);
    expect(errorLines(early)[0]).to.match(/100 provider stake is still unbonding: withdrawable/);
    const claim = await cli(["claim"], BROKE);
    expect(claim.code).to.equal(1);
    expect(errorLines(claim)).to.deep.equal([`assay: ${addressOf(BROKE)} has no credit to claim`]);
  });
  it("status --watch prints each change and exits 0 once the job is final", async function () {
    const jobId = await submitJob();
    const watch = startCli(["status", String(jobId), "--watch", "--json"], {
      ...env,
      ASSAY_DEVNET_ACCOUNT: String(SUBMITTER),
      ASSAY_POLL_INTERVAL_MS: "100",
    });
    try {
      await watch.waitForOutput(/"status":"Open"/);
      const w = await wallet(SUBMITTER);
      const publicClient = await devnet.connection.viem.getPublicClient();
      const hash = await devnet.deployment.market.write.cancel([jobId], { account: w.account });
      expect((await publicClient.waitForTransactionReceipt({ hash })).status).to.equal("success");
      const r = await watch.done;
      expect(r.code, r.stderr).to.equal(0);
      const statuses = r.stdout
        .trim()
        .split("\n")
        .map((line) => (JSON.parse(line) as { status: string }).status);
      expect(statuses).to.deep.equal(["Open", "Cancelled"]);
    } finally {
      watch.child.kill();
    }
  });

  it("settings: flags beat the environment, which beats the --config file", async function () {
    const file = path.join(dir, "assay.json");
    await writeFile(
      file,
      JSON.stringify({
        rpcUrl: "http://127.0.0.1:1",
        deployment: devnet.deploymentFile,
        account: { devnet: PROVIDER },
      }),
    );
    // The file alone: its unreachable RPC is used.
    const fromFile = await runCli(["balance", "--config", file]);
    expect(fromFile.code).to.equal(1);
    expect(errorLines(fromFile)[0]).to.contain("cannot reach the RPC at http://127.0.0.1:1");
    // The environment overrides the file's RPC; the file's account (provider) still applies.
    const fromEnv = await runCli(["balance", "--config", file, "--json"], {
      ASSAY_RPC_URL: devnet.rpcUrl,
    });
    expect(fromEnv.code, fromEnv.stderr).to.equal(0);
    expect((JSON.parse(fromEnv.stdout) as { address: string }).address).to.equal(
      addressOf(PROVIDER),
    );
    // A flag overrides both.
    const fromFlag = await runCli(
      [
        "balance",
        "--config",
        file,
        "--json",
        "--account",
        String(SUBMITTER),
        "--rpc-url",
        devnet.rpcUrl,
      ],
      { ASSAY_RPC_URL: "http://127.0.0.1:1" },
    );
    expect(fromFlag.code, fromFlag.stderr).to.equal(0);
    expect((JSON.parse(fromFlag.stdout) as { address: string }).address).to.equal(
      addressOf(SUBMITTER),
    );
    // A malformed setting is named with its path.
    const bad = await runCli(["balance", "--config", file], { ASSAY_RPC_URL: "not a url" });
    expect(bad.code).to.equal(1);
    expect(errorLines(bad)[0]).to.match(/^assay: invalid configuration \(file .*\): rpcUrl: /);
  });
});
