// The provider daemon: watches the job market for jobs it can serve, accepts, trains (checkpoints to
// its own durable store and the shared store), commits progress, submits, opens its samples once the
// seed exists, plays its side of disputes, finalizes and claims its credit.
//
// Crash safety comes from three things (docs/worker.md): every decision is taken from the ON-CHAIN
// state of the job together with the journal (so a restarted daemon continues where the chain is,
// not where it believes it was); every transaction goes through TxSender under a stable key
// (`accept:<jobId>`, `submit:<jobId>`, …), which journals the signed transaction before broadcasting
// it, so a restart waits for the same transaction instead of sending a second one; and a checkpoint
// is journaled only once it is durable in the local store and uploaded, so training resumes from the
// last journaled checkpoint and none is lost. Each job's life follows worker/state-machine.ts.
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { zeroHash, type Hex, type TransactionReceipt } from "viem";

import { putState } from "../src/checkpoint/checkpoint-store.ts";
import { getState } from "../src/checkpoint/checkpoint-store.ts";
import { stateDigest } from "../src/checkpoint/state-codec.ts";
import { leafOf, traceLeaves, type CheckpointRecord } from "../src/checkpoint/trace.ts";
import { statusName, type OnchainJob } from "../src/node/onchain-job.ts";
import type { ChainContext } from "../src/node/chain.ts";
import type { Journal } from "../src/node/journal.ts";
import { bindJournal, chainIdentity } from "../src/node/journal-identity.ts";
import type { Logger } from "../src/node/log.ts";
import type { NodeMetrics } from "../src/node/metrics.ts";
import { merkleRoot } from "../src/protocol/merkle.ts";
import { buildOpening, topSegmentsByNorm } from "../src/protocol/opening.ts";
import { planCheat, type CheatPlan } from "../src/provider/cheats.ts";
import { providerSegmentStates, trainSegments } from "../src/provider/segment-training.ts";
import { removeStoredBlobs, tamperStoredBlobs } from "../src/provider/tamper.ts";
import { outcomeLabel, PHASE } from "../src/protocol/onchain-enums.ts";
import { UINT64_MAX } from "../src/protocol/leaf.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import { digestFromCid } from "../src/protocol/cid.ts";
import type { TrainingState } from "../src/engine/training-state.ts";
import { unscannedRanges } from "../src/node/block-cursor.ts";
import { committeeMembers, disputesOn, readDissection } from "../src/node/dispute-reads.ts";
import {
  committedBlobProblem,
  fetchJobSpec,
  JobSpecUnusableError,
  readOnchainJob,
  type FetchedSpec,
} from "../src/node/job-reader.ts";
import {
  claimCreditCall,
  CREDIT_LEDGERS,
  creditsOf,
  type CreditLedger,
} from "../src/node/credit.ts";
import { revertNameOf } from "../src/node/revert.ts";
import { type ContractCall, contractCall } from "../src/node/tx.ts";
import { WaitNotes } from "../src/node/wait-notes.ts";
import { readNewEvents } from "./chain-reads.ts";
import type { WorkerConfig } from "./config.ts";
import { isTerminal, transition, type JobEvent, type JobState } from "./state-machine.ts";

/** What the daemon needs from TxSender (src/node/tx.ts). */
export interface TxPort {
  send(key: string, action: string, call: ContractCall): Promise<TransactionReceipt>;
  sent(key: string): boolean;
}

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

/** A job as the journal keeps it. */
export interface JobEntry {
  state: JobState;
  /** Why it was skipped, expired or slashed. */
  reason?: string;
  submitBlock?: bigint;
  root?: Hex;
  finalDigest?: Hex;
  manifestCid?: string;
  /** Training resumed from this checkpoint index after a restart (0: started fresh). */
  resumedFrom?: number;
}

interface DisputeEntry {
  jobId: bigint;
  segment: number;
}

const ROLE = { role: "provider" } as const;
const PROVIDER_ROLE = 1;
/** Blocks scanned per getLogs call. */
const SCAN_CHUNK = 2_000n;

const jobKey = (id: bigint): string => `job:${id}`;
/** The journal's name of each credit ledger (`claims:<name>` counts the claims made). */
const LEDGER_KEY: Readonly<Record<CreditLedger, string>> = {
  market: "market",
  disputeGame: "dispute",
  fraudProofs: "fraudProofs",
};
const checkpointKey = (id: bigint, index: number): string =>
  `ckpt:${id}:${String(index).padStart(6, "0")}`;

export class ProviderDaemon {
  readonly config: WorkerConfig;
  readonly chain: ChainContext;
  readonly journal: Journal;
  private readonly tx: TxPort;
  private readonly local: BlobStore;
  private readonly shared: BlobStore;
  private readonly log: Logger;
  private readonly metrics: NodeMetrics;
  private readonly abort = new AbortController();
  private readonly waits: WaitNotes;
  private loop: Promise<void> | undefined;
  private readonly running = new Map<bigint, Promise<void>>();
  private readonly specs = new Map<bigint, FetchedSpec>();
  private readonly segmentStates = new Map<bigint, TrainingState[]>();
  private claimDue = true;
  private cleanups: [string, () => Promise<void> | void][] = [];

  constructor(options: ProviderDaemonOptions) {
    this.config = options.config;
    this.chain = options.chain;
    this.journal = options.journal;
    this.tx = options.tx;
    this.local = options.local;
    this.shared = options.shared;
    this.log = options.log;
    this.waits = new WaitNotes(options.log);
    this.metrics = options.metrics;
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

  private async tick(): Promise<void> {
    await this.scan();
    for (const key of this.journal.keys("job:")) {
      const jobId = BigInt(key.slice(4));
      const entry = this.journal.get<JobEntry>(key)!;
      if (isTerminal(entry.state) || this.running.has(jobId)) continue;
      const work = this.drive(jobId).finally(() => this.running.delete(jobId));
      this.running.set(jobId, work);
    }
    if (this.claimDue && this.config.worker.claimCredits) await this.claimCredits();
  }

  /** Scans new blocks for jobs and for disputes on this provider's jobs. */
  private async scan(): Promise<void> {
    const latest = await this.chain.publicClient.getBlockNumber({ cacheTime: 0 });
    // Journals written before the shared block cursor kept the next block to scan under "cursor".
    const legacy = this.journal.get<bigint>("cursor");
    if (legacy !== undefined && this.journal.get("scanned") === undefined) {
      await this.journal.set("scanned", legacy - 1n);
      await this.journal.delete("cursor");
    }
    for await (const { from, to } of unscannedRanges(this.journal, {
      key: "scanned",
      firstBlock: BigInt(this.config.worker.fromBlock ?? this.chain.deployment.deployedAtBlock),
      head: latest,
      chunk: SCAN_CHUNK,
    })) {
      const events = await readNewEvents(this.chain, from, to);
      for (const jobId of events.jobsCreated)
        if (this.jobEntry(jobId) === undefined) {
          await this.journal.set(jobKey(jobId), { state: "discovered" } satisfies JobEntry);
          this.log.info({ jobId }, "job discovered");
        }
      for (const d of events.disputesOpened) {
        const entry = this.jobEntry(d.jobId);
        if (entry === undefined || ["discovered", "skipped", "accepting"].includes(entry.state))
          continue;
        const key = `dispute:${d.disputeId}`;
        if (this.journal.get(key) === undefined) {
          await this.journal.set(key, {
            jobId: d.jobId,
            segment: d.segment,
          } satisfies DisputeEntry);
          this.metrics.disputes.inc({ role: "provider", outcome: "opened" });
          this.log.warn(
            { jobId: d.jobId, disputeId: d.disputeId, segment: d.segment },
            "dispute opened on our job",
          );
        }
      }
    }
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
    if (next === "done" || next === "challenge-window") this.claimDue = true;
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

  private plan(spec: FetchedSpec): CheatPlan {
    return planCheat(this.config.worker.cheat, spec.loaded.job);
  }

  private async spec(jobId: bigint, onchain: OnchainJob): Promise<FetchedSpec> {
    let fetched = this.specs.get(jobId);
    if (fetched === undefined) {
      fetched = await fetchJobSpec(this.shared, jobId, onchain);
      this.specs.set(jobId, fetched);
    }
    return fetched;
  }

  private records(jobId: bigint): CheckpointRecord[] {
    return this.journal
      .keys(`ckpt:${jobId}:`)
      .sort()
      .map((key) => this.journal.get<CheckpointRecord>(key)!);
  }

  private mine(onchain: OnchainJob): boolean {
    return onchain.provider.toLowerCase() === this.chain.address.toLowerCase();
  }

  /** One step of job `jobId`'s life; true when it moved and should be advanced again at once. */
  private async advance(jobId: bigint): Promise<boolean> {
    const entry = this.jobEntry(jobId)!;
    if (isTerminal(entry.state)) return false;
    const onchain = await readOnchainJob(this.chain.contracts.market, jobId);
    const status = statusName(onchain.status);
    const mine = this.mine(onchain);
    // Whatever the daemon believed, a job that ended on chain has ended.
    if (entry.state !== "discovered" && entry.state !== "accepting" && mine) {
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
        const reason = await this.filter(jobId, onchain);
        if (reason === "busy") return false;
        if (reason !== undefined)
          return (await this.move(jobId, "filtered-out", { reason }), false);
        await this.move(jobId, "matched");
        return true;
      }
      case "accepting": {
        if (status === "Open" || this.tx.sent(`accept:${jobId}`)) {
          try {
            await this.tx.send(
              `accept:${jobId}`,
              `accept job ${jobId}`,
              contractCall(this.chain.contracts.market, "accept", [jobId]),
            );
          } catch (error) {
            const revert = revertNameOf(error);
            if (revert === undefined) throw error;
            const now = await readOnchainJob(this.chain.contracts.market, jobId);
            if (this.mine(now)) return (await this.move(jobId, "accepted"), true);
            return (
              await this.move(jobId, "lost-race", { reason: `accept reverted: ${revert}` }),
              false
            );
          }
          return (await this.move(jobId, "accepted"), true);
        }
        if (mine) return (await this.move(jobId, "accepted"), true);
        return (await this.move(jobId, "lost-race", { reason: `job is ${status}` }), false);
      }
      case "training": {
        if (status !== "Accepted") throw new Error(`job ${jobId} is ${status} while training`);
        await this.train(jobId, onchain);
        return true;
      }
      case "submitting": {
        const key = `submit:${jobId}`;
        if (status !== "Accepted" && !this.tx.sent(key))
          throw new Error(`job ${jobId} is ${status}, not Accepted, and no submit was sent`);
        const records = this.records(jobId);
        const receipt = await this.tx.send(
          key,
          `submit job ${jobId}`,
          contractCall(this.chain.contracts.market, "submit", [
            jobId,
            entry.root!,
            entry.finalDigest!,
            digestFromCid(records.at(-1)!.cid),
            digestFromCid(entry.manifestCid!),
          ]),
        );
        return (await this.move(jobId, "submitted", { submitBlock: receipt.blockNumber }), true);
      }
      case "awaiting-seed": {
        const seedBlock = entry.submitBlock! + BigInt(this.chain.params.randomnessDelayBlocks) + 1n;
        const head = await this.chain.publicClient.getBlockNumber({ cacheTime: 0 });
        if (head < seedBlock) {
          // Say what it waits for: on a chain that mines only on transactions this never ends
          // by itself.
          this.waits.say(
            `seed:${jobId}`,
            { jobId: jobId.toString(), seedBlock: seedBlock.toString(), head: head.toString() },
            `job ${jobId}: waiting for block ${seedBlock}, whose hash seeds the samples (chain head ${head})`,
          );
          return false;
        }
        try {
          await this.chain.contracts.market.read.sampledSegments([jobId]);
        } catch {
          return false; // the seed block's hash is not readable yet
        }
        // A block hash is readable for 256 blocks, the open window may be days: keep the seed for
        // good, so a restart after that still opens (anyone may; a keeper may have done it).
        await this.recordSeed(jobId, onchain);
        return (await this.move(jobId, "seed-ready"), true);
      }
      case "opening": {
        if (status === "Opened" || status === "Disputed" || status === "Finalized")
          return (await this.move(jobId, "opened"), true);
        const spec = await this.spec(jobId, onchain);
        const plan = this.plan(spec);
        if (!plan.opens) return false; // the refuse-open cheat: wait for expiry
        const sampled = await this.chain.contracts.market.read.sampledSegments([jobId]);
        const leaves = this.records(jobId).slice(1).map(leafOf);
        const top = plan.falseTopQ
          ? // The false-top-q cheat: the smallest norms claimed as the largest.
            topSegmentsByNorm(
              leaves.map((l) => ({ ...l, updateNorm: UINT64_MAX - l.updateNorm })),
              onchain.topQ,
            )
          : topSegmentsByNorm(leaves, onchain.topQ);
        const opening = buildOpening(jobId, leaves, sampled, top);
        await this.tx.send(
          `open:${jobId}`,
          `open samples of job ${jobId}`,
          contractCall(this.chain.contracts.market, "openSamples", [
            jobId,
            opening.leaves,
            opening.topIndices,
            opening.proof,
          ]),
        );
        this.log.info(
          { jobId, sampled: sampled.map(Number), top: top.map(Number) },
          "samples opened",
        );
        return (await this.move(jobId, "opened"), true);
      }
      case "challenge-window": {
        if (status === "Disputed") return (await this.move(jobId, "dispute-opened"), true);
        if (status === "Finalized") return (await this.move(jobId, "finalized"), false);
        const latest = await this.chain.publicClient.getBlock();
        await this.publishProbes(jobId, onchain, latest);
        if (latest.timestamp > BigInt(onchain.deadline))
          return (await this.move(jobId, "window-closed"), true);
        return false;
      }
      case "disputed": {
        await this.answerDisputes(jobId, onchain);
        await this.publishProbes(jobId, onchain, await this.chain.publicClient.getBlock());
        if (status === "Opened") return (await this.move(jobId, "disputes-settled"), true);
        if (status === "Finalized") return (await this.move(jobId, "finalized"), false);
        return false;
      }
      case "finalizing": {
        if (status === "Finalized") return (await this.move(jobId, "finalized"), false);
        if (status === "Disputed") return (await this.move(jobId, "dispute-opened"), true);
        try {
          await this.tx.send(
            `finalize:${jobId}`,
            `finalize job ${jobId}`,
            contractCall(this.chain.contracts.market, "finalize", [jobId]),
          );
        } catch (error) {
          // Anyone may finalize: another caller may have won the race. Re-read the job.
          if (revertNameOf(error) === undefined) throw error;
          this.log.info(
            { jobId, revert: revertNameOf(error) },
            "finalize reverted; re-reading the job",
          );
          return false;
        }
        return (await this.move(jobId, "finalized"), false);
      }
      default:
        return false;
    }
  }

  /** undefined: take it; "busy": not now; anything else: why the job is skipped. */
  private async filter(jobId: bigint, onchain: OnchainJob): Promise<string | undefined> {
    const f = this.config.worker.filters;
    if (statusName(onchain.status) !== "Open") return `job is ${statusName(onchain.status)}`;
    if (onchain.submitter.toLowerCase() === this.chain.address.toLowerCase())
      return "we submitted it (a submitter cannot accept its own job)";
    const numerics = onchain.numerics === 1 ? "exact" : "tolerance";
    if (!f.numerics.includes(numerics)) return `numerics ${numerics} not in the filters`;
    const totalSteps = BigInt(onchain.checkpoints) * BigInt(onchain.checkpointInterval);
    if (totalSteps > BigInt(f.maxTotalSteps))
      return `T = ${totalSteps} exceeds maxTotalSteps ${f.maxTotalSteps}`;
    const amount = BigInt(onchain.amount);
    if (amount < f.minAmount) return `amount ${amount} is below minAmount ${f.minAmount}`;
    if (amount < f.minAmountPerStep * totalSteps)
      return `amount ${amount} is below minAmountPerStep ${f.minAmountPerStep} × T ${totalSteps}`;
    const collateral = BigInt(onchain.collateral);
    if (f.maxCollateral !== null && collateral > f.maxCollateral)
      return `collateral ${collateral} exceeds maxCollateral ${f.maxCollateral}`;
    const latest = await this.chain.publicClient.getBlock();
    if (latest.timestamp > BigInt(onchain.deadline)) return "its accept window has passed";
    const busy = this.journal
      .keys("job:")
      .filter((k) =>
        ["accepting", "training", "submitting"].includes(this.journal.get<JobEntry>(k)!.state),
      ).length;
    if (busy >= this.config.worker.maxConcurrentJobs) return "busy";
    const registry = this.chain.contracts.registry;
    if (!(await registry.read.isActiveProvider([this.chain.address])))
      return "this account is not an active provider (stake below the minimum, or ejected)";
    const free = await registry.read.freeStake([this.chain.address, PROVIDER_ROLE]);
    if (free < collateral) return `collateral ${collateral} exceeds the free stake ${free}`;
    const spec = await this.spec(jobId, onchain);
    // Every blob this provider would commit to must fit the protocol's limit and its own store.
    const tooLarge = committedBlobProblem(spec, jobId, publishLimitOf(this.shared));
    if (tooLarge !== undefined) return tooLarge;
    try {
      this.plan(spec);
    } catch (error) {
      return `the configured cheat does not fit the job: ${(error as Error).message}`;
    }
    return undefined;
  }

  private async train(jobId: bigint, onchain: OnchainJob): Promise<void> {
    const spec = await this.spec(jobId, onchain);
    const job = spec.loaded.job;
    const plan = this.plan(spec);
    const records = this.records(jobId);
    const info = job.program.info;
    const start =
      records.length === 0
        ? spec.loaded.initialState
        : await getState(this.local, records.at(-1)!.cid, info);
    const resumedFrom = records.length === 0 ? 0 : records.at(-1)!.index;
    if (resumedFrom > 0)
      this.log.info(
        { jobId, resumedFrom, step: start.step },
        `resuming training of job ${jobId} from local checkpoint ${resumedFrom} (step ${start.step})`,
      );
    else
      this.log.info({ jobId, totalSteps: job.totalSteps, k: job.checkpointInterval }, "training");
    const every = this.config.worker.progressEvery;
    const n = job.totalSteps / job.checkpointInterval;
    const progress: Promise<unknown>[] = [];
    let windowStart = performance.now();
    let windowSteps = 0;
    const result = await trainSegments(job, {
      local: this.local,
      shared: this.shared,
      plan,
      start,
      records,
      signal: this.abort.signal,
      onStep: () => {
        windowSteps += 1;
        this.metrics.steps.inc(ROLE);
      },
      onCheckpoint: async (record) => {
        await this.journal.set(checkpointKey(jobId, record.index), record);
        const seconds = (performance.now() - windowStart) / 1000;
        const rate = seconds > 0 ? windowSteps / seconds : 0;
        this.metrics.stepsPerSecond.set(ROLE, rate);
        this.log.info(
          {
            jobId,
            checkpoint: record.index,
            step: record.step,
            stepsPerSecond: Number(rate.toFixed(1)),
          },
          `job ${jobId}: checkpoint ${record.index}/${n} stored`,
        );
        windowStart = performance.now();
        windowSteps = 0;
        if (every > 0 && record.index > 0 && record.index % every === 0 && record.index < n) {
          const root = merkleRoot(traceLeaves(jobId, this.records(jobId)));
          const sending = this.tx
            .send(
              `progress:${jobId}:${record.index}`,
              `commit progress of job ${jobId}`,
              contractCall(this.chain.contracts.market, "commitProgress", [
                jobId,
                BigInt(record.index),
                root,
              ]),
            )
            .catch((error: unknown) =>
              this.log.warn({ jobId, err: error }, "commitProgress failed"),
            );
          progress.push(sending);
        }
      },
    });
    await Promise.all(progress);
    if (plan.tamperSegment !== undefined && this.journal.get(`tampered:${jobId}`) === undefined) {
      const s = plan.tamperSegment;
      const files = await tamperStoredBlobs(this.config.worker.storeDir!, [
        result.records[s - 1]!.cid,
        result.records[s]!.cid,
      ]);
      await this.journal.set(`tampered:${jobId}`, files);
      this.log.warn({ jobId, files }, "cheat: overwrote stored checkpoints");
    }
    if (plan.withholdsManifest && this.journal.get(`withheld:${jobId}`) === undefined) {
      const files = await removeStoredBlobs(this.config.worker.storeDir!, [result.manifestCid]);
      await this.journal.set(`withheld:${jobId}`, files);
      this.log.warn({ jobId, files }, "cheat: removed the trace manifest from the shared store");
    }
    await this.move(jobId, "trained", {
      root: result.root,
      finalDigest: result.finalDigest,
      manifestCid: result.manifestCid,
      resumedFrom,
    });
  }

  private async recordSeed(jobId: bigint, onchain: OnchainJob): Promise<void> {
    const randomness = this.chain.contracts.randomness;
    await this.tryAnyoneMay(
      `record-seed:${jobId}`,
      `record the seed of job ${jobId}`,
      contractCall(randomness, "record", [onchain.randomnessRequest]),
    );
  }

  /**
   * Copies the trace manifest and checkpoints segment − 1 and segment from the provider's own
   * durable store to the shared one (a put overwrites a damaged or missing blob).
   */
  private async republish(jobId: bigint, segment: number): Promise<void> {
    const entry = this.jobEntry(jobId);
    const records = this.records(jobId);
    const cids = [entry?.manifestCid, records[segment - 1]?.cid, records[segment]?.cid].filter(
      (cid): cid is string => cid !== undefined,
    );
    for (const cid of cids) await this.shared.put(await this.local.get(cid));
  }

  private async answerDisputes(jobId: bigint, onchain: OnchainJob): Promise<void> {
    for (const key of this.journal.keys("dispute:")) {
      const d = this.journal.get<DisputeEntry>(key)!;
      if (d.jobId !== jobId) continue;
      await this.answerDispute(BigInt(key.slice("dispute:".length)), d, onchain);
    }
  }

  private async answerDispute(
    disputeId: bigint,
    d: DisputeEntry,
    onchain: OnchainJob,
  ): Promise<void> {
    const game = this.chain.contracts.disputeGame;
    const dispute = await game.read.getDispute([disputeId]);
    const now = (await this.chain.publicClient.getBlock()).timestamp;
    const phase = Number(dispute.phase);
    if (phase === PHASE.Answer) {
      // An availability challenge: make the segment's blobs and the manifest available from our
      // own durable store, then say so on chain before the clock runs out.
      const spec = await this.spec(d.jobId, onchain);
      if (!this.plan(spec).answersAvailability) return; // the withhold cheats
      await this.republish(d.jobId, d.segment);
      const { current } = await readDissection(disputesOn(this.chain), disputeId);
      this.log.info({ jobId: d.jobId, disputeId }, "answering an availability challenge");
      await this.tx.send(
        `answer:${disputeId}`,
        `answer availability challenge ${disputeId}`,
        contractCall(this.chain.contracts.disputeGame, "answerAvailability", [disputeId, current]),
      );
      return;
    }
    // A dissection opened while the job's receipts commit starts after that (DisputeTooEarly).
    if (phase === PHASE.Dissection && dispute.providerTurn && now >= BigInt(dispute.lastMoveAt)) {
      const spec = await this.spec(d.jobId, onchain);
      if (!this.plan(spec).answersDisputes) return; // the refuse-dispute cheat
      const { current, round } = await readDissection(disputesOn(this.chain), disputeId);
      // Recomputed after a restart too: the same states give the same call, and TxSender sends the
      // key's journaled transaction if there is one.
      const key = `points:${disputeId}:${round}`;
      let states = this.segmentStates.get(disputeId);
      if (states === undefined) {
        states = await providerSegmentStates(
          spec.loaded.job,
          this.local,
          this.records(d.jobId),
          this.plan(spec).batches,
          d.segment,
        );
        this.segmentStates.set(disputeId, states);
      }
      const points = (await game.read.pointsOf([disputeId])).map(Number);
      const digests: Hex[] = [];
      for (const offset of points) {
        const state = states[offset]!;
        await putState(this.local, state);
        digests.push((await putState(this.shared, state)).digest);
      }
      this.log.info({ jobId: d.jobId, disputeId, round, points }, "posting dissection points");
      await this.tx.send(
        key,
        `post points in dispute ${disputeId}`,
        contractCall(this.chain.contracts.disputeGame, "postPoints", [disputeId, current, digests]),
      );
      return;
    }
    if (
      phase === PHASE.Dissection &&
      !dispute.providerTurn &&
      now > BigInt(dispute.lastMoveAt) + BigInt(dispute.challengerClock)
    ) {
      await this.tryAnyoneMay(
        `timeout:${disputeId}`,
        `timeout dispute ${disputeId}`,
        contractCall(this.chain.contracts.disputeGame, "timeout", [disputeId]),
      );
      return;
    }
    if (phase === PHASE.AwaitingCommittee) {
      await this.tryAnyoneMay(
        `draw:${disputeId}:${now}`,
        `draw committee of dispute ${disputeId}`,
        contractCall(this.chain.contracts.disputeGame, "drawCommittee", [disputeId]),
        true,
      );
      return;
    }
    if (phase === PHASE.Voting && now > BigInt(dispute.revealDeadline)) {
      const members = await committeeMembers(disputesOn(this.chain), disputeId);
      if (members !== undefined)
        await this.tryAnyoneMay(
          `resolve:${disputeId}`,
          `resolve dispute ${disputeId}`,
          contractCall(this.chain.contracts.disputeGame, "resolve", [disputeId, members]),
        );
    }
    if (phase === PHASE.Resolved && !this.journal.get(`resolved:${disputeId}`)) {
      await this.journal.set(`resolved:${disputeId}`, Number(dispute.outcome));
      const outcome = outcomeLabel(Number(dispute.outcome));
      this.metrics.disputes.inc({ role: "provider", outcome });
      this.segmentStates.delete(disputeId);
      this.log.info(
        { jobId: d.jobId, disputeId, outcome },
        `dispute ${disputeId} resolved: ${outcome}`,
      );
      this.claimDue = true;
    }
  }

  /**
   * Receipts (docs/receipts.md): once verifiers committed receipts and their commit phase is over,
   * requests the probe randomness and publishes the digest after each probe step — recomputed from
   * checkpoint segment − 1 — before the deadline. Owed probes not published expire the job.
   */
  private async publishProbes(
    jobId: bigint,
    onchain: OnchainJob,
    head: { number: bigint; timestamp: bigint },
  ): Promise<void> {
    const receipts = this.chain.contracts.receipts;
    const round = await receipts.read.roundOf([jobId]);
    if (round.openedAt === 0 || round.committed === 0) return;
    if (round.probesHash !== zeroHash) return;
    const commitEnd = BigInt(round.openedAt) + BigInt(round.window) / 2n;
    if (head.timestamp <= commitEnd) return;
    const randomness = this.chain.contracts.randomness;
    const value =
      round.probeRequest === 0
        ? undefined
        : await randomness.read.randomness([BigInt(round.probeRequest)]);
    // Not requested yet, or requested by someone and left unread past the block-hash horizon.
    const expired = value === zeroHash && head.number > BigInt(round.probeRequest);
    if (round.probeRequest === 0 || expired) {
      this.log.info({ jobId, receipts: round.committed }, "requesting the probe steps");
      await this.tryAnyoneMay(
        `probes-request:${jobId}:${round.probeRequest}`,
        `request probes of job ${jobId}`,
        contractCall(receipts, "requestProbes", [jobId]),
      );
      return;
    }
    // The randomness is the hash of the block after the request: not mined yet, nothing to do.
    if (
      this.waits.blockPending(
        `probes:${jobId}`,
        BigInt(round.probeRequest) + 1n,
        head.number,
        `job ${jobId}: the probe randomness of block ${round.probeRequest}`,
      )
    )
      return;
    // Kept for good at once: a value read in time can never be re-rolled.
    await this.tryAnyoneMay(
      `probes-record:${jobId}:${round.probeRequest}`,
      `record the probes of job ${jobId}`,
      contractCall(randomness, "record", [BigInt(round.probeRequest)]),
    );
    const spec = await this.spec(jobId, onchain);
    const plan = this.plan(spec);
    const [segments, steps] = await receipts.read.probeSteps([jobId]);
    const digests: Hex[] = [];
    for (const [i, segment] of segments.entries()) {
      const states = await providerSegmentStates(
        spec.loaded.job,
        this.local,
        this.records(jobId),
        plan.batches,
        Number(segment),
      );
      digests.push(stateDigest(states[Number(steps[i]!)]!));
    }
    await this.tx.send(
      `probes:${jobId}`,
      `publish probes of job ${jobId}`,
      contractCall(receipts, "publishProbes", [jobId, digests]),
    );
    this.log.info(
      { jobId, segments: segments.map(Number), steps: steps.map(Number) },
      "probe digests published",
    );
  }

  /** A call anyone may make (timeout, draw, resolve): a revert means someone else made it first. */
  private async tryAnyoneMay(
    key: string,
    action: string,
    call: ContractCall,
    simulateOnly = false,
  ): Promise<void> {
    if (simulateOnly) {
      // Draws need the randomness to exist; simulate first so that a not-yet draw costs no key.
      try {
        await this.chain.publicClient.simulateContract({
          ...call,
          account: this.chain.account,
        } as Parameters<typeof this.chain.publicClient.simulateContract>[0]);
      } catch {
        return;
      }
    }
    try {
      await this.tx.send(key, action, call);
    } catch (error) {
      if (revertNameOf(error) === undefined) throw error;
      this.log.debug(
        { key, revert: revertNameOf(error) },
        `${action}: reverted (someone else moved first)`,
      );
    }
  }

  /** Pulls the credit JobMarket, DisputeGame and FraudProofs owe this account. */
  private async claimCredits(): Promise<void> {
    this.claimDue = false;
    const owed = await creditsOf(this.chain, this.chain.address);
    for (const ledger of CREDIT_LEDGERS) {
      const credit = owed[ledger];
      if (credit === 0n) continue;
      const name = LEDGER_KEY[ledger];
      // The counter moves only after the claim is mined, so an interrupted claim's key is reused
      // (TxSender then waits for the same transaction).
      const n = (this.journal.get<number>(`claims:${name}`) ?? 0) + 1;
      const key = `claim:${name}:${n}`;
      await this.tx.send(key, `claim ${name} credit`, claimCreditCall(this.chain, ledger));
      await this.journal.set(`claims:${name}`, n);
      this.log.info({ contract: name, amount: credit.toString() }, "claimed credit");
    }
  }
}

/** The largest blob `store` accepts, when it says (every store of src/store/ does: `maxBytes`). */
export function publishLimitOf(store: BlobStore): number | undefined {
  const maxBytes = (store as { maxBytes?: unknown }).maxBytes;
  return typeof maxBytes === "number" ? maxBytes : undefined;
}

/** Where the daemon keeps its files under dataDir. */
export function dataPaths(dataDir: string): { journal: string; store: string } {
  return {
    journal: path.join(dataDir, "worker-journal.json"),
    store: path.join(dataDir, "checkpoints"),
  };
}
