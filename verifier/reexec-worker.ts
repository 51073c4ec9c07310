// A re-execution worker: consumes one verifier's BullMQ queue (verifier/tasks.ts), re-executes what
// each task names and returns the outcome through BullMQ. It is stateless: it reads the chain, the
// store and Redis, holds no key, sends no transaction and writes no journal. The coordinator (the
// verifier daemon) alone journals outcomes, so any number of workers, in the daemon's own process
// or in other processes on other machines, can serve one account; a worker killed mid-task loses
// its lock and the task runs again elsewhere (BullMQ stalled-job recovery).
//
// A job's spec, program, dataset and manifest are loaded once per worker (the job cache) through a
// cache by content address (CachingBlobStore): a worker serving many segments of one job, or many
// jobs on one dataset, fetches and hashes each once. Checkpoints are read from the store every time:
// whether the store still serves them is part of what is judged.
import { hostname } from "node:os";

import { Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";

import { oneLine } from "../src/errors.ts";
import { connectChain, type ChainContext } from "../src/node/chain.ts";
import type { Logger } from "../src/node/log.ts";
import { createMetrics, startMetricsServer, type NodeMetrics } from "../src/node/metrics.ts";
import { connectRedis } from "../src/node/redis.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import { awaitPreStateEnvelope, disputesOn, readStepQuestion } from "../src/node/dispute-reads.ts";
import type { VerifierConfig } from "./config.ts";
import { cachedStore, JobCache } from "./job-cache.ts";
import { adjudicate, checkSegment } from "./segment-check.ts";
import { workerIpfs } from "./worker-ipfs.ts";
import {
  QUEUES,
  ReexecTaskSchema,
  queueError,
  type NormsOutcome,
  type ReexecTask,
  type SegmentOutcome,
  segmentOutcomeJson,
} from "./tasks.ts";
import { checkNorms, normSegments } from "./trace-checks.ts";

export interface ReexecWorkerOptions {
  /** Chain reads only: the worker never signs. */
  chain: ChainContext;
  store: BlobStore;
  /** The jobs loaded in this process (default: a cache of the worker's own). */
  jobs?: JobCache;
  /** A connection for the BullMQ worker (maxRetriesPerRequest null); the worker owns it then. */
  connection: Redis;
  /** The coordinator's Redis prefix: the queue this worker serves. */
  prefix: string;
  concurrency: number;
  /** BullMQ lock duration: a task whose worker stops renewing its lock this long runs again. */
  lockMs: number;
  /** Names this worker in each task it takes (BullMQ processedBy); default `<host>:<pid>`. */
  name?: string;
  log: Logger;
  metrics: NodeMetrics;
}

export class ReexecWorker {
  readonly #options: ReexecWorkerOptions;
  readonly #jobs: JobCache;
  #worker: Worker | undefined;

  constructor(options: ReexecWorkerOptions) {
    this.#options = options;
    this.#jobs = options.jobs ?? new JobCache(options.chain, options.store);
  }

  start(): void {
    const o = this.#options;
    this.#worker = new Worker(QUEUES.reexec, (job: Job) => this.#process(job), {
      connection: o.connection,
      prefix: o.prefix,
      concurrency: o.concurrency,
      name: o.name ?? `${hostname()}:${process.pid}`,
      lockDuration: o.lockMs,
      stalledInterval: Math.max(1_000, Math.floor(o.lockMs / 2)),
    });
    this.#worker.on("failed", (job, error) => {
      o.metrics.tasks.inc({ queue: QUEUES.reexec, status: "failed" });
      o.log.warn({ task: job?.id, attempts: job?.attemptsMade, err: error.message }, "task failed");
    });
    this.#worker.on("completed", (job) => {
      o.metrics.tasks.inc({ queue: QUEUES.reexec, status: "completed" });
      o.log.info({ task: job.id, attempts: job.attemptsMade }, "task completed");
    });
    this.#worker.on("error", (error) => o.log.warn({ err: oneLine(error) }, "worker error"));
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    try {
      await worker?.close();
    } finally {
      if (this.#options.connection.status !== "end")
        await this.#options.connection.quit().catch(() => undefined);
    }
  }

  /** The BullMQ processor: parse, run, return the outcome; poison becomes UnrecoverableError. */
  async #process(job: Job): Promise<unknown> {
    const parsed = ReexecTaskSchema.safeParse(job.data);
    if (!parsed.success) throw queueError(new Error(`malformed task ${job.id}: ${parsed.error}`));
    try {
      const started = performance.now();
      const { outcome, steps } = await this.#run(parsed.data);
      const seconds = (performance.now() - started) / 1000;
      const m = this.#options.metrics;
      m.steps.inc({ role: "verifier" }, steps);
      if (seconds > 0 && steps > 0) m.stepsPerSecond.set({ role: "verifier" }, steps / seconds);
      return outcome;
    } catch (error) {
      throw queueError(error);
    }
  }

  /** Runs one task: its outcome as JSON (what the coordinator parses back) and the steps trained. */
  async #run(task: ReexecTask): Promise<{ outcome: unknown; steps: number }> {
    const { store } = this.#options;
    if (task.kind === "segment") {
      const v = await this.#jobs.get(BigInt(task.jobId), { round: task.round, epoch: task.epoch });
      const result = await checkSegment(v, store, task.segment, undefined, {
        interior: task.interior,
      });
      return { outcome: segmentOutcomeJson(result satisfies SegmentOutcome), steps: result.steps };
    }
    if (task.kind === "norms") {
      const v = await this.#jobs.get(BigInt(task.jobId), { round: task.round, epoch: task.epoch });
      const segments = normSegments(v, task.fraction, task.verifier);
      const checks = await checkNorms(v, store, segments);
      const outcome: NormsOutcome = { failed: checks.filter((c) => !c.ok), checked: checks.length };
      return { outcome, steps: 0 };
    }
    const question = await readStepQuestion(
      disputesOn(this.#options.chain),
      BigInt(task.disputeId),
    );
    // Availability is judged on what can be fetched now, after the provider's answer.
    const v = await this.#jobs.get(question.jobId, {
      fresh: question.kind === "Availability",
      epoch: task.epoch,
    });
    const chain = this.#options.chain;
    const verdict = await adjudicate(v, store, question, undefined, {
      awaitEnvelope: () =>
        awaitPreStateEnvelope(disputesOn(chain), question.disputeId, {
          now: async () => (await chain.publicClient.getBlock()).timestamp,
          commitWindow: chain.params.voteCommitWindow,
          pollMs: chain.publicClient.pollingInterval,
        }),
    });
    return {
      outcome: { ...verdict, distancePpm: verdict.distancePpm.toString() },
      steps: verdict.steps,
    };
  }
}

/**
 * A worker process (`--role worker`): connects to the chain (reads only), the store (through the
 * content-addressed cache; an IPFS node of its own that only reads, see workerIpfs) and the
 * coordinator's queue, and serves it until closed.
 */
export async function startWorkerNode(
  config: VerifierConfig,
  log: Logger,
): Promise<{ worker: ReexecWorker; metricsUrl?: string; close(): Promise<void> }> {
  const chain = await connectChain(config, { readOnly: true });
  const v = config.verifier;
  const reader = config.ipfs === undefined ? undefined : await workerIpfs(config.ipfs, log);
  if (reader !== undefined)
    log.info(
      { ignored: reader.ignored, repoDir: reader.ipfs.repoDir },
      "ipfs: this worker's node only reads: the config's repoDir and listen are ignored (a temporary repo, no listen address); it dials the configured peers",
    );
  let opened: Awaited<ReturnType<typeof cachedStore>>;
  try {
    opened = await cachedStore(
      reader === undefined ? config : { ...config, ipfs: reader.ipfs },
      log,
    );
  } catch (error) {
    await reader?.remove();
    throw error;
  }
  const store = opened.store;
  const closeStore = async (): Promise<void> => {
    try {
      await opened.close();
    } finally {
      await reader?.remove();
    }
  };
  const metrics = createMetrics("verifier");
  const worker = new ReexecWorker({
    chain,
    store,
    connection: await connectRedis(config.redisUrl, { worker: true }),
    prefix: config.redisPrefix,
    concurrency: v.concurrency,
    lockMs: v.lockMs,
    log,
    metrics,
  });
  worker.start();
  const server =
    config.metricsPort === null
      ? undefined
      : await startMetricsServer(metrics.registry, config.metricsPort);
  log.info(
    {
      chainId: chain.chainId,
      queue: `${config.redisPrefix}:${QUEUES.reexec}`,
      concurrency: v.concurrency,
    },
    "re-execution worker started",
  );
  return {
    worker,
    ...(server === undefined ? {} : { metricsUrl: server.url }),
    async close(): Promise<void> {
      try {
        await worker.close();
        await server?.close();
      } finally {
        await closeStore();
      }
    },
  };
}
