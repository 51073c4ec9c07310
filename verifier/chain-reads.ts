// What the verifier reads about disputes. DisputeGame keeps only a hash of the dissection's
// digests in storage; the digests themselves are in its events (DisputeOpened, RangeNarrowed,
// PointsPosted, ReadyForCommittee), and every mover resupplies them.
import { zeroHash, type Address, type Hex } from "viem";

import type { ChainContext } from "../src/node/chain.ts";
import type { DissectionDigests } from "../src/protocol/dissection.ts";
import type { Probes } from "../src/protocol/receipts.ts";
import { AssayError } from "../src/errors.ts";
import {
  DISPUTE_KIND_NAME,
  JOB,
  OUTCOME,
  PHASE,
  VOTE,
  type DisputeKindName,
} from "../src/protocol/onchain-enums.ts";

export { JOB, PHASE, VOTE };
export const OUTCOMES = OUTCOME;

/** A dispute's events are missing or inconsistent: a bug or a wrong deployment, not a retry. */
export class DisputeReadError extends AssayError {
  override name = "DisputeReadError";
  override readonly code = "dispute_read";
}

export interface DisputeOrigin {
  disputeId: bigint;
  kind: DisputeKindName;
  jobId: bigint;
  segment: number;
  challenger: Address;
  opened: DissectionDigests;
}

function fromBlock(chain: ChainContext): { fromBlock: bigint } {
  return { fromBlock: BigInt(chain.deployment.deployedAtBlock) };
}

export async function readDisputeOrigin(
  chain: ChainContext,
  disputeId: bigint,
): Promise<DisputeOrigin> {
  const [event] = await chain.contracts.disputeGame.getEvents.DisputeOpened(
    { disputeId },
    fromBlock(chain),
  );
  if (event === undefined) throw new DisputeReadError(`dispute ${disputeId} was never opened`);
  const a = event.args;
  const kind = DISPUTE_KIND_NAME[a.kind!];
  if (kind === undefined) throw new DisputeReadError(`dispute ${disputeId} has kind ${a.kind}`);
  return {
    disputeId,
    kind,
    jobId: a.jobId!,
    segment: Number(a.segment!),
    challenger: a.challenger!,
    opened: { lo: a.preDigest!, hi: a.providerDigest!, challengerHi: a.challengerDigest! },
  };
}

export interface DissectionView {
  phase: number;
  lo: number;
  hi: number;
  providerTurn: boolean;
  current: DissectionDigests;
  /** The provider's digests at the points of the current range, once it has posted them. */
  posted: Hex[] | undefined;
}

export async function readDissection(
  chain: ChainContext,
  origin: DisputeOrigin,
): Promise<DissectionView> {
  const game = chain.contracts.disputeGame;
  const { disputeId } = origin;
  const d = await game.read.getDispute([disputeId]);
  const narrowed = await game.getEvents.RangeNarrowed({ disputeId }, fromBlock(chain));
  const last = narrowed.at(-1)?.args;
  const current: DissectionDigests = last
    ? { lo: last.loDigest!, hi: last.providerDigest!, challengerHi: last.challengerDigest! }
    : origin.opened;
  let posted: Hex[] | undefined;
  if (d.phase === PHASE.Dissection && !d.providerTurn) {
    const posts = await game.getEvents.PointsPosted({ disputeId }, fromBlock(chain));
    posted = posts.at(-1)?.args.digests?.slice();
  }
  return { phase: d.phase, lo: d.lo, hi: d.hi, providerTurn: d.providerTurn, current, posted };
}

export interface StepQuestion extends DisputeOrigin {
  /** Claims and availability disputes: the leaf claims the committee judges. */
  claims?: { lossBits: bigint; updateNorm: bigint };
  /** Offset of the disputed post-state within the segment (tolerance: k). */
  step: number;
  preDigest: Hex;
  providerDigest: Hex;
  challengerDigest: Hex;
}

export async function readStepQuestion(
  chain: ChainContext,
  disputeId: bigint,
): Promise<StepQuestion> {
  const origin = await readDisputeOrigin(chain, disputeId);
  const [ready] = await chain.contracts.disputeGame.getEvents.ReadyForCommittee(
    { disputeId },
    fromBlock(chain),
  );
  if (ready === undefined)
    throw new DisputeReadError(`dispute ${disputeId} has not narrowed to one step yet`);
  const a = ready.args;
  let claims: StepQuestion["claims"];
  if (origin.kind !== "State") {
    const [named] = await chain.contracts.disputeGame.getEvents.ClaimsDisputed(
      { disputeId },
      fromBlock(chain),
    );
    if (named === undefined)
      throw new DisputeReadError(`${origin.kind} dispute ${disputeId} names no claims`);
    claims = { lossBits: named.args.lossBits!, updateNorm: named.args.updateNorm! };
  }
  return {
    ...origin,
    ...(claims === undefined ? {} : { claims }),
    step: Number(a.step!),
    preDigest: a.preDigest!,
    providerDigest: a.providerDigest!,
    challengerDigest: a.challengerDigest!,
  };
}

/** The provider's published probe digests on `jobId` (ProbesPublished), or undefined before. */
export async function readProbes(chain: ChainContext, jobId: bigint): Promise<Probes | undefined> {
  const { receipts } = chain.contracts;
  const round = await receipts.read.roundOf([jobId]);
  if (round.probesHash === zeroHash) return undefined;
  const [event] = await receipts.getEvents.ProbesPublished(
    { jobId },
    { fromBlock: BigInt(round.snapshot) },
  );
  if (event === undefined)
    throw new DisputeReadError(`job ${jobId}: probes are published but no event was found`);
  return { segments: event.args.segments!, steps: event.args.steps!, digests: event.args.digests! };
}
