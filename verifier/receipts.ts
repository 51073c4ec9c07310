// The receipts duty (docs/receipts.md): paid verification. When a job this verifier audits offers
// receipts, it commits to the roots of its own digests after every step inside each sampled
// segment (the audit's segment tasks record them), reveals once the provider has published its
// probe digests and they match, and claims its share of the budget when the job finalizes. A
// provider digest that does not match is recorded (exact jobs: a probe challenge can contest it).
import { bytesToHex, zeroHash, type Hex } from "viem";
import { randomBytes } from "node:crypto";

import { receiptCommitment, receiptProof, receiptRoot } from "../src/protocol/receipts.ts";
import { JOB } from "../src/protocol/onchain-enums.ts";
import { readProbes } from "./chain-reads.ts";
import type { DutyContext, Head } from "./duty.ts";
import {
  RECEIPT_TRANSITIONS,
  type ReceiptRecord,
  type ReceiptState,
  type SegmentRecord,
} from "./state-machine.ts";
import { contractCall } from "../src/node/tx.ts";

/** A sampled segment where the provider's probe digest is not this verifier's. */
export interface ProbeMismatch {
  segment: number;
  step: number;
  /** This verifier's digest after `step` steps of the segment. */
  own: Hex;
}

export class ReceiptDuty {
  private readonly ctx: DutyContext;
  private readonly onMismatch: (jobId: bigint, mismatch: ProbeMismatch) => Promise<void>;

  /**
   * `onMismatch` hears of a provider probe digest that differs from this verifier's own (the
   * daemon challenges it on exact jobs).
   */
  constructor(
    ctx: DutyContext,
    onMismatch: (jobId: bigint, mismatch: ProbeMismatch) => Promise<void> = async () => {},
  ) {
    this.ctx = ctx;
    this.onMismatch = onMismatch;
  }

  private get receipts() {
    return this.ctx.chain.contracts.receipts;
  }

  /** ReceiptsOpened: a round to take part in, if this account may and audits the job. */
  async onOpened(
    jobId: bigint,
    snapshot: bigint,
    ends: { commitEnd: bigint; publishEnd: bigint; revealEnd: bigint },
    head: Head,
  ): Promise<void> {
    const key = `receipt:${jobId}`;
    if (this.ctx.journal.get(key) !== undefined) return;
    // Only jobs the audit took up (not a party's, not settled while catching up).
    if (this.ctx.journal.get(`audit:${jobId}`) === undefined) return;
    if (head.timestamp > ends.commitEnd) return;
    // From the seed the round kept: a restart long after the open still reads them.
    const segments = (await this.receipts.read.segmentsOf([jobId])).map(Number);
    await this.ctx.journal.set(key, {
      state: "computing",
      segments,
      snapshot,
      ...ends,
    } satisfies ReceiptRecord);
  }

  async advance(jobId: bigint, head: Head): Promise<void> {
    const key = `receipt:${jobId}`;
    const record = this.ctx.journal.get<ReceiptRecord>(key)!;
    switch (record.state) {
      case "computing":
        return this.commit(jobId, record, head);
      case "committed":
        return this.reveal(jobId, record, head);
      case "revealed":
        return this.claim(jobId, record);
      default:
        return;
    }
  }

  private async set(jobId: bigint, record: ReceiptRecord, next: ReceiptRecord): Promise<void> {
    if (record.state !== next.state) {
      const allowed: readonly string[] = RECEIPT_TRANSITIONS[record.state];
      if (!allowed.includes(next.state))
        throw new Error(`job ${jobId}: receipt cannot go from ${record.state} to ${next.state}`);
      this.ctx.emit({
        type: "receipt",
        jobId,
        state: next.state,
        ...(next.amount === undefined ? {} : { amount: next.amount }),
      });
    }
    await this.ctx.journal.set(`receipt:${jobId}`, next);
  }

  private async end(jobId: bigint, record: ReceiptRecord, state: ReceiptState, reason: string) {
    this.ctx.log.info({ jobId: jobId.toString(), reason }, `receipt ${state}`);
    await this.set(jobId, record, { ...record, state, reason });
  }

  /** The interior digests of each sampled segment, once the audit re-executed them all. */
  private interiors(jobId: bigint, record: ReceiptRecord): Hex[][] | string | undefined {
    const out: Hex[][] = [];
    for (const segment of record.segments) {
      const result = this.ctx.journal.get<SegmentRecord>(`result:${jobId}:${segment}`);
      if (result === undefined) return undefined;
      if (result.error !== undefined || result.interior === undefined)
        return `segment ${segment} was not re-executed from its start (${result.error ?? result.reason ?? "no interior digests"})`;
      out.push(result.interior);
    }
    return out;
  }

  private async commit(jobId: bigint, record: ReceiptRecord, head: Head): Promise<void> {
    if (record.salt === undefined) {
      if (head.timestamp > record.commitEnd)
        return this.end(jobId, record, "skipped", "the commit phase ended before the re-execution");
      // The registry reads weights at past blocks only.
      if (
        this.ctx.waits.blockPending(
          `receipt-snapshot:${jobId}`,
          record.snapshot + 1n,
          head.number,
          `job ${jobId}: receipt commit, which reads the stake weights at block ${record.snapshot}`,
        )
      )
        return;
      const weight = await this.ctx.chain.contracts.registry.read.verifierWeightAt([
        this.ctx.address,
        record.snapshot,
      ]);
      if (weight === 0n)
        return this.end(jobId, record, "skipped", "no committee weight at the open");
      const interiors = this.interiors(jobId, record);
      if (interiors === undefined) return; // the audit's tasks are still running
      if (typeof interiors === "string") return this.end(jobId, record, "skipped", interiors);
      const roots = record.segments.map((s, i) => receiptRoot(s, interiors[i]!));
      // The salt and roots are journaled before the transaction: a restart resends the same one.
      record = { ...record, salt: bytesToHex(randomBytes(32)), roots };
      await this.set(jobId, record, record);
    }
    const commitment = receiptCommitment(jobId, record.roots!, record.salt!, this.ctx.address);
    await this.ctx.tx.send(
      `receipt-commit:${jobId}`,
      `commit receipt for job ${jobId}`,
      contractCall(this.receipts, "commitReceipt", [jobId, commitment]),
    );
    await this.set(jobId, record, { ...record, state: "committed" });
  }

  private async reveal(jobId: bigint, record: ReceiptRecord, head: Head): Promise<void> {
    const probes = await readProbes(this.ctx.chain, jobId);
    if (probes === undefined) {
      if (head.timestamp > record.publishEnd)
        return this.end(jobId, record, "unpaid", "the provider did not publish its probe digests");
      return this.keepProbeValue(jobId, head);
    }
    if (head.timestamp > record.revealEnd)
      return this.end(jobId, record, "unpaid", "the reveal phase ended");
    const interiors = this.interiors(jobId, record);
    if (interiors === undefined || typeof interiors === "string")
      throw new Error(`job ${jobId}: the committed segment results are gone from the journal`);
    const mismatches: ProbeMismatch[] = [];
    const proofs = probes.segments.map((segment, i) => {
      const step = Number(probes.steps[i]!);
      const own = interiors[i]![step - 1]!;
      if (own.toLowerCase() !== probes.digests[i]!.toLowerCase())
        mismatches.push({ segment: Number(segment), step, own });
      return receiptProof(Number(segment), interiors[i]!, step);
    });
    if (mismatches.length > 0) {
      const mismatched = mismatches.map((m) => m.segment);
      this.ctx.log.warn(
        { jobId: jobId.toString(), segments: mismatched },
        "the provider's probe digests differ from ours",
      );
      await this.set(jobId, record, {
        ...record,
        state: "unmatched",
        mismatched,
        reason: `probe digests differ on segments ${mismatched.join(", ")}`,
      });
      await this.onMismatch(jobId, mismatches[0]!);
      return;
    }
    await this.ctx.tx.send(
      `receipt-reveal:${jobId}`,
      `reveal receipt for job ${jobId}`,
      contractCall(this.receipts, "revealReceipt", [
        jobId,
        record.roots!,
        record.salt!,
        { segments: [...probes.segments], steps: [...probes.steps], digests: [...probes.digests] },
        proofs,
      ]),
    );
    this.ctx.metrics.receipts.inc({ outcome: "matched" });
    await this.set(jobId, record, { ...record, state: "revealed" });
  }

  /**
   * Records the probe randomness once it exists (anyone may): a value kept can never be re-rolled,
   * whoever later lets the block hash expire (docs/receipts.md).
   */
  private async keepProbeValue(jobId: bigint, head: Head): Promise<void> {
    const { probeRequest } = await this.receipts.read.roundOf([jobId]);
    if (probeRequest === 0) return;
    if (
      this.ctx.waits.blockPending(
        `probe-randomness:${jobId}`,
        BigInt(probeRequest) + 1n,
        head.number,
        `job ${jobId}: the probe randomness of block ${probeRequest}`,
      )
    )
      return;
    const key = `probes-record:${jobId}:${probeRequest}`;
    if (this.ctx.tx.sent(key)) return;
    const randomness = this.ctx.chain.contracts.randomness;
    if ((await randomness.read.randomness([BigInt(probeRequest)])) === zeroHash) return;
    try {
      await this.ctx.tx.send(
        key,
        `record the probes of job ${jobId}`,
        contractCall(randomness, "record", [BigInt(probeRequest)]),
      );
    } catch (error) {
      // Expired in between, or someone else's record landed first: nothing to keep.
      this.ctx.log.debug({ jobId: jobId.toString(), err: String(error) }, "probe record skipped");
    }
  }

  private async claim(jobId: bigint, record: ReceiptRecord): Promise<void> {
    const job = await this.ctx.chain.contracts.market.read.getJob([jobId]);
    if (job.status === JOB.Slashed || job.status === JOB.Expired)
      return this.end(jobId, record, "unpaid", "the job did not finalize: its budget went back");
    if (job.status !== JOB.Finalized) return;
    const amount = await this.receipts.read.claimable([jobId, this.ctx.address]);
    if (amount === 0n) {
      const mine = await this.receipts.read.receiptOf([jobId, this.ctx.address]);
      if (mine.claimed) return this.set(jobId, record, { ...record, state: "paid", amount: 0n });
      return this.end(jobId, record, "unpaid", "nothing to claim");
    }
    await this.ctx.tx.send(
      `receipt-claim:${jobId}`,
      `claim receipt pay for job ${jobId}`,
      contractCall(this.receipts, "claimReceipt", [jobId]),
    );
    this.ctx.metrics.receipts.inc({ outcome: "paid" });
    await this.set(jobId, record, { ...record, state: "paid", amount });
  }
}
