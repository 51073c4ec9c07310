// A whole local Assay network in one call, for the demo and the end-to-end tests: Hardhat's
// simulated chain served over JSON-RPC on a loopback port (daemons in other processes reach it like
// any node) or an external development node (anvil, `hardhat node`: `rpcUrl`), the contracts
// deployed with deploy/deploy-assay.ts and recorded in a deployment file, a blob store, Redis, and a
// clock that mines blocks and runs chain time faster than wall time.
// Only inside Hardhat (`hardhat run`, `hardhat test`): it imports `network` from "hardhat".
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { network } from "hardhat";
import type { JsonRpcServer, NetworkConnection } from "hardhat/types/network";
import { formatEther, parseEther, type Address } from "viem";

import {
  DEVNET_PARAMS,
  deployAssay,
  type AssayDeployment,
  type DeployParams,
} from "../../deploy/deploy-assay.ts";
import { deploymentFileOf } from "../../deploy/deployment-file.ts";
import { DEVNET_CHAIN_IDS, DEVNET_MNEMONIC } from "../node/chain.ts";
import { writeDeploymentFile } from "../node/deployment.ts";
import { FsBlobStore } from "../store/fs-store.ts";
import { startStoreServer, type StoreServer } from "../store/http-server.ts";
import { oneLine } from "../errors.ts";
import { DevnetClock } from "./clock.ts";
import type { DaemonHost } from "./daemon.ts";
import { deleteKeys, ensureRedis, type EnsuredRedis } from "./redis.ts";

/**
 * Who is who among the devnet accounts (indices into Hardhat's default mnemonic): the demo and the
 * end-to-end tests give each role its own accounts, so no two actors share a nonce.
 */
export const DEVNET_ACCOUNTS = {
  /** Deployer, governor and treasury. */
  deployer: 0,
  submitter: 1,
  providers: [2, 3, 4, 5],
  verifiers: [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
} as const;

/** Accounts of the test mnemonic the devnet uses (DEVNET_ACCOUNTS' indices 0..19). */
export const DEVNET_ACCOUNT_COUNT = 20;

/** Ether each devnet account holds at least (an external node's short accounts are topped up). */
const DEVNET_ETHER = parseEther("10000");

export interface Devnet extends DaemonHost {
  /** JSON-RPC endpoint: http://127.0.0.1:<port> (or the address rpcHost names), or the external node's URL. */
  rpcUrl: string;
  /** The interface the JSON-RPC server is bound to; for an external node, its URL's host. */
  rpcHost: string;
  /** Whether the chain is an external node (`rpcUrl` option) rather than Hardhat's in-process one. */
  external: boolean;
  chainId: number;
  /** Path of the written deployment file (src/node/deployment.ts format). */
  deploymentFile: string;
  /** hardhat-viem handles of the deployed contracts; the deployer is devnet account 0. */
  deployment: AssayDeployment;
  /** The Hardhat connection the harness uses (over the same JSON-RPC endpoint as the daemons). */
  connection: NetworkConnection;
  storeUrl: string;
  storeDir: string;
  redisUrl: string;
  /** BullMQ key prefix for this devnet's queues. */
  redisPrefix: string;
  /** Temp dir holding everything; daemons' config files, logs and data dirs go under it. */
  dir: string;
  clock: DevnetClock;
  /**
   * Mints `amount` TestToken base units (18 decimals) to `address`. The 20 devnet accounts already
   * hold 10 000 ether each; `options.eth` (wei) sets the ether balance of any other address.
   */
  fund(address: Address, amount: bigint, options?: { eth?: bigint }): Promise<void>;
  /** Stops the clock, store, Redis it started and JSON-RPC server; removes dir unless `keep`. */
  close(): Promise<void>;
}

export interface StartDevnetOptions {
  /** Chain seconds per wall second (default 20). */
  speed?: number;
  /** Wall milliseconds between mined blocks (default 250). */
  tickMs?: number;
  /** Start the clock at once (default true); tests that want a still chain pass false. */
  startClock?: boolean;
  /** Default redis://127.0.0.1:6379, or REDIS_URL. Started if it is loopback and nothing answers. */
  redisUrl?: string;
  /** Default `assay-devnet-<random>`; keys under a generated prefix are deleted by close(). */
  redisPrefix?: string;
  /** Deployment parameters; default DEVNET_PARAMS. */
  deployParams?: DeployParams;
  /** Keep the temp dir (logs, configs, store) after close(). */
  keep?: boolean;
  /**
   * Interface of the JSON-RPC server; default 127.0.0.1. 0.0.0.0 serves every interface — the test
   * accounts' keys are public, so only where the port is published to loopback (a container).
   */
  rpcHost?: string;
  /** Port of the JSON-RPC server; default 0 (any free port). */
  rpcPort?: number;
  /**
   * An external development node to run on instead of Hardhat's in-process chain, e.g. anvil's
   * http://127.0.0.1:8545. It must serve a devnet chain id (31337 or 1337: the accounts come from
   * the public test mnemonic) and take evm_mine and evm_increaseTime (the clock); accounts 0..19 of
   * the mnemonic are used and any holding less than 10 000 ether is topped up. close() leaves it
   * running.
   */
  rpcUrl?: string;
  /** Port of the store server on 127.0.0.1; default 0 (any free port). */
  storePort?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Runs every cleanup step even if some fail; throws them together at the end. */
async function runAll(steps: [string, () => Promise<unknown>][]): Promise<void> {
  const failures: Error[] = [];
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(new Error(`devnet close: ${what} failed`, { cause: error }));
    }
  }
  if (failures.length === 1) throw failures[0]!;
  if (failures.length > 1) throw new AggregateError(failures, "devnet close: several steps failed");
}

/** A server that will not close (clients holding requests open) must not hang close(). */
function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Sets `address`'s ether balance (hardhat_setBalance: Hardhat's chain and anvil take it). */
function setEtherBalance(
  connection: NetworkConnection,
  address: Address,
  wei: bigint,
): Promise<unknown> {
  return connection.provider.request({
    method: "hardhat_setBalance",
    params: [address, `0x${wei.toString(16)}`],
  });
}

/**
 * Gives every devnet account that holds less than 10 000 ether that much (setEtherBalance), or,
 * on a node without hardhat_setBalance, 1 000 ether from account 0 (which cannot give each of ten
 * accounts 10 000).
 */
async function topUpEther(
  connection: NetworkConnection,
  log: (line: string) => void,
): Promise<void> {
  const publicClient = await connection.viem.getPublicClient();
  const wallets = await connection.viem.getWalletClients();
  const short: Address[] = [];
  for (const wallet of wallets.slice(0, DEVNET_ACCOUNT_COUNT)) {
    const balance = await publicClient.getBalance({ address: wallet.account.address });
    if (balance < DEVNET_ETHER) short.push(wallet.account.address);
  }
  if (short.length === 0) return;
  const funder = wallets[DEVNET_ACCOUNTS.deployer]!;
  for (const address of short) {
    try {
      await setEtherBalance(connection, address, DEVNET_ETHER);
    } catch {
      const hash = await funder.sendTransaction({ to: address, value: DEVNET_ETHER / 10n });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success")
        throw new Error(`sending ether to devnet account ${address} reverted (${hash})`);
    }
  }
  log(
    `chain: gave ether to ${short.length} of the ${DEVNET_ACCOUNT_COUNT} devnet accounts, which held less than ${formatEther(DEVNET_ETHER)} ether`,
  );
}

/** The host part of a URL that reaches a server bound to `host`: a wildcard is reached on loopback. */
function urlHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

export async function startDevnet(options: StartDevnetOptions = {}): Promise<Devnet> {
  const log = options.log ?? (() => undefined);
  const cleanup: [string, () => Promise<unknown>][] = [];
  const dir = await mkdtemp(path.join(tmpdir(), "assay-devnet-"));
  if (options.keep !== true)
    cleanup.push(["remove dir", () => rm(dir, { recursive: true, force: true })]);
  try {
    // Redis first: without it no daemon can run, and this fails in a second, before deploying.
    const requestedRedis = options.redisUrl ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
    const redis: EnsuredRedis = await ensureRedis(requestedRedis, { log });
    cleanup.unshift(["redis-server", () => redis.stop()]);
    const generatedPrefix = options.redisPrefix === undefined;
    const redisPrefix = options.redisPrefix ?? `assay-devnet-${randomBytes(4).toString("hex")}`;
    if (generatedPrefix && options.keep !== true) {
      // Before stopping a Redis we started (nothing to delete then) and after the daemons are gone.
      cleanup.unshift(["delete Redis keys", () => deleteKeys(redis.url, `${redisPrefix}:*`)]);
    }

    let rpcUrl: string;
    let rpcHost: string;
    let connection: NetworkConnection;
    if (options.rpcUrl === undefined) {
      // Hardhat's default network is the in-process simulated chain (chain id 31337, 20 funded
      // accounts from the standard mnemonic); the server makes it reachable from other processes.
      rpcHost = options.rpcHost ?? "127.0.0.1";
      const server: JsonRpcServer = await network.createServer(
        "default",
        rpcHost,
        options.rpcPort ?? 0,
      );
      const { port } = await server.listen();
      rpcUrl = `http://${urlHost(rpcHost)}:${port}`;
      cleanup.unshift(["JSON-RPC server", () => withTimeout(server.close(), 3_000)]);
      log(`chain: JSON-RPC at ${rpcUrl}`);
      // The harness itself talks to the served chain over HTTP, like the daemons do, so every
      // transaction goes through one node and one nonce space.
      connection = await network.create({ network: "localhost", override: { url: rpcUrl } });
    } else {
      rpcUrl = options.rpcUrl;
      rpcHost = new URL(rpcUrl).hostname;
      log(`chain: external node at ${rpcUrl}`);
      // The node's own unlocked accounts may be fewer than the devnet's 20 (anvil has 10):
      // Hardhat signs locally for the mnemonic's accounts instead.
      connection = await network.create({
        network: "localhost",
        override: {
          url: rpcUrl,
          accounts: { mnemonic: DEVNET_MNEMONIC, count: DEVNET_ACCOUNT_COUNT },
        },
      });
    }
    cleanup.unshift(["Hardhat connection", () => connection.close()]);
    const publicClient = await connection.viem.getPublicClient();
    const chainId = await publicClient.getChainId().catch((cause: unknown) => {
      throw new Error(`no chain answers at ${rpcUrl}: ${oneLine(cause)}`, { cause });
    });
    if (options.rpcUrl !== undefined) {
      if (!DEVNET_CHAIN_IDS.includes(chainId))
        throw new Error(
          `the node at ${rpcUrl} serves chain ${chainId}; a devnet runs only on a development chain (${DEVNET_CHAIN_IDS.join(" or ")}), since its accounts come from the public test mnemonic`,
        );
      // One block on request, before any transaction: a node that refuses evm_mine (and may not
      // mine on transactions either) fails here, with the reason, rather than leaving the
      // deployment, and later every daemon, waiting for blocks that never come.
      await connection.provider
        .request({ method: "evm_mine", params: [] })
        .catch((cause: unknown) => {
          throw new Error(
            `the node at ${rpcUrl} did not mine a block on request (evm_mine): the devnet's clock needs a development node such as anvil or Hardhat's: ${oneLine(cause)}`,
            { cause },
          );
        });
      await topUpEther(connection, log);
    }
    const firstBlock = (await publicClient.getBlockNumber()) + 1n;
    const deployment = await deployAssay(connection.viem, options.deployParams ?? DEVNET_PARAMS);
    const deploymentFile = path.join(dir, "deployment.json");
    await writeDeploymentFile(deploymentFile, deploymentFileOf(deployment, chainId, firstBlock));
    log(`chain: Assay deployed (market ${deployment.market.address}), ${deploymentFile}`);

    const storeDir = path.join(dir, "store");
    // Throwaway blobs: fsync would only slow the demo down.
    const store = new FsBlobStore({ root: storeDir, durable: false });
    const storeServer: StoreServer = await startStoreServer({
      store,
      host: "127.0.0.1",
      port: options.storePort ?? 0,
      closeTimeoutMs: 1_000,
      // A corrupt blob on disk (the tamper-blob cheat) is refused to the client, which is the point;
      // one line in the devnet's log, not a stack on the console.
      onError: (error) => log(`store: ${oneLine(error)}`),
    });
    cleanup.unshift(["store server", () => storeServer.close()]);
    log(`store: ${storeServer.url} (${storeDir})`);

    const clock = new DevnetClock((args) => connection.provider.request(args), {
      speed: options.speed ?? 20,
      tickMs: options.tickMs ?? 250,
      onError: (error) => log(`clock: tick failed: ${String(error)}`),
    });
    cleanup.unshift(["clock", () => clock.stop()]);
    if (options.startClock !== false) clock.start();
    log(`clock: a block every ${clock.tickMs} ms, chain time ×${clock.speed}`);

    const testToken = deployment.testToken;
    let closed: Promise<void> | undefined;
    return {
      rpcUrl,
      rpcHost,
      external: options.rpcUrl !== undefined,
      chainId,
      deploymentFile,
      deployment,
      connection,
      storeUrl: storeServer.url,
      storeDir,
      redisUrl: redis.url,
      redisPrefix,
      dir,
      clock,
      async fund(address: Address, amount: bigint, fundOptions = {}): Promise<void> {
        if (fundOptions.eth !== undefined) {
          await setEtherBalance(connection, address, fundOptions.eth);
        }
        if (amount === 0n) return;
        if (testToken === undefined) {
          throw new Error(
            "this devnet uses an existing token (deployParams.token); it cannot mint",
          );
        }
        const hash = await testToken.write.mint([address, amount]);
        const receipt = await publicClient.waitForTransactionReceipt({ hash });
        if (receipt.status !== "success") throw new Error(`mint to ${address} reverted (${hash})`);
      },
      close(): Promise<void> {
        closed ??= runAll(cleanup);
        return closed;
      },
    };
  } catch (error) {
    await runAll(cleanup).catch(() => undefined);
    throw error;
  }
}
