// The referee duty: when this account is drawn onto a committee, a `ref-<dispute>` re-execution
// task computes the verdict; the referee commits it for every seat it holds (salt journaled
// first), reveals once reveals open, and votes again if a round without a majority is redrawn.
import { randomBytes } from "node:crypto";

import { bytesToHex, type Address } from "viem";

import { voteCommitment } from "../src/protocol/dispute-commitments.ts";
import { contractCall, type ContractCall } from "../src/node/tx.ts";
import { PHASE, VOTE } from "../src/protocol/onchain-enums.ts";
import type { DutyContext, Head } from "./duty.ts";
import type { VoteName } from "./segment-check.ts";
import type { RefereeRecord } from "./state-machine.ts";

export class Referee {
  private readonly ctx: DutyContext;

  constructor(ctx: DutyContext) {
    this.ctx = ctx;
  }

  /** A committee was drawn: if this account holds seats, adjudicate (once) and vote them. */
  async onCommittee(
    disputeId: bigint,
    round: number,
    members: Address[],
    commitDeadline: bigint,
    revealDeadline: bigint,
  ): Promise<void> {
    if (!this.ctx.config.verifier.referee) return;
    const key = `referee:${disputeId}`;
    const me = this.ctx.chain.address.toLowerCase();
    // Seats go by stake: this account may hold several, each with its own vote.
    const seats = members.flatMap((m, seat) => (m.toLowerCase() === me ? [seat] : []));
    if (seats.length === 0) return;
    const seated = { round, seats, members, commitDeadline, revealDeadline };
    const r = this.ctx.journal.get<RefereeRecord>(key);
    if (r !== undefined && r.round >= round) return;
    this.ctx.log.info({ disputeId: disputeId.toString(), round, seats }, "drawn as referee");
    if (r === undefined || r.state === "adjudicating") {
      await this.ctx.journal.set(key, {
        ...r,
        state: "adjudicating",
        ...seated,
      } satisfies RefereeRecord);
      await this.ctx.ensureTask({ kind: "referee", disputeId: disputeId.toString() });
    } else if (r.state !== "failed" && r.vote !== undefined) {
      // Drawn again after a round without a majority: the verdict stands, the vote is new.
      await this.ctx.journal.set(key, {
        ...r,
        ...seated,
        state: "voting",
        salt: undefined,
      } satisfies RefereeRecord);
    }
  }

  /** The re-execution task's verdict: the vote this account casts on every seat it holds. */
  async recordVerdict(
    disputeId: bigint,
    verdict: { vote: VoteName; distancePpm: bigint },
  ): Promise<void> {
    const key = `referee:${disputeId}`;
    const record = this.ctx.journal.get<RefereeRecord>(key);
    if (record !== undefined && record.state === "adjudicating")
      await this.ctx.journal.set(key, {
        ...record,
        state: "voting",
        vote: verdict.vote,
        distancePpm: verdict.distancePpm,
      } satisfies RefereeRecord);
  }

  /** The re-execution task failed for good: this account cannot vote on the dispute. */
  async recordFailure(disputeId: bigint, error: string): Promise<void> {
    const key = `referee:${disputeId}`;
    const record = this.ctx.journal.get<RefereeRecord>(key);
    if (record?.state === "adjudicating")
      await this.ctx.journal.set(key, { ...record, state: "failed", error });
  }

  /** Moves this account's seats in dispute `disputeId` one step: commit, reveal, or give up. */
  async advance(disputeId: bigint, head: Head): Promise<void> {
    const key = `referee:${disputeId}`;
    const r = this.ctx.journal.get<RefereeRecord>(key)!;
    const game = this.ctx.chain.contracts.disputeGame;
    switch (r.state) {
      case "adjudicating":
        await this.ctx.ensureTask({ kind: "referee", disputeId: disputeId.toString() });
        return;
      case "voting": {
        // Past the deadline, or ended early (an availability challenge withdrawn): nothing to vote on.
        const d = await game.read.getDispute([disputeId]);
        if (head.timestamp >= r.commitDeadline || d.phase !== PHASE.Voting || d.round !== r.round) {
          await this.ctx.journal.set(key, { ...r, state: "missed" });
          return;
        }
        // The salt is journaled before the commit transactions: a restart reveals these votes.
        const salt = r.salt ?? bytesToHex(randomBytes(32));
        if (r.salt === undefined) await this.ctx.journal.set(key, { ...r, salt });
        for (const seat of r.seats) {
          if ((d.committedSeats & (1 << seat)) !== 0) continue;
          const commitment = voteCommitment(
            disputeId,
            seat,
            VOTE[r.vote!],
            r.distancePpm ?? 0n,
            salt,
            this.ctx.address,
          );
          await this.sendVote(
            "commit",
            disputeId,
            r.round,
            seat,
            contractCall(game, "commitVote", [disputeId, BigInt(seat), r.members, commitment]),
          );
        }
        await this.ctx.journal.set(key, { ...r, salt, state: "committed" });
        return;
      }
      case "committed": {
        const d = await game.read.getDispute([disputeId]);
        if (d.phase !== PHASE.Voting || d.round !== r.round) {
          await this.ctx.journal.set(key, { ...r, state: "missed" });
          return;
        }
        const all = (1 << d.drawn) - 1;
        if (d.committedSeats !== all && head.timestamp <= r.commitDeadline) return;
        if (head.timestamp > r.revealDeadline) {
          await this.ctx.journal.set(key, { ...r, state: "missed" });
          return;
        }
        for (const seat of r.seats) {
          if ((d.revealedSeats & (1 << seat)) !== 0) continue;
          await this.sendVote(
            "reveal",
            disputeId,
            r.round,
            seat,
            contractCall(game, "revealVote", [
              disputeId,
              BigInt(seat),
              VOTE[r.vote!],
              r.distancePpm ?? 0n,
              r.salt!,
            ]),
          );
        }
        await this.ctx.journal.set(key, { ...r, state: "revealed" });
        this.ctx.metrics.disputes.inc({ role: "referee", outcome: r.vote! });
        this.ctx.emit({ type: "voted", disputeId, vote: r.vote! });
        return;
      }
      default:
        return;
    }
  }

  /** One seat's commit or reveal, keyed by dispute, round and seat (a restart never resends). */
  private async sendVote(
    step: "commit" | "reveal",
    disputeId: bigint,
    round: number,
    seat: number,
    call: ContractCall,
  ): Promise<void> {
    await this.ctx.tx.send(
      `vote-${step}:${disputeId}:${round}:${seat}`,
      `${step} vote on dispute ${disputeId} (round ${round}, seat ${seat})`,
      call,
    );
  }
}
