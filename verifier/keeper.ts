// The keeper duty: anyone may finalize a job, expire it, time out a dispute's mover, draw a
// committee, resolve a vote or record a seed when it is due; this account does it for every job and
// dispute it has seen. Losing the race to another keeper is normal.
import { zeroHash, type Address } from "viem";

import { TransactionError } from "../src/errors.ts";
import { type ContractCall, contractCall } from "../src/node/tx.ts";
import { DISPUTE_KIND } from "../src/protocol/onchain-enums.ts";
import { committeeMembers, disputesOn } from "../src/node/dispute-reads.ts";
import { isFinalJobStatus, JOB, OUTCOME, PHASE } from "../src/protocol/onchain-enums.ts";
import type { DutyContext, Head } from "./duty.ts";
import type { KeptDispute } from "./state-machine.ts";

export class Keeper {
  private readonly ctx: DutyContext;

  constructor(ctx: DutyContext) {
    this.ctx = ctx;
  }

  /** A job to keep until it ends. */
  async onJobCreated(jobId: bigint): Promise<void> {
    if (this.ctx.journal.get(`keep-job:${jobId}`) === undefined)
      await this.ctx.journal.set(`keep-job:${jobId}`, true);
  }

  /** A dispute to keep until it is resolved. */
  async onDisputeOpened(disputeId: bigint, jobId: bigint): Promise<void> {
    if (this.ctx.journal.get(`keep-dispute:${disputeId}`) === undefined)
      await this.ctx.journal.set(`keep-dispute:${disputeId}`, { jobId } satisfies KeptDispute);
  }

  /** The latest round's committee, kept for `resolve`. */
  async onCommittee(disputeId: bigint, round: number, members: Address[]): Promise<void> {
    const kept = this.ctx.journal.get<KeptDispute>(`keep-dispute:${disputeId}`);
    if (kept !== undefined && (kept.round ?? 0) < round)
      await this.ctx.journal.set(`keep-dispute:${disputeId}`, { ...kept, round, members });
  }

  /** One pass over every job and dispute it keeps: whatever is due is sent. */
  async keep(head: Head): Promise<void> {
    const { market, disputeGame } = this.ctx.chain.contracts;
    for (const key of this.ctx.journal.keys("keep-job:")) {
      if (this.ctx.isClosing()) return;
      const jobId = BigInt(key.slice(9));
      await this.ctx.guard(key, async () => {
        const job = await market.read.getJob([jobId]);
        if (isFinalJobStatus(job.status)) {
          await this.ctx.journal.delete(key);
          return;
        }
        if (job.status === JOB.Submitted) await this.recordSeed(jobId, job.randomnessRequest);
        if (head.timestamp <= BigInt(job.deadline)) return;
        // An opened job whose provider withheld the probe digests it owed expires instead.
        const withheld = job.status === JOB.Opened && (await market.read.isExpirable([jobId]));
        if (job.status === JOB.Opened && job.openDisputes === 0 && !withheld)
          await this.keeperSend(
            `finalize:${jobId}`,
            "finalize",
            jobId,
            contractCall(market, "finalize", [jobId]),
          );
        else if (
          withheld ||
          job.status === JOB.Open ||
          job.status === JOB.Accepted ||
          job.status === JOB.Submitted
        )
          await this.keeperSend(
            `expire:${jobId}`,
            "expire",
            jobId,
            contractCall(market, "expire", [jobId]),
          );
      });
    }
    for (const key of this.ctx.journal.keys("keep-dispute:")) {
      if (this.ctx.isClosing()) return;
      const disputeId = BigInt(key.slice(13));
      await this.ctx.guard(key, async () => {
        const d = await disputeGame.read.getDispute([disputeId]);
        if (d.phase === PHASE.Resolved) {
          await this.penalizeSplitRounds(disputeId, d.outcome);
          await this.ctx.journal.delete(key);
          return;
        }
        if (d.phase === PHASE.Dissection || d.phase === PHASE.Answer) {
          const clock = BigInt(d.providerTurn ? d.providerClock : d.challengerClock);
          if (head.timestamp - BigInt(d.lastMoveAt) > clock)
            await this.keeperSend(
              `timeout:${disputeId}`,
              "timeout",
              disputeId,
              contractCall(disputeGame, "timeout", [disputeId]),
            );
        } else if (d.phase === PHASE.AwaitingCommittee) {
          // An answered availability challenge: nothing until its withdrawal window is over, then
          // its first round is requested. Otherwise drawable once the randomness exists, or (to
          // ask again) once the round went stale.
          if (d.kind === DISPUTE_KIND.Availability && head.timestamp <= BigInt(d.commitDeadline))
            return;
          const ready =
            d.round === 0 ||
            head.timestamp > BigInt(d.lastMoveAt) + this.redrawDelay() ||
            (await this.ctx.chain.contracts.randomness.read.randomness([
              BigInt(d.randomnessRequest),
            ])) !== zeroHash;
          if (ready)
            await this.keeperSend(
              `draw:${disputeId}:${d.round}`,
              "drawCommittee",
              disputeId,
              contractCall(disputeGame, "drawCommittee", [disputeId]),
            );
        } else if (d.phase === PHASE.Voting) {
          const all = (1 << d.drawn) - 1;
          if (d.revealedSeats !== all && head.timestamp <= BigInt(d.revealDeadline)) return;
          const kept = this.ctx.journal.get<KeptDispute>(key);
          const members =
            kept?.round === d.round && kept.members !== undefined
              ? kept.members
              : await this.committeeMembers(disputeId, d.round);
          await this.keeperSend(
            `resolve:${disputeId}:${d.round}`,
            "resolve",
            disputeId,
            contractCall(disputeGame, "resolve", [disputeId, members]),
          );
        }
      });
    }
  }

  /**
   * Keeps a submitted job's seed for good once its block hash exists: the EVM serves a hash for
   * 256 blocks, while the provider's open window may be days (a provider restarted later must
   * still be able to open).
   */
  private async recordSeed(jobId: bigint, request: bigint): Promise<void> {
    const key = `record-seed:${jobId}`;
    if (this.ctx.tx.sent(key)) return;
    const randomness = this.ctx.chain.contracts.randomness;
    const value = await randomness.read.randomness([request]);
    if (value === zeroHash) return; // not mined yet (or already gone: nothing to keep)
    await this.keeperSend(key, "record seed", jobId, contractCall(randomness, "record", [request]));
  }

  private redrawDelay(): bigint {
    const p = this.ctx.chain.deployment.params.dispute as { redrawDelay?: string | number };
    return BigInt(p.redrawDelay ?? 3600);
  }

  /**
   * After a verdict, the referees of its rounds without a majority who voted against it pay (one
   * call per such round, with that round's committee).
   */
  private async penalizeSplitRounds(disputeId: bigint, outcome: number): Promise<void> {
    if (OUTCOME[outcome] !== "ProviderWon" && OUTCOME[outcome] !== "ChallengerWon") return;
    const game = this.ctx.chain.contracts.disputeGame;
    const split = await game.getEvents.NoMajority(
      { disputeId },
      { fromBlock: BigInt(this.ctx.chain.deployment.deployedAtBlock) },
    );
    for (const event of split) {
      const round = Number(event.args.round!);
      const members = await this.committeeMembers(disputeId, round);
      await this.keeperSend(
        `penalize:${disputeId}:${round}`,
        "penalizeSplitRound",
        disputeId,
        contractCall(game, "penalizeSplitRound", [disputeId, BigInt(round), members]),
      );
    }
  }

  /** The committee of `round`; a round with no draw has no members (the contract then refuses). */
  private async committeeMembers(disputeId: bigint, round: number): Promise<Address[]> {
    return [...((await committeeMembers(disputesOn(this.ctx.chain), disputeId, round)) ?? [])];
  }

  /** A keeper action: anyone may send it, so losing the race to another keeper is normal. */
  private async keeperSend(
    key: string,
    action: string,
    id: bigint,
    call: ContractCall,
  ): Promise<void> {
    if (this.ctx.tx.sent(key)) return;
    try {
      await this.ctx.tx.send(key, `${action} ${id}`, call);
      this.ctx.emit({ type: "kept", action, id });
    } catch (error) {
      if (error instanceof TransactionError) {
        this.ctx.log.debug(
          { action, id: id.toString(), revert: error.revert },
          "keeper action not due",
        );
        return;
      }
      throw error;
    }
  }
}
