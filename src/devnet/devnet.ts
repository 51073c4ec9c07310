// A whole local Assay network in one call, for the demo and the end-to-end tests: Hardhat's
// simulated chain served over JSON-RPC on a loopback port (daemons in other processes reach it like
// any node), the contracts deployed with deploy/deploy-assay.ts and recorded in a deployment file,
// a blob store, Redis, and a clock that mines blocks and runs chain time faster than wall time.
// Only inside Hardhat (`hardhat run`, `hardhat test`): it imports `network` from "hardhat".
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { network } from "hardhat";
import type { JsonRpcServer, NetworkConnection } from "hardhat/types/network";
import type { Address } from "viem";

import {
  DEVNET_PARAMS,
  deployAssay,
  type AssayDeployment,
  type DeployParams,
} from "../../deploy/deploy-assay.ts";
import { deploymentFileOf } from "../../deploy/deployment-file.ts";
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

export interface Devnet extends DaemonHost {
  /** JSON-RPC endpoint, http://127.0.0.1:<port> (or the address rpcHost names). */
  rpcUrl: string;
  /** The interface the JSON-RPC server is bound to. */
  rpcHost: string;
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

    // Hardhat's default network is the in-process simulated chain (chain id 31337, 20 funded
    // accounts from the standard mnemonic); the server makes it reachable from other processes.
    const rpcHost = options.rpcHost ?? "127.0.0.1";
    const server: JsonRpcServer = await network.createServer(
      "default",
      rpcHost,
      options.rpcPort ?? 0,
    );
    const { port } = await server.listen();
    const rpcUrl = `http://${urlHost(rpcHost)}:${port}`;
    cleanup.unshift(["JSON-RPC server", () => withTimeout(server.close(), 3_000)]);
    log(`chain: JSON-RPC at ${rpcUrl}`);

    // The harness itself talks to the served chain over HTTP, like the daemons do, so every
    // transaction goes through one node and one nonce space.
    const connection = await network.create({
      network: "localhost",
      override: { url: rpcUrl },
    });
    cleanup.unshift(["Hardhat connection", () => connection.close()]);
    const publicClient = await connection.viem.getPublicClient();
    const chainId = await publicClient.getChainId();
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
          await connection.provider.request({
            method: "hardhat_setBalance",
            params: [address, `0x${fundOptions.eth.toString(16)}`],
          });
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
