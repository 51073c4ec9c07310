// The provider daemon: watches the job market for jobs it can serve, accepts, trains (checkpoints to
// its own durable store and the shared store), commits progress, submits, opens its samples once the
// seed exists, plays its side of disputes, finalizes and claims its credit.
//
// This module owns the loop and each job's life (worker/state-machine.ts): it reads the job on
// chain, asks the part that does the state's work, and moves the job on what that part says. The
// parts get a WorkerContext (context.ts) injected:
//
//   watch.ts     scan new blocks for jobs created and disputes opened on ours
//   filter.ts    whether to take a discovered job
//   market.ts    accept, submit, wait for and record the seed, open the samples, finalize
//   training.ts  train from the last journaled checkpoint, commit progress
//   disputes.ts  answer availability challenges and dissection turns; time out, draw, resolve
//   probes.ts    publish the probe digests receipts are owed
//   claims.ts    pull the credit owed
//
// Crash safety comes from three things (docs/worker.md): every decision is taken from the ON-CHAIN
// state of the job together with the journal (so a restarted daemon continues where the chain is,
// not where it believes it was); every transaction goes through TxSender under a stable key
// (`accept:<jobId>`, `submit:<jobId>`, …), which journals the signed transaction before broadcasting
// it, so a restart waits for the same transaction instead of sending a second one; and a checkpoint
// is journaled only once it is durable in the local store and uploaded, so training resumes from the
// last journaled checkpoint and none is lost.
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import type { ChainContext } from "../src/node/chain.ts";
import type { Journal } from "../src/node/journal.ts";
import { bindJournal, chainIdentity } from "../src/node/journal-identity.ts";
import { JobSpecUnusableError, readOnchainJob } from "../src/node/job-reader.ts";
import type { Logger } from "../src/node/log.ts";
import type { NodeMetrics } from "../src/node/metrics.ts";
import { statusName } from "../src/node/onchain-job.ts";
import { openSharedStore } from "../src/node/shared-store.ts";
import { WaitNotes } from "../src/node/wait-notes.ts";
import type { BlobStore, StreamingBlobStore } from "../src/store/blob-store.ts";
import { CreditClaims } from "./claims.ts";
import type { WorkerConfig } from "./config.ts";
import type { TxPort, WorkerContext } from "./context.ts";
import { Disputes } from "./disputes.ts";
import { filterJob } from "./filter.ts";
import { JobSpecs } from "./job-specs.ts";
import { JOB_PREFIX, jobKey, type JobEntry } from "./journal-records.ts";
import { acceptJob, finalizeJob, isOurs, openSamples, seedReady, submitJob } from "./market.ts";
import { publishProbes } from "./probes.ts";
import { isTerminal, transition, type JobEvent, type JobState } from "./state-machine.ts";
import { trainJob } from "./training.ts";
import { scanNewBlocks } from "./watch.ts";

export type { TxPort } from "./context.ts";
export type { JobEntry } from "./journal-records.ts";

export interface ProviderDaemonOptions {
  config: WorkerConfig;
  chain: ChainContext;
  journal: Journal;
  tx: TxPort;
  /** The provider's own durable store (under dataDir). */
  local: BlobStore;
  /** The shared store verifiers read from. */
  shared: BlobStore;
  log: Logger;
  metrics: NodeMetrics;
}

export class ProviderDaemon {
  readonly config: WorkerConfig;
  readonly chain: ChainContext;
  readonly journal: Journal;
  private readonly log: Logger;
  private readonly metrics: NodeMetrics;
  private readonly abort = new AbortController();
  private readonly ctx: WorkerContext;
  private readonly disputes: Disputes;
  private readonly claims: CreditClaims;
  private loop: Promise<void> | undefined;
  private readonly running = new Map<bigint, Promise<void>>();
  private cleanups: [string, () => Promise<void> | void][] = [];

  constructor(options: ProviderDaemonOptions) {
    this.config = options.config;
    this.chain = options.chain;
    this.journal = options.journal;
    this.log = options.log;
    this.metrics = options.metrics;
    this.ctx = {
      config: options.config,
      chain: options.chain,
      journal: options.journal,
      tx: options.tx,
      local: options.local,
      shared: options.shared,
      log: options.log,
      metrics: options.metrics,
      waits: new WaitNotes(options.log),
      signal: this.abort.signal,
      specs: new JobSpecs(options.shared, options.config.worker.cheat),
    };
    this.claims = new CreditClaims(this.ctx);
    this.disputes = new Disputes(this.ctx, () => this.claims.markDue());
  }

  /** Runs `step` when the daemon closes (last added runs first). */
  onClose(what: string, step: () => Promise<void> | void): void {
    this.cleanups.unshift([what, step]);
  }

  async start(): Promise<void> {
    if (this.loop !== undefined) throw new Error("the provider daemon is already running");
    await bindJournal(this.journal, await chainIdentity(this.chain));
    this.log.info(
      {
        address: this.chain.address,
        chainId: this.chain.chainId,
        cheat: this.config.worker.cheat.kind,
      },
      "provider daemon started",
    );
    this.loop = this.run();
  }

  /** Stops polling, waits for running work to notice, then runs every cleanup step. */
  async close(): Promise<void> {
    this.abort.abort(new Error("the provider daemon is closing"));
    const failures: unknown[] = [];
    try {
      await this.loop;
    } catch (error) {
      failures.push(error);
    }
    await Promise.allSettled([...this.running.values()]);
    for (const [what, step] of this.cleanups) {
      try {
        await step();
      } catch (error) {
        this.log.error({ err: error }, `close: ${what} failed`);
        failures.push(error);
      }
    }
    this.cleanups = [];
    if (failures.length > 0)
      throw new AggregateError(failures, "the provider daemon did not close cleanly");
  }

  /** The journaled state of job `jobId` (undefined: never seen). */
  jobEntry(jobId: bigint): JobEntry | undefined {
    return this.journal.get<JobEntry>(jobKey(jobId));
  }

  private get closing(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.closing) {
      try {
        await this.tick();
      } catch (error) {
        if (this.closing) break;
        this.log.warn({ err: error }, "poll failed; retrying");
      }
      try {
        await sleep(this.config.pollIntervalMs, undefined, { signal: this.abort.signal });
      } catch {
        break;
      }
    }
  }

  /** One poll: scan new blocks, drive every job not ended and not in hand, claim what is owed. */
  private async tick(): Promise<void> {
    await scanNewBlocks(this.ctx);
    for (const key of this.journal.keys(JOB_PREFIX)) {
      const jobId = BigInt(key.slice(JOB_PREFIX.length));
      const entry = this.journal.get<JobEntry>(key)!;
      if (isTerminal(entry.state) || this.running.has(jobId)) continue;
      const work = this.drive(jobId).finally(() => this.running.delete(jobId));
      this.running.set(jobId, work);
    }
    if (this.config.worker.claimCredits) await this.claims.claimIfDue();
  }

  private async move(
    jobId: bigint,
    event: JobEvent,
    extra: Partial<JobEntry> = {},
  ): Promise<JobState> {
    const entry = this.jobEntry(jobId)!;
    const next = transition(entry.state, event);
    await this.journal.set(jobKey(jobId), { ...entry, ...extra, state: next });
    this.metrics.jobs.inc({ role: "provider", state: next });
    this.log.info(
      {
        jobId,
        from: entry.state,
        event,
        to: next,
        ...(extra.reason ? { reason: extra.reason } : {}),
      },
      `job ${jobId}: ${entry.state} → ${next}`,
    );
    if (next === "done" || next === "challenge-window") this.claims.markDue();
    return next;
  }

  /** Advances job `jobId` as far as it can go now. */
  private async drive(jobId: bigint): Promise<void> {
    try {
      while (!this.closing && (await this.advance(jobId)));
    } catch (error) {
      if (this.closing) return;
      if (error instanceof JobSpecUnusableError) {
        const entry = this.jobEntry(jobId)!;
        if (entry.state === "discovered") {
          await this.move(jobId, "filtered-out", { reason: error.message });
          return;
        }
      }
      this.log.warn({ jobId, err: error }, `job ${jobId}: step failed; will retry`);
    }
  }

  /** One step of job `jobId`'s life; true when it moved and should be advanced again at once. */
  private async advance(jobId: bigint): Promise<boolean> {
    const entry = this.jobEntry(jobId)!;
    if (isTerminal(entry.state)) return false;
    const ctx = this.ctx;
    const onchain = await readOnchainJob(this.chain.contracts.market, jobId);
    const status = statusName(onchain.status);
    // Whatever the daemon believed, a job that ended on chain has ended.
    if (
      entry.state !== "discovered" &&
      entry.state !== "accepting" &&
      isOurs(this.chain, onchain)
    ) {
      if (status === "Expired")
        return (
          await this.move(jobId, "missed-deadline", { reason: "a deadline passed on chain" }),
          false
        );
      if (status === "Slashed")
        return (await this.move(jobId, "lost-dispute", { reason: "slashed" }), false);
    }
    switch (entry.state) {
      case "discovered": {
        const reason = await filterJob(ctx, jobId, onchain);
        if (reason === "busy") return false;
        if (reason !== undefined)
          return (await this.move(jobId, "filtered-out", { reason }), false);
        await this.move(jobId, "matched");
        return true;
      }
      case "accepting": {
        const lost = await acceptJob(ctx, jobId, onchain, status);
        if (lost === undefined) return (await this.move(jobId, "accepted"), true);
        return (await this.move(jobId, "lost-race", { reason: lost }), false);
      }
      case "training": {
        if (status !== "Accepted") throw new Error(`job ${jobId} is ${status} while training`);
        await this.move(jobId, "trained", await trainJob(ctx, jobId, onchain));
        return true;
      }
      case "submitting": {
        const submitBlock = await submitJob(ctx, jobId, entry, status);
        return (await this.move(jobId, "submitted", { submitBlock }), true);
      }
      case "awaiting-seed": {
        if (!(await seedReady(ctx, jobId, entry, onchain))) return false;
        return (await this.move(jobId, "seed-ready"), true);
      }
      case "opening": {
        if (status === "Opened" || status === "Disputed" || status === "Finalized")
          return (await this.move(jobId, "opened"), true);
        if (!(await openSamples(ctx, jobId, onchain))) return false;
        return (await this.move(jobId, "opened"), true);
      }
      case "challenge-window": {
        if (status === "Disputed") return (await this.move(jobId, "dispute-opened"), true);
        if (status === "Finalized") return (await this.move(jobId, "finalized"), false);
        const latest = await this.chain.publicClient.getBlock();
        await publishProbes(ctx, jobId, onchain, latest);
        if (latest.timestamp > BigInt(onchain.deadline))
          return (await this.move(jobId, "window-closed"), true);
        return false;
      }
      case "disputed": {
        await this.disputes.answerAll(jobId, onchain);
        await publishProbes(ctx, jobId, onchain, await this.chain.publicClient.getBlock());
        if (status === "Opened") return (await this.move(jobId, "disputes-settled"), true);
        if (status === "Finalized") return (await this.move(jobId, "finalized"), false);
        return false;
      }
      case "finalizing": {
        if (status === "Finalized") return (await this.move(jobId, "finalized"), false);
        if (status === "Disputed") return (await this.move(jobId, "dispute-opened"), true);
        if (!(await finalizeJob(ctx, jobId))) return false;
        return (await this.move(jobId, "finalized"), false);
      }
      default:
        return false;
    }
  }
}

/** Where the daemon keeps its files under dataDir. */
export function dataPaths(dataDir: string): { journal: string; store: string } {
  return {
    journal: path.join(dataDir, "worker-journal.json"),
    store: path.join(dataDir, "checkpoints"),
  };
}

/**
 * A ProviderDaemon over the shared store its config names (openSharedStore: the store server at
 * storeUrl, or an embedded IPFS node when the config has an `ipfs` section), which the daemon
 * closes last, after everything that reads or writes through it. `sharedView` changes what the
 * daemon sees of that store (tests: a lower reported blob limit), not what the store holds.
 */
export async function openProviderDaemon(
  options: Omit<ProviderDaemonOptions, "shared">,
  sharedView?: (store: StreamingBlobStore) => BlobStore,
): Promise<ProviderDaemon> {
  const shared = await openSharedStore(options.config, { log: options.log });
  const daemon = new ProviderDaemon({
    ...options,
    shared: sharedView === undefined ? shared.store : sharedView(shared.store),
  });
  // Added first, so it runs last: the daemon reads and writes through it until then.
  daemon.onClose("shared store", () => shared.close());
  return daemon;
}
