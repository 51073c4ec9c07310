// The verifier's scale-out, measured (part of npm run bench:e2e; `ASSAY_E2E_PARTS=scaling` runs it
// alone and updates bench-results/e2e.json in place). On a devnet of its own:
//
//  0. The machine's ceiling: the bare step loop of the same model (scripts/step-loop.ts; no chain,
//     store, queue or journal) in two processes at once against one, alternating rounds. Two
//     processes of this work share what two cores give them (caches, memory, the host's clock),
//     so 1 and 2 worker processes of the verifier can be compared with what the hardware allows.
//  1. Re-execution throughput behind one coordinator: jobs of S segments (synthetic data, exact
//     MLP 64-256-256-10, batch 32, k = 1000 steps per segment) are audited in full by a coordinator
//     (`role: coordinator`) whose tasks run in two worker processes (`verifier/main.ts --role
//     worker`), warmed up on a small job first (as long-running workers are). Rounds alternate one
//     worker busy at a time (BullMQ global concurrency 1) and both. Tasks per second are read off
//     BullMQ's own task timestamps (first task started → last task finished), so the coordinator's
//     polling does not count. The ratio is the figure (target ≥ 1.7 on a 2-core machine).
//  2. Audit latency while the keeper is busy: a coordinator with its in-process worker (`role:
//     all`) and keeper audits a small job (4 segments) from SamplesOpened to its decision, once with
//     nothing to keep and once while its keeper expires KEEPER_JOBS jobs nobody accepted (one
//     transaction each, waiting for its block). The keeper runs on a loop of its own: the second
//     latency should be about the first.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { hostname } from "node:os";

import { keccak256, maxUint256, toHex, type Address } from "viem";

import { syntheticSamples } from "../src/data/synthetic.ts";
import { actorOf, send, type Actor, type DemoChain, demoChainOf } from "../src/demo/chain.ts";
import { fetchJob } from "../src/demo/jobs.ts";
import {
  acceptJob,
  openSamples,
  submitTrace,
  trainHonestly,
  type ProviderRun,
} from "../src/demo/provider.ts";
import { postJob, publishSpec, type PublishedSpec } from "../src/demo/submitter.ts";
import {
  daemonConfig,
  spawnDaemon,
  startDevnet,
  type DaemonProcess,
  type Devnet,
} from "../src/devnet/index.ts";
import { canonicalJobSpecBytes } from "../src/protocol/job-spec.ts";
import { HttpBlobStore } from "../src/store/http-client.ts";
import { VerifierConfigSchema, type VerifierSection } from "../verifier/config.ts";
import { openVerifierDaemon, type VerifierDaemon } from "../verifier/daemon.ts";
import type { VerifierEvent } from "../verifier/events.ts";
import { taskId } from "../verifier/tasks.ts";
import { readLog, round, until } from "./bench-util.ts";

const UNIT = 10n ** 18n;
const TERMS = { amount: 100n * UNIT, collateral: 200n * UNIT, verificationBps: 0 };
const ACCOUNTS = { submitter: 1, provider: 13, scaling: 14, latency: 15 } as const;
const SCALE = { segments: 16, k: 1000 } as const;
/** Measured rounds, each one job with one worker busy and one with two. */
const ROUNDS = 3;
const LATENCY = { segments: 4, k: 100 } as const;
const KEEPER_JOBS = 200;
const MODEL = { layers: [64, 256, 256, 10], batchSize: 32 } as const;

export interface VerifierScalingReport {
  tasksPerSecond: { oneWorker: number; twoWorkers: number };
  /**
   * What the machine allows: the bare step loop (scripts/step-loop.ts, the same model, no chain,
   * store or queue) in two processes at once against one, steps per second pooled over rounds.
   */
  ceiling: { ratio: number; roundRatios: number[]; stepsPerSecond: { one: number; two: number } };
  /** Pooled over the rounds: all tasks over all seconds, two workers against one. */
  ratio: number;
  /** Each round's own ratio (the machine's drift shows here). */
  roundRatios: number[];
  auditLatencySeconds: { keeperIdle: number; keeperBusy: number };
  latencyRatio: number;
  details: Record<string, unknown>;
}

type Log = (line: string) => void;
interface Setup {
  devnet: Devnet;
  chain: DemoChain;
  store: HttpBlobStore;
  submitter: Actor;
  provider: Actor;
  addressOf(account: number): Address;
}

/** A job posted, accepted and trained: submitting and opening it starts its audit. */
interface Prepared {
  jobId: bigint;
  run: ProviderRun;
  topQ: number;
}

async function publish(
  s: Setup,
  shape: { segments: number; k: number },
  name: string,
): Promise<PublishedSpec> {
  return publishSpec(s.store, {
    numerics: "exact",
    layers: MODEL.layers,
    batchSize: MODEL.batchSize,
    optimizer: { kind: "sgd", learningRate: 0.05, momentum: 0.9 },
    samples: syntheticSamples({
      seed: "assay bench scaling",
      count: 2048,
      featureCount: 64,
      classCount: 10,
    }),
    shardSize: 512,
    initSeed: "assay bench scaling",
    rest: {
      version: 2,
      seed: keccak256(toHex(`assay bench scaling: ${name}`)),
      totalSteps: shape.segments * shape.k,
      checkpointInterval: shape.k,
      verification: { samples: 2, topQ: 1, committeeSize: 3 },
      windows: { accept: 3600, train: 14400, open: 3600, challenge: 7200 },
    },
  });
}

async function prepare(s: Setup, spec: PublishedSpec): Promise<Prepared> {
  const jobId = await postJob(s.chain, s.submitter, spec.spec, TERMS);
  const job = await fetchJob(s.chain, s.store, jobId);
  await acceptJob(s.chain, s.provider, job);
  const run = await trainHonestly(job.loaded.job, job.loaded.initialState, s.store);
  return { jobId, run, topQ: spec.spec.verification.topQ };
}

async function startCoordinator(
  s: Setup,
  account: number,
  section: Partial<VerifierSection>,
  onEvent: (e: VerifierEvent) => void,
): Promise<VerifierDaemon> {
  await s.devnet.fund(s.addressOf(account), 1_000n * UNIT);
  const config = VerifierConfigSchema.parse({
    ...daemonConfig(s.devnet, { account, name: `verifier-${account}` }),
    redisPrefix: `${s.devnet.redisPrefix}-v${account}`,
    logLevel: "warn",
    verifier: { receipts: false, referee: false, claimCredits: false, ...section },
  });
  const daemon = await openVerifierDaemon(config, { onEvent });
  await daemon.start();
  return daemon;
}

/** Wall time from `open` (the provider's openSamples) to the coordinator's decision on the job. */
async function auditLatency(
  s: Setup,
  job: Prepared,
  events: (VerifierEvent & { at: number })[],
): Promise<Latency> {
  await submitAndOpen(s, job);
  const opened = performance.now();
  const decided = await until("the audit's decision", async () =>
    events.find((e) => e.type === "decided" && e.jobId === job.jobId),
  );
  const timeline = events
    .filter((e) => "jobId" in e && e.jobId === job.jobId && e.at >= opened)
    .map(
      (e) =>
        `${round((e.at - opened) / 1000, 2)} s ${e.type}${"segment" in e ? ` ${e.segment}` : ""}`,
    );
  return {
    seconds: (decided.at - opened) / 1000,
    state: (decided as { state: string }).state,
    timeline,
  };
}

/**
 * Submits the trained job and opens its samples: the submission comes only now because its seed
 * must be read within 256 blocks of it, and preparing several jobs takes longer than that.
 */
async function submitAndOpen(s: Setup, job: Prepared): Promise<void> {
  await submitTrace(s.chain, s.provider, job.run);
  await openSamples(s.chain, s.provider, job.run, job.topQ);
}

/** A devnet with a funded submitter and a staked provider, for one part; closed after `run`. */
async function onDevnet<T>(
  run: (s: Setup, cleanup: (close: () => Promise<unknown>) => void) => Promise<T>,
): Promise<T> {
  const devnet = await startDevnet({ speed: 20, tickMs: 250 });
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const { viem } = devnet.connection;
    const chain: DemoChain = await demoChainOf(devnet);
    const wallets = await viem.getWalletClients();
    const actor = (account: number, name: string): Actor => actorOf(name, wallets[account]!);
    const s: Setup = {
      devnet,
      chain,
      store: new HttpBlobStore({ url: devnet.storeUrl }),
      submitter: actor(ACCOUNTS.submitter, "submitter"),
      provider: actor(ACCOUNTS.provider, "provider"),
      addressOf: (account) => wallets[account]!.account.address,
    };
    const { market, registry, testToken } = devnet.deployment;
    await devnet.fund(s.submitter.address, BigInt(KEEPER_JOBS + 10) * TERMS.amount);
    await send(chain, s.submitter, "approve", () =>
      testToken!.write.approve([market.address, maxUint256], {
        account: s.submitter.wallet.account,
      }),
    );
    await devnet.fund(s.provider.address, 5_000n * UNIT);
    await send(chain, s.provider, "approve", () =>
      testToken!.write.approve([registry.address, maxUint256], {
        account: s.provider.wallet.account,
      }),
    );
    await send(chain, s.provider, "stake", () =>
      registry.write.stake([1, 5_000n * UNIT], { account: s.provider.wallet.account }),
    );
    return await run(s, (close) => cleanups.push(close));
  } finally {
    for (const close of cleanups.reverse()) await close().catch(() => undefined);
    await devnet.close();
  }
}

/** Part 1: re-execution tasks per second behind one coordinator, with one and two workers. */
interface Round {
  tasks: number;
  seconds: number;
  tasksPerSecond: number;
  byWorker: Record<string, number>;
  /** Each task's own time (BullMQ processedOn → finishedOn), median and range. */
  taskSeconds: { median: number; min: number; max: number };
  /**
   * CPU over the round, in cores (CPU seconds per wall second): the two worker processes, this
   * process (chain, store server, coordinator), and the whole machine (anything else on it too).
   */
  cores: { workers: number; benchProcess: number; machine: number };
}

/** CPU seconds a process has used (utime + stime from /proc/<pid>/stat); Linux only. */
function processCpuSeconds(pid: number | "self"): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
}

/** CPU seconds the machine has been busy (all cores: everything but idle and iowait). */
function machineBusySeconds(): number {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1);
  const ticks = cpu.map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return (total - ticks[3]! - ticks[4]!) / 100;
}
interface Throughput {
  tasks: number;
  seconds: number;
  tasksPerSecond: number;
  rounds: Round[];
}

export async function measureThroughput(
  log: Log,
): Promise<{ withOne: Throughput; withTwo: Throughput }> {
  return onDevnet(async (s, cleanup) => {
    const devnet = s.devnet;
    const workers: DaemonProcess[] = [];
    cleanup(async () => {
      for (const w of workers) await w.kill("SIGKILL");
    });
    const jobs: Prepared[] = [];
    log(`scaling: training ${2 * ROUNDS} jobs of ${SCALE.segments} × ${SCALE.k} steps`);
    const scaleSpec = await publish(s, SCALE, "throughput");
    for (let i = 0; i < 2 * ROUNDS; i++) jobs.push(await prepare(s, scaleSpec));
    // A warm-up job (same program and dataset, 4 segments): each worker process compiles its hot
    // code and caches the program and dataset before a measured job, as a long-running one has.
    const warmup = await prepare(s, await publish(s, { segments: 4, k: SCALE.k }, "warm-up"));
    const events: VerifierEvent[] = [];
    const coordinator = await startCoordinator(
      s,
      ACCOUNTS.scaling,
      { role: "coordinator", audit: "all", keeper: false, normCheckFraction: 0 },
      (e) => events.push(e),
    );
    cleanup(() => coordinator.close());
    const queue = coordinator.reexecQueue;
    const spawnWorker = async (name: string): Promise<DaemonProcess> => {
      const config = {
        ...daemonConfig(devnet, { account: ACCOUNTS.scaling, name, logLevel: "info" }),
        redisPrefix: coordinator.config.redisPrefix,
        verifier: { role: "worker" },
      };
      const worker = await spawnDaemon("verifier", name, config, devnet);
      workers.push(worker);
      await until(`${name} to start`, async () =>
        (await readLog(worker.logFile)).some((l) => l.msg === "re-execution worker started"),
      );
      return worker;
    };
    const audited = async (job: Prepared): Promise<void> => {
      await submitAndOpen(s, job);
      // Nothing in an audit waits for a block once the samples are open: the clock pauses, so the
      // chain does not take CPU from the workers being measured.
      await devnet.clock.pause();
      try {
        await until("the audit's decision", async () =>
          events.some((e) => e.type === "decided" && e.jobId === job.jobId),
        );
      } finally {
        devnet.clock.resume();
      }
    };
    const cpu = (): { workers: number; bench: number; machine: number; at: number } => ({
      workers: workers.reduce((a, w) => a + processCpuSeconds(w.pid), 0),
      bench: processCpuSeconds("self"),
      machine: machineBusySeconds(),
      at: performance.now(),
    });
    /** Audits `job` and reads its tasks' BullMQ timestamps: first start → last finish. */
    const throughput = async (job: Prepared): Promise<Round> => {
      const before = cpu();
      await audited(job);
      const after = cpu();
      const wall = (after.at - before.at) / 1000;
      const cores = (key: "workers" | "bench" | "machine"): number =>
        round((after[key] - before[key]) / wall, 2);
      const tasks = await Promise.all(
        Array.from({ length: SCALE.segments }, (_, i) =>
          queue.getJob(taskId({ kind: "segment", jobId: job.jobId.toString(), segment: i + 1 })),
        ),
      );
      const first = Math.min(...tasks.map((t) => t!.processedOn!));
      const last = Math.max(...tasks.map((t) => t!.finishedOn!));
      const byWorker: Record<string, number> = {};
      for (const t of tasks) byWorker[t!.processedBy!] = (byWorker[t!.processedBy!] ?? 0) + 1;
      const own = tasks.map((t) => (t!.finishedOn! - t!.processedOn!) / 1000).sort((a, b) => a - b);
      return {
        taskSeconds: {
          median: round(own[Math.floor(own.length / 2)]!, 3),
          min: round(own[0]!, 3),
          max: round(own.at(-1)!, 3),
        },
        tasks: tasks.length,
        seconds: round((last - first) / 1000, 2),
        tasksPerSecond: round(tasks.length / ((last - first) / 1000)),
        byWorker,
        // Over the whole audit (submission to decision), a little longer than the tasks' span.
        cores: {
          workers: cores("workers"),
          benchProcess: cores("bench"),
          machine: cores("machine"),
        },
      };
    };
    const spawned = [await spawnWorker("scaling-worker-1"), await spawnWorker("scaling-worker-2")];
    log(`scaling: workers ${spawned.map((w) => `${hostname()}:${w.pid}`).join(", ")}`);
    await audited(warmup);
    // Rounds alternate, so that the machine's drift falls on both: one worker busy at a time
    // (BullMQ global concurrency 1; the other process idles, blocked on Redis), then both.
    const withOne: Round[] = [];
    const withTwo: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await queue.setGlobalConcurrency(1);
      withOne.push(await throughput(jobs[2 * round]!));
      await queue.removeGlobalConcurrency();
      withTwo.push(await throughput(jobs[2 * round + 1]!));
      const [one, two] = [withOne.at(-1)!, withTwo.at(-1)!];
      log(
        `scaling: round ${round + 1}: 1 worker ${one.tasksPerSecond} tasks/s (task median ${one.taskSeconds.median} s, workers ${one.cores.workers} cores, machine ${one.cores.machine}), 2 workers ${two.tasksPerSecond} tasks/s (task median ${two.taskSeconds.median} s, workers ${two.cores.workers} cores, machine ${two.cores.machine})`,
      );
    }
    return { withOne: pooled(withOne), withTwo: pooled(withTwo) };
  });
}

/** Rounds pooled: all tasks over all their seconds, with each round kept. */
function pooled(rounds: Round[]): Throughput {
  const tasks = rounds.reduce((a, r) => a + r.tasks, 0);
  const seconds = rounds.reduce((a, r) => a + r.seconds, 0);
  return { tasks, seconds: round(seconds, 2), tasksPerSecond: round(tasks / seconds), rounds };
}

/** Part 0: the machine's own ceiling for two processes of this work against one. */
const CEILING = { rounds: 5, steps: 3000 } as const;

export async function measureCeiling(log: Log): Promise<VerifierScalingReport["ceiling"]> {
  const run = promisify(execFile);
  const loop = async (): Promise<{ steps: number; seconds: number }> => {
    const { stdout } = await run(process.execPath, [
      "scripts/step-loop.ts",
      String(CEILING.steps),
      MODEL.layers.join(","),
      String(MODEL.batchSize),
    ]);
    return JSON.parse(stdout) as { steps: number; seconds: number };
  };
  const one: number[] = [];
  const two: number[] = [];
  for (let r = 0; r < CEILING.rounds; r++) {
    const alone = await loop();
    one.push(alone.steps / alone.seconds);
    const pair = await Promise.all([loop(), loop()]);
    two.push(pair.reduce((a, p) => a + p.steps / p.seconds, 0));
    log(
      `ceiling: round ${r + 1}: 1 process ${round(one.at(-1)!, 0)} steps/s, 2 processes ${round(two.at(-1)!, 0)} steps/s`,
    );
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    ratio: round(mean(two) / mean(one), 2),
    roundRatios: two.map((t, i) => round(t / one[i]!, 2)),
    stepsPerSecond: { one: round(mean(one), 0), two: round(mean(two), 0) },
  };
}

/** Part 2: a small job's audit latency with the keeper idle, then with the keeper busy. */
interface Latency {
  seconds: number;
  state: string;
  timeline: string[];
}

export async function measureAuditLatency(log: Log): Promise<{
  idle: Latency;
  busy: Latency;
  expiredDuring: number;
  keeperSeconds: number;
  unaccepted: number;
}> {
  return onDevnet(async (s, cleanup) => {
    const chain = s.chain;
    // ------------------------------------------------------------ 2. audit latency
    log(`latency: training two jobs of ${LATENCY.segments} × ${LATENCY.k} steps`);
    const latencySpec = await publish(s, LATENCY, "latency");
    const idleJob = await prepare(s, latencySpec);
    const busyJob = await prepare(s, latencySpec);
    const latencyEvents: (VerifierEvent & { at: number })[] = [];
    const auditor = await startCoordinator(
      s,
      ACCOUNTS.latency,
      { role: "all", audit: "all", keeper: true },
      (e) => latencyEvents.push({ ...e, at: performance.now() }),
    );
    cleanup(() => auditor.close());
    const idle = await auditLatency(s, idleJob, latencyEvents);
    log(
      `latency: keeper idle: ${round(idle.seconds, 2)} s (${idle.state}): ${idle.timeline.join(", ")}`,
    );

    // Jobs nobody accepts, due for expiry at once: each expiry is a transaction of the keeper's.
    const shortSpec = { ...latencySpec.spec, windows: { ...latencySpec.spec.windows, accept: 60 } };
    await s.store.put(canonicalJobSpecBytes(shortSpec));
    const unaccepted: bigint[] = [];
    for (let i = 0; i < KEEPER_JOBS; i++)
      unaccepted.push(await postJob(chain, s.submitter, shortSpec, TERMS));
    const expiries = (): number =>
      latencyEvents.filter((e) => e.type === "kept" && e.action === "expire").length;
    await until("the keeper to start expiring", async () => expiries() > 0);
    const keeperStarted = performance.now();
    const expiredBefore = expiries();
    const busy = await auditLatency(s, busyJob, latencyEvents);
    const expiredDuring = expiries() - expiredBefore;
    log(
      `latency: keeper busy: ${round(busy.seconds, 2)} s (${busy.state}); ${expiredDuring} expiries sent meanwhile: ${busy.timeline.join(", ")}`,
    );
    await until("the keeper to expire every job", async () => expiries() >= KEEPER_JOBS);
    const keeperSeconds = (performance.now() - keeperStarted) / 1000;
    return { idle, busy, expiredDuring, keeperSeconds, unaccepted: unaccepted.length };
  });
}

export async function measureVerifierScaling(log: Log): Promise<VerifierScalingReport> {
  const started = performance.now();
  const ceiling = await measureCeiling(log);
  const { withOne, withTwo } = await measureThroughput(log);
  const { idle, busy, expiredDuring, keeperSeconds, unaccepted } = await measureAuditLatency(log);
  const ratio = round(withTwo.tasksPerSecond / withOne.tasksPerSecond, 2);
  return {
    tasksPerSecond: {
      oneWorker: withOne.tasksPerSecond,
      twoWorkers: withTwo.tasksPerSecond,
    },
    ratio,
    ceiling,
    roundRatios: withTwo.rounds.map((r, i) =>
      round(r.tasksPerSecond / withOne.rounds[i]!.tasksPerSecond, 2),
    ),
    auditLatencySeconds: {
      keeperIdle: round(idle.seconds, 2),
      keeperBusy: round(busy.seconds, 2),
    },
    latencyRatio: round(busy.seconds / idle.seconds, 2),
    details: {
      settings: `exact MLP ${MODEL.layers.join("-")}, batch ${MODEL.batchSize}, synthetic 2048 × 64; throughput: ${SCALE.segments} segments × k = ${SCALE.k}, audit "all", a coordinator and two worker processes (verifier/main.ts --role worker, concurrency 1 each), warmed up; ${ROUNDS} alternating rounds of one worker busy (BullMQ global concurrency 1) and two; latency: ${LATENCY.segments} segments × k = ${LATENCY.k}, one daemon (role all, keeper on), busy = ${KEEPER_JOBS} unaccepted jobs to expire`,
      oneWorker: withOne,
      twoWorkers: withTwo,
      latency: {
        idle: idle.timeline,
        busy: busy.timeline,
        expiriesDuringBusyAudit: expiredDuring,
        keeperSecondsForAllExpiries: round(keeperSeconds, 1),
        unacceptedJobs: unaccepted,
      },
      wallSeconds: round((performance.now() - started) / 1000, 1),
    },
  };
}
