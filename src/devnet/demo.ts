// The demo on the real daemons (`npm run demo`): a devnet (Hardhat's chain over JSON-RPC on
// loopback, the contracts, the blob store, Redis), an honest and a cheating provider and the
// verifiers as real child processes (`node worker/main.ts`, `node verifier/main.ts`), and a
// submitter in this process that publishes MNIST jobs and posts them. This process only watches:
// it prints one line per chain event as it happens, and at the end reads the verdicts, payouts,
// slashes and the gas of every transaction from the chain. test/ts/demo/daemons-demo.test.ts runs
// the same function at a tiny size.
//
// Who takes which job is decided by the workers' own filters, so it is deterministic: the honest
// worker locks at most 200 tokens of collateral per job, the cheater takes only exact jobs paying
// at least 150. Job A (exact, 100/200) and job C (tolerance, 100/200) go to the honest provider,
// job B (exact, 150/300) to the cheater.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { Redis } from "ioredis";
import {
  decodeFunctionData,
  keccak256,
  maxUint256,
  parseEventLogs,
  toHex,
  type Abi,
  type Address,
  type Hex,
  type Log,
} from "viem";
import { z } from "zod";

import { getState } from "../checkpoint/checkpoint-store.ts";
import type { SampleSet } from "../data/dataset.ts";
import { loadMnist } from "../data/mnist.ts";
import { syntheticSamples } from "../data/synthetic.ts";
import { actorOf, type DemoChain, type GasEntry, demoChainOf } from "../demo/chain.ts";
import {
  isFinalJobStatus,
  outcomeName,
  VOTE,
  type JobStatusName,
} from "../protocol/onchain-enums.ts";
import { DemoError } from "../demo/errors.ts";
import { oneLine } from "../errors.ts";
import { fetchJob, readJob } from "../demo/jobs.ts";
import { statusName } from "../node/onchain-job.ts";
import {
  detectionProbability,
  formatTokens,
  sampleDetectionProbability,
  type DaemonJobRow,
  type PayeeRole,
  type Payout,
} from "../demo/report.ts";
import { postJob, publishSpec, type JobTerms, type PublishedSpec } from "../demo/submitter.ts";
import { evaluateAccuracy } from "../training/evaluate.ts";
import { JOB_SPEC_VERSION } from "../protocol/job-spec.ts";
import { fabricatedSegments } from "../provider/batch-rule.ts";
import { HttpBlobStore } from "../store/http-client.ts";
import { cidFromDigest } from "../protocol/cid.ts";
import { daemonConfig, spawnDaemon, type DaemonKind, type DaemonProcess } from "./daemon.ts";
import { DEVNET_ACCOUNTS, startDevnet, type Devnet } from "./devnet.ts";

const positive = z.number().int().positive();

export const DaemonsDemoConfigSchema = z
  .strictObject({
    /** Real MNIST digits (the `mnist` package), or small seeded synthetic data for tests. */
    data: z.enum(["mnist", "synthetic"]),
    hidden: z.array(z.number().int().min(1).max(4096)).min(1).max(4),
    batchSize: positive.max(1024),
    totalSteps: positive.max(100_000),
    checkpointInterval: positive,
    samples: positive.max(32),
    topQ: z.number().int().min(0).max(8),
    committeeSize: positive.max(21).refine((m) => m % 2 === 1, "the committee size must be odd"),
    /** The cheating worker trains on its own data order from this step on. */
    cheatFromStep: z.number().int().min(0),
    /** Referee-only verifier daemons (audit "none"); the auditing verifier comes on top. */
    referees: z
      .number()
      .int()
      .min(1)
      .max(DEVNET_ACCOUNTS.verifiers.length - 1),
    /** Chain seconds per wall second. */
    speed: z.number().min(1).max(200),
    tickMs: z.number().int().min(50).max(5_000),
    /** The jobs' challenge window, chain seconds. */
    challengeWindow: positive,
    /** The cheater commits a progress root every this many checkpoints (0: never). */
    progressEvery: z.number().int().min(0),
    /** Also run job C, an honest float32 (tolerance) job. */
    tolerance: z.boolean(),
    /** Gives up waiting for the jobs to settle after this many wall milliseconds. */
    timeoutMs: positive,
    /** Keep the daemons' logs and config files after the run (they are removed otherwise). */
    keepLogs: z.boolean(),
    daemonLogLevel: z.enum(["error", "warn", "info", "debug"]),
  })
  .superRefine((c, ctx) => {
    const issue = (message: string): void => ctx.addIssue({ code: "custom", message });
    if (c.totalSteps % c.checkpointInterval !== 0)
      issue(`checkpointInterval ${c.checkpointInterval} must divide totalSteps ${c.totalSteps}`);
    const n = c.totalSteps / c.checkpointInterval;
    if (c.samples + c.topQ > n) issue(`samples + topQ must not exceed the ${n} segments`);
    if (c.cheatFromStep >= c.totalSteps)
      issue(`cheatFromStep ${c.cheatFromStep} must be below totalSteps ${c.totalSteps}`);
    if (Math.floor(c.committeeSize / 2) + 1 > c.referees)
      issue(`a committee of ${c.committeeSize} needs at least a majority of referees`);
  });
export type DaemonsDemoConfig = z.input<typeof DaemonsDemoConfigSchema>;

/** What `npm run demo` runs: MNIST, a 784-64-10 MLP, T = 400, k = 20 (n = 20 segments). */
export const DAEMONS_DEMO_DEFAULTS: DaemonsDemoConfig = {
  data: "mnist",
  hidden: [64],
  batchSize: 64,
  totalSteps: 400,
  checkpointInterval: 20,
  samples: 4,
  topQ: 1,
  committeeSize: 3,
  // Mid-segment 13 of 20: segments 13..20 do not reproduce (f = 8/20).
  cheatFromStep: 247,
  // Seats are drawn by stake among the verifiers other than the parties (the challenger's weight
  // is cut out): 4 equal referees fill every seat, a referee sometimes holding two.
  referees: 4,
  speed: 30,
  tickMs: 250,
  challengeWindow: 600,
  progressEvery: 5,
  tolerance: true,
  timeoutMs: 150_000,
  keepLogs: true,
  daemonLogLevel: "info",
};

export interface DaemonsDemoEnvironment {
  /** Receives every progress line. */
  log?: (line: string) => void;
  /** Aborting it (Ctrl-C) stops the run; everything started is still shut down. */
  signal?: AbortSignal;
}

export interface DaemonsDemoReport {
  jobs: DaemonJobRow[];
  gas: GasEntry[];
  /** Segments the cheat changed, n, q, and the chance that the q samples alone hit one. */
  detection: { failing: number; segments: number; q: number; sampled: number; bound: number };
  /** Where the daemons' logs are (removed after the run unless keepLogs). */
  logDir: string;
  daemons: { name: string; pid: number; logFile: string }[];
  timings: { setupMs: number; jobsMs: number; totalMs: number };
}

const UNIT = 10n ** 18n;
const PROVIDER_ROLE = 1;
const VERIFIER_ROLE = 2;
const HONEST_TERMS: JobTerms = {
  amount: 100n * UNIT,
  collateral: 200n * UNIT,
  verificationBps: 1_000,
};
/** The cheater's job pays more and locks more: only the cheater's filter takes it. */
const CHEAT_TERMS: JobTerms = {
  amount: 150n * UNIT,
  collateral: 300n * UNIT,
  verificationBps: 1_000,
};
const SPEC_SEED: Hex = keccak256(toHex("assay demo: the protocol's data order"));
const CHEAT_SEED: Hex = keccak256(toHex("assay demo: the cheater's own data order"));
const OPTIMIZER = { kind: "sgd", learningRate: 0.1, momentum: 0.9 } as const;

interface DemoData {
  train: SampleSet;
  test: SampleSet;
  shardSize: number;
  description: string;
}

function loadData(kind: "mnist" | "synthetic"): DemoData {
  if (kind === "mnist") {
    const { train, test } = loadMnist();
    return {
      train,
      test,
      shardSize: 2000,
      description: `MNIST, ${train.count} training digits, ${test.count} held out`,
    };
  }
  const all = syntheticSamples({ seed: "assay-demo", count: 640, featureCount: 20, classCount: 5 });
  const slice = (from: number, to: number): SampleSet => ({
    ...all,
    count: to - from,
    features: all.features.slice(from * all.featureCount, to * all.featureCount),
    labels: all.labels.slice(from, to),
  });
  return {
    train: slice(0, 512),
    test: slice(512, 640),
    shardSize: 128,
    description: "synthetic, 512 training samples, 128 held out",
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function short(hex: string): string {
  return `${hex.slice(0, 8)}…`;
}

async function deleteKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

async function lastLogLine(file: string): Promise<string> {
  try {
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    const last = lines.at(-1) ?? "";
    if (last === "") return "nothing in its log yet";
    // pino lines are JSON: show the message.
    try {
      const parsed = JSON.parse(last) as { msg?: unknown; err?: { message?: unknown } };
      const msg = typeof parsed.msg === "string" ? parsed.msg : last;
      return typeof parsed.err?.message === "string" ? `${msg}: ${parsed.err.message}` : msg;
    } catch {
      return last;
    }
  } catch {
    return "(no log)";
  }
}

/** One spawned daemon and its part in the demo. */
interface Party {
  name: string;
  kind: DaemonKind;
  address: Address;
  process: DaemonProcess;
  exitCode?: number | null;
}

export async function runDaemonsDemo(
  env: DaemonsDemoEnvironment,
  input: DaemonsDemoConfig,
): Promise<DaemonsDemoReport> {
  const parsed = DaemonsDemoConfigSchema.safeParse(input);
  if (!parsed.success)
    throw new DemoError(`invalid demo configuration:\n${z.prettifyError(parsed.error)}`);
  const config = parsed.data;
  const started = performance.now();
  const log = env.log ?? ((): void => {});
  const say = (line: string): void => log(`  ${line}`);
  const section = (title: string): void => log(`\n== ${title}`);
  const checkAbort = (): void => {
    if (env.signal?.aborted === true) throw new DemoError("interrupted");
  };

  const cleanup: [string, () => Promise<unknown>][] = [];
  const parties: Party[] = [];
  let stopping = false;
  const logDir = await mkdtemp(path.join(tmpdir(), "assay-demo-logs-"));
  if (!config.keepLogs) cleanup.push(["remove logs", () => rm(logDir, { recursive: true })]);

  try {
    section("Setup: devnet, contracts, store, Redis, daemons");
    const data = loadData(config.data);
    const layers = [data.train.featureCount, ...config.hidden, data.train.classCount];
    const devnet: Devnet = await startDevnet({
      speed: config.speed,
      tickMs: config.tickMs,
      log: say,
    });
    cleanup.unshift(["devnet", () => devnet.close()]);
    cleanup.unshift([
      "daemons' Redis keys",
      () => deleteKeys(devnet.redisUrl, `${devnet.redisPrefix}-*`),
    ]);
    checkAbort();
    const { viem } = devnet.connection;
    const wallets = await viem.getWalletClients();
    const publicClient = await viem.getPublicClient();
    const chain: DemoChain = await demoChainOf(devnet);
    const { market, disputeGame, registry, receipts, testToken } = devnet.deployment;
    const { minProviderStake, minVerifierStake, dispute } = devnet.deployment.params;
    const addressOf = (account: number): Address => wallets[account]!.account.address;

    // ---------------------------------------------------------------- who is who
    const names = new Map<string, string>();
    const name = (address: Address | string): string =>
      names.get(address.toLowerCase()) ?? short(address);
    const label = (address: Address | string): string => `${name(address)} (${short(address)})`;
    names.set(addressOf(DEVNET_ACCOUNTS.deployer).toLowerCase(), "deployer/treasury");
    const submitter = actorOf("submitter", wallets[DEVNET_ACCOUNTS.submitter]!);
    names.set(submitter.address.toLowerCase(), "submitter");

    const honestAccount = DEVNET_ACCOUNTS.providers[0];
    const cheatAccount = DEVNET_ACCOUNTS.providers[1];
    const auditorAccount = DEVNET_ACCOUNTS.verifiers[0];
    const refereeAccounts = DEVNET_ACCOUNTS.verifiers.slice(1, 1 + config.referees);
    const host = { ...devnet, dir: logDir };
    const dataDir = (n: string): string => path.join(devnet.dir, `${n}-data`);
    const common = (account: number, n: string): ReturnType<typeof daemonConfig> => ({
      ...daemonConfig(devnet, {
        account,
        name: n,
        dataDir: dataDir(n),
        pollIntervalMs: 250,
        logLevel: config.daemonLogLevel,
      }),
    });
    const n = config.totalSteps / config.checkpointInterval;

    const plans: { name: string; kind: DaemonKind; account: number; config: object }[] = [
      {
        name: "provider-honest",
        kind: "worker",
        account: honestAccount,
        config: {
          ...common(honestAccount, "provider-honest"),
          worker: {
            stake: minProviderStake.toString(),
            filters: { maxCollateral: HONEST_TERMS.collateral.toString() },
            progressEvery: config.progressEvery,
            maxConcurrentJobs: 2,
          },
        },
      },
      {
        name: "provider-cheat",
        kind: "worker",
        account: cheatAccount,
        config: {
          ...common(cheatAccount, "provider-cheat"),
          worker: {
            stake: minProviderStake.toString(),
            filters: { numerics: ["exact"], minAmount: CHEAT_TERMS.amount.toString() },
            progressEvery: config.progressEvery,
            cheat: { kind: "wrong-data-order", fromStep: config.cheatFromStep, seed: CHEAT_SEED },
          },
        },
      },
      {
        name: "verifier",
        kind: "verifier",
        account: auditorAccount,
        config: {
          ...common(auditorAccount, "verifier"),
          redisPrefix: `${devnet.redisPrefix}-verifier`,
          verifier: { audit: "all", referee: true, keeper: true, backoffMs: 200 },
        },
      },
      ...refereeAccounts.map((account, i) => ({
        name: `referee-${i + 1}`,
        kind: "verifier" as const,
        account,
        config: {
          ...common(account, `referee-${i + 1}`),
          redisPrefix: `${devnet.redisPrefix}-referee-${i + 1}`,
          // One keeper is enough; more would race each other for the same deadlines.
          verifier: { audit: "none", referee: true, keeper: false, backoffMs: 200 },
        },
      })),
    ];

    // Tokens for the stakes (and the auditor's challenge bonds); the daemons stake themselves.
    for (const plan of plans) {
      const address = addressOf(plan.account);
      names.set(address.toLowerCase(), plan.name);
      const tokens =
        plan.kind === "worker"
          ? minProviderStake
          : minVerifierStake + (plan.account === auditorAccount ? 2n * dispute.challengeBond : 0n);
      await devnet.fund(address, tokens);
    }
    say(
      `funded ${plans.length} daemon accounts: providers ${formatTokens(minProviderStake)} tokens each (the minimum stake), verifiers ${formatTokens(minVerifierStake)} (+ bonds for the auditor)`,
    );

    cleanup.unshift([
      "daemons",
      async () => {
        stopping = true;
        await Promise.all(
          parties.map(async (p) => {
            const force = setTimeout(() => void p.process.kill("SIGKILL"), 5_000);
            try {
              await p.process.kill("SIGTERM");
            } finally {
              clearTimeout(force);
            }
          }),
        );
      },
    ]);
    for (const plan of plans) {
      checkAbort();
      const proc = await spawnDaemon(plan.kind, plan.name, plan.config, host);
      const party: Party = {
        name: plan.name,
        kind: plan.kind,
        address: addressOf(plan.account),
        process: proc,
      };
      parties.push(party);
      void proc.exited.then(
        (code) => {
          party.exitCode = code;
        },
        () => {
          party.exitCode = -1;
        },
      );
    }
    say(`daemon logs (tail -f them while it runs): ${logDir}/`);
    for (const p of parties)
      say(
        `  ${p.name.padEnd(16)} ${p.kind === "worker" ? "node worker/main.ts  " : "node verifier/main.ts"} pid ${String(p.process.pid).padEnd(7)} ${path.basename(p.process.logFile)}`,
      );
    const assertAlive = async (): Promise<void> => {
      checkAbort();
      if (stopping) return;
      for (const p of parties)
        if (p.exitCode !== undefined)
          throw new DemoError(
            `${p.name} ${p.exitCode === null ? "was killed by a signal" : `exited with code ${p.exitCode}`} (${await lastLogLine(p.process.logFile)}); see ${p.process.logFile}`,
          );
    };

    // ---------------------------------------------------------------- event watcher
    const jobLabels = new Map<bigint, string>();
    const jobOf = (jobId: bigint): string => `job ${jobLabels.get(jobId) ?? `#${jobId}`}`;
    const providers = new Map<bigint, Address>();
    const providerOf = (jobId: bigint): string => {
      const p = providers.get(jobId);
      return p === undefined ? "the provider" : label(p);
    };
    const disputes = new Map<bigint, { jobId: bigint; segment: number; challenger: Address }>();
    const allLogs: Log[] = [];
    let cursor = (await publicClient.getBlockNumber()) + 1n;
    const rounds = new Map<bigint, number>();
    const k = config.checkpointInterval;

    const describeMarket = (logs: Log[]): void => {
      for (const e of parseEventLogs({ abi: market.abi, logs })) {
        switch (e.eventName) {
          case "JobAccepted":
            providers.set(e.args.jobId, e.args.provider);
            say(`${jobOf(e.args.jobId)}: ${label(e.args.provider)} accepted, collateral locked`);
            break;
          case "ProgressCommitted":
            say(
              `${jobOf(e.args.jobId)}: ${providerOf(e.args.jobId)} committed checkpoint ${e.args.checkpoints}/${n} (partial root ${short(e.args.partialRoot)})`,
            );
            break;
          case "TraceSubmitted":
            say(
              `${jobOf(e.args.jobId)}: ${providerOf(e.args.jobId)} submitted its trace — root ${short(e.args.traceRoot)} over ${n} checkpoints, model ${short(e.args.finalDigest)}`,
            );
            break;
          case "SamplesOpened":
            say(
              `${jobOf(e.args.jobId)}: samples opened (seed ${short(e.args.seed)}, top-Q ${e.args.topIndices.join(",") || "-"}); challenge window open`,
            );
            break;
          case "JobFinalized":
            say(
              `${jobOf(e.args.jobId)}: finalized — provider paid ${formatTokens(e.args.providerPayment)}, ${formatTokens(e.args.budgetRefund)} of the verification budget back to the submitter`,
            );
            break;
          case "JobExpired":
            say(`${jobOf(e.args.jobId)}: expired, ${formatTokens(e.args.slashed)} slashed`);
            break;
          case "JobSlashed":
            say(`${jobOf(e.args.jobId)}: job ends Slashed; the payment goes back to the submitter`);
            break;
          default:
            break;
        }
      }
    };
    const describeGame = (logs: Log[]): void => {
      for (const e of parseEventLogs({ abi: disputeGame.abi, logs })) {
        switch (e.eventName) {
          case "ChallengeCommitted":
            say(`${label(e.args.challenger)} committed a challenge (sealed until its reveal)`);
            break;
          case "DisputeOpened": {
            const segment = Number(e.args.segment);
            disputes.set(e.args.disputeId, {
              jobId: e.args.jobId,
              segment,
              challenger: e.args.challenger,
            });
            say(
              `${jobOf(e.args.jobId)}: ${label(e.args.challenger)} challenged segment ${segment} (steps ${(segment - 1) * k}..${segment * k - 1}), bond ${formatTokens(e.args.bond)} — dispute ${e.args.disputeId}`,
            );
            break;
          }
          case "PointsPosted": {
            const d = disputes.get(e.args.disputeId);
            const r = (rounds.get(e.args.disputeId) ?? 0) + 1;
            rounds.set(e.args.disputeId, r);
            say(
              `${d ? jobOf(d.jobId) : "dispute"}: round ${r}, the provider posted the digests of ${e.args.digests.length} of its states inside the range`,
            );
            break;
          }
          case "RangeNarrowed": {
            const d = disputes.get(e.args.disputeId);
            const base = d ? (d.segment - 1) * k : 0;
            const lo = Number(e.args.lo);
            const hi = Number(e.args.hi);
            say(
              hi - lo === 1
                ? `${d ? jobOf(d.jobId) : "dispute"}: dissection narrowed to step ${base + lo} (state ${base + lo} agreed, state ${base + hi} disputed)`
                : `${d ? jobOf(d.jobId) : "dispute"}: dissection narrowed to steps ${base + lo}..${base + hi - 1}`,
            );
            break;
          }
          case "ReadyForCommittee":
            say(
              `dispute ${e.args.disputeId}: one step left; waiting for the committee's random block`,
            );
            break;
          case "CommitteeDrawn":
            say(
              `dispute ${e.args.disputeId}: committee (round ${e.args.round}) drew ${e.args.members.length} seats: ${e.args.members.map(name).join(", ")}`,
            );
            break;
          case "CommitteeShort":
            say(
              `dispute ${e.args.disputeId}: round ${e.args.round} filled ${e.args.found} of ${e.args.seats} seats; drawing again`,
            );
            break;
          case "NoMajority":
            say(
              `dispute ${e.args.disputeId}: round ${e.args.round} reached no majority; drawing again`,
            );
            break;
          case "VoteCommitted":
            say(`dispute ${e.args.disputeId}: ${name(e.args.referee)} committed its vote`);
            break;
          case "VoteRevealed": {
            const vote = Object.entries(VOTE).find(([, v]) => v === e.args.vote)?.[0] ?? "?";
            say(`dispute ${e.args.disputeId}: ${name(e.args.referee)} revealed its vote: ${vote}`);
            break;
          }
          case "DisputeResolved":
            say(
              `dispute ${e.args.disputeId}: resolved ${outcomeName(e.args.outcome)}${e.args.byTimeout ? " (by timeout)" : ""}`,
            );
            break;
          case "RefereePenalized":
            say(
              `dispute ${e.args.disputeId}: ${name(e.args.referee)} penalized ${formatTokens(e.args.amount)}`,
            );
            break;
          default:
            break;
        }
      }
    };
    const describeReceipts = (logs: Log[]): void => {
      for (const e of parseEventLogs({ abi: receipts.abi, logs })) {
        if (e.eventName === "ReceiptCommitted")
          say(`job #${e.args.jobId}: ${label(e.args.verifier)} committed a receipt`);
        else if (e.eventName === "ProbesPublished")
          say(
            `job #${e.args.jobId}: the provider published its probe digests at steps ${e.args.steps.join(", ")} of segments ${e.args.segments.join(", ")}`,
          );
        else if (e.eventName === "ReceiptMatched")
          say(`job #${e.args.jobId}: ${label(e.args.verifier)}'s receipt matches every probe`);
        else if (e.eventName === "ReceiptPaid")
          say(
            `job #${e.args.jobId}: ${label(e.args.verifier)} paid ${formatTokens(e.args.amount)} for verifying`,
          );
      }
    };
    const describeRegistry = (logs: Log[]): void => {
      for (const e of parseEventLogs({ abi: registry.abi, logs })) {
        const roleName = (r: number): string => (r === PROVIDER_ROLE ? "provider" : "verifier");
        if (e.eventName === "Staked")
          say(
            `${label(e.args.account)} staked ${formatTokens(e.args.amount)} as ${roleName(e.args.role)}`,
          );
        else if (e.eventName === "Slashed")
          say(
            `${label(e.args.account)} slashed ${formatTokens(e.args.amount)} of its ${roleName(e.args.role)} stake`,
          );
        else if (e.eventName === "Ejected")
          say(
            `${label(e.args.account)} ejected: its ${roleName(e.args.role)} stake is below the minimum`,
          );
      }
    };
    const poll = async (): Promise<void> => {
      const latest = await publicClient.getBlockNumber();
      if (latest < cursor) return;
      const logs = await publicClient.getLogs({
        address: [market.address, disputeGame.address, registry.address, receipts.address],
        fromBlock: cursor,
        toBlock: latest,
      });
      cursor = latest + 1n;
      allLogs.push(...logs);
      // One block's events in the order they happened: registry, market and game logs interleave.
      for (const l of logs) {
        const a = l.address.toLowerCase();
        if (a === market.address.toLowerCase()) describeMarket([l]);
        else if (a === disputeGame.address.toLowerCase()) describeGame([l]);
        else if (a === receipts.address.toLowerCase()) describeReceipts([l]);
        else describeRegistry([l]);
      }
    };

    // ---------------------------------------------------------------- stakes
    const stakeOf = async (p: Party): Promise<bigint> => {
      const role = p.kind === "worker" ? PROVIDER_ROLE : VERIFIER_ROLE;
      const [free, locked] = await registry.read.accountOf([p.address, role]);
      return free + locked;
    };
    const stakeDeadline = Date.now() + 60_000;
    for (;;) {
      await assertAlive();
      await poll();
      const stakes = await Promise.all(parties.map(stakeOf));
      const missing = parties.filter(
        (p, i) => stakes[i]! < (p.kind === "worker" ? minProviderStake : minVerifierStake),
      );
      if (missing.length === 0) break;
      if (Date.now() > stakeDeadline)
        throw new DemoError(
          `${missing.map((p) => p.name).join(", ")} did not stake within 60 s; see their logs in ${logDir}`,
        );
      await sleep(250);
    }
    const setupMs = performance.now() - started;

    // ---------------------------------------------------------------- the submitter's jobs
    section("Jobs: the submitter publishes specs and posts jobs; the daemons take it from there");
    const store = new HttpBlobStore({ url: devnet.storeUrl });
    const rest = {
      version: JOB_SPEC_VERSION,
      seed: SPEC_SEED,
      totalSteps: config.totalSteps,
      checkpointInterval: config.checkpointInterval,
      verification: {
        samples: config.samples,
        topQ: config.topQ,
        committeeSize: config.committeeSize,
      },
      windows: {
        accept: 3600,
        train: 6 * 3600,
        open: 3600,
        challenge: config.challengeWindow,
      },
    };
    const publish = (numerics: "exact" | "tolerance"): Promise<PublishedSpec> =>
      publishSpec(store, {
        numerics,
        layers,
        batchSize: config.batchSize,
        optimizer: OPTIMIZER,
        samples: data.train,
        shardSize: data.shardSize,
        initSeed: "assay-demo",
        rest,
      });
    const exact = await publish("exact");
    say(
      `submitter published the exact spec ${short(exact.specCid)}: MLP ${layers.join("-")} (${(exact.programBytes / 1024).toFixed(0)} KiB ONNX train step), ${exact.spec.dataset.shards.length} shards (${data.description}); T = ${config.totalSteps}, k = ${k}, q = ${config.samples}, Q = ${config.topQ}, m = ${config.committeeSize}`,
    );
    await devnet.fund(submitter.address, 3n * CHEAT_TERMS.amount);
    const approve = await testToken!.write.approve([market.address, maxUint256], {
      account: submitter.wallet.account,
    });
    await publicClient.waitForTransactionReceipt({ hash: approve });

    const posted: { label: string; jobId: bigint; numerics: "exact" | "tolerance" }[] = [];
    const post = async (
      jobLabel: string,
      spec: PublishedSpec,
      terms: JobTerms,
      why: string,
    ): Promise<void> => {
      checkAbort();
      const jobId = await postJob(chain, submitter, spec.spec, terms);
      jobLabels.set(jobId, jobLabel);
      posted.push({ label: jobLabel, jobId, numerics: spec.spec.numerics });
      say(
        `job ${jobLabel} (#${jobId}): ${spec.spec.numerics}, escrow ${formatTokens(terms.amount)}, collateral ${formatTokens(terms.collateral)} — ${why}`,
      );
    };
    const jobsStarted = performance.now();
    await post("A", exact, HONEST_TERMS, "for the honest provider (its filter: collateral ≤ 200)");
    await post("B", exact, CHEAT_TERMS, "for the cheater (its filter: exact, amount ≥ 150)");
    if (config.tolerance) {
      const float = await publish("tolerance");
      const calibration = float.spec.tolerance?.calibration;
      await post(
        "C",
        float,
        HONEST_TERMS,
        `float32, whole state per element within thresholds calibrated over ${calibration?.settings.length ?? 0} runtime settings (largest honest difference ${calibration?.maxHonestDifference.toPrecision(2) ?? "?"}, ×${calibration?.safetyFactor ?? "?"}); the cheater takes exact jobs only`,
      );
    }
    const failing = fabricatedSegments(config.cheatFromStep, config.totalSteps, k);
    const detection = {
      failing: failing.length,
      segments: n,
      q: config.samples,
      sampled: sampleDetectionProbability(n, failing.length, config.samples),
      bound: detectionProbability(failing.length / n, config.samples),
    };
    say(
      `the cheater trains on its own data order from step ${config.cheatFromStep}: segments ${failing[0]}..${failing.at(-1)} do not reproduce (f = ${failing.length}/${n}). ` +
        `The q = ${config.samples} sampled segments alone catch that with probability 1 − (1 − f)^q = ${(100 * detection.bound).toFixed(1)}% ` +
        `(${(100 * detection.sampled).toFixed(1)}% drawn without replacement); the demo's verifier audits every segment, so it catches it on every run`,
    );

    // ---------------------------------------------------------------- watch until settled
    section("Progress (from chain events)");
    const deadline = Date.now() + config.timeoutMs;
    const statuses = new Map<bigint, JobStatusName>();
    for (;;) {
      await assertAlive();
      await poll();
      for (const job of posted)
        statuses.set(job.jobId, statusName((await readJob(chain, job.jobId)).status));
      if (posted.every((j) => isFinalJobStatus(statuses.get(j.jobId)!))) break;
      if (Date.now() > deadline)
        throw new DemoError(
          `the jobs did not settle within ${config.timeoutMs / 1000} s (${posted.map((j) => `${j.label} ${statuses.get(j.jobId)}`).join(", ")}); daemon logs in ${logDir}`,
        );
      await sleep(300);
    }
    // The daemons pull their credits on their next polls; the submitter pulls its own.
    if ((await market.read.creditOf([submitter.address])) > 0n) {
      const hash = await market.write.claimCredit({ account: submitter.wallet.account });
      await publicClient.waitForTransactionReceipt({ hash });
    }
    const claimDeadline = Date.now() + 10_000;
    while (Date.now() < claimDeadline) {
      await assertAlive();
      const owed = await Promise.all(
        parties.flatMap((p) => [
          market.read.creditOf([p.address]),
          disputeGame.read.creditOf([p.address]),
          ...posted.map((job) => receipts.read.claimable([job.jobId, p.address])),
        ]),
      );
      if (owed.every((c) => c === 0n)) break;
      await sleep(300);
    }
    await poll();
    const jobsMs = performance.now() - jobsStarted;

    // ---------------------------------------------------------------- the outcome
    section("Outcome");
    say(
      "reading verdicts, payouts and gas from the chain; evaluating each final model on held-out data",
    );
    const marketLogs = parseEventLogs({
      abi: market.abi,
      logs: allLogs.filter((l) => l.address.toLowerCase() === market.address.toLowerCase()),
    });
    const gameLogs = parseEventLogs({
      abi: disputeGame.abi,
      logs: allLogs.filter((l) => l.address.toLowerCase() === disputeGame.address.toLowerCase()),
    });
    const receiptLogs = parseEventLogs({
      abi: receipts.abi,
      logs: allLogs.filter((l) => l.address.toLowerCase() === receipts.address.toLowerCase()),
    });
    const registryLogs = parseEventLogs({
      abi: registry.abi,
      logs: allLogs.filter((l) => l.address.toLowerCase() === registry.address.toLowerCase()),
    });
    const treasury = devnet.deployment.treasury.toLowerCase();
    const rows: DaemonJobRow[] = [];
    for (const job of posted) {
      const onchain = await readJob(chain, job.jobId);
      const provider = onchain.provider.toLowerCase();
      const jobDisputes = [...disputes.entries()].filter(([, d]) => d.jobId === job.jobId);
      const challengers = new Set(jobDisputes.map(([, d]) => d.challenger.toLowerCase()));
      const roleOf = (account: string): PayeeRole => {
        const a = account.toLowerCase();
        if (a === provider) return "provider";
        if (a === submitter.address.toLowerCase()) return "submitter";
        if (challengers.has(a)) return "challenger";
        if (a === treasury) return "treasury";
        return "referee";
      };
      const payouts: Payout[] = marketLogs
        .filter((e) => e.eventName === "Credited" && e.args.ref === job.jobId)
        .map((e) => {
          const account = (e.args as { account: Address }).account;
          return {
            actor: name(account),
            role: roleOf(account),
            amount: (e.args as { amount: bigint }).amount,
            from: "JobMarket" as const,
          };
        });
      // DisputeGame credits name their dispute (ref), not the job: the settlement is the credits of
      // the transactions that resolved this job's disputes.
      const resolvedTxs = new Set(
        gameLogs
          .filter((e) => e.eventName === "DisputeResolved" && e.args.jobId === job.jobId)
          .map((e) => e.transactionHash),
      );
      const settleTxs = new Set([
        ...resolvedTxs,
        ...marketLogs
          .filter(
            (e) =>
              (e.eventName === "JobExpired" || e.eventName === "JobSlashed") &&
              e.args.jobId === job.jobId,
          )
          .map((e) => e.transactionHash),
      ]);
      for (const e of gameLogs)
        if (e.eventName === "Credited" && resolvedTxs.has(e.transactionHash))
          payouts.push({
            actor: name(e.args.account),
            role: roleOf(e.args.account),
            amount: e.args.amount,
            from: "DisputeGame",
          });
      // Paid verification: each matching receipt's share of the budget, as claimed.
      for (const e of receiptLogs)
        if (e.eventName === "ReceiptPaid" && e.args.jobId === job.jobId)
          payouts.push({
            actor: name(e.args.verifier),
            role: "verifier",
            amount: e.args.amount,
            from: "Receipts",
          });
      const slashed = registryLogs
        .filter(
          (e) =>
            e.eventName === "Slashed" &&
            settleTxs.has(e.transactionHash) &&
            e.args.account.toLowerCase() === provider,
        )
        .reduce((sum, e) => sum + (e.args as { amount: bigint }).amount, 0n);
      const status = statusName(onchain.status);
      let verdict = status === "Finalized" ? "no dispute, paid" : status;
      for (const [disputeId] of jobDisputes) {
        const d = await disputeGame.read.getDispute([disputeId]);
        const ready = gameLogs.find(
          (e) => e.eventName === "ReadyForCommittee" && e.args.disputeId === disputeId,
        );
        const seg = disputes.get(disputeId)!.segment;
        const step =
          ready?.eventName === "ReadyForCommittee"
            ? ` at step ${(seg - 1) * k + Number(ready.args.step) - 1}`
            : "";
        verdict = `${outcomeName(d.outcome)}${step}`;
      }
      let accuracy: number | undefined;
      if (/^0x0+$/.test(onchain.finalDigest) === false) {
        const fetched = await fetchJob(chain, store, job.jobId);
        const info = fetched.loaded.job.program.info;
        const state = await getState(store, cidFromDigest(onchain.finalDigest), info);
        accuracy = (await evaluateAccuracy(info, state, data.test)).accuracy;
      }
      rows.push({
        label: job.label,
        jobId: job.jobId,
        provider: name(onchain.provider),
        numerics: job.numerics,
        status,
        verdict,
        payouts,
        slashed,
        ...(accuracy === undefined ? {} : { accuracy }),
      });
    }

    // Gas of every transaction on the devnet (deployment included), by sender and function.
    const gas = await gasByActor(chain, name);
    const report: DaemonsDemoReport = {
      jobs: rows,
      gas,
      detection,
      logDir,
      daemons: parties.map((p) => ({
        name: p.name,
        pid: p.process.pid,
        logFile: p.process.logFile,
      })),
      timings: { setupMs, jobsMs, totalMs: 0 },
    };
    report.timings.totalMs = performance.now() - started;
    return report;
  } finally {
    stopping = true;
    for (const [what, step] of cleanup) {
      try {
        await step();
      } catch (error) {
        // After Ctrl-C the terminal's SIGINT has also reached a redis-server the devnet started,
        // so deleting keys from it fails; nothing is left behind then, and nothing worth saying.
        if (env.signal?.aborted !== true) log(`  cleanup: ${what} failed: ${oneLine(error)}`);
      }
    }
  }
}

/** Sums gasUsed of every transaction mined on the devnet by sender name and function name. */
async function gasByActor(
  chain: DemoChain,
  nameOf: (address: Address) => string,
): Promise<GasEntry[]> {
  const d = chain.deployment;
  const contracts: [Address, Abi][] = [
    [d.market.address, d.market.abi],
    [d.disputeGame.address, d.disputeGame.abi],
    [d.registry.address, d.registry.abi],
    [d.fraudProofs.address, d.fraudProofs.abi],
    [d.receipts.address, d.receipts.abi],
    ...(d.testToken ? ([[d.testToken.address, d.testToken.abi]] as [Address, Abi][]) : []),
  ];
  const abiOf = new Map(contracts.map(([a, abi]) => [a.toLowerCase(), abi]));
  const latest = await chain.publicClient.getBlockNumber();
  const entries = new Map<string, GasEntry>();
  const CHUNK = 50n;
  for (let from = 0n; from <= latest; from += CHUNK) {
    const numbers: bigint[] = [];
    for (let b = from; b < from + CHUNK && b <= latest; b++) numbers.push(b);
    const blocks = await Promise.all(
      numbers.map((blockNumber) =>
        chain.publicClient.getBlock({ blockNumber, includeTransactions: true }),
      ),
    );
    const txs = blocks.flatMap((b) => b.transactions);
    const receipts = await Promise.all(
      txs.map((tx) => chain.publicClient.getTransactionReceipt({ hash: tx.hash })),
    );
    txs.forEach((tx, i) => {
      let action = "deploy";
      if (tx.to !== null) {
        const abi = abiOf.get(tx.to.toLowerCase());
        action = tx.input.slice(0, 10);
        if (abi !== undefined) {
          try {
            action = decodeFunctionData({ abi, data: tx.input }).functionName;
          } catch {
            // an unknown selector: keep it
          }
        }
      }
      const actor = nameOf(tx.from);
      // A keeper that lost a race to the same deadline pays for a revert: shown, not hidden.
      if (receipts[i]!.status !== "success") action += " (reverted)";
      const key = `${actor}/${action}`;
      const entry = entries.get(key) ?? { actor, action, calls: 0, gas: 0n };
      entry.calls += 1;
      entry.gas += receipts[i]!.gasUsed;
      entries.set(key, entry);
    });
  }
  return [...entries.values()];
}
