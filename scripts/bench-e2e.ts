// End-to-end benchmark of the protocol on a devnet (npm run bench:e2e): real daemons as spawned
// processes (worker/main.ts, verifier/main.ts), a real EVM over JSON-RPC, Redis/BullMQ, the HTTP
// blob store and ONNX Runtime.
//
//  1. Honest: one job with the demo's settings (MNIST, 784-128-10 exact MLP, batch 64, T = 400,
//     k = 20, q = 4, Q = 1) trained by a worker daemon and audited by a verifier daemon (audit
//     "opened"). Measures steps the verifier re-executed / steps the provider trained (each
//     daemon's assay_steps_total, read from its /metrics), submit→finalize in blocks, and the
//     verifier's segment tasks per second of its busy time (from its event log).
//  2. Cheating: JOBS jobs whose providers (worker daemons with the `fabricate` cheat, f = 0.25 of
//     n = 8 segments: exactly 2) are audited with q = 4 opened samples and Q = 0 (no top-Q), so
//     detection comes from uniform sampling alone. Detected = the job ends Slashed (challenged,
//     dissected, judged by a committee of referee daemons). The rate is compared with
//     1 − (1 − f)^q and with the exact without-replacement value 1 − C(n − fn, q)/C(n, q).
//     These jobs use a small synthetic 20-16-5 MLP (T = 64, k = 8): detection is a property of the
//     sampler, not of the model, and MNIST would make every job fetch the dataset again.
//
//  3. verifierScaling (scripts/bench-verifier-scaling.ts, on a devnet of its own): re-execution
//     tasks per second with one and with two worker processes behind one coordinator, and the
//     audit latency of a job while the keeper is busy.
//
// Writes bench-results/e2e.json and prints a summary. Env: ASSAY_E2E_JOBS (default 40),
// ASSAY_E2E_KEEP=1 keeps the devnet's temp dir (daemon logs, configs), ASSAY_E2E_PARTS (default
// "protocol,scaling"): "scaling" alone runs part 3 and updates its entry of an existing e2e.json.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";

import { getAddress, keccak256, maxUint256, toHex, type Address, type Hex } from "viem";

import { loadMnist } from "../src/data/mnist.ts";
import { syntheticSamples } from "../src/data/synthetic.ts";
import { actorOf, send, type DemoChain, demoChainOf } from "../src/demo/chain.ts";
import { formatTable, sampleDetectionProbability } from "../src/demo/report.ts";
import { postJob, publishSpec, type PublishSpecInput } from "../src/demo/submitter.ts";
import type { JobTerms } from "../src/protocol/create-job.ts";
import {
  daemonConfig,
  startDevnet,
  spawnDaemon,
  type DaemonProcess,
  type Devnet,
} from "../src/devnet/index.ts";
import { detectionProbability } from "../src/protocol/economics.ts";
import { sampleSegments } from "../src/protocol/sampler.ts";
import { chooseSegments } from "../src/provider/cheats.ts";
import { HttpBlobStore } from "../src/store/http-client.ts";
import { readLog, round, until } from "./bench-util.ts";
import { measureVerifierScaling } from "./bench-verifier-scaling.ts";

const UNIT = 10n ** 18n;
const SPEED = 20;
const TICK_MS = 250;
const JOBS = Number(process.env.ASSAY_E2E_JOBS ?? 40);
const FRACTION = 0.25;
const CHEAT = { totalSteps: 64, checkpointInterval: 8, samples: 4, topQ: 0 } as const;
const HONEST = { totalSteps: 400, checkpointInterval: 20, samples: 4, topQ: 1 } as const;
const COMMITTEE = 3;
/**
 * Chain seconds (×SPEED faster than the wall). The honest job's challenge window is 45 s of wall
 * time; the cheat jobs' is 3 min, because one auditor works through 4 segments of every job (and
 * its challenges and dissections) while the 2-core machine is shared: with 45 s, jobs opened late in
 * the burst were decided after their window closed and finalized unchallenged.
 */
const HONEST_WINDOWS = { accept: 4 * 3600, train: 6 * 3600, open: 3600, challenge: 900 };
const CHEAT_WINDOWS = { ...HONEST_WINDOWS, challenge: 3600 };
const TERMS: JobTerms = { amount: 100n * UNIT, collateral: 200n * UNIT, verificationBps: 1_000 };
const ACCOUNTS = {
  submitter: 1,
  honest: 2,
  cheaters: [3, 4, 5],
  auditor: 6,
  referees: [7, 8, 9, 10, 11, 12],
} as const;
const CHEATER_CONCURRENCY = 3;
const DEADLINE_MS = 15 * 60_000;
const STATUS = ["None", "Open", "Accepted", "Submitted", "Opened", "Disputed", "Finalized"];
STATUS.push("Cancelled", "Expired", "Slashed");
const TERMINAL = new Set(["Finalized", "Cancelled", "Expired", "Slashed"]);

const PARTS = new Set((process.env.ASSAY_E2E_PARTS ?? "protocol,scaling").split(","));
const started = performance.now();
const loadAtStart = loadavg()[0]!;
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const log = (line: string): void => {
  process.stdout.write(`[${elapsed()}] ${line}\n`);
};
async function metricsUrlOf(daemon: DaemonProcess): Promise<string> {
  return until(
    `${daemon.name} to serve metrics`,
    async () => {
      const line = (await readLog(daemon.logFile)).find((l) => l.msg === "metrics served");
      return typeof line?.url === "string" ? line.url : undefined;
    },
    60_000,
  );
}

/** Sum of a Prometheus counter's samples whose labels include `labels` (e.g. `role="provider"`). */
async function counter(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) || !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** Wilson score interval for `k` successes in `n` trials (95%). */
function wilson(k: number, n: number): [number, number] {
  const z = 1.959964;
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Stops a daemon: SIGTERM, then SIGKILL if it has not exited within 5 s. */
async function stop(daemon: DaemonProcess): Promise<void> {
  const timer = setTimeout(() => void daemon.kill("SIGKILL"), 5_000);
  try {
    await daemon.kill("SIGTERM");
  } finally {
    clearTimeout(timer);
  }
}

const daemons: DaemonProcess[] = [];
let devnet: Devnet | undefined;
let blockTimer: NodeJS.Timeout | undefined;

if (PARTS.has("protocol"))
  try {
    log(`Assay end-to-end bench: ${cpus().length} CPUs, load ${loadAtStart.toFixed(2)}`);
    devnet = await startDevnet({
      speed: SPEED,
      tickMs: TICK_MS,
      keep: process.env.ASSAY_E2E_KEEP === "1",
      log: (line) => log(`devnet: ${line}`),
    });
    const dn = devnet;
    const { viem } = dn.connection;
    const publicClient = await viem.getPublicClient();
    const chain: DemoChain = await demoChainOf(dn);
    const wallets = await viem.getWalletClients();
    const addressOf = (account: number): Address => getAddress(wallets[account]!.account.address);
    const store = new HttpBlobStore({ url: dn.storeUrl });
    const { market, disputeGame } = dn.deployment;

    // Wall time at which each block was first seen (polled every 100 ms): wall seconds between two
    // on-chain events are read off their blocks.
    const blockWall = new Map<bigint, number>();
    let seenBlock = await publicClient.getBlockNumber();
    blockWall.set(seenBlock, performance.now());
    blockTimer = setInterval(() => {
      publicClient.getBlockNumber().then(
        (latest) => {
          const now = performance.now();
          for (let b = seenBlock + 1n; b <= latest; b++) blockWall.set(b, now);
          if (latest > seenBlock) seenBlock = latest;
        },
        () => undefined,
      );
    }, 100);
    const blockTime = new Map<bigint, bigint>();
    const chainTimeOf = async (block: bigint): Promise<bigint> => {
      let t = blockTime.get(block);
      if (t === undefined) {
        t = (await publicClient.getBlock({ blockNumber: block })).timestamp;
        blockTime.set(block, t);
      }
      return t;
    };

    const submitter = actorOf("submitter", wallets[ACCOUNTS.submitter]!);
    await dn.fund(submitter.address, BigInt(JOBS + 5) * TERMS.amount);
    await send(chain, submitter, "approve", () =>
      dn.deployment.testToken!.write.approve([market.address, maxUint256], {
        account: submitter.wallet.account,
      }),
    );

    const verifierConfig = (account: number, name: string, section: object): object => ({
      ...daemonConfig(dn, { account, name, pollIntervalMs: 300, logLevel: "info", metricsPort: 0 }),
      // One Redis prefix per verifier account: two daemons on one prefix take each other's tasks.
      redisPrefix: `${dn.redisPrefix}-${name}`,
      verifier: { backoffMs: 200, ...section },
    });
    const workerConfig = (account: number, name: string, section: object): object => ({
      ...daemonConfig(dn, { account, name, pollIntervalMs: 200, logLevel: "info", metricsPort: 0 }),
      worker: section,
    });

    // Verifiers: one auditor (re-executes the opened segments, challenges, keeps deadlines) and
    // referees that only sit on committees.
    for (const account of [ACCOUNTS.auditor, ...ACCOUNTS.referees])
      await dn.fund(addressOf(account), 1_000n * UNIT);
    const auditor = await spawnDaemon(
      "verifier",
      "auditor",
      // Keeper duty is a referee's, as an operator with several accounts would arrange it.
      verifierConfig(ACCOUNTS.auditor, "auditor", {
        audit: "opened",
        concurrency: 1,
        keeper: false,
      }),
      dn,
    );
    daemons.push(auditor);
    for (const account of ACCOUNTS.referees) {
      const name = `referee-${account}`;
      daemons.push(
        await spawnDaemon(
          "verifier",
          name,
          verifierConfig(account, name, {
            audit: "none",
            keeper: account === ACCOUNTS.referees[0],
          }),
          dn,
        ),
      );
    }
    const auditorMetrics = await metricsUrlOf(auditor);
    for (const d of daemons.slice(1)) await metricsUrlOf(d);
    log(
      `verifiers: auditor (account ${ACCOUNTS.auditor}), ${ACCOUNTS.referees.length} referees (the first also keeper)`,
    );

    const specRest = (
      shape: typeof HONEST | typeof CHEAT,
      windows: typeof HONEST_WINDOWS,
      seed: string,
    ): PublishSpecInput["rest"] => ({
      version: 2,
      seed: keccak256(toHex(seed)) as Hex,
      totalSteps: shape.totalSteps,
      checkpointInterval: shape.checkpointInterval,
      verification: { samples: shape.samples, topQ: shape.topQ, committeeSize: COMMITTEE },
      windows,
    });

    // ---- 1. The honest job, demo settings.
    const mnist = loadMnist();
    const honestSpec = await publishSpec(store, {
      numerics: "exact",
      layers: [mnist.train.featureCount, 128, mnist.train.classCount],
      batchSize: 64,
      optimizer: { kind: "sgd", learningRate: 0.1, momentum: 0.9 },
      samples: mnist.train,
      shardSize: 2000,
      initSeed: "assay-bench-e2e",
      rest: specRest(HONEST, HONEST_WINDOWS, "assay bench-e2e: honest data order"),
    });
    await dn.fund(addressOf(ACCOUNTS.honest), 2_000n * UNIT);
    const honestWorker = await spawnDaemon(
      "worker",
      "honest-worker",
      workerConfig(ACCOUNTS.honest, "honest-worker", { stake: (2_000n * UNIT).toString() }),
      dn,
    );
    daemons.push(honestWorker);
    const honestMetrics = await metricsUrlOf(honestWorker);
    const honestJob = await postJob(chain, submitter, honestSpec.spec, TERMS);
    log(
      `honest job ${honestJob}: MNIST ${mnist.train.count} digits, MLP 784-128-10, T = ${HONEST.totalSteps}, k = ${HONEST.checkpointInterval}, q = ${HONEST.samples}, Q = ${HONEST.topQ}`,
    );
    const jobStatus = async (jobId: bigint): Promise<string> =>
      STATUS[(await market.read.getJob([jobId])).status] ?? "?";
    let lastHonest = "";
    const honestEnd = await until(
      "the honest job to end",
      async () => {
        const s = await jobStatus(honestJob);
        if (s !== lastHonest) log(`honest job ${honestJob}: ${s}`);
        lastHonest = s;
        return TERMINAL.has(s) ? s : undefined;
      },
      5 * 60_000,
    );
    const [submitted] = await market.getEvents.TraceSubmitted(
      { jobId: honestJob },
      { fromBlock: 0n },
    );
    const [finalized] = await market.getEvents.JobFinalized(
      { jobId: honestJob },
      { fromBlock: 0n },
    );
    const trainedSteps = await counter(honestMetrics, "assay_steps_total", 'role="provider"');
    const reexecutedSteps = await counter(auditorMetrics, "assay_steps_total", 'role="verifier"');
    const auditorLog = await readLog(auditor.logFile);
    const auditStart = auditorLog.find(
      (l) => l.msg === "auditing job" && l.jobId === honestJob.toString(),
    );
    const honestChecks = auditorLog.filter(
      (l) => l.msg === "segment-checked" && l.jobId === honestJob.toString(),
    );
    const busySeconds =
      auditStart && honestChecks.length > 0
        ? (honestChecks.at(-1)!.time - auditStart.time) / 1000
        : Number.NaN;
    const submitToFinalizeBlocks =
      submitted && finalized ? Number(finalized.blockNumber - submitted.blockNumber) : Number.NaN;
    const honest = {
      jobId: Number(honestJob),
      status: honestEnd,
      trainedSteps,
      reexecutedSteps,
      segmentTasks: honestChecks.length,
      auditBusySeconds: round(busySeconds, 2),
      submitToFinalizeChainSeconds:
        submitted && finalized
          ? Number(
              (await chainTimeOf(finalized.blockNumber)) -
                (await chainTimeOf(submitted.blockNumber)),
            )
          : Number.NaN,
    };
    log(
      `honest job ${honestEnd}: provider trained ${trainedSteps} steps, verifier re-executed ${reexecutedSteps} ` +
        `(${honestChecks.length} segment tasks in ${busySeconds.toFixed(2)} s), submit→finalize ${submitToFinalizeBlocks} blocks`,
    );
    await stop(honestWorker);
    daemons.splice(daemons.indexOf(honestWorker), 1);

    // ---- 2. Cheating jobs: fabricate f = 0.25 of n = 8 segments, q = 4 samples, Q = 0.
    const samples = syntheticSamples({
      seed: "assay-bench-e2e",
      count: 512,
      featureCount: 20,
      classCount: 5,
    });
    const cheatSpec = await publishSpec(store, {
      numerics: "exact",
      layers: [20, 16, 5],
      batchSize: 8,
      optimizer: { kind: "sgd", learningRate: 0.1, momentum: 0.9 },
      samples,
      shardSize: 128,
      initSeed: "assay-bench-e2e",
      rest: specRest(CHEAT, CHEAT_WINDOWS, "assay bench-e2e: cheat jobs' data order"),
    });
    const n = CHEAT.totalSteps / CHEAT.checkpointInterval;
    const fabricatedBy = new Map<Address, number[]>();
    const cheaterMetrics: string[] = [];
    // Enough stake that no cheater falls below the minimum (and is ejected) however many it loses.
    const cheaterStake = 1_000n * UNIT + BigInt(JOBS) * TERMS.collateral;
    for (const account of ACCOUNTS.cheaters) {
      const seed = `bench-e2e-cheater-${account}`;
      fabricatedBy.set(addressOf(account), chooseSegments(n, FRACTION, seed));
      await dn.fund(addressOf(account), cheaterStake);
      const name = `cheater-${account}`;
      const d = await spawnDaemon(
        "worker",
        name,
        workerConfig(account, name, {
          stake: cheaterStake.toString(),
          maxConcurrentJobs: CHEATER_CONCURRENCY,
          cheat: { kind: "fabricate", fraction: FRACTION, seed },
        }),
        dn,
      );
      daemons.push(d);
      cheaterMetrics.push(await metricsUrlOf(d));
    }
    log(
      `cheaters: accounts ${ACCOUNTS.cheaters.join(", ")}, fabricating segments ` +
        [...fabricatedBy.values()].map((s) => s.join("+")).join(", ") +
        ` of n = ${n} (f = ${FRACTION}); posting ${JOBS} jobs (T = ${CHEAT.totalSteps}, k = ${CHEAT.checkpointInterval}, q = ${CHEAT.samples}, Q = ${CHEAT.topQ})`,
    );
    const cheatJobs: bigint[] = [];
    for (let i = 0; i < JOBS; i++)
      cheatJobs.push(await postJob(chain, submitter, cheatSpec.spec, TERMS));
    const cheatPhaseStart = performance.now();

    const final = new Map<bigint, string>();
    let lastProgress = 0;
    const phaseDeadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const counts = new Map<string, number>();
      for (const jobId of cheatJobs) {
        let s = final.get(jobId);
        if (s === undefined) {
          s = await jobStatus(jobId);
          if (TERMINAL.has(s)) final.set(jobId, s);
        }
        counts.set(s, (counts.get(s) ?? 0) + 1);
      }
      if (final.size === cheatJobs.length || Date.now() > phaseDeadline) break;
      if (performance.now() - lastProgress > 10_000) {
        lastProgress = performance.now();
        log(
          `cheat jobs: ${[...counts].map(([s, c]) => `${s} ${c}`).join(", ")} (${final.size}/${JOBS} ended)`,
        );
      }
      await sleep(1_000);
    }
    const cheatPhaseSeconds = (performance.now() - cheatPhaseStart) / 1000;
    log(`cheat jobs ended: ${final.size}/${JOBS} in ${cheatPhaseSeconds.toFixed(0)} s`);

    // Per job: who provided it, what was sampled, whether a sample hit a fabricated segment, and
    // how it ended.
    interface CheatJobResult {
      jobId: number;
      provider: Address;
      status: string;
      sampled: number[];
      fabricated: number[];
      sampleHit: boolean;
      /** The auditor's last decision on the job (passed, challenging, late, …), from its log. */
      audit: string;
      disputes: number;
      submitToSlashWallSeconds?: number;
      submitToSlashChainSeconds?: number;
    }
    const decisions = new Map<string, string>();
    for (const l of await readLog(auditor.logFile))
      if (l.msg === "decided" && typeof l.jobId === "string" && typeof l.state === "string")
        decisions.set(l.jobId, l.state);
    const results: CheatJobResult[] = [];
    for (const jobId of cheatJobs) {
      const [accepted] = await market.getEvents.JobAccepted({ jobId }, { fromBlock: 0n });
      const [opened] = await market.getEvents.SamplesOpened({ jobId }, { fromBlock: 0n });
      const [sub] = await market.getEvents.TraceSubmitted({ jobId }, { fromBlock: 0n });
      const [slashed] = await market.getEvents.JobSlashed({ jobId }, { fromBlock: 0n });
      const disputes = await disputeGame.getEvents.DisputeOpened({ jobId }, { fromBlock: 0n });
      const provider = getAddress(accepted!.args.provider!);
      const fabricated = fabricatedBy.get(provider) ?? [];
      const sampled =
        opened === undefined
          ? []
          : sampleSegments(opened.args.seed!, BigInt(n), CHEAT.samples).map(Number);
      const r: CheatJobResult = {
        jobId: Number(jobId),
        provider,
        status: final.get(jobId) ?? (await jobStatus(jobId)),
        sampled: sampled.sort((a, b) => a - b),
        fabricated,
        sampleHit: sampled.some((s) => fabricated.includes(s)),
        audit: decisions.get(jobId.toString()) ?? "none",
        disputes: disputes.length,
      };
      if (sub && slashed) {
        const a = blockWall.get(sub.blockNumber);
        const b = blockWall.get(slashed.blockNumber);
        if (a !== undefined && b !== undefined)
          r.submitToSlashWallSeconds = round((b - a) / 1000, 2);
        r.submitToSlashChainSeconds = Number(
          (await chainTimeOf(slashed.blockNumber)) - (await chainTimeOf(sub.blockNumber)),
        );
      }
      results.push(r);
    }

    const jobs = results.length;
    const detected = results.filter((r) => r.status === "Slashed").length;
    const hits = results.filter((r) => r.sampleHit).length;
    const agree = results.filter((r) => r.sampleHit === (r.status === "Slashed")).length;
    const detectionRate = detected / jobs;
    const fabricatedCount = Math.round(FRACTION * n);
    const analyticalWithReplacement = detectionProbability(FRACTION, CHEAT.samples);
    const analyticalWithoutReplacement = sampleDetectionProbability(
      n,
      fabricatedCount,
      CHEAT.samples,
    );
    const interval = wilson(detected, jobs);
    const slashWall = results.flatMap((r) =>
      r.submitToSlashWallSeconds === undefined ? [] : [r.submitToSlashWallSeconds],
    );
    const slashChain = results.flatMap((r) =>
      r.submitToSlashChainSeconds === undefined ? [] : [r.submitToSlashChainSeconds],
    );
    const byStatus: Record<string, number> = {};
    for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    const byAudit: Record<string, number> = {};
    for (const r of results) byAudit[r.audit] = (byAudit[r.audit] ?? 0) + 1;

    // The auditor over the whole run (honest job + cheat jobs).
    const finalAuditorLog = await readLog(auditor.logFile);
    const cheatChecks = finalAuditorLog.filter(
      (l) => l.msg === "segment-checked" && l.jobId !== honestJob.toString(),
    ).length;
    const cheatTrained = (
      await Promise.all(
        cheaterMetrics.map((url) => counter(url, "assay_steps_total", 'role="provider"')),
      )
    ).reduce((a, b) => a + b, 0);

    const verifierTasksPerSec = honestChecks.length / busySeconds;
    const report = {
      verifierStepsOverTrainedSteps: round(reexecutedSteps / trainedSteps, 4),
      detectionRate: round(detectionRate, 4),
      submitToFinalizeBlocks,
      submitToSlashSeconds: round(median(slashWall), 2),
      verifierTasksPerSec: round(verifierTasksPerSec, 2),
      details: {
        machine: `${cpus().length} × ${cpus()[0]?.model ?? "?"}, load at start ${loadAtStart.toFixed(2)}`,
        devnet: {
          chainSecondsPerWallSecond: SPEED,
          blockEveryMs: TICK_MS,
          windows: { honest: HONEST_WINDOWS, cheat: CHEAT_WINDOWS },
        },
        honest: {
          ...honest,
          settings:
            "demo: MNIST (mnist package), exact MLP 784-128-10, batch 64, SGD momentum 0.9, " +
            `T = ${HONEST.totalSteps}, k = ${HONEST.checkpointInterval}, q = ${HONEST.samples}, Q = ${HONEST.topQ}, m = ${COMMITTEE}; verifier audit "opened", concurrency 1`,
        },
        cheating: {
          settings:
            `synthetic 512 samples, exact MLP 20-16-5, batch 8, T = ${CHEAT.totalSteps}, k = ${CHEAT.checkpointInterval}; ` +
            `cheat fabricate f = ${FRACTION} (${fabricatedCount} of n = ${n} segments), q = ${CHEAT.samples}, Q = ${CHEAT.topQ}, m = ${COMMITTEE}; ` +
            `${ACCOUNTS.cheaters.length} worker daemons × ${CHEATER_CONCURRENCY} concurrent jobs`,
          q: CHEAT.samples,
          f: FRACTION,
          n,
          jobs,
          detected,
          byStatus,
          byAuditDecision: byAudit,
          sampleHits: hits,
          slashedEqualsSampleHit: agree,
          analyticalWithReplacement: round(analyticalWithReplacement, 4),
          analyticalWithoutReplacement: round(analyticalWithoutReplacement, 4),
          wilson95: [round(interval[0], 4), round(interval[1], 4)],
          submitToSlashWallSeconds: {
            median: round(median(slashWall), 2),
            min: slashWall.length ? Math.min(...slashWall) : null,
            max: slashWall.length ? Math.max(...slashWall) : null,
          },
          submitToSlashChainSeconds: { median: median(slashChain) },
          phaseWallSeconds: round(cheatPhaseSeconds, 1),
          cheatersTrainedSteps: cheatTrained,
          auditorSegmentTasks: cheatChecks,
          perJob: results,
        },
        totalWallSeconds: round((performance.now() - started) / 1000, 1),
      },
    };
    await mkdir("bench-results", { recursive: true });
    await writeFile("bench-results/e2e.json", JSON.stringify(report, null, 2) + "\n");

    const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
    process.stdout.write(
      "\n" +
        formatTable(
          ["figure", "value", "note"],
          [
            [
              "verifierStepsOverTrainedSteps",
              report.verifierStepsOverTrainedSteps.toString(),
              `${reexecutedSteps} / ${trainedSteps} steps (honest MNIST job)`,
            ],
            [
              "detectionRate",
              pct(detectionRate),
              `${detected}/${jobs} slashed; 95% Wilson ${pct(interval[0])}–${pct(interval[1])}`,
            ],
            [
              "  1 − (1 − f)^q",
              pct(analyticalWithReplacement),
              `f = ${FRACTION}, q = ${CHEAT.samples} (with replacement)`,
            ],
            [
              "  1 − C(n−fn,q)/C(n,q)",
              pct(analyticalWithoutReplacement),
              `n = ${n}, fn = ${fabricatedCount} (without replacement: Floyd)`,
            ],
            ["  samples that hit", `${hits}/${jobs}`, `slashed ⇔ hit in ${agree}/${jobs} jobs`],
            [
              "  auditor decisions",
              Object.entries(byAudit)
                .map(([k, v]) => `${k} ${v}`)
                .join(", "),
              "passed: no sampled segment failed",
            ],
            [
              "submitToFinalizeBlocks",
              submitToFinalizeBlocks.toString(),
              `${honest.submitToFinalizeChainSeconds} chain s (challenge window ${HONEST_WINDOWS.challenge} s)`,
            ],
            [
              "submitToSlashSeconds",
              report.submitToSlashSeconds.toString(),
              `median wall s over ${slashWall.length} slashed jobs; ${median(slashChain)} chain s (×${SPEED})`,
            ],
            [
              "verifierTasksPerSec",
              report.verifierTasksPerSec.toString(),
              `${honestChecks.length} segment tasks of k = ${HONEST.checkpointInterval} MNIST steps`,
            ],
          ],
        ) +
        `\n\nwrote bench-results/e2e.json (${report.details.totalWallSeconds} s)\n`,
    );
  } catch (error) {
    process.stderr.write(
      `bench:e2e failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    if (error instanceof Error && error.cause !== undefined)
      process.stderr.write(`  caused by ${String(error.cause)}\n`);
    process.exitCode = 1;
  } finally {
    if (blockTimer !== undefined) clearInterval(blockTimer);
    await Promise.all(daemons.map((d) => stop(d).catch(() => undefined)));
    if (devnet !== undefined) {
      if (process.env.ASSAY_E2E_KEEP === "1") log(`kept ${devnet.dir}`);
      await devnet.close().catch((error: unknown) => log(`devnet close: ${String(error)}`));
    }
  }

if (PARTS.has("scaling") && process.exitCode !== 1) {
  try {
    log("verifier scaling (a devnet of its own)");
    const scaling = await measureVerifierScaling(log);
    const file = "bench-results/e2e.json";
    const report = JSON.parse(await readFile(file, "utf8").catch(() => "{}")) as Record<
      string,
      unknown
    >;
    report.verifierScaling = { ...scaling, measuredAt: new Date().toISOString() };
    await mkdir("bench-results", { recursive: true });
    await writeFile(file, JSON.stringify(report, null, 2) + "\n");
    process.stdout.write(
      "\n" +
        formatTable(
          ["figure", "value", "note"],
          [
            [
              "verifierScaling.ratio",
              scaling.ratio.toString(),
              `${scaling.tasksPerSecond.twoWorkers} / ${scaling.tasksPerSecond.oneWorker} tasks/s (2 vs 1 worker busy); rounds ${scaling.roundRatios.join(", ")}; the bare step loop's own ratio on this machine: ${scaling.ceiling.ratio} (rounds ${scaling.ceiling.roundRatios.join(", ")})`,
            ],
            [
              "  audit latency, keeper idle",
              `${scaling.auditLatencySeconds.keeperIdle} s`,
              "SamplesOpened → decision",
            ],
            [
              "  audit latency, keeper busy",
              `${scaling.auditLatencySeconds.keeperBusy} s`,
              `ratio ${scaling.latencyRatio}`,
            ],
          ],
        ) +
        `\n\nwrote verifierScaling to ${file}\n`,
    );
  } catch (error) {
    process.stderr.write(
      `bench:e2e (scaling) failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
