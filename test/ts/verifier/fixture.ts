// Shared set-up for the verifier daemon tests: a devnet (real chain over JSON-RPC, real store,
// real Redis under a random prefix), funded actors, tiny jobs (synthetic data, a 20-16-5 MLP,
// T = 48, k = 8) posted and played in-process by the demo's submitter and provider routines
// (honest or cheating), a provider that answers dissections, and VerifierDaemon instances.
import path from "node:path";

import { keccak256, maxUint256, toHex, zeroHash, type Address, type Hex } from "viem";

import { DEVNET_PARAMS, type DeployParams } from "../../../deploy/deploy-assay.ts";
import { stateDigest } from "../../../src/checkpoint/state-codec.ts";
import { syntheticSamples } from "../../../src/data/synthetic.ts";
import {
  actorOf,
  send,
  type Actor,
  type DemoChain,
  demoChainOf,
  disputeSourceOf,
} from "../../../src/demo/chain.ts";
import { divergentBatches } from "../../../src/demo/cheating-provider.ts";
import { fetchJob, readJob, type FetchedJob } from "../../../src/demo/jobs.ts";
import {
  acceptJob,
  openSamples,
  postDissectionPoints,
  submitTrace,
  trainByRule,
  trainHonestly,
  type ProviderRun,
} from "../../../src/demo/provider.ts";
import { postJob, publishSpec, type PublishedSpec } from "../../../src/demo/submitter.ts";
import { startDevnet, type Devnet } from "../../../src/devnet/index.ts";
import { until } from "../../../src/devnet/poll.ts";
import { deleteKeys } from "../../../src/devnet/redis.ts";
import type { TrainingState } from "../../../src/engine/training-state.ts";
import { readDissection } from "../../../src/node/dispute-reads.ts";
import { providerSegmentStates } from "../../../src/provider/segment-training.ts";
import { PHASE } from "../../../src/protocol/onchain-enums.ts";
import { HttpBlobStore } from "../../../src/store/http-client.ts";
import { VerifierConfigSchema, type VerifierSection } from "../../../verifier/config.ts";
import { openVerifierDaemon, type VerifierDaemon } from "../../../verifier/daemon.ts";
import type { VerifierEvent } from "../../../verifier/events.ts";

export const UNIT = 10n ** 18n;
export const TERMS = { amount: 100n * UNIT, collateral: 200n * UNIT, verificationBps: 1_000 };
export const BOND = BigInt(DEVNET_PARAMS.dispute.challengeBond);
const SEED: Hex = keccak256(toHex("assay verifier tests: the protocol's data order"));
export const CHEAT_SEED: Hex = keccak256(toHex("assay verifier tests: the cheater's order"));
/** Chain seconds; the devnet runs chain time 20× faster than wall time. */
export const WINDOWS = { accept: 3600, train: 3600, open: 3600, challenge: 240 };

export interface Fixture {
  devnet: Devnet;
  chain: DemoChain;
  store: HttpBlobStore;
  wallets: Awaited<ReturnType<Devnet["connection"]["viem"]["getWalletClients"]>>;
  submitter: Actor;
  actor(index: number, name: string): Actor;
  daemons: VerifierDaemon[];
  /** Background loops (the provider's probes) stopped by close(). */
  loops: (() => void)[];
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** The deployment's parameters (default the devnet's). */
  deployParams?: DeployParams;
  redisUrl?: string;
  /** Tokens the submitter (account 1) is funded with; it approves the market for all. */
  submitterTokens?: bigint;
}

/** A devnet at 20× chain time and a funded submitter that approved the market: every test's start. */
export async function startFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const devnet = await startDevnet({
    speed: 20,
    tickMs: 250,
    ...(options.deployParams === undefined ? {} : { deployParams: options.deployParams }),
    ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
  });
  try {
    const { viem } = devnet.connection;
    const chain: DemoChain = await demoChainOf(devnet);
    const wallets = await viem.getWalletClients();
    const actor = (index: number, name: string): Actor => actorOf(name, wallets[index]!);
    const submitter = actor(1, "submitter");
    await devnet.fund(submitter.address, options.submitterTokens ?? 100n * TERMS.amount);
    const token = devnet.deployment.testToken!;
    await send(chain, submitter, "approve", () =>
      token.write.approve([devnet.deployment.market.address, maxUint256], {
        account: submitter.wallet.account,
      }),
    );
    const daemons: Fixture["daemons"] = [];
    const loops: Fixture["loops"] = [];
    return {
      devnet,
      chain,
      store: new HttpBlobStore({ url: devnet.storeUrl }),
      wallets,
      submitter,
      actor,
      daemons,
      loops,
      async close(): Promise<void> {
        for (const stop of loops.splice(0)) stop();
        for (const d of daemons.splice(0)) await d.close().catch(() => undefined);
        await deleteKeys(devnet.redisUrl, `${devnet.redisPrefix}-v*`).catch(() => undefined);
        await devnet.close();
      },
    };
  } catch (error) {
    await devnet.close().catch(() => undefined);
    throw error;
  }
}

/** Funds and stakes a provider account. */
export async function stakeProvider(
  f: Fixture,
  provider: Actor,
  amount = 2_000n * UNIT,
): Promise<void> {
  const { registry, testToken } = f.devnet.deployment;
  await f.devnet.fund(provider.address, amount);
  await send(f.chain, provider, "approve", () =>
    testToken!.write.approve([registry.address, maxUint256], { account: provider.wallet.account }),
  );
  await send(f.chain, provider, "stake", () =>
    registry.write.stake([1, amount], { account: provider.wallet.account }),
  );
}

/**
 * Starts a verifier daemon on devnet account `account` (funded for its stake and bonds). `node`:
 * top-level config keys over the devnet's, as a config file holds them (an `ipfs` section, say).
 */
export async function startVerifier(
  f: Fixture,
  account: number,
  section: Partial<VerifierSection> = {},
  onEvent?: (event: VerifierEvent) => void,
  dataDir = path.join(f.devnet.dir, `verifier-${account}`),
  node: Record<string, unknown> = {},
): Promise<VerifierDaemon> {
  const address = f.wallets[account]!.account.address;
  const { registry } = f.devnet.deployment;
  const [free] = await registry.read.accountOf([address, 2]);
  if (free === 0n) await f.devnet.fund(address, 1_000n * UNIT);
  const config = VerifierConfigSchema.parse({
    rpcUrl: f.devnet.rpcUrl,
    chainId: f.devnet.chainId,
    deployment: f.devnet.deploymentFile,
    storeUrl: f.devnet.storeUrl,
    redisUrl: f.devnet.redisUrl,
    redisPrefix: `${f.devnet.redisPrefix}-v${account}`,
    account: { devnet: account },
    dataDir,
    pollIntervalMs: 150,
    logLevel: (process.env.ASSAY_TEST_LOG as "error" | undefined) ?? "error",
    verifier: { backoffMs: 100, ...section },
    ...node,
  });
  const daemon = await openVerifierDaemon(config, onEvent ? { onEvent } : {});
  await daemon.start();
  f.daemons.push(daemon);
  return daemon;
}

export interface SpecOptions {
  hidden?: number[];
  initSeed?: string;
}

export async function publishTinySpec(
  f: Fixture,
  options: SpecOptions = {},
): Promise<PublishedSpec> {
  const all = syntheticSamples({
    seed: "assay-verifier",
    count: 512,
    featureCount: 20,
    classCount: 5,
  });
  return publishSpec(f.store, {
    numerics: "exact",
    layers: [20, ...(options.hidden ?? [16]), 5],
    batchSize: 8,
    optimizer: { kind: "sgd", learningRate: 0.1, momentum: 0.9 },
    samples: all,
    shardSize: 128,
    initSeed: options.initSeed ?? "assay-verifier",
    rest: {
      version: 2,
      seed: SEED,
      totalSteps: 48,
      checkpointInterval: 8,
      verification: { samples: 2, topQ: 1, committeeSize: 3 },
      windows: WINDOWS,
    },
  });
}

export interface Played {
  jobId: bigint;
  job: FetchedJob;
  run: ProviderRun;
}

/**
 * Posts a job with `spec` and plays its provider through openSamples: honest, or (with
 * `cheatFromStep`) training on its own data order from that step on.
 */
export async function postAndProvide(
  f: Fixture,
  spec: PublishedSpec,
  provider: Actor,
  cheatFromStep?: number,
  options: { falseProbes?: boolean } = {},
): Promise<Played> {
  const jobId = await postJob(f.chain, f.submitter, spec.spec, TERMS);
  const job = await fetchJob(f.chain, f.store, jobId);
  await acceptJob(f.chain, provider, job);
  const run =
    cheatFromStep === undefined
      ? await trainHonestly(job.loaded.job, job.loaded.initialState, f.store)
      : await trainByRule(
          job.loaded.job,
          job.loaded.initialState,
          f.store,
          divergentBatches(cheatFromStep, CHEAT_SEED),
        );
  await submitTrace(f.chain, provider, run);
  await openSamples(f.chain, provider, run, spec.spec.verification.topQ);
  const played = { jobId, job, run };
  f.loops.push(serveProbes(f, provider, played, options.falseProbes === true));
  return played;
}

/**
 * The provider's receipts duty (docs/receipts.md), as the worker daemon does it: once verifiers
 * committed receipts and their phase is over, request the probe steps and publish its own digests
 * after them (a cheater publishes what its own training gives).
 */
function serveProbes(
  f: Fixture,
  provider: Actor,
  played: Played,
  falseProbes: boolean,
): () => void {
  let stopped = false;
  const { receipts } = f.devnet.deployment;
  void (async () => {
    while (!stopped) {
      try {
        const round = await receipts.read.roundOf([played.jobId]);
        const head = await f.chain.publicClient.getBlock();
        const commitEnd = BigInt(round.openedAt) + BigInt(round.window) / 2n;
        if (round.committed > 0 && round.probesHash === zeroHash && head.timestamp > commitEnd) {
          if (round.probeRequest === 0)
            await send(f.chain, provider, "requestProbes", () =>
              receipts.write.requestProbes([played.jobId], { account: provider.wallet.account }),
            );
          else if (head.number > BigInt(round.probeRequest)) {
            const [segments, steps] = await receipts.read.probeSteps([played.jobId]);
            const digests: Hex[] = [];
            for (const [i, segment] of segments.entries()) {
              const states = await providerSegmentStates(
                played.job.loaded.job,
                f.store,
                played.run.records,
                played.run.batches,
                Number(segment),
              );
              digests.push(
                falseProbes
                  ? keccak256(toHex(`made-up probe ${played.jobId}:${segment}`))
                  : stateDigest(states[Number(steps[i]!)]!),
              );
            }
            await send(f.chain, provider, "publishProbes", () =>
              receipts.write.publishProbes([played.jobId, digests], {
                account: provider.wallet.account,
              }),
            );
          }
        }
        if (round.probesHash !== zeroHash || round.openedAt === 0) return;
      } catch {
        // Raced another caller or a block: try again on the next poll.
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  })();
  return () => {
    stopped = true;
  };
}

/** The provider's side of every dispute on `played`: posts its digests whenever it is its turn. */
export function answerDisputes(f: Fixture, provider: Actor, played: Played): () => void {
  let stopped = false;
  const states = new Map<number, TrainingState[]>();
  void (async () => {
    while (!stopped) {
      try {
        const opened = await f.devnet.deployment.disputeGame.getEvents.DisputeOpened(
          { jobId: played.jobId },
          { fromBlock: 0n },
        );
        for (const event of opened) {
          const disputeId = event.args.disputeId!;
          const view = await readDissection(disputeSourceOf(f.chain), disputeId);
          if (view.phase !== PHASE.Dissection || !view.providerTurn) continue;
          const segment = Number(event.args.segment!);
          let s = states.get(segment);
          if (s === undefined) {
            s = await providerSegmentStates(
              played.job.loaded.job,
              f.store,
              played.run.records,
              played.run.batches,
              segment,
            );
            states.set(segment, s);
          }
          await postDissectionPoints(f.chain, provider, f.store, disputeId, s);
        }
      } catch {
        // A move that raced the clock or another read: try again on the next poll.
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  })();
  return () => {
    stopped = true;
  };
}

export async function jobStatus(f: Fixture, jobId: bigint): Promise<number> {
  return (await readJob(f.chain, jobId)).status;
}

export async function disputesOf(f: Fixture, jobId: bigint): Promise<bigint[]> {
  const events = await f.devnet.deployment.disputeGame.getEvents.DisputeOpened(
    { jobId },
    { fromBlock: 0n },
  );
  return events.map((e) => e.args.disputeId!);
}

export type { Address };
export { until };
