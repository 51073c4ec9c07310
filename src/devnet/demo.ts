// The demo on the real daemons (`npm run demo`): a devnet (Hardhat's chain over JSON-RPC on
// loopback, the contracts, the blob store, Redis), an honest and a cheating provider and the
// verifiers as real child processes (`node worker/main.ts`, `node verifier/main.ts`), and a
// submitter in this process that publishes MNIST jobs and posts them. This process only watches:
// it prints one line per chain event as it happens, and at the end reads the verdicts, payouts,
// slashes and the gas of every transaction from the chain. test/ts/demo/daemons-demo.test.ts runs
// the same function at a tiny size.
//
// The flow, one module each under src/devnet/demo/: config (settings, terms, data), parties (set-up:
// fund and spawn the daemons), publish (the submitter's specs and jobs), narrator (watch: one line
// per chain event) and outcome (report: verdicts, payouts, slashes, accuracy, gas).
//
// Who takes which job is decided by the workers' own filters, so it is deterministic: the honest
// worker locks at most 200 tokens of collateral per job, the cheater takes only exact jobs paying
// at least 150. Job A (exact, 100/200) and job C (tolerance, 100/200) go to the honest provider,
// job B (exact, 150/300) to the cheater.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { demoChainOf, type GasEntry } from "../demo/chain.ts";
import { DemoError } from "../demo/errors.ts";
import { readJob } from "../demo/jobs.ts";
import type { DaemonJobRow } from "../demo/report.ts";
import { oneLine } from "../errors.ts";
import { statusName } from "../node/onchain-job.ts";
import { isFinalJobStatus, type JobStatusName } from "../protocol/onchain-enums.ts";
import { HttpBlobStore } from "../store/http-client.ts";
import { DEVNET_ACCOUNTS, startDevnet, type Devnet } from "./devnet.ts";
import { DaemonsDemoConfigSchema, loadData, type DaemonsDemoConfig } from "./demo/config.ts";
import { Names } from "./demo/names.ts";
import { ChainNarrator } from "./demo/narrator.ts";
import { gasByActor, jobRows } from "./demo/outcome.ts";
import { startCast, waitForStakes, type Cast } from "./demo/parties.ts";
import { publishAndPost, type Detection } from "./demo/publish.ts";
import { until } from "./poll.ts";
import { deleteKeys } from "./redis.ts";

export {
  DAEMONS_DEMO_DEFAULTS,
  DaemonsDemoConfigSchema,
  type DaemonsDemoConfig,
} from "./demo/config.ts";
import { formatIssues } from "../zod-issues.ts";

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
  detection: Detection;
  /** Where the daemons' logs are (removed after the run unless keepLogs). */
  logDir: string;
  daemons: { name: string; pid: number; logFile: string }[];
  timings: { setupMs: number; jobsMs: number; totalMs: number };
}

export async function runDaemonsDemo(
  env: DaemonsDemoEnvironment,
  input: DaemonsDemoConfig,
): Promise<DaemonsDemoReport> {
  const parsed = DaemonsDemoConfigSchema.safeParse(input);
  if (!parsed.success)
    throw new DemoError(
      `invalid demo configuration: ${formatIssues(parsed.error, DaemonsDemoConfigSchema)}`,
    );
  const config = parsed.data;
  const started = performance.now();
  const log = env.log ?? ((): void => {});
  const say = (line: string): void => log(`  ${line}`);
  const section = (title: string): void => log(`\n== ${title}`);
  const checkAbort = (): void => {
    if (env.signal?.aborted === true) throw new DemoError("interrupted");
  };

  const cleanup: [string, () => Promise<unknown>][] = [];
  const logDir = await mkdtemp(path.join(tmpdir(), "assay-demo-logs-"));
  if (!config.keepLogs) cleanup.push(["remove logs", () => rm(logDir, { recursive: true })]);

  try {
    // ---------------------------------------------------------------- set-up
    section("Setup: devnet, contracts, store, Redis, daemons");
    const data = loadData(config.data);
    const devnet: Devnet = await startDevnet({
      rpcUrl: config.rpcUrl,
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
    const chain = await demoChainOf(devnet);
    const names = new Names();
    const wallets = await devnet.connection.viem.getWalletClients();
    names.set(wallets[DEVNET_ACCOUNTS.deployer]!.account.address, "deployer/treasury");
    const k = config.checkpointInterval;
    const narrator = new ChainNarrator(
      chain,
      names,
      say,
      { checkpointInterval: k, checkpoints: config.totalSteps / k },
      (await chain.publicClient.getBlockNumber()) + 1n,
    );
    const cast: Cast = await startCast(devnet, config, { say, names, logDir, checkAbort });
    cleanup.unshift(["daemons", () => cast.stop()]);
    await waitForStakes(devnet, cast, logDir, () => narrator.poll());
    const setupMs = performance.now() - started;

    // ---------------------------------------------------------------- publish
    section("Jobs: the submitter publishes specs and posts jobs; the daemons take it from there");
    const store = new HttpBlobStore({ url: devnet.storeUrl });
    const jobsStarted = performance.now();
    const { submitter, posted, detection } = await publishAndPost(
      devnet,
      chain,
      store,
      config,
      data,
      { say, names, jobLabels: narrator.jobLabels, checkAbort },
    );

    // ---------------------------------------------------------------- watch until settled
    section("Progress (from chain events)");
    const statuses = new Map<bigint, JobStatusName>();
    const parties = cast.parties;
    try {
      await until(
        "the jobs to settle",
        async () => {
          await cast.assertAlive();
          await narrator.poll();
          for (const job of posted)
            statuses.set(job.jobId, statusName((await readJob(chain, job.jobId)).status));
          return posted.every((j) => isFinalJobStatus(statuses.get(j.jobId)!));
        },
        config.timeoutMs,
        300,
      );
    } catch (error) {
      if (error instanceof DemoError) throw error;
      throw new DemoError(
        `the jobs did not settle within ${config.timeoutMs / 1000} s (${posted.map((j) => `${j.label} ${statuses.get(j.jobId)}`).join(", ")}); daemon logs in ${logDir}`,
        { cause: error },
      );
    }
    // The daemons pull their credits on their next polls; the submitter pulls its own.
    const { market, disputeGame, receipts } = devnet.deployment;
    if ((await market.read.creditOf([submitter.address])) > 0n) {
      const hash = await market.write.claimCredit({ account: submitter.wallet.account });
      await chain.publicClient.waitForTransactionReceipt({ hash });
    }
    await until(
      "the daemons' credits claimed",
      async () => {
        await cast.assertAlive();
        const owed = await Promise.all(
          parties.flatMap((p) => [
            market.read.creditOf([p.address]),
            disputeGame.read.creditOf([p.address]),
            ...posted.map((job) => receipts.read.claimable([job.jobId, p.address])),
          ]),
        );
        return owed.every((c) => c === 0n);
      },
      10_000,
      300,
    ).catch((error: unknown) => {
      // Credits left unclaimed after 10 s are shown in the report, not fatal.
      if (error instanceof DemoError) throw error;
    });
    await narrator.poll();
    const jobsMs = performance.now() - jobsStarted;

    // ---------------------------------------------------------------- report
    section("Outcome");
    say(
      "reading verdicts, payouts and gas from the chain; evaluating each final model on held-out data",
    );
    const jobs: DaemonJobRow[] = await jobRows(
      {
        chain,
        store,
        narrator,
        names,
        submitter: submitter.address,
        checkpointInterval: k,
        test: data.test,
      },
      posted,
    );
    // Gas of every transaction on the devnet (deployment included), by sender and function.
    const gas: GasEntry[] = await gasByActor(chain, (a) => names.name(a));
    return {
      jobs,
      gas,
      detection,
      logDir,
      daemons: parties.map((p) => ({
        name: p.name,
        pid: p.process.pid,
        logFile: p.process.logFile,
      })),
      timings: { setupMs, jobsMs, totalMs: performance.now() - started },
    };
  } finally {
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
