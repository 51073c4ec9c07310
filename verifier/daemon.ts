// The verifier daemon. One loop, polling the chain, and one BullMQ queue of re-execution tasks.
//
//   watch    scan JobMarket and DisputeGame events from the journal's cursor: opened jobs to
//            audit, disputes to keep, committees this account sits on
//   audit    one `reexec` task per (job, segment), id `seg-<job>-<segment>`, from the opened
//            leaves (LeavesOpened) whether or not the provider's manifest can be fetched, and one
//            `norms-<job>` task that checks committed update norms from the checkpoint blobs;
//            results land in the journal; once all are in, `decide` submits a fraud proof the
//            trace itself shows (top-Q, final digest), or challenges: a state that does not
//            reproduce, else a false loss or norm (claims), else a blob or manifest that cannot be
//            fetched (availability) — or, devnet `dishonest` mode, an honest segment
//   challenge commit (salt journaled first) → reveal a block later → play the challenger's side
//            of the dissection → publish the agreed pre-state for the committee; an availability
//            challenge the provider answered is re-checked and withdrawn when the blobs now load
//   referee  when drawn: a `reexec` task `ref-<dispute>` computes the verdict; commit (salt
//            journaled first) → reveal when reveals open, for every seat held (referee.ts)
//   keeper   finalize, expire, timeout, drawCommittee, resolve when due (anyone may; keeper.ts)
//   claim    pull credits from JobMarket and DisputeGame (claims.ts)
//
// This file holds the daemon's lifecycle, the watcher, the queue and the audit-and-challenge duty;
// the other duties get the chain, journal, transactions and queue injected (duty.ts), and every
// journal record with its states is in state-machine.ts.
//
// The chain and the journal are the truth; Redis is a work queue. On every tick the daemon makes
// sure each pending task exists in Redis (a restart, a Redis restart or a FLUSH loses nothing:
// missing tasks are added again under the same id), and every transaction goes through TxSender
// under a key that names what it is, so a restart never sends a second challenge, narrow or vote.
import { randomBytes } from "node:crypto";
import path from "node:path";

import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { bytesToHex, keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";

import { leafOf } from "../src/checkpoint/trace.ts";
import { isRetryable, oneLine, TransactionError } from "../src/errors.ts";
import { connectChain, type ChainContext } from "../src/node/chain.ts";
import { Journal } from "../src/node/journal.ts";
import { bindJournal, chainIdentity } from "../src/node/journal-identity.ts";
import { createLogger, type Logger } from "../src/node/log.ts";
import { createMetrics, startMetricsServer, type NodeMetrics } from "../src/node/metrics.ts";
import { connectRedis } from "../src/node/redis.ts";
import { TxSender, type ContractCall } from "../src/node/tx.ts";
import { chooseNarrowing } from "../src/protocol/dissection.ts";
import { hashLeaf, type TraceLeaf } from "../src/protocol/leaf.ts";
import { sampleSegments } from "../src/protocol/sampler.ts";
import { buildLevels, multiProof } from "../src/protocol/merkle.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import { HttpBlobStore } from "../src/store/http-client.ts";
import {
  JOB,
  OUTCOMES,
  PHASE,
  readDisputeOrigin,
  readDissection,
  readProbes,
  readStepQuestion,
  type DisputeOrigin,
} from "./chain-reads.ts";
import { assertConfigFitsChain, type VerifierConfig } from "./config.ts";
import { readOnchainJob, readVerifiableJob, UnverifiableJobError } from "./job-reader.ts";
import {
  adjudicate,
  checkSegment,
  ownSegmentDigests,
  publishStateAt,
  recordAt,
  type SegmentResult,
  type VerifiableJob,
} from "./segment-check.ts";
import {
  challengeCommitment,
  finalDigestEvidence,
  fraudCommitment,
  topQEvidence,
} from "../src/protocol/dispute-commitments.ts";
import { probeChallengeCommitment } from "../src/protocol/receipts.ts";
import { fetchCommitted } from "../src/engine/reexecute.ts";
import type { DisputeKindName } from "../src/protocol/onchain-enums.ts";
import { checkNorms, chooseDispute, findFraud, normSegments, type Fraud } from "./trace-checks.ts";
import { ensureVerifierStake } from "./stake.ts";
import { QUEUES, ReexecTaskSchema, queueError, taskId, type ReexecTask } from "./tasks.ts";
import { claimCredits } from "./claims.ts";
import { ZERO_DIGEST, type DutyContext, type Head } from "./duty.ts";
import type { VerifierEvent } from "./events.ts";
import { Keeper } from "./keeper.ts";
import { ReceiptDuty, type ProbeMismatch } from "./receipts.ts";
import { Referee } from "./referee.ts";
import {
  AUDIT_TRANSITIONS,
  type AuditRecord,
  type AuditState,
  type NormsRecord,
  type SegmentRecord,
} from "./state-machine.ts";

export interface VerifierDaemonOptions {
  log?: Logger;
  onEvent?: (event: VerifierEvent) => void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export class VerifierDaemon {
  readonly config: VerifierConfig;
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  private readonly onEvent: (event: VerifierEvent) => void;
  private chainContext: ChainContext | undefined;
  private journalFile: Journal | undefined;
  private txSender: TxSender | undefined;
  private store: BlobStore | undefined;
  private redis: Redis[] = [];
  private queue: Queue | undefined;
  private worker: Worker | undefined;
  private metricsServer: { url: string; close(): Promise<void> } | undefined;
  private readonly stop = new AbortController();
  private loopDone: Promise<void> | undefined;
  private readonly jobs = new Map<string, Promise<VerifiableJob>>();
  private readonly ownDigests = new Map<string, Hex[]>();
  private ticks = 0;
  /** The duties' shared context, and the duties with journal records of their own. */
  private dutyContext: DutyContext | undefined;
  private refereeDuty: Referee | undefined;
  private keeperDuty: Keeper | undefined;
  private receiptDuty: ReceiptDuty | undefined;

  constructor(config: VerifierConfig, options: VerifierDaemonOptions = {}) {
    this.config = config;
    this.log = options.log ?? createLogger({ name: "verifier", level: config.logLevel }).child({});
    this.metrics = createMetrics("verifier");
    this.onEvent = options.onEvent ?? ((): void => {});
  }

  get chain(): ChainContext {
    if (this.chainContext === undefined) throw new Error("the verifier daemon is not started");
    return this.chainContext;
  }
  private get journal(): Journal {
    if (this.journalFile === undefined) throw new Error("the verifier daemon is not started");
    return this.journalFile;
  }
  private get tx(): TxSender {
    return this.txSender!;
  }
  private get duty(): DutyContext {
    return this.dutyContext!;
  }
  private get referee(): Referee {
    return this.refereeDuty!;
  }
  private get keeper(): Keeper {
    return this.keeperDuty!;
  }
  private get receipts(): ReceiptDuty {
    return this.receiptDuty!;
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

  /** Connects everything and starts the loop and the workers. Throws on any start-up failure. */
  async start(): Promise<void> {
    try {
      this.chainContext = await connectChain(this.config);
      assertConfigFitsChain(this.config, this.chain.chainId);
      this.journalFile = await Journal.open(
        path.join(this.config.dataDir, `verifier-${this.chain.address.toLowerCase()}.json`),
      );
      await bindJournal(this.journal, await chainIdentity(this.chain));
      this.txSender = new TxSender(this.chain, this.journal, {
        log: this.log,
        metrics: this.metrics,
      });
      await this.tx.recover();
      this.dutyContext = {
        config: this.config,
        chain: this.chain,
        journal: this.journal,
        tx: this.tx,
        log: this.log,
        metrics: this.metrics,
        address: this.chain.address,
        emit: (event) => this.emit(event),
        ensureTask: (task) => this.ensureTask(task),
        guard: (what, run) => this.guard(what, run),
        isClosing: () => this.closing,
      };
      this.refereeDuty = new Referee(this.duty);
      this.keeperDuty = new Keeper(this.duty);
      this.receiptDuty = new ReceiptDuty(this.duty, (jobId, m) => this.probeChallenge(jobId, m));
      await ensureVerifierStake(
        this.chain,
        this.tx,
        this.config.verifier.stake ?? this.chain.params.minVerifierStake,
        this.log,
      );
      this.store = new HttpBlobStore({ url: this.config.storeUrl });
      const queueConnection = await connectRedis(this.config.redisUrl, { worker: true });
      this.redis.push(queueConnection);
      const workerConnection = await connectRedis(this.config.redisUrl, { worker: true });
      this.redis.push(workerConnection);
      const v = this.config.verifier;
      this.queue = new Queue(QUEUES.reexec, {
        connection: queueConnection,
        prefix: this.config.redisPrefix,
        defaultJobOptions: {
          attempts: v.attempts,
          backoff: { type: "exponential", delay: v.backoffMs },
          removeOnComplete: { count: 10_000 },
          removeOnFail: { count: 10_000 },
        },
      });
      this.worker = new Worker(QUEUES.reexec, (job: Job) => this.process(job), {
        connection: workerConnection,
        prefix: this.config.redisPrefix,
        concurrency: v.concurrency,
      });
      this.worker.on("failed", (job, error) => {
        this.metrics.tasks.inc({ queue: QUEUES.reexec, status: "failed" });
        this.log.warn(
          { task: job?.id, attempts: job?.attemptsMade, err: error.message },
          "task failed",
        );
      });
      this.worker.on("completed", () =>
        this.metrics.tasks.inc({ queue: QUEUES.reexec, status: "completed" }),
      );
      this.worker.on("error", (error) => this.log.warn({ err: oneLine(error) }, "worker error"));
      // Without a listener BullMQ prints a lost Redis connection to stderr, bypassing the log.
      this.queue.on("error", (error) => this.log.warn({ err: oneLine(error) }, "queue error"));
      if (this.config.metricsPort !== null)
        this.metricsServer = await startMetricsServer(
          this.metrics.registry,
          this.config.metricsPort,
        );
      this.log.info(
        {
          address: this.chain.address,
          chainId: this.chain.chainId,
          audit: v.audit,
          referee: v.referee,
          keeper: v.keeper,
          dishonest: v.dishonest,
        },
        "verifier started",
      );
      this.loopDone = this.loop();
    } catch (error) {
      await this.close().catch(() => {});
      throw error;
    }
  }

  /** Stops the loop and the workers; runs every cleanup step even if one fails. */
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
    await step("loop", () => this.loopDone);
    await step("worker", () => this.worker?.close());
    await step("queue", () => this.queue?.close());
    for (const connection of this.redis)
      await step("redis", async () => {
        if (connection.status !== "end") await connection.quit();
      });
    this.redis = [];
    await step("metrics server", () => this.metricsServer?.close());
    this.worker = undefined;
    this.queue = undefined;
    this.metricsServer = undefined;
    if (failures.length > 0)
      throw new AggregateError(failures, `verifier close: ${failures.length} step(s) failed`);
  }

  private get closing(): boolean {
    return this.stop.signal.aborted;
  }

  private async loop(): Promise<void> {
    while (!this.closing) {
      try {
        await this.tick();
      } catch (error) {
        this.log.warn({ err: oneLine(error) }, "tick failed; retrying next poll");
      }
      await sleep(this.config.pollIntervalMs, this.stop.signal);
    }
  }

  /** One pass: scan events, then advance every piece of work one step. */
  async tick(): Promise<void> {
    this.ticks += 1;
    const block = await this.chain.publicClient.getBlock({ blockTag: "latest" });
    const head: Head = { number: block.number, timestamp: block.timestamp };
    await this.scan(head);
    for (const key of this.journal.keys("audit:")) {
      if (this.closing) return;
      await this.guard(key, () => this.advanceAudit(BigInt(key.slice(6)), head));
    }
    for (const key of this.journal.keys("receipt:")) {
      if (this.closing) return;
      await this.guard(key, () => this.receipts.advance(BigInt(key.slice(8)), head));
    }
    if (this.config.verifier.referee)
      for (const key of this.journal.keys("referee:")) {
        if (this.closing) return;
        await this.guard(key, () => this.referee.advance(BigInt(key.slice(8)), head));
      }
    if (this.config.verifier.keeper) await this.keeper.keep(head);
    if (this.config.verifier.claimCredits && this.ticks % 4 === 1)
      await claimCredits(this.duty, head);
  }

  /** Runs one piece of work; its failure is logged and retried next tick, never fatal. */
  private async guard(what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.log.warn({ what, err: oneLine(error) }, "step failed; retrying next poll");
    }
  }

  // ---------------------------------------------------------------- watch

  private async scan(at: Head): Promise<void> {
    const head = at.number;
    const { market, disputeGame, receipts } = this.chain.contracts;
    const chunk = BigInt(this.config.verifier.logChunkBlocks);
    let cursor =
      this.journal.get<bigint>("cursor") ?? BigInt(this.chain.deployment.deployedAtBlock) - 1n;
    while (cursor < head && !this.closing) {
      const from = cursor + 1n;
      const to = head < cursor + chunk ? head : cursor + chunk;
      const [marketLogs, gameLogs, receiptLogs] = await Promise.all([
        this.chain.publicClient.getContractEvents({
          address: market.address,
          abi: market.abi,
          fromBlock: from,
          toBlock: to,
        }),
        this.chain.publicClient.getContractEvents({
          address: disputeGame.address,
          abi: disputeGame.abi,
          fromBlock: from,
          toBlock: to,
        }),
        this.chain.publicClient.getContractEvents({
          address: receipts.address,
          abi: receipts.abi,
          eventName: "ReceiptsOpened",
          fromBlock: from,
          toBlock: to,
        }),
      ]);
      const logs = [...marketLogs, ...gameLogs, ...receiptLogs].sort((a, b) =>
        a.blockNumber === b.blockNumber
          ? a.logIndex - b.logIndex
          : a.blockNumber < b.blockNumber
            ? -1
            : 1,
      );
      for (const log of logs) {
        try {
          await this.handle(log as unknown as ScannedLog, at);
        } catch (error) {
          // Retryable (RPC, Redis down): stop here, the cursor stays and the event is replayed.
          if (isRetryable(error)) throw error;
          // Anything else would fail again on every replay and stall the watcher: skip the event.
          this.log.error(
            { event: log.eventName, block: log.blockNumber.toString(), err: oneLine(error) },
            "event handler failed; event skipped",
          );
        }
      }
      cursor = to;
      await this.journal.set("cursor", cursor);
    }
  }

  /** Reacts to one event; idempotent (a crash before the cursor moves replays it). */
  private async handle(log: ScannedLog, head: Head): Promise<void> {
    const a = log.args;
    switch (log.eventName) {
      case "JobCreated":
        await this.keeper.onJobCreated(a.jobId as bigint);
        return;
      case "SamplesOpened":
        await this.onOpened(
          a.jobId as bigint,
          a.seed as Hex,
          (a.topIndices as readonly bigint[]).map(Number),
        );
        return;
      case "DisputeOpened":
        await this.keeper.onDisputeOpened(a.disputeId as bigint, a.jobId as bigint);
        return;
      case "ReceiptsOpened":
        if (this.config.verifier.receipts)
          await this.receipts.onOpened(
            a.jobId as bigint,
            a.snapshot as bigint,
            {
              commitEnd: a.commitEnd as bigint,
              publishEnd: a.publishEnd as bigint,
              revealEnd: a.revealEnd as bigint,
            },
            head,
          );
        return;
      case "CommitteeDrawn": {
        const disputeId = a.disputeId as bigint;
        const round = Number(a.round as bigint);
        const members = [...(a.members as readonly Address[])];
        await this.keeper.onCommittee(disputeId, round, members);
        await this.referee.onCommittee(
          disputeId,
          round,
          members,
          a.commitDeadline as bigint,
          a.revealDeadline as bigint,
        );
        return;
      }
      default:
        return;
    }
  }

  private async onOpened(jobId: bigint, seed: Hex, top: number[]): Promise<void> {
    const key = `audit:${jobId}`;
    const audit = this.config.verifier.audit;
    if (audit === "none" || this.journal.get(key) !== undefined) return;
    const job = await readOnchainJob(this.chain, jobId);
    const me = this.chain.address.toLowerCase();
    // docs/protocol.md §1: never verify, challenge or judge one's own job.
    if (job.provider.toLowerCase() === me || job.submitter.toLowerCase() === me) return;
    // A job already settled (seen while catching up on old blocks) has nothing left to check.
    if (job.status !== JOB.Opened && job.status !== JOB.Disputed) return;
    let segments: number[];
    if (audit === "all") segments = Array.from({ length: job.checkpoints }, (_, i) => i + 1);
    else {
      // The event's seed is the job's seed: the same pure sampler as the contract's (whose view
      // reverts once the seeding block hash is older than 256 blocks).
      const sampled = sampleSegments(seed, BigInt(job.checkpoints), job.samples).map(Number);
      segments = [...new Set([...sampled, ...top])].sort((x, y) => x - y);
    }
    await this.journal.set(key, { state: "auditing", segments } satisfies AuditRecord);
    this.log.info({ jobId: jobId.toString(), segments }, "auditing job");
    for (const segment of segments)
      await this.ensureTask({ kind: "segment", jobId: jobId.toString(), segment });
  }

  // ---------------------------------------------------------------- queue

  /**
   * Makes sure `task` is in Redis: added under its deterministic id unless a task with that id is
   * already there. A task that failed for good while the journal did not record it (a crash
   * between the two) is recorded now.
   */
  private async ensureTask(task: ReexecTask): Promise<void> {
    const id = taskId(task);
    const existing = await this.reexecQueue.getJob(id);
    if (existing === undefined || existing === null) {
      await this.reexecQueue.add(task.kind, task, { jobId: id });
      this.metrics.tasks.inc({ queue: QUEUES.reexec, status: "enqueued" });
      return;
    }
    if (await existing.isFailed())
      await this.recordFailure(task, existing.failedReason || "failed");
  }

  private async recordFailure(task: ReexecTask, error: string): Promise<void> {
    if (task.kind === "norms") {
      const key = `norms:${task.jobId}`;
      if (this.journal.get(key) === undefined)
        await this.journal.set(key, { error } satisfies NormsRecord);
      return;
    }
    if (task.kind === "segment") {
      const key = `result:${task.jobId}:${task.segment}`;
      if (this.journal.get(key) !== undefined) return;
      await this.journal.set(key, { error, segment: task.segment } satisfies SegmentRecord);
      this.metrics.segmentsVerified.inc({ result: "error" });
      this.emit({ type: "segment-error", jobId: BigInt(task.jobId), segment: task.segment, error });
    } else {
      await this.referee.recordFailure(BigInt(task.disputeId), error);
    }
  }

  private verifiable(jobId: bigint): Promise<VerifiableJob> {
    const key = jobId.toString();
    let cached = this.jobs.get(key);
    if (cached === undefined) {
      cached = readVerifiableJob(this.chain, this.store!, jobId);
      cached.catch(() => this.jobs.delete(key));
      this.jobs.set(key, cached);
    }
    return cached;
  }

  /** The BullMQ processor: parse, run, journal; poison becomes UnrecoverableError. */
  private async process(job: Job): Promise<unknown> {
    const parsed = ReexecTaskSchema.safeParse(job.data);
    if (!parsed.success) throw queueError(new Error(`malformed task ${job.id}: ${parsed.error}`));
    const task = parsed.data;
    try {
      const started = performance.now();
      let steps: number;
      let summary: unknown;
      if (task.kind === "segment") {
        const jobId = BigInt(task.jobId);
        const v = await this.verifiable(jobId);
        const result = await checkSegment(v, this.store!, task.segment, undefined, {
          interior: this.config.verifier.receipts,
        });
        await this.journal.set(`result:${task.jobId}:${task.segment}`, result);
        this.metrics.segmentsVerified.inc({ result: result.ok ? "ok" : "mismatch" });
        this.emit({ type: "segment-checked", jobId, segment: task.segment, ok: result.ok });
        steps = result.steps;
        summary = { ok: result.ok, failing: result.failing };
      } else if (task.kind === "norms") {
        const v = await this.verifiable(BigInt(task.jobId));
        const segments = normSegments(v, this.config.verifier.normCheckFraction, this.address);
        const checks = await checkNorms(v, this.store!, segments);
        const failed = checks.filter((c) => !c.ok);
        await this.journal.set(`norms:${task.jobId}`, {
          failed,
          checked: checks.length,
        } satisfies NormsRecord);
        steps = 0;
        summary = { checked: checks.length, failed: failed.length };
      } else {
        const disputeId = BigInt(task.disputeId);
        const question = await readStepQuestion(this.chain, disputeId);
        // Availability is judged on what can be fetched now, after the provider's answer.
        if (question.kind === "Availability") this.jobs.delete(question.jobId.toString());
        const v = await this.verifiable(question.jobId);
        const verdict = await adjudicate(v, this.store!, question);
        await this.referee.recordVerdict(disputeId, verdict);
        steps = verdict.steps;
        summary = { vote: verdict.vote };
      }
      const seconds = (performance.now() - started) / 1000;
      this.metrics.steps.inc({ role: "verifier" }, steps);
      if (seconds > 0 && steps > 0)
        this.metrics.stepsPerSecond.set({ role: "verifier" }, steps / seconds);
      return summary;
    } catch (error) {
      const thrown = queueError(error);
      const last =
        thrown.name === "UnrecoverableError" || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (last) await this.recordFailure(task, oneLine(error));
      throw thrown;
    }
  }

  // ---------------------------------------------------------------- audit and challenge

  private async setAudit(jobId: bigint, record: AuditRecord, next: AuditRecord): Promise<void> {
    if (record.state !== next.state) {
      const allowed: readonly string[] = AUDIT_TRANSITIONS[record.state];
      if (!allowed.includes(next.state))
        throw new Error(`job ${jobId}: audit cannot go from ${record.state} to ${next.state}`);
    }
    await this.journal.set(`audit:${jobId}`, next);
  }

  private async advanceAudit(jobId: bigint, head: Head): Promise<void> {
    const record = this.journal.get<AuditRecord>(`audit:${jobId}`)!;
    switch (record.state) {
      case "auditing":
        return this.decide(jobId, record);
      case "proving":
        return this.prove(jobId, record, head);
      case "challenging":
        return this.challenge(jobId, record, head);
      case "disputing":
        return this.playDispute(jobId, record);
      default:
        return;
    }
  }

  /**
   * Once every segment (and the norm check) has a result: prove a fraud the trace shows, or
   * challenge — a state that does not reproduce first (the strongest evidence), then a false loss
   * or norm, then a blob that cannot be fetched — or pass the job.
   */
  private async decide(jobId: bigint, record: AuditRecord): Promise<void> {
    const results: SegmentRecord[] = [];
    for (const segment of record.segments) {
      const result = this.journal.get<SegmentRecord>(`result:${jobId}:${segment}`);
      if (result === undefined) {
        // Re-added if Redis lost it (restart, flush); a no-op while it is queued or running.
        await this.ensureTask({ kind: "segment", jobId: jobId.toString(), segment });
        continue;
      }
      results.push(result);
    }
    if (results.length < record.segments.length) return;
    let v: VerifiableJob;
    try {
      v = await this.verifiable(jobId);
    } catch (error) {
      // The spec or the artefacts it names do not load (the segment tasks failed as poison too):
      // nothing here can be checked or disputed.
      if (!(error instanceof UnverifiableJobError)) throw error;
      await this.setAudit(jobId, record, { ...record, state: "unverifiable" });
      this.emit({ type: "decided", jobId, state: "unverifiable" });
      return;
    }
    let norms: NormsRecord | undefined;
    if (v.manifestProblem === undefined && this.config.verifier.normCheckFraction > 0) {
      norms = this.journal.get<NormsRecord>(`norms:${jobId}`);
      if (norms === undefined) {
        await this.ensureTask({ kind: "norms", jobId: jobId.toString() });
        return;
      }
    }

    const fraud = this.config.verifier.dishonest ? undefined : await this.fraudOf(jobId, v);
    if (fraud !== undefined) {
      // The salt is journaled before the commit transaction: a restart reveals this commitment.
      const salt = bytesToHex(randomBytes(32));
      await this.setAudit(jobId, record, { ...record, state: "proving", proof: { salt } });
      this.log.warn({ jobId: jobId.toString(), fraud: fraud.kind }, "the trace proves a fraud");
      this.emit({ type: "decided", jobId, state: "proving" });
      return;
    }

    const target = this.config.verifier.dishonest
      ? {
          // Devnet test behaviour: a made-up end digest for the first audited segment.
          kind: "State" as const,
          segment: record.segments[0]!,
          claim: keccak256(toHex(`assay dishonest claim ${jobId}`)),
        }
      : await this.target(jobId, v, results, norms);
    if (target === undefined) {
      const errors =
        results.filter((r) => r.error !== undefined).length + (norms?.error === undefined ? 0 : 1);
      const state: AuditState = errors > 0 ? "unverifiable" : "passed";
      await this.setAudit(jobId, record, { ...record, state });
      this.emit({ type: "decided", jobId, state });
      return;
    }
    // The salt is journaled before the commit transaction: a restart reveals this commitment.
    const salt = bytesToHex(randomBytes(32));
    await this.setAudit(jobId, record, {
      ...record,
      state: "challenging",
      challenge: { ...target, salt },
    });
    this.emit({ type: "decided", jobId, state: "challenging" });
  }

  /** The dispute to open over the audit's findings (chooseDispute), with the digest it names. */
  private async target(
    jobId: bigint,
    v: VerifiableJob,
    results: readonly SegmentRecord[],
    norms: NormsRecord | undefined,
  ): Promise<{ kind: DisputeKindName; segment: number; claim: Hex } | undefined> {
    const checked = results.filter((r): r is SegmentResult => r.error === undefined);
    const normChecks = norms?.error === undefined ? (norms?.failed ?? []) : [];
    const choice = chooseDispute(checked, normChecks, v.manifestProblem);
    if (choice === undefined) return undefined;
    const { kind, segment } = choice;
    if (kind === "State") {
      const own = await this.ownDigests_(jobId, segment);
      return { kind, segment, claim: own.at(-1)! };
    }
    if (kind === "Claims") return { kind, segment, claim: recordAt(v, segment).stateDigest };
    if (v.manifestProblem !== undefined)
      this.log.warn(
        { jobId: jobId.toString(), problem: v.manifestProblem },
        "the provider's trace manifest cannot be used: availability challenge",
      );
    return { kind, segment, claim: ZERO_DIGEST };
  }

  /** A fraud the committed trace proves against the job's on-chain claims, or undefined. */
  private async fraudOf(jobId: bigint, v: VerifiableJob): Promise<Fraud | undefined> {
    const onchain = await readOnchainJob(this.chain, jobId);
    return findFraud(v, {
      topQ: onchain.topQ,
      topAbove: onchain.topAbove,
      minTopNorm: onchain.minTopNorm,
      finalDigest: onchain.finalDigest,
    });
  }

  /**
   * Proves the fraud by commit–reveal (FraudProofs slashes at once; no bond, no dispute): the
   * commitment binds the evidence and this address, so a copied reveal fails.
   */
  private async prove(jobId: bigint, record: AuditRecord, head: Head): Promise<void> {
    const p = record.proof!;
    const fp = this.chain.contracts.fraudProofs;
    const fraud = await this.fraudOf(jobId, await this.verifiable(jobId));
    if (fraud === undefined) throw new Error(`job ${jobId}: the fraud found earlier is gone`);
    const evidence =
      fraud.kind === "topQ"
        ? topQEvidence(fraud.leaves, fraud.proof)
        : finalDigestEvidence(fraud.leaf, fraud.proof);
    if (p.commitBlock === undefined) {
      const commitment = fraudCommitment(fraud.kind, jobId, evidence, p.salt, this.address);
      const receipt = await this.send(
        `fraud-commit:${jobId}`,
        `commit fraud proof of job ${jobId}`,
        {
          address: fp.address,
          abi: fp.abi,
          functionName: "commitProof",
          args: [commitment],
        },
      );
      await this.setAudit(jobId, record, {
        ...record,
        proof: { ...p, commitBlock: receipt.blockNumber },
      });
      return;
    }
    if (head.number <= p.commitBlock) return;
    const call: ContractCall =
      fraud.kind === "topQ"
        ? {
            address: fp.address,
            abi: fp.abi,
            functionName: "proveTopQFraud",
            args: [jobId, fraud.leaves, fraud.proof, p.salt],
          }
        : {
            address: fp.address,
            abi: fp.abi,
            functionName: "proveFinalDigestFraud",
            args: [jobId, fraud.leaf, fraud.proof, p.salt],
          };
    try {
      await this.send(`fraud:${jobId}`, `prove ${fraud.kind} fraud of job ${jobId}`, call);
      this.metrics.disputes.inc({ role: "challenger", outcome: `fraud-${fraud.kind}` });
      this.emit({ type: "fraud-proven", jobId, kind: fraud.kind });
    } catch (error) {
      // Refused: another prover (or a dispute) slashed the job first.
      if (!(error instanceof TransactionError)) throw error;
      this.log.info({ jobId: jobId.toString(), revert: error.revert }, "fraud proof refused");
    }
    await this.setAudit(jobId, record, { ...record, state: "proven" });
    this.emit({ type: "decided", jobId, state: "proven" });
  }

  private async ownDigests_(jobId: bigint, segment: number): Promise<Hex[]> {
    const key = `${jobId}:${segment}`;
    let own = this.ownDigests.get(key);
    if (own === undefined) {
      own = await ownSegmentDigests(await this.verifiable(jobId), this.store!, segment);
      if (this.config.verifier.dishonest)
        own = [...own.slice(0, -1), keccak256(toHex(`assay dishonest claim ${jobId}`))];
      this.ownDigests.set(key, own);
    }
    return own;
  }

  private async challenge(jobId: bigint, record: AuditRecord, head: Head): Promise<void> {
    const c = record.challenge!;
    const game = this.chain.contracts.disputeGame;
    const commitKey = `challenge-commit:${jobId}:${c.segment}`;
    if (c.commitBlock === undefined) {
      if (!this.tx.sent(commitKey)) {
        const job = await readOnchainJob(this.chain, jobId);
        const open = job.status === JOB.Opened || job.status === JOB.Disputed;
        if (!open || head.timestamp >= BigInt(job.deadline)) {
          await this.setAudit(jobId, record, { ...record, state: "late" });
          this.emit({ type: "decided", jobId, state: "late" });
          return;
        }
      }
      const commitment = (
        c.probeStep === undefined ? challengeCommitment : probeChallengeCommitment
      )(jobId, c.segment, c.claim, c.salt, this.address);
      const receipt = await this.send(commitKey, `commit challenge of job ${jobId}`, {
        address: game.address,
        abi: game.abi,
        functionName: "commitChallenge",
        args: [commitment],
      });
      await this.setAudit(jobId, record, {
        ...record,
        challenge: { ...c, commitBlock: receipt.blockNumber },
      });
      this.emit({ type: "challenge-committed", jobId, segment: c.segment });
      return;
    }
    // The reveal must be in a later block than the commit (nobody can copy it from the mempool).
    if (head.number <= c.commitBlock) return;
    const v = await this.verifiable(jobId);
    const { leaves, proof } = challengeLeaves(v, c.segment);
    const probes = c.probeStep === undefined ? undefined : await readProbes(this.chain, jobId);
    const receipt = await this.send(
      `challenge-reveal:${jobId}:${c.segment}`,
      `reveal challenge of job ${jobId}`,
      probes === undefined
        ? {
            address: game.address,
            abi: game.abi,
            functionName: "revealChallenge",
            args: [jobId, BigInt(c.segment), c.claim, c.salt, leaves, proof],
          }
        : {
            address: game.address,
            abi: game.abi,
            functionName: "revealProbeChallenge",
            args: [
              jobId,
              BigInt(c.segment),
              c.claim,
              c.salt,
              leaves,
              proof,
              {
                segments: [...probes.segments],
                steps: [...probes.steps],
                digests: [...probes.digests],
              },
            ],
          },
    );
    const [opened] = parseEventLogs({
      abi: game.abi,
      logs: receipt.logs,
      eventName: "DisputeOpened",
    });
    if (opened === undefined) throw new Error("revealChallenge emitted no DisputeOpened event");
    const disputeId = opened.args.disputeId;
    await this.setAudit(jobId, record, {
      ...record,
      state: "disputing",
      challenge: { ...c, disputeId },
    });
    this.metrics.disputes.inc({ role: "challenger", outcome: "opened" });
    this.emit({ type: "dispute-opened", jobId, disputeId, segment: c.segment });
  }

  /**
   * A provider probe digest (receipts) that differs from this verifier's own: on an exact job whose
   * audit passed, challenge it (a state dispute over the segment's first `step` steps); a job
   * already in a dispute of this verifier's, or a tolerance job, is left as it is.
   */
  private async probeChallenge(jobId: bigint, m: ProbeMismatch): Promise<void> {
    const record = this.journal.get<AuditRecord>(`audit:${jobId}`);
    if (record === undefined || record.state !== "passed") return;
    const v = await this.verifiable(jobId);
    if (v.numerics !== "exact" || this.config.verifier.dishonest) return;
    const salt = bytesToHex(randomBytes(32));
    this.log.warn({ jobId: jobId.toString(), ...m }, "challenging the provider's probe digest");
    await this.setAudit(jobId, record, {
      ...record,
      state: "challenging",
      challenge: { kind: "State", segment: m.segment, claim: m.own, salt, probeStep: m.step },
    });
    this.emit({ type: "decided", jobId, state: "challenging" });
  }

  /** The challenger's side: narrow with its own digests, publish the agreed pre-state, watch the end. */
  private async playDispute(jobId: bigint, record: AuditRecord): Promise<void> {
    const c = record.challenge!;
    const disputeId = c.disputeId!;
    const game = this.chain.contracts.disputeGame;
    if (c.kind === "Availability" && !c.rechecked) {
      const d = await game.read.getDispute([disputeId]);
      if (d.phase === PHASE.Answer) return; // the provider's clock runs; the keeper times it out
      if (d.phase === PHASE.AwaitingCommittee) {
        // The provider answered: fetch again and check the segment. Available and sound → withdraw
        // (bond back) before the committee is drawn and audit the job afresh; otherwise the
        // committee, which judges the whole segment, will find the same.
        if (await this.availableNow(jobId, c.segment)) {
          await this.send(`withdraw:${disputeId}`, `withdraw challenge ${disputeId}`, {
            address: game.address,
            abi: game.abi,
            functionName: "withdrawChallenge",
            args: [disputeId],
          });
          this.emit({ type: "challenge-withdrawn", jobId, disputeId });
          await this.reaudit(jobId, record);
          return;
        }
        await this.setAudit(jobId, record, { ...record, challenge: { ...c, rechecked: true } });
        return;
      }
    }
    const origin: DisputeOrigin = await readDisputeOrigin(this.chain, disputeId);
    const view = await readDissection(this.chain, origin);
    if (view.phase === PHASE.Dissection) {
      if (view.providerTurn || view.posted === undefined) return;
      const own = await this.ownDigests_(jobId, c.segment);
      const move = chooseNarrowing(view.lo, view.hi, view.current, view.posted, (offset) => {
        const digest = own[offset];
        if (digest === undefined) throw new Error(`no own digest at offset ${offset}`);
        return digest;
      });
      await this.send(`narrow:${disputeId}:${view.lo}:${view.hi}`, `narrow dispute ${disputeId}`, {
        address: game.address,
        abi: game.abi,
        functionName: "narrow",
        args: [disputeId, view.current, view.posted, BigInt(move.choice), move.ownDigest],
      });
      this.emit({ type: "narrowed", disputeId, lo: move.lo, hi: move.hi });
      return;
    }
    const v = await this.verifiable(jobId);
    if (
      !c.published &&
      c.kind === "State" &&
      v.numerics === "exact" &&
      view.phase !== PHASE.Resolved
    ) {
      // Both sides agreed on the pre-state's digest: publish it, recomputed, so the committee does
      // not depend on a cheating provider making it available.
      const question = await readStepQuestion(this.chain, disputeId);
      await publishStateAt(v, this.store!, c.segment, question.step - 1);
      await this.setAudit(jobId, record, { ...record, challenge: { ...c, published: true } });
      return;
    }
    if (view.phase === PHASE.Resolved) {
      const d = await game.read.getDispute([disputeId]);
      const outcome = OUTCOMES[d.outcome] ?? `outcome ${d.outcome}`;
      await this.setAudit(jobId, record, {
        ...record,
        state: "done",
        challenge: { ...c, outcome },
      });
      this.metrics.disputes.inc({ role: "challenger", outcome });
      this.emit({ type: "dispute-resolved", disputeId, outcome });
    }
  }

  /**
   * Whether the manifest and checkpoints segment − 1 and segment load intact now and the segment
   * passes re-execution: what the committee of an availability dispute will judge.
   */
  private async availableNow(jobId: bigint, segment: number): Promise<boolean> {
    this.jobs.delete(jobId.toString());
    const v = await this.verifiable(jobId);
    if (v.manifestProblem !== undefined) return false;
    // checkSegment fails a start it cannot fetch (an availability fault in both numerics) and, in
    // tolerance numerics, an end; exact numerics compare the end by digest, so fetch it here.
    const end = await fetchCommitted(this.store!, recordAt(v, segment), v.job.program.info);
    return end !== undefined && (await checkSegment(v, this.store!, segment)).ok;
  }

  /**
   * Audits a job again after a withdrawn availability challenge: results that depended on what
   * could not be fetched (availability faults, errors, the norm check) are dropped and re-run.
   */
  private async reaudit(jobId: bigint, record: AuditRecord): Promise<void> {
    for (const segment of record.segments) {
      const key = `result:${jobId}:${segment}`;
      const result = this.journal.get<SegmentRecord>(key);
      if (result !== undefined && (result.error !== undefined || result.fault === "availability")) {
        await this.journal.delete(key);
        await this.reexecQueue.remove(
          taskId({ kind: "segment", jobId: jobId.toString(), segment }),
        );
      }
    }
    await this.journal.delete(`norms:${jobId}`);
    await this.reexecQueue.remove(taskId({ kind: "norms", jobId: jobId.toString() }));
    const { challenge: _withdrawn, ...rest } = record;
    await this.setAudit(jobId, record, { ...rest, state: "auditing" });
  }

  private send(key: string, action: string, call: ContractCall): ReturnType<TxSender["send"]> {
    return this.tx.send(key, action, call);
  }
}

/**
 * The leaves a challenge of `segment` quotes, with their multi-proof: leaves segment − 1 and
 * segment from the manifest, or — when the manifest cannot be used — the whole on-chain opening.
 */
function challengeLeaves(v: VerifiableJob, segment: number): { leaves: TraceLeaf[]; proof: Hex[] } {
  if (v.manifestProblem === undefined) {
    const leaves = v.records.slice(1).map((r) => leafOf(r!));
    const levels = buildLevels(leaves.map((leaf) => hashLeaf(v.jobId, leaf)));
    const indices = segment === 1 ? [1] : [segment - 1, segment];
    return {
      leaves: indices.map((i) => leaves[i - 1]!),
      proof: multiProof(
        levels,
        indices.map((i) => i - 1),
      ),
    };
  }
  if (v.opening === undefined) throw new Error(`job ${v.jobId} has no opening to quote`);
  return v.opening;
}

/** An event as getContractEvents decodes it, for either contract. */
interface ScannedLog {
  eventName: string;
  args: Record<string, unknown>;
  blockNumber: bigint;
  logIndex: number;
}
