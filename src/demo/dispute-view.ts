// What both sides of a dispute, and its referees, read from the chain. DisputeGame keeps only a
// hash of the dissection's digests in storage; the digests themselves are in its events
// (DisputeOpened, RangeNarrowed, PointsPosted, ReadyForCommittee), and every mover resupplies
// them. These readers rebuild the current position from the events, as a daemon would.
import type { Address, Hex } from "viem";

import type { DissectionDigests } from "../protocol/dissection.ts";
import type { DemoChain } from "./chain.ts";
import { DemoError } from "./errors.ts";

import {
  OUTCOME,
  PHASE,
  VOTE,
  type OutcomeName,
  type VoteName,
} from "../protocol/onchain-enums.ts";

export { OUTCOME, PHASE, VOTE, type OutcomeName, type VoteName };

export function outcomeName(outcome: number): OutcomeName {
  const name = OUTCOME[outcome];
  if (name === undefined) throw new DemoError(`unknown dispute outcome ${outcome}`);
  return name;
}

export interface DisputeOrigin {
  disputeId: bigint;
  jobId: bigint;
  segment: number;
  challenger: Address;
  /** The digests the dispute started from: agreed h_{i−1}, the provider's and the challenger's h_i. */
  opened: DissectionDigests;
}

export async function readDisputeOrigin(
  chain: DemoChain,
  disputeId: bigint,
): Promise<DisputeOrigin> {
  const [event] = await chain.deployment.disputeGame.getEvents.DisputeOpened(
    { disputeId },
    { fromBlock: 0n },
  );
  if (event === undefined) throw new DemoError(`dispute ${disputeId} was never opened`);
  const a = event.args;
  return {
    disputeId,
    jobId: a.jobId!,
    segment: Number(a.segment!),
    challenger: a.challenger!,
    opened: { lo: a.preDigest!, hi: a.providerDigest!, challengerHi: a.challengerDigest! },
  };
}

export interface DissectionView extends DisputeOrigin {
  phase: number;
  /** Range in steps from the segment start: `lo` agreed, `hi` disputed. */
  lo: number;
  hi: number;
  providerTurn: boolean;
  current: DissectionDigests;
  /** The provider's digests at the points of the current range, once it has posted them. */
  posted: Hex[] | undefined;
}

export async function readDissection(chain: DemoChain, disputeId: bigint): Promise<DissectionView> {
  const game = chain.deployment.disputeGame;
  const origin = await readDisputeOrigin(chain, disputeId);
  const d = await game.read.getDispute([disputeId]);
  const narrowed = await game.getEvents.RangeNarrowed({ disputeId }, { fromBlock: 0n });
  const last = narrowed.at(-1)?.args;
  const current: DissectionDigests = last
    ? { lo: last.loDigest!, hi: last.providerDigest!, challengerHi: last.challengerDigest! }
    : origin.opened;
  let posted: Hex[] | undefined;
  if (d.phase === PHASE.Dissection && !d.providerTurn) {
    const posts = await game.getEvents.PointsPosted({ disputeId }, { fromBlock: 0n });
    posted = posts.at(-1)?.args.digests?.slice();
    if (posted === undefined)
      throw new DemoError(`dispute ${disputeId} awaits the challenger but has no posted points`);
  }
  return {
    ...origin,
    phase: d.phase,
    lo: d.lo,
    hi: d.hi,
    providerTurn: d.providerTurn,
    current,
    posted,
  };
}

/** The one step a committee judges: from offset `step − 1` to `step` of the segment. */
export interface StepQuestion extends DisputeOrigin {
  /** Offset of the disputed post-state within the segment (1 ≤ step ≤ k). */
  step: number;
  preDigest: Hex;
  providerDigest: Hex;
  challengerDigest: Hex;
}

export async function readStepQuestion(chain: DemoChain, disputeId: bigint): Promise<StepQuestion> {
  const origin = await readDisputeOrigin(chain, disputeId);
  const [ready] = await chain.deployment.disputeGame.getEvents.ReadyForCommittee(
    { disputeId },
    { fromBlock: 0n },
  );
  if (ready === undefined)
    throw new DemoError(`dispute ${disputeId} has not narrowed to one step yet`);
  const a = ready.args;
  return {
    ...origin,
    step: Number(a.step!),
    preDigest: a.preDigest!,
    providerDigest: a.providerDigest!,
    challengerDigest: a.challengerDigest!,
  };
}
