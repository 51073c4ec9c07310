// Claims across a restart (src/node/credit-claims.ts), through each daemon's claims duty: the
// verifier's (verifier/claims.ts) and the provider daemon's (worker/claims.ts). A "crashed" run
// broadcasts its claim and then loses its RPC for good (every request it makes hangs), as a process
// killed after broadcast would; the restarted run opens the same journal file.
//   - Restarted while the claim is pending, after a block was mined without it (a fee spike): the
//     restarted daemon waits for the journaled claim and sends no second one.
//   - Restarted after the claim was mined, with nothing owed then: a credit that comes later is
//     claimed (not taken for the crashed run's claim).
import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import type { JsonRpcServer } from "hardhat/types/network";
import {
  keccak256,
  maxUint256,
  parseEther,
  parseTransaction,
  toFunctionSelector,
  toHex,
  type Address,
  type Hex,
} from "viem";

import { deploymentFileOf } from "../../../deploy/deployment-file.ts";
import { deployAssay } from "../../../deploy/deploy-assay.ts";
import { connectChain, type ChainContext } from "../../../src/node/chain.ts";
import { NodeConfigSchema, loadConfig } from "../../../src/node/config.ts";
import { writeDeploymentFile } from "../../../src/node/deployment.ts";
import { Journal } from "../../../src/node/journal.ts";
import type { Logger } from "../../../src/node/log.ts";
import { TxSender } from "../../../src/node/tx.ts";
import { claimCredits } from "../../../verifier/claims.ts";
import type { DutyContext } from "../../../verifier/duty.ts";
import type { VerifierEvent } from "../../../verifier/events.ts";
import { jobParams } from "../contracts/fixtures.ts";
import { CreditClaims } from "../../../worker/claims.ts";
import type { WorkerContext } from "../../../worker/context.ts";

const UNIT = 10n ** 18n;
const AMOUNTS = [100n * UNIT, 7n * UNIT, 3n * UNIT];

/** A logger that keeps every message (TxSender says when it waits for a journaled transaction). */
function capturingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (_fields: unknown, message?: string) => void lines.push(message ?? String(_fields));
  return { lines, info: keep, warn: keep, debug: keep, error: keep } as unknown as Logger & {
    lines: string[];
  };
}

/**
 * An HTTP proxy to the RPC that records every transaction broadcast through it and, once frozen,
 * never answers again: the RPC connection of a process killed mid-run.
 */
interface RpcProxy {
  url: string;
  /** The signed transactions sent through it (eth_sendRawTransaction), accepted by the node or not. */
  broadcast: Hex[];
  freeze(): void;
  close(): Promise<void>;
}

async function rpcProxy(target: string): Promise<RpcProxy> {
  const broadcast: Hex[] = [];
  let frozen = false;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (frozen) return; // held open, never answered
      const body = Buffer.concat(chunks).toString("utf8");
      const calls = [JSON.parse(body) as unknown].flat() as { method: string; params: Hex[] }[];
      for (const call of calls)
        if (call.method === "eth_sendRawTransaction") broadcast.push(call.params[0]!);
      fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body })
        .then(async (answer) => {
          const text = await answer.text();
          if (frozen) return;
          res.writeHead(answer.status, { "content-type": "application/json" }).end(text);
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    broadcast,
    freeze: () => void (frozen = true),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 20_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How each daemon runs its claims duty once, over a chain and a journal. */
type ClaimPass = (
  chain: ChainContext,
  journal: Journal,
  tx: TxSender,
  log: Logger,
) => Promise<void>;

const verifierPass: ClaimPass = async (chain, journal, tx, log) => {
  const events: VerifierEvent[] = [];
  const ctx = {
    chain,
    journal,
    tx,
    log,
    address: chain.address,
    emit: (event: VerifierEvent) => events.push(event),
    guard: async (what: string, run: () => Promise<void>) => {
      try {
        await run();
      } catch (error) {
        log.warn({ what }, String(error));
      }
    },
  } as unknown as DutyContext;
  await claimCredits(ctx);
};

const workerPass: ClaimPass = async (chain, journal, tx, log) => {
  // A CreditClaims is due when made (a daemon claims once at start).
  await new CreditClaims({ chain, journal, tx, log } as unknown as WorkerContext).claimIfDue();
};

describe("credit claims across a restart: one claim per credit, and a later credit is claimed", function () {
  this.timeout(120_000);
  let server: JsonRpcServer;
  let url: string;
  let dir: string;
  let deploymentFile: string;
  let connection: Awaited<ReturnType<typeof network.create>>;
  let deployment: Awaited<ReturnType<typeof deployAssay>>;

  before(async function () {
    server = await network.createServer("default", "127.0.0.1", 0);
    const { port } = await server.listen();
    url = `http://127.0.0.1:${port}`;
    connection = await network.create({ network: "localhost", override: { url } });
    deployment = await deployAssay(connection.viem);
    const publicClient = await connection.viem.getPublicClient();
    dir = await mkdtemp(path.join(tmpdir(), "assay-claims-"));
    deploymentFile = path.join(dir, "deployment.json");
    await writeDeploymentFile(
      deploymentFile,
      deploymentFileOf(deployment, await publicClient.getChainId(), 1n),
    );
  });

  after(async function () {
    await server?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const rpc = (method: string, params: unknown[] = []) =>
    connection.provider.request({ method, params });
  const connect = (account: number, rpcUrl = url) =>
    connectChain(
      loadConfig(NodeConfigSchema, {
        flags: {
          rpcUrl,
          deployment: deploymentFile,
          account: { devnet: account },
          pollIntervalMs: 50,
        },
      }),
    );

  /** Credits `account` `amount` in the job market: it posts a job and cancels it. */
  async function credit(account: number, amount: bigint): Promise<void> {
    const wallet = (await connection.viem.getWalletClients())[account]!;
    const publicClient = await connection.viem.getPublicClient();
    const { market, testToken } = deployment;
    const wait = async (hash: `0x${string}`) =>
      expect((await publicClient.waitForTransactionReceipt({ hash })).status).to.equal("success");
    await wait(await testToken!.write.mint([wallet.account.address, amount]));
    await wait(
      await testToken!.write.approve([market.address, maxUint256], { account: wallet.account }),
    );
    await wait(
      await market.write.createJob(
        [
          jobParams({
            specHash: keccak256(toHex(`spec ${amount}`)),
            amount,
            collateral: 2n * amount,
          }),
        ],
        { account: wallet.account },
      ),
    );
    const jobId = await market.read.jobCount();
    await wait(await market.write.cancel([jobId], { account: wallet.account }));
  }

  /** The account's transactions mined so far, and those sent (pending included). */
  async function nonces(address: Address): Promise<{ mined: number; sent: number }> {
    const publicClient = await connection.viem.getPublicClient();
    return {
      mined: await publicClient.getTransactionCount({ address, blockTag: "latest" }),
      sent: await publicClient.getTransactionCount({ address, blockTag: "pending" }),
    };
  }

  /** Runs `pass` until its claim is broadcast, then cuts it off from the chain for good. */
  async function crashAfterBroadcast(
    pass: ClaimPass,
    account: number,
    journalFile: string,
  ): Promise<RpcProxy> {
    const proxy = await rpcProxy(url);
    const chain = await connect(account, proxy.url);
    const journal = await Journal.open(journalFile);
    // A short receipt timeout: the cut-off run gives up soon after the test, not a minute later.
    const tx = new TxSender(chain, journal, { receiptTimeoutMs: 1_000 });
    void pass(chain, journal, tx, capturingLog()).catch(() => undefined);
    await until("the claim broadcast", () => proxy.broadcast.length > 0);
    proxy.freeze();
    return proxy;
  }

  /** Every run's RPC goes through a proxy, to see what it broadcast; closed after each test. */
  const proxies: RpcProxy[] = [];
  afterEach(async function () {
    for (const proxy of proxies.splice(0)) await proxy.close();
    // A failed test must not leave the next one without automine.
    await rpc("hardhat_setNextBlockBaseFeePerGas", ["0x1"]);
    await rpc("evm_setAutomine", [true]);
    await rpc("evm_mine");
  });

  /** The distinct claimCredit transactions broadcast through `of`. */
  const claimsBroadcast = (...of: RpcProxy[]): number =>
    new Set(
      of.flatMap((proxy) =>
        proxy.broadcast.filter((raw) =>
          parseTransaction(raw).data?.startsWith(toFunctionSelector("claimCredit()")),
        ),
      ),
    ).size;

  /** The claimCredit transactions `address` got mined (after `until` nothing is pending). */
  async function claimsMined(address: Address): Promise<number> {
    const publicClient = await connection.viem.getPublicClient();
    const selector = toFunctionSelector("claimCredit()");
    let count = 0;
    for (let b = 0n, latest = await publicClient.getBlockNumber(); b <= latest; b++) {
      const block = await publicClient.getBlock({ blockNumber: b, includeTransactions: true });
      for (const t of block.transactions)
        if (t.from.toLowerCase() === address.toLowerCase() && t.input.startsWith(selector))
          count += 1;
    }
    return count;
  }

  async function settledClaims(address: Address): Promise<number> {
    await until("nothing pending", async () => {
      const n = await nonces(address);
      if (n.sent > n.mined) await rpc("evm_mine");
      return n.sent === n.mined;
    });
    return claimsMined(address);
  }

  async function claimedEvents(address: Address): Promise<bigint[]> {
    const events = await deployment.market.getEvents.CreditClaimed(
      { account: address },
      { fromBlock: 0n },
    );
    return events.map((e) => e.args.amount!);
  }

  for (const [name, pass, account] of [
    ["verifier", verifierPass, 5],
    ["provider daemon", workerPass, 6],
  ] as const)
    it(`${name}: restarted with its claim pending sends no second claim; restarted after it was mined, it claims a later credit`, async function () {
      const journalFile = path.join(dir, `${account}-journal.json`);
      const address = (await connect(account)).address;
      /** A daemon (re)started on the journal file, its RPC through a recording proxy. */
      const restart = async (log = capturingLog()) => {
        const proxy = await rpcProxy(url);
        proxies.push(proxy);
        const chain = await connect(account, proxy.url);
        const journal = await Journal.open(journalFile);
        const tx = new TxSender(chain, journal, { log });
        return { proxy, run: () => pass(chain, journal, tx, log) };
      };
      await credit(account, AMOUNTS[0]!);

      // 1. Crash after broadcast; a block is mined without the claim (its fee is too low now).
      await rpc("evm_setAutomine", [false]);
      const crashed = await crashAfterBroadcast(pass, account, journalFile);
      proxies.push(crashed);
      await rpc("hardhat_setNextBlockBaseFeePerGas", [toHex(parseEther("0.000001"))]);
      await rpc("evm_mine");
      expect(await claimsMined(address), "the claim still pending").to.equal(0);
      // The restart, at a later block, with the claim still pending: it waits for that claim.
      const log = capturingLog();
      const first = await restart(log);
      const waiting = first.run();
      await until("the restarted daemon to wait or send", () =>
        log.lines.some((l) => /waiting for the journaled transaction|: sent$|failed/.test(l)),
      );
      await rpc("hardhat_setNextBlockBaseFeePerGas", ["0x1"]);
      await rpc("evm_setAutomine", [true]);
      await rpc("evm_mine");
      await waiting;
      expect(claimsBroadcast(crashed, first.proxy), "claims broadcast for one credit").to.equal(1);
      expect(await settledClaims(address)).to.equal(1);
      expect(await claimedEvents(address)).to.deep.equal([AMOUNTS[0]]);
      expect(await deployment.market.read.creditOf([address])).to.equal(0n);

      // 2. Crash after broadcast; the claim is mined while the daemon is down.
      await credit(account, AMOUNTS[1]!);
      await rpc("evm_setAutomine", [false]);
      proxies.push(await crashAfterBroadcast(pass, account, journalFile));
      await rpc("evm_setAutomine", [true]);
      await rpc("evm_mine");
      expect(await deployment.market.read.creditOf([address])).to.equal(0n);
      // Restarted with nothing owed; a credit comes later, and the daemon's next pass claims it.
      const second = await restart();
      await second.run();
      expect(claimsBroadcast(second.proxy), "nothing owed at the restart").to.equal(0);
      await credit(account, AMOUNTS[2]!);
      await second.run();
      expect(await deployment.market.read.creditOf([address]), "the later credit").to.equal(0n);
      expect(await claimedEvents(address)).to.deep.equal(AMOUNTS);
      expect(await settledClaims(address), "one claim per credit").to.equal(3);
    });
});
