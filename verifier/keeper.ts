// The keeper duty: anyone may finalize a job, expire it, time out a dispute's mover, draw a
// committee, resolve a vote or record a seed when it is due; this account does it for every job and
// dispute it has seen. Losing the race to another keeper is normal.
import { zeroHash, type Address } from "viem";

import { TransactionError } from "../src/errors.ts";
import type { ContractCall } from "../src/node/tx.ts";
import { DISPUTE_KIND } from "../src/protocol/onchain-enums.ts";
import { JOB, OUTCOMES, PHASE } from "./chain-reads.ts";
import type { DutyContext, Head } from "./duty.ts";
import type { KeptDispute } from "./state-machine.ts";

const TERMINAL_JOB: readonly number[] = [JOB.Finalized, JOB.Cancelled, JOB.Expired, JOB.Slashed];

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
        if (TERMINAL_JOB.includes(job.status)) {
          await this.ctx.journal.delete(key);
          return;
        }
        if (job.status === JOB.Submitted) await this.recordSeed(jobId, job.randomnessRequest);
        if (head.timestamp <= BigInt(job.deadline)) return;
        // An opened job whose provider withheld the probe digests it owed expires instead.
        const withheld = job.status === JOB.Opened && (await market.read.isExpirable([jobId]));
        if (job.status === JOB.Opened && job.openDisputes === 0 && !withheld)
          await this.keeperSend(`finalize:${jobId}`, "finalize", jobId, {
            address: market.address,
            abi: market.abi,
            functionName: "finalize",
            args: [jobId],
          });
        else if (
          withheld ||
          job.status === JOB.Open ||
          job.status === JOB.Accepted ||
          job.status === JOB.Submitted
        )
          await this.keeperSend(`expire:${jobId}`, "expire", jobId, {
            address: market.address,
            abi: market.abi,
            functionName: "expire",
            args: [jobId],
          });
      });
    }
    for (const key of this.ctx.journal.keys("keep-dispute:")) {
      if (this.ctx.isClosing()) return;
      const disputeId = BigInt(key.slice(13));
      await this.ctx.guard(key, async () => {
        const d = await disputeGame.read.getDispute([disputeId]);
        const call = (functionName: string, args: readonly unknown[]): ContractCall => ({
          address: disputeGame.address,
          abi: disputeGame.abi,
          functionName,
          args,
        });
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
              call("timeout", [disputeId]),
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
              call("drawCommittee", [disputeId]),
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
            call("resolve", [disputeId, members]),
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
    await this.keeperSend(key, "record seed", jobId, {
      address: randomness.address,
      abi: randomness.abi,
      functionName: "record",
      args: [request],
    });
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
    if (OUTCOMES[outcome] !== "ProviderWon" && OUTCOMES[outcome] !== "ChallengerWon") return;
    const game = this.ctx.chain.contracts.disputeGame;
    const split = await game.getEvents.NoMajority(
      { disputeId },
      { fromBlock: BigInt(this.ctx.chain.deployment.deployedAtBlock) },
    );
    for (const event of split) {
      const round = Number(event.args.round!);
      const members = await this.committeeMembers(disputeId, round);
      await this.keeperSend(`penalize:${disputeId}:${round}`, "penalizeSplitRound", disputeId, {
        address: game.address,
        abi: game.abi,
        functionName: "penalizeSplitRound",
        args: [disputeId, BigInt(round), members],
      });
    }
  }

  private async committeeMembers(disputeId: bigint, round: number): Promise<Address[]> {
    const drawn = await this.ctx.chain.contracts.disputeGame.getEvents.CommitteeDrawn(
      { disputeId },
      { fromBlock: BigInt(this.ctx.chain.deployment.deployedAtBlock) },
    );
    return [...(drawn.find((e) => e.args.round === BigInt(round))?.args.members ?? [])];
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
