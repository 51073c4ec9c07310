// The watch duty: scans JobMarket, DisputeGame and Receipts events from the journal's cursor, in
// chunks, in chain order, and hands each to the duty it concerns: jobs created (keeper), samples
// opened (audit), disputes opened (keeper), receipt rounds opened (receipts), committees drawn
// (keeper, referee). A handler must be idempotent: a crash before the cursor moves replays it.
import type { Address, Hex } from "viem";

import { isRetryable, oneLine } from "../src/errors.ts";
import { unscannedRanges } from "../src/node/block-cursor.ts";
import type { DutyContext, Head } from "./duty.ts";

/** What the watcher hands each event to. */
export interface WatchHandlers {
  jobCreated(jobId: bigint): Promise<void>;
  samplesOpened(jobId: bigint, seed: Hex, top: number[]): Promise<void>;
  disputeOpened(disputeId: bigint, jobId: bigint): Promise<void>;
  receiptsOpened(
    jobId: bigint,
    snapshot: bigint,
    phases: { commitEnd: bigint; publishEnd: bigint; revealEnd: bigint },
    head: Head,
  ): Promise<void>;
  committeeDrawn(
    disputeId: bigint,
    round: number,
    members: Address[],
    commitDeadline: bigint,
    revealDeadline: bigint,
  ): Promise<void>;
}

export class Watcher {
  private readonly ctx: DutyContext;
  private readonly on: WatchHandlers;

  constructor(ctx: DutyContext, handlers: WatchHandlers) {
    this.ctx = ctx;
    this.on = handlers;
  }

  /** Scans every block from the cursor to `at`, moving the cursor chunk by chunk. */
  async scan(at: Head): Promise<void> {
    const head = at.number;
    const { market, disputeGame, receipts } = this.ctx.chain.contracts;
    for await (const { from, to } of unscannedRanges(this.ctx.journal, {
      key: "cursor",
      firstBlock: BigInt(this.ctx.chain.deployment.deployedAtBlock),
      head,
      chunk: BigInt(this.ctx.config.verifier.logChunkBlocks),
      stop: () => this.ctx.isClosing(),
    })) {
      const [marketLogs, gameLogs, receiptLogs] = await Promise.all([
        this.ctx.chain.publicClient.getContractEvents({
          address: market.address,
          abi: market.abi,
          fromBlock: from,
          toBlock: to,
        }),
        this.ctx.chain.publicClient.getContractEvents({
          address: disputeGame.address,
          abi: disputeGame.abi,
          fromBlock: from,
          toBlock: to,
        }),
        this.ctx.chain.publicClient.getContractEvents({
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
          this.ctx.log.error(
            { event: log.eventName, block: log.blockNumber.toString(), err: oneLine(error) },
            "event handler failed; event skipped",
          );
        }
      }
    }
  }

  /** Reacts to one event; idempotent (a crash before the cursor moves replays it). */
  private async handle(log: ScannedLog, head: Head): Promise<void> {
    const a = log.args;
    switch (log.eventName) {
      case "JobCreated":
        await this.on.jobCreated(a.jobId as bigint);
        return;
      case "SamplesOpened":
        await this.on.samplesOpened(
          a.jobId as bigint,
          a.seed as Hex,
          (a.topIndices as readonly bigint[]).map(Number),
        );
        return;
      case "DisputeOpened":
        await this.on.disputeOpened(a.disputeId as bigint, a.jobId as bigint);
        return;
      case "ReceiptsOpened":
        await this.on.receiptsOpened(
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
        await this.on.committeeDrawn(
          a.disputeId as bigint,
          Number(a.round as bigint),
          [...(a.members as readonly Address[])],
          a.commitDeadline as bigint,
          a.revealDeadline as bigint,
        );
        return;
      }
      default:
        return;
    }
  }
}

/** An event as getContractEvents decodes it, for either contract. */
interface ScannedLog {
  eventName: string;
  args: Record<string, unknown>;
  blockNumber: bigint;
  logIndex: number;
}
