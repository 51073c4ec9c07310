// Fixtures for the provider daemon tests: a devnet with a submitter that publishes tiny synthetic
// jobs (a 20-16-5 exact MLP, batch 8) and posts them, and an in-process ProviderDaemon wired the way
// worker/main.ts wires it.
import path from "node:path";

import { keccak256, maxUint256, toHex, type Hex } from "viem";

import { actorOf, type DemoChain, demoChainOf } from "../../../src/demo/chain.ts";
import { postJob, publishSpec } from "../../../src/demo/submitter.ts";
import type { JobTerms } from "../../../src/protocol/create-job.ts";
import { syntheticSamples } from "../../../src/data/synthetic.ts";
import { daemonConfig, type Devnet } from "../../../src/devnet/index.ts";
import { connectChain } from "../../../src/node/chain.ts";
import { Journal } from "../../../src/node/journal.ts";
import { createLogger } from "../../../src/node/log.ts";
import { createMetrics, type NodeMetrics } from "../../../src/node/metrics.ts";
import { TxSender } from "../../../src/node/tx.ts";
import type { JobSpec } from "../../../src/protocol/job-spec.ts";
import type { BlobStore } from "../../../src/store/blob-store.ts";
import { FsBlobStore } from "../../../src/store/fs-store.ts";
import { HttpBlobStore } from "../../../src/store/http-client.ts";
import { WorkerConfigSchema, type WorkerConfig } from "../../../worker/config.ts";
import { dataPaths, openProviderDaemon, type ProviderDaemon } from "../../../worker/daemon.ts";
import { ensureStake } from "../../../worker/stake.ts";
import { until } from "../../../src/devnet/poll.ts";

export const UNIT = 10n ** 18n;
export const TERMS: JobTerms = {
  amount: 100n * UNIT,
  collateral: 200n * UNIT,
  verificationBps: 1_000,
};
export const SUBMITTER_ACCOUNT = 1;

export interface TinyJobOptions {
  totalSteps?: number;
  checkpointInterval?: number;
  /** Challenge window in chain seconds (the devnet clock runs 20× faster than the wall). */
  challenge?: number;
}

/** Publishes a tiny exact job spec to the devnet's store. */
export async function tinySpec(devnet: Devnet, options: TinyJobOptions = {}): Promise<JobSpec> {
  const samples = syntheticSamples({
    seed: "worker-test",
    count: 256,
    featureCount: 20,
    classCount: 5,
  });
  const store = new HttpBlobStore({ url: devnet.storeUrl });
  const published = await publishSpec(store, {
    numerics: "exact",
    layers: [20, 16, 5],
    batchSize: 8,
    optimizer: { kind: "sgd", learningRate: 0.1, momentum: 0.9 },
    samples,
    shardSize: 128,
    initSeed: "worker-test",
    rest: {
      version: 2,
      seed: keccak256(toHex("worker test data order")) as Hex,
      totalSteps: options.totalSteps ?? 48,
      checkpointInterval: options.checkpointInterval ?? 8,
      verification: { samples: 2, topQ: 1, committeeSize: 3 },
      windows: { accept: 3600, train: 6 * 3600, open: 3600, challenge: options.challenge ?? 120 },
    },
  });
  return published.spec;
}

/** The submitter (devnet account 1) posts `spec` with TERMS; returns the job id. */
export async function postTinyJob(
  devnet: Devnet,
  spec: JobSpec,
  terms: JobTerms = TERMS,
): Promise<bigint> {
  const viem = devnet.connection.viem;
  const wallets = await viem.getWalletClients();
  const submitter = actorOf("submitter", wallets[SUBMITTER_ACCOUNT]!);
  const chain: DemoChain = await demoChainOf(devnet);
  await devnet.fund(submitter.address, terms.amount);
  const hash = await devnet.deployment.testToken!.write.approve(
    [devnet.deployment.market.address, maxUint256],
    {
      account: submitter.wallet.account,
    },
  );
  await chain.publicClient.waitForTransactionReceipt({ hash });
  return postJob(chain, submitter, spec, terms);
}

/** A worker config for devnet account `account` (input form, as a config file would hold it). */
export function workerConfigInput(
  devnet: Devnet,
  account: number,
  worker: Record<string, unknown> = {},
  name = `worker-${account}`,
): Record<string, unknown> {
  return {
    ...daemonConfig(devnet, { account, name, pollIntervalMs: 100, logLevel: "info" }),
    worker: { stake: (1_000n * UNIT).toString(), ...worker },
  };
}

export interface RunningDaemon {
  daemon: ProviderDaemon;
  config: WorkerConfig;
  metrics: NodeMetrics;
  close(): Promise<void>;
}

/** Starts a ProviderDaemon in this process, as worker/main.ts does (stake top-up included). */
export async function startWorker(
  devnet: Devnet,
  input: Record<string, unknown>,
  /** Level of <dataDir>/worker.log (default warn). */
  logLevel: "warn" | "info" = "warn",
  /**
   * The blob limit the shared store reports (`maxBytes`, which the daemon's filter reads), where a
   * test needs one lower than the store server's; reads and writes are the store's as ever.
   */
  sharedMaxBytes?: number,
): Promise<RunningDaemon> {
  const config = WorkerConfigSchema.parse(input);
  const chain = await connectChain(config);
  await devnet.fund(chain.address, config.worker.stake);
  const paths = dataPaths(config.dataDir);
  const journal = await Journal.open(paths.journal);
  const log = createLogger({
    name: "worker",
    level: logLevel,
    destination: path.join(config.dataDir, "worker.log"),
  });
  const metrics = createMetrics("worker");
  const tx = new TxSender(chain, journal, { log, metrics });
  await ensureStake(chain, tx, config.worker.stake, log);
  // The shared store is the one the config names, opened as worker/main.ts opens it.
  const daemon = await openProviderDaemon(
    { config, chain, journal, tx, local: new FsBlobStore({ root: paths.store }), log, metrics },
    (shared) => reportingLimit(shared, sharedMaxBytes),
  );
  await daemon.start();
  return { daemon, config, metrics, close: () => daemon.close() };
}

function reportingLimit(store: BlobStore, maxBytes: number | undefined): BlobStore {
  if (maxBytes === undefined) return store;
  const reporting: BlobStore & { maxBytes: number } = {
    put: (bytes) => store.put(bytes),
    get: (cid) => store.get(cid),
    has: (cid) => store.has(cid),
    size: (cid) => store.size(cid),
    serveOn: async (cid) => store.serveOn?.(cid),
    maxBytes,
  };
  return reporting;
}

/** Polls `check` every 100 ms until it returns a value (default deadline 60 s). */
export function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  return until(what, check, timeoutMs, 100);
}
