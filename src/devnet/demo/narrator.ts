// The demo's narration: one line per chain event as it happens (jobs accepted and committed,
// traces, samples, challenges, every dissection move, committees and votes, verdicts, slashes,
// receipts), read from the contracts' logs in block order. Every log is kept for the report.
import { parseEventLogs, type Log } from "viem";

import type { DemoChain } from "../../demo/chain.ts";
import { formatTokens } from "../../demo/report.ts";
import { outcomeName, STAKE_ROLE, VOTE } from "../../protocol/onchain-enums.ts";
import { short, type Names } from "./names.ts";

export interface DisputeSeen {
  jobId: bigint;
  segment: number;
  challenger: `0x${string}`;
}

export class ChainNarrator {
  readonly names: Names;
  /** Each posted job's letter (A, B, C). */
  readonly jobLabels = new Map<bigint, string>();
  readonly providers = new Map<bigint, `0x${string}`>();
  readonly disputes = new Map<bigint, DisputeSeen>();
  /** Every log read so far, in block order. */
  readonly allLogs: Log[] = [];
  readonly #chain: DemoChain;
  readonly #d: DemoChain["deployment"];
  readonly #say: (line: string) => void;
  /** Checkpoint interval and checkpoint count of the demo's jobs. */
  readonly #k: number;
  readonly #n: number;
  readonly #rounds = new Map<bigint, number>();
  #cursor: bigint;

  constructor(
    chain: DemoChain,
    names: Names,
    say: (line: string) => void,
    shape: { checkpointInterval: number; checkpoints: number },
    fromBlock: bigint,
  ) {
    this.#chain = chain;
    this.#d = chain.deployment;
    this.names = names;
    this.#say = say;
    this.#k = shape.checkpointInterval;
    this.#n = shape.checkpoints;
    this.#cursor = fromBlock;
  }

  jobOf(jobId: bigint): string {
    return `job ${this.jobLabels.get(jobId) ?? `#${jobId}`}`;
  }

  #providerOf(jobId: bigint): string {
    const p = this.providers.get(jobId);
    return p === undefined ? "the provider" : this.names.label(p);
  }

  #describeMarket(logs: Log[]): void {
    for (const e of parseEventLogs({ abi: this.#d.market.abi, logs })) {
      switch (e.eventName) {
        case "JobAccepted":
          this.providers.set(e.args.jobId, e.args.provider);
          this.#say(
            `${this.jobOf(e.args.jobId)}: ${this.names.label(e.args.provider)} accepted, collateral locked`,
          );
          break;
        case "ProgressCommitted":
          this.#say(
            `${this.jobOf(e.args.jobId)}: ${this.#providerOf(e.args.jobId)} committed checkpoint ${e.args.checkpoints}/${this.#n} (partial root ${short(e.args.partialRoot)})`,
          );
          break;
        case "TraceSubmitted":
          this.#say(
            `${this.jobOf(e.args.jobId)}: ${this.#providerOf(e.args.jobId)} submitted its trace — root ${short(e.args.traceRoot)} over ${this.#n} checkpoints, model ${short(e.args.finalDigest)}`,
          );
          break;
        case "SamplesOpened":
          this.#say(
            `${this.jobOf(e.args.jobId)}: samples opened (seed ${short(e.args.seed)}, top-Q ${e.args.topIndices.join(",") || "-"}); challenge window open`,
          );
          break;
        case "JobFinalized":
          this.#say(
            `${this.jobOf(e.args.jobId)}: finalized — provider paid ${formatTokens(e.args.providerPayment)}, ${formatTokens(e.args.budgetRefund)} of the verification budget back to the submitter`,
          );
          break;
        case "JobExpired":
          this.#say(
            `${this.jobOf(e.args.jobId)}: expired, ${formatTokens(e.args.slashed)} slashed`,
          );
          break;
        case "JobSlashed":
          this.#say(
            `${this.jobOf(e.args.jobId)}: job ends Slashed; the payment goes back to the submitter`,
          );
          break;
        default:
          break;
      }
    }
  }
  #describeGame(logs: Log[]): void {
    for (const e of parseEventLogs({ abi: this.#d.disputeGame.abi, logs })) {
      switch (e.eventName) {
        case "ChallengeCommitted":
          this.#say(
            `${this.names.label(e.args.challenger)} committed a challenge (sealed until its reveal)`,
          );
          break;
        case "DisputeOpened": {
          const segment = Number(e.args.segment);
          this.disputes.set(e.args.disputeId, {
            jobId: e.args.jobId,
            segment,
            challenger: e.args.challenger,
          });
          this.#say(
            `${this.jobOf(e.args.jobId)}: ${this.names.label(e.args.challenger)} challenged segment ${segment} (steps ${(segment - 1) * this.#k}..${segment * this.#k - 1}), bond ${formatTokens(e.args.bond)} — dispute ${e.args.disputeId}`,
          );
          break;
        }
        case "PointsPosted": {
          const d = this.disputes.get(e.args.disputeId);
          const r = (this.#rounds.get(e.args.disputeId) ?? 0) + 1;
          this.#rounds.set(e.args.disputeId, r);
          this.#say(
            `${d ? this.jobOf(d.jobId) : "dispute"}: round ${r}, the provider posted the digests of ${e.args.digests.length} of its states inside the range`,
          );
          break;
        }
        case "RangeNarrowed": {
          const d = this.disputes.get(e.args.disputeId);
          const base = d ? (d.segment - 1) * this.#k : 0;
          const lo = Number(e.args.lo);
          const hi = Number(e.args.hi);
          this.#say(
            hi - lo === 1
              ? `${d ? this.jobOf(d.jobId) : "dispute"}: dissection narrowed to step ${base + lo} (state ${base + lo} agreed, state ${base + hi} disputed)`
              : `${d ? this.jobOf(d.jobId) : "dispute"}: dissection narrowed to steps ${base + lo}..${base + hi - 1}`,
          );
          break;
        }
        case "ReadyForCommittee":
          this.#say(
            `dispute ${e.args.disputeId}: one step left; waiting for the committee's random block`,
          );
          break;
        case "CommitteeDrawn":
          this.#say(
            `dispute ${e.args.disputeId}: committee (round ${e.args.round}) drew ${e.args.members.length} seats: ${e.args.members.map((m) => this.names.name(m)).join(", ")}`,
          );
          break;
        case "CommitteeShort":
          this.#say(
            `dispute ${e.args.disputeId}: round ${e.args.round} filled ${e.args.found} of ${e.args.seats} seats; drawing again`,
          );
          break;
        case "NoMajority":
          this.#say(
            `dispute ${e.args.disputeId}: round ${e.args.round} reached no majority; drawing again`,
          );
          break;
        case "VoteCommitted":
          this.#say(
            `dispute ${e.args.disputeId}: ${this.names.name(e.args.referee)} committed its vote`,
          );
          break;
        case "VoteRevealed": {
          const vote = Object.entries(VOTE).find(([, v]) => v === e.args.vote)?.[0] ?? "?";
          this.#say(
            `dispute ${e.args.disputeId}: ${this.names.name(e.args.referee)} revealed its vote: ${vote}`,
          );
          break;
        }
        case "DisputeResolved":
          this.#say(
            `dispute ${e.args.disputeId}: resolved ${outcomeName(e.args.outcome)}${e.args.byTimeout ? " (by timeout)" : ""}`,
          );
          break;
        case "RefereePenalized":
          this.#say(
            `dispute ${e.args.disputeId}: ${this.names.name(e.args.referee)} penalized ${formatTokens(e.args.amount)}`,
          );
          break;
        default:
          break;
      }
    }
  }
  #describeReceipts(logs: Log[]): void {
    for (const e of parseEventLogs({ abi: this.#d.receipts.abi, logs })) {
      if (e.eventName === "ReceiptCommitted")
        this.#say(`job #${e.args.jobId}: ${this.names.label(e.args.verifier)} committed a receipt`);
      else if (e.eventName === "ProbesPublished")
        this.#say(
          `job #${e.args.jobId}: the provider published its probe digests at steps ${e.args.steps.join(", ")} of segments ${e.args.segments.join(", ")}`,
        );
      else if (e.eventName === "ReceiptMatched")
        this.#say(
          `job #${e.args.jobId}: ${this.names.label(e.args.verifier)}'s receipt matches every probe`,
        );
      else if (e.eventName === "ReceiptPaid")
        this.#say(
          `job #${e.args.jobId}: ${this.names.label(e.args.verifier)} paid ${formatTokens(e.args.amount)} for verifying`,
        );
    }
  }
  #describeRegistry(logs: Log[]): void {
    for (const e of parseEventLogs({ abi: this.#d.registry.abi, logs })) {
      const roleName = (r: number): string => (r === STAKE_ROLE.Provider ? "provider" : "verifier");
      if (e.eventName === "Staked")
        this.#say(
          `${this.names.label(e.args.account)} staked ${formatTokens(e.args.amount)} as ${roleName(e.args.role)}`,
        );
      else if (e.eventName === "Slashed")
        this.#say(
          `${this.names.label(e.args.account)} slashed ${formatTokens(e.args.amount)} of its ${roleName(e.args.role)} stake`,
        );
      else if (e.eventName === "Ejected")
        this.#say(
          `${this.names.label(e.args.account)} ejected: its ${roleName(e.args.role)} stake is below the minimum`,
        );
    }
  }
  async poll(): Promise<void> {
    const latest = await this.#chain.publicClient.getBlockNumber();
    if (latest < this.#cursor) return;
    const logs = await this.#chain.publicClient.getLogs({
      address: [
        this.#d.market.address,
        this.#d.disputeGame.address,
        this.#d.registry.address,
        this.#d.receipts.address,
      ],
      fromBlock: this.#cursor,
      toBlock: latest,
    });
    this.#cursor = latest + 1n;
    this.allLogs.push(...logs);
    // One block's events in the order they happened: registry, market and game logs interleave.
    for (const l of logs) {
      const a = l.address.toLowerCase();
      if (a === this.#d.market.address.toLowerCase()) this.#describeMarket([l]);
      else if (a === this.#d.disputeGame.address.toLowerCase()) this.#describeGame([l]);
      else if (a === this.#d.receipts.address.toLowerCase()) this.#describeReceipts([l]);
      else this.#describeRegistry([l]);
    }
  }
}
