// The verifier daemon: one coordinator per verifier account, and the re-execution workers that
// serve it. The coordinator is handed the account's chain client, journal, transactions, store and
// Redis connections (connect.ts; openVerifierDaemon opens them), owns its queue, and runs two
// loops on them:
//
//   duties   watch.ts   scan events from the journal's cursor and hand them to the duties
//            audit.ts   re-execute the opened segments and check the committed norms (tasks in
//                       the queue), decide, prove a fraud or challenge, play the dissection
//            receipts.ts  commit, reveal and claim receipts for the jobs audited
//            referee.ts   when drawn onto a committee: adjudicate (a task), commit and reveal votes
//   keeper   keeper.ts  finalize, expire, time out, draw committees, resolve when due (anyone may),
//            claims.ts  pull credits — on a loop of its own, so a keeper with much to do never
//                       delays an audit
//
// Re-execution runs in ReexecWorker (reexec-worker.ts): inside this process (role `all`), or in
// worker processes on this machine or others (role `coordinator` here, `worker` there), any number
// of them consuming the same BullMQ queue. Workers return outcomes through BullMQ; the coordinator
// alone journals them (task-queue.ts).
//
// The chain and the journal are the truth; Redis is a work queue. On every tick the daemon makes
// sure each pending task exists in Redis (a restart, a Redis restart or a FLUSH loses nothing:
// missing tasks are added again under the same id), and every transaction goes through TxSender
// under a key that names what it is, so a restart never sends a second challenge, narrow or vote.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import { Queue } from "bullmq";
import type { Address } from "viem";

import { oneLine } from "../src/errors.ts";
import type { ChainContext } from "../src/node/chain.ts";
import type { Journal } from "../src/node/journal.ts";
import { createLogger, type Logger } from "../src/node/log.ts";
import { createMetrics, startMetricsServer, type NodeMetrics } from "../src/node/metrics.ts";
import { Audit } from "./audit.ts";
import { claimCredits } from "./claims.ts";
import type { VerifierConfig } from "./config.ts";
import { connectVerifier, type VerifierConnections } from "./connect.ts";
import type { DutyContext, Head } from "./duty.ts";
import type { VerifierEvent } from "./events.ts";
import { JobCache } from "./job-cache.ts";
import { Keeper } from "./keeper.ts";
import { ReceiptDuty } from "./receipts.ts";
import { ReexecWorker } from "./reexec-worker.ts";
import { Referee } from "./referee.ts";
import { ensureVerifierStake } from "./stake.ts";
import { TaskQueue } from "./task-queue.ts";
import { QUEUES } from "./tasks.ts";
import { Watcher } from "./watch.ts";
import { WaitNotes } from "../src/node/wait-notes.ts";

export interface VerifierDaemonOptions {
  log?: Logger;
  metrics?: NodeMetrics;
  onEvent?: (event: VerifierEvent) => void;
}

/**
 * Opens the connections a coordinator runs on (connect.ts), tops the verifier stake up to the
 * configured amount and returns the daemon, not yet started. The daemon owns the connections from
 * here: its close() releases them.
 */
export async function openVerifierDaemon(
  config: VerifierConfig,
  options: VerifierDaemonOptions = {},
): Promise<VerifierDaemon> {
  if (config.verifier.role === "worker")
    throw new Error("role worker is a ReexecWorker process (startWorkerNode), not a daemon");
  const log = options.log ?? createLogger({ name: "verifier", level: config.logLevel }).child({});
  const metrics = options.metrics ?? createMetrics("verifier");
  const connections = await connectVerifier(config, log, metrics);
  try {
    await ensureVerifierStake(
      connections.chain,
      connections.tx,
      config.verifier.stake ?? connections.chain.params.minVerifierStake,
      log,
    );
  } catch (error) {
    await connections.close().catch(() => undefined);
    throw error;
  }
  return new VerifierDaemon(config, connections, { ...options, log, metrics });
}

export class VerifierDaemon {
  readonly config: VerifierConfig;
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  readonly chain: ChainContext;
  private readonly journal: Journal;
  private readonly connections: VerifierConnections;
  private readonly onEvent: (event: VerifierEvent) => void;
  private queue: Queue | undefined;
  private tasks: TaskQueue | undefined;
  private worker: ReexecWorker | undefined;
  private metricsServer: { url: string; close(): Promise<void> } | undefined;
  private readonly stop = new AbortController();
  private loops: Promise<void>[] = [];
  private ticks = 0;
  private duties:
    | {
        ctx: DutyContext;
        watch: Watcher;
        audit: Audit;
        receipts: ReceiptDuty;
        referee: Referee;
        keeper: Keeper;
      }
    | undefined;

  /** A coordinator over `connections` (see openVerifierDaemon), which it closes when closed. */
  constructor(
    config: VerifierConfig,
    connections: VerifierConnections,
    options: VerifierDaemonOptions = {},
  ) {
    if (config.verifier.role === "worker")
      throw new Error("role worker is a ReexecWorker process (startWorkerNode), not a daemon");
    this.config = config;
    this.connections = connections;
    this.chain = connections.chain;
    this.journal = connections.journal;
    this.log = options.log ?? createLogger({ name: "verifier", level: config.logLevel }).child({});
    this.metrics = options.metrics ?? createMetrics("verifier");
    this.onEvent = options.onEvent ?? ((): void => {});
  }
  private get d(): NonNullable<VerifierDaemon["duties"]> {
    if (this.duties === undefined) throw new Error("the verifier daemon is not started");
    return this.duties;
  }
  get address(): Address {
    return this.chain.address;
  }
  /** The re-execution queue (tests inspect tasks through it). */
  get reexecQueue(): Queue {
    if (this.queue === undefined) throw new Error("the verifier daemon is not started");
    return this.queue;
  }
  get metricsUrl(): string | undefined {
    return this.metricsServer?.url;
  }

  private emit(event: VerifierEvent): void {
    this.log.info(
      Object.fromEntries(
        Object.entries(event).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]),
      ),
      event.type,
    );
    try {
      this.onEvent(event);
    } catch (error) {
      this.log.warn({ err: oneLine(error) }, "event listener failed");
    }
  }

  /** Builds the queue and the duties and starts the loops (and the worker); on failure, closes. */
  async start(): Promise<void> {
    try {
      // The queue's tasks carry this journal's epoch: outcomes left in Redis for another journal
      // (a chain reset, a redeploy) are never read as this one's.
      let epoch = this.journal.get<string>("taskEpoch");
      if (epoch === undefined) {
        epoch = randomBytes(8).toString("hex");
        await this.journal.set("taskEpoch", epoch);
      }
      const { tx, store, queueRedis, workerRedis } = this.connections;
      const v = this.config.verifier;
      this.queue = new Queue(QUEUES.reexec, {
        connection: queueRedis,
        prefix: this.config.redisPrefix,
        defaultJobOptions: {
          attempts: v.attempts,
          backoff: { type: "exponential", delay: v.backoffMs },
          // Outcomes stay until the coordinator has read them (it reads every poll).
          removeOnComplete: { count: 10_000 },
          removeOnFail: { count: 10_000 },
        },
      });
      // Without a listener BullMQ prints a lost Redis connection to stderr, bypassing the log.
      this.queue.on("error", (error) => this.log.warn({ err: oneLine(error) }, "queue error"));
      const ctx: DutyContext = {
        config: this.config,
        chain: this.chain,
        journal: this.journal,
        tx,
        log: this.log,
        waits: new WaitNotes(this.log),
        metrics: this.metrics,
        address: this.chain.address,
        store,
        jobs: new JobCache(this.chain, store, { epoch }),
        emit: (event) => this.emit(event),
        ensureTask: (task) => this.tasks!.ensure(task),
        guard: (what, run) => this.guard(what, run),
        isClosing: () => this.closing,
      };
      const audit = new Audit(ctx);
      const referee = new Referee(ctx);
      const keeper = new Keeper(ctx);
      const receipts = new ReceiptDuty(ctx, (jobId, m) => audit.probeChallenge(jobId, m));
      const watch = new Watcher(ctx, {
        jobCreated: (jobId) => keeper.onJobCreated(jobId),
        samplesOpened: (jobId, seed, top) => audit.onOpened(jobId, seed, top),
        disputeOpened: (disputeId, jobId) => keeper.onDisputeOpened(disputeId, jobId),
        receiptsOpened: async (jobId, snapshot, phases, head) => {
          if (v.receipts) await receipts.onOpened(jobId, snapshot, phases, head);
        },
        committeeDrawn: async (disputeId, round, members, commitDeadline, revealDeadline) => {
          await keeper.onCommittee(disputeId, round, members);
          await referee.onCommittee(disputeId, round, members, commitDeadline, revealDeadline);
        },
      });
      this.duties = { ctx, watch, audit, receipts, referee, keeper };
      this.tasks = new TaskQueue(
        this.queue,
        {
          segment: {
            outcome: (task, result) => audit.onSegment(task, result),
            failure: (task, error) => audit.onSegmentFailure(task, error),
          },
          norms: {
            outcome: (task, outcome) => audit.onNorms(task, outcome),
            failure: (task, error) => audit.onNorms(task, { error }),
          },
          referee: {
            outcome: (task, verdict) => referee.recordVerdict(BigInt(task.disputeId), verdict),
            failure: (task, error) => referee.recordFailure(BigInt(task.disputeId), error),
          },
        },
        this.metrics,
        this.log,
        epoch,
      );
      if (workerRedis !== undefined) {
        this.worker = new ReexecWorker({
          chain: this.chain,
          store,
          jobs: ctx.jobs,
          connection: workerRedis,
          prefix: this.config.redisPrefix,
          concurrency: v.concurrency,
          lockMs: v.lockMs,
          log: this.log,
          metrics: this.metrics,
        });
        this.worker.start();
      }
      if (this.config.metricsPort !== null)
        this.metricsServer = await startMetricsServer(
          this.metrics.registry,
          this.config.metricsPort,
        );
      this.log.info(
        {
          address: this.chain.address,
          chainId: this.chain.chainId,
          role: v.role,
          audit: v.audit,
          referee: v.referee,
          keeper: v.keeper,
          dishonest: v.dishonest,
        },
        "verifier started",
      );
      this.loops = [this.loop("duties", (head) => this.tick(head))];
      if (v.keeper || v.claimCredits)
        this.loops.push(this.loop("keeper", (head) => this.keep(head)));
    } catch (error) {
      await this.close().catch(() => {});
      throw error;
    }
  }

  /** Stops the loops and the worker; runs every cleanup step even if one fails. */
  async close(): Promise<void> {
    this.stop.abort();
    const failures: unknown[] = [];
    const step = async (what: string, run: () => Promise<unknown> | undefined): Promise<void> => {
      try {
        await run();
      } catch (error) {
        failures.push(error);
        this.log.warn({ err: oneLine(error) }, `close: ${what} failed`);
      }
    };
    await step("loops", () => Promise.all(this.loops));
    await step("worker", () => this.worker?.close());
    await step("queue", () => this.queue?.close());
    await step("metrics server", () => this.metricsServer?.close());
    // Last: the loops and the worker read through them (the store is closed last of all).
    await step("connections", () => this.connections.close());
    this.worker = undefined;
    this.queue = undefined;
    this.metricsServer = undefined;
    if (failures.length > 0)
      throw new AggregateError(failures, `verifier close: ${failures.length} step(s) failed`);
  }

  private get closing(): boolean {
    return this.stop.signal.aborted;
  }

  /** Runs `pass` against the chain head every poll until closed; a failed pass is retried. */
  private async loop(name: string, pass: (head: Head) => Promise<void>): Promise<void> {
    while (!this.closing) {
      try {
        const block = await this.chain.publicClient.getBlock({ blockTag: "latest" });
        await pass({ number: block.number, timestamp: block.timestamp });
      } catch (error) {
        this.log.warn({ loop: name, err: oneLine(error) }, "pass failed; retrying next poll");
      }
      await sleep(this.config.pollIntervalMs, undefined, { signal: this.stop.signal }).catch(
        () => undefined,
      );
    }
  }

  /** One pass of the duties: scan events, then advance every audit, receipt and seat one step. */
  private async tick(head: Head): Promise<void> {
    const { watch, audit, receipts, referee } = this.d;
    await watch.scan(head);
    for (const key of this.journal.keys("audit:")) {
      if (this.closing) return;
      await this.guard(key, () => audit.advance(BigInt(key.slice(6)), head));
    }
    for (const key of this.journal.keys("receipt:")) {
      if (this.closing) return;
      await this.guard(key, () => receipts.advance(BigInt(key.slice(8)), head));
    }
    if (this.config.verifier.referee)
      for (const key of this.journal.keys("referee:")) {
        if (this.closing) return;
        await this.guard(key, () => referee.advance(BigInt(key.slice(8)), head));
      }
  }

  /** One pass of the keeper's loop: whatever is due, then credits (every fourth pass). */
  private async keep(head: Head): Promise<void> {
    this.ticks += 1;
    if (this.config.verifier.keeper) await this.d.keeper.keep(head);
    if (this.config.verifier.claimCredits && this.ticks % 4 === 1) await claimCredits(this.d.ctx);
  }

  /** Runs one piece of work; its failure is logged and retried next tick, never fatal. */
  private async guard(what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.log.warn({ what, err: oneLine(error) }, "step failed; retrying next poll");
    }
  }
}
