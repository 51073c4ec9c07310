// The provider's side of the disputes opened on its jobs (journaled by worker/watch.ts): an
// availability challenge is answered by publishing the segment's blobs again from its own durable
// store; each dissection turn with the digests of its own states at the points the game names; and
// the calls anyone may make once due (timeout a challenger out of time, draw the committee, resolve
// after the reveal deadline). A resolved dispute is journaled once and counted.
import type { Hex } from "viem";

import { putState } from "../src/checkpoint/checkpoint-store.ts";
import type { TrainingState } from "../src/engine/training-state.ts";
import { committeeMembers, disputesOn, readDissection } from "../src/node/dispute-reads.ts";
import type { OnchainJob } from "../src/node/onchain-job.ts";
import { contractCall } from "../src/node/tx.ts";
import { outcomeLabel, PHASE } from "../src/protocol/onchain-enums.ts";
import { providerSegmentStates } from "../src/provider/segment-training.ts";
import { tryAnyoneMay } from "./anyone-may.ts";
import type { WorkerContext } from "./context.ts";
import {
  checkpointRecords,
  DISPUTE_PREFIX,
  jobKey,
  type DisputeEntry,
  type JobEntry,
} from "./journal-records.ts";

export class Disputes {
  private readonly ctx: WorkerContext;
  private readonly onResolved: () => void;
  /** The provider's states through each disputed segment, replayed once per process. */
  private readonly segmentStates = new Map<bigint, TrainingState[]>();

  /** `onResolved` is told of each dispute resolved (its outcome may owe this account credit). */
  constructor(ctx: WorkerContext, onResolved: () => void) {
    this.ctx = ctx;
    this.onResolved = onResolved;
  }

  /** Plays this provider's move, if it has one now, in every dispute journaled on job `jobId`. */
  async answerAll(jobId: bigint, onchain: OnchainJob): Promise<void> {
    const { journal } = this.ctx;
    for (const key of journal.keys(DISPUTE_PREFIX)) {
      const d = journal.get<DisputeEntry>(key)!;
      if (d.jobId !== jobId) continue;
      await this.answer(BigInt(key.slice(DISPUTE_PREFIX.length)), d, onchain);
    }
  }

  private async answer(disputeId: bigint, d: DisputeEntry, onchain: OnchainJob): Promise<void> {
    const { chain, journal, log, specs, tx } = this.ctx;
    const game = chain.contracts.disputeGame;
    const dispute = await game.read.getDispute([disputeId]);
    const now = (await chain.publicClient.getBlock()).timestamp;
    const phase = Number(dispute.phase);
    if (phase === PHASE.Answer) {
      // An availability challenge: make the segment's blobs and the manifest available from our
      // own durable store, then say so on chain before the clock runs out.
      const spec = await specs.get(d.jobId, onchain);
      if (!specs.plan(spec).answersAvailability) return; // the withhold cheats
      await this.republish(d.jobId, d.segment);
      const { current } = await readDissection(disputesOn(chain), disputeId);
      log.info({ jobId: d.jobId, disputeId }, "answering an availability challenge");
      await tx.send(
        `answer:${disputeId}`,
        `answer availability challenge ${disputeId}`,
        contractCall(chain.contracts.disputeGame, "answerAvailability", [disputeId, current]),
      );
      return;
    }
    // A dissection opened while the job's receipts commit starts after that (DisputeTooEarly).
    if (phase === PHASE.Dissection && dispute.providerTurn && now >= BigInt(dispute.lastMoveAt)) {
      const spec = await specs.get(d.jobId, onchain);
      if (!specs.plan(spec).answersDisputes) return; // the refuse-dispute cheat
      const { current, round } = await readDissection(disputesOn(chain), disputeId);
      // Recomputed after a restart too: the same states give the same call, and TxSender sends the
      // key's journaled transaction if there is one.
      const key = `points:${disputeId}:${round}`;
      let states = this.segmentStates.get(disputeId);
      if (states === undefined) {
        states = await providerSegmentStates(
          spec.loaded.job,
          this.ctx.local,
          checkpointRecords(journal, d.jobId),
          specs.plan(spec).batches,
          d.segment,
        );
        this.segmentStates.set(disputeId, states);
      }
      const points = (await game.read.pointsOf([disputeId])).map(Number);
      const digests: Hex[] = [];
      for (const offset of points) {
        const state = states[offset]!;
        await putState(this.ctx.local, state);
        digests.push((await putState(this.ctx.shared, state)).digest);
      }
      log.info({ jobId: d.jobId, disputeId, round, points }, "posting dissection points");
      await tx.send(
        key,
        `post points in dispute ${disputeId}`,
        contractCall(chain.contracts.disputeGame, "postPoints", [disputeId, current, digests]),
      );
      return;
    }
    if (
      phase === PHASE.Dissection &&
      !dispute.providerTurn &&
      now > BigInt(dispute.lastMoveAt) + BigInt(dispute.challengerClock)
    ) {
      await tryAnyoneMay(
        this.ctx,
        `timeout:${disputeId}`,
        `timeout dispute ${disputeId}`,
        contractCall(chain.contracts.disputeGame, "timeout", [disputeId]),
      );
      return;
    }
    if (phase === PHASE.AwaitingCommittee) {
      await tryAnyoneMay(
        this.ctx,
        `draw:${disputeId}:${now}`,
        `draw committee of dispute ${disputeId}`,
        contractCall(chain.contracts.disputeGame, "drawCommittee", [disputeId]),
        true,
      );
      return;
    }
    if (phase === PHASE.Voting && now > BigInt(dispute.revealDeadline)) {
      const members = await committeeMembers(disputesOn(chain), disputeId);
      if (members !== undefined)
        await tryAnyoneMay(
          this.ctx,
          `resolve:${disputeId}`,
          `resolve dispute ${disputeId}`,
          contractCall(chain.contracts.disputeGame, "resolve", [disputeId, members]),
        );
    }
    if (phase === PHASE.Resolved && !journal.get(`resolved:${disputeId}`)) {
      await journal.set(`resolved:${disputeId}`, Number(dispute.outcome));
      const outcome = outcomeLabel(Number(dispute.outcome));
      this.ctx.metrics.disputes.inc({ role: "provider", outcome });
      this.segmentStates.delete(disputeId);
      log.info({ jobId: d.jobId, disputeId, outcome }, `dispute ${disputeId} resolved: ${outcome}`);
      this.onResolved();
    }
  }

  /**
   * Copies the trace manifest and checkpoints segment − 1 and segment from the provider's own
   * durable store to the shared one (a put overwrites a damaged or missing blob).
   */
  private async republish(jobId: bigint, segment: number): Promise<void> {
    const { journal } = this.ctx;
    const entry = journal.get<JobEntry>(jobKey(jobId));
    const records = checkpointRecords(journal, jobId);
    const cids = [entry?.manifestCid, records[segment - 1]?.cid, records[segment]?.cid].filter(
      (cid): cid is string => cid !== undefined,
    );
    for (const cid of cids) await this.ctx.shared.put(await this.ctx.local.get(cid));
  }
}
