// What every party reads about a dispute: the provider and challenger daemons, referees, keepers,
// the devnet's parties and the tests. DisputeGame keeps only a hash of the dissection's digests in
// storage; the digests themselves are in its events (DisputeOpened, RangeNarrowed, PointsPosted,
// ReadyForCommittee, ClaimsDisputed, PreStatePublished, CommitteeDrawn), and every mover resupplies
// them. These readers rebuild the current position from the events.
import { setTimeout as sleep } from "node:timers/promises";

import type { Address, Hex } from "viem";

import { AssayError } from "../errors.ts";
import type { DissectionDigests } from "../protocol/dissection.ts";
import { DISPUTE_KIND_NAME, PHASE, type DisputeKindName } from "../protocol/onchain-enums.ts";
import type { ChainContext, ContractOf } from "./chain.ts";

/** A dispute's events are missing or inconsistent: a bug or a wrong deployment, not a retry. */
export class DisputeReadError extends AssayError {
  override name = "DisputeReadError";
  override readonly code = "dispute_read";
}

/** Where disputes are read: the DisputeGame contract and the block its events start at. */
export interface DisputeSource {
  game: Pick<ContractOf<"DisputeGame">, "read" | "getEvents">;
  /** The first block searched for events (the deployment's block). */
  fromBlock: bigint;
}

/** The dispute source of a daemon's or the CLI's chain context. */
export function disputesOn(chain: ChainContext): DisputeSource {
  return {
    game: chain.contracts.disputeGame,
    fromBlock: BigInt(chain.deployment.deployedAtBlock),
  };
}

export interface DisputeOrigin {
  disputeId: bigint;
  kind: DisputeKindName;
  jobId: bigint;
  segment: number;
  challenger: Address;
  /** The digests the dispute started from: agreed h_{i−1}, the provider's and the challenger's h_i. */
  opened: DissectionDigests;
}

export async function readDisputeOrigin(
  source: DisputeSource,
  disputeId: bigint,
): Promise<DisputeOrigin> {
  const [event] = await source.game.getEvents.DisputeOpened(
    { disputeId },
    { fromBlock: source.fromBlock },
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

export interface DissectionView extends DisputeOrigin {
  phase: number;
  /** Range in steps from the segment start: `lo` agreed, `hi` disputed. */
  lo: number;
  hi: number;
  providerTurn: boolean;
  /** The digests the next mover must resupply. */
  current: DissectionDigests;
  /** How many narrowing moves came before. */
  round: number;
  /** The provider's digests at the points of the current range, once it has posted them. */
  posted: Hex[] | undefined;
}

/** A dispute's dissection as it stands; `origin` saves a read when the caller has it. */
export async function readDissection(
  source: DisputeSource,
  disputeId: bigint,
  origin?: DisputeOrigin,
): Promise<DissectionView> {
  const { game, fromBlock } = source;
  const from = origin ?? (await readDisputeOrigin(source, disputeId));
  const d = await game.read.getDispute([disputeId]);
  const narrowed = await game.getEvents.RangeNarrowed({ disputeId }, { fromBlock });
  const last = narrowed.at(-1)?.args;
  const current: DissectionDigests = last
    ? { lo: last.loDigest!, hi: last.providerDigest!, challengerHi: last.challengerDigest! }
    : from.opened;
  let posted: Hex[] | undefined;
  if (d.phase === PHASE.Dissection && !d.providerTurn) {
    const posts = await game.getEvents.PointsPosted({ disputeId }, { fromBlock });
    posted = posts.at(-1)?.args.digests?.slice();
  }
  return {
    ...from,
    phase: d.phase,
    lo: d.lo,
    hi: d.hi,
    providerTurn: d.providerTurn,
    current,
    round: narrowed.length,
    posted,
  };
}

/** The one step a committee judges: from offset `step − 1` to `step` of the segment. */
export interface StepQuestion extends DisputeOrigin {
  /** Claims and availability disputes: the leaf claims the committee judges. */
  claims?: { lossBits: bigint; updateNorm: bigint };
  /** Offset of the disputed post-state within the segment (1 ≤ step ≤ k; tolerance: k). */
  step: number;
  preDigest: Hex;
  providerDigest: Hex;
  challengerDigest: Hex;
  /**
   * Exact state disputes: the digest of the latest pre-state envelope the challenger published
   * (PreStatePublished), if it has published one yet.
   */
  preStateEnvelope?: Hex;
}

export async function readStepQuestion(
  source: DisputeSource,
  disputeId: bigint,
): Promise<StepQuestion> {
  const origin = await readDisputeOrigin(source, disputeId);
  const { game, fromBlock } = source;
  const [ready] = await game.getEvents.ReadyForCommittee({ disputeId }, { fromBlock });
  if (ready === undefined)
    throw new DisputeReadError(`dispute ${disputeId} has not narrowed to one step yet`);
  const a = ready.args;
  let claims: StepQuestion["claims"];
  if (origin.kind !== "State") {
    const [named] = await game.getEvents.ClaimsDisputed({ disputeId }, { fromBlock });
    if (named === undefined)
      throw new DisputeReadError(`${origin.kind} dispute ${disputeId} names no claims`);
    claims = { lossBits: named.args.lossBits!, updateNorm: named.args.updateNorm! };
  }
  const envelope =
    origin.kind === "State" ? (await readPreStateEnvelopes(source, disputeId)).at(-1) : undefined;
  return {
    ...origin,
    ...(claims === undefined ? {} : { claims }),
    ...(envelope === undefined ? {} : { preStateEnvelope: envelope }),
    step: Number(a.step!),
    preDigest: a.preDigest!,
    providerDigest: a.providerDigest!,
    challengerDigest: a.challengerDigest!,
  };
}

/**
 * The digests of the pre-state envelopes the challenger of exact state dispute `disputeId`
 * published (PreStatePublished), oldest first; only the challenger can publish one
 * (DisputeGame.publishPreState), and an honest one publishes one.
 */
export async function readPreStateEnvelopes(
  source: DisputeSource,
  disputeId: bigint,
): Promise<Hex[]> {
  const published = await source.game.getEvents.PreStatePublished(
    { disputeId },
    { fromBlock: source.fromBlock },
  );
  return published.map((e) => e.args.envelopeDigest!);
}

/**
 * Waits for the challenger of exact state dispute `disputeId` to name its pre-state envelope and
 * returns its digest (the latest), or undefined when none came in time. A committee may be drawn
 * by anyone as soon as its randomness exists, before the challenger (which recomputes the
 * pre-state first) could publish; a referee that holds no copy of the pre-state waits for it
 * through the first half of the latest round's commit window (chain time, `now`), leaving the
 * second half to re-derive the pre-state without it.
 */
export async function awaitPreStateEnvelope(
  source: DisputeSource,
  disputeId: bigint,
  options: { now: () => Promise<bigint>; commitWindow: bigint; pollMs: number },
): Promise<Hex | undefined> {
  const drawn = await source.game.getEvents.CommitteeDrawn(
    { disputeId },
    { fromBlock: source.fromBlock },
  );
  const deadline = drawn.at(-1)?.args.commitDeadline;
  const until = deadline === undefined ? 0n : deadline - options.commitWindow / 2n;
  for (;;) {
    const envelope = (await readPreStateEnvelopes(source, disputeId)).at(-1);
    if (envelope !== undefined) return envelope;
    if ((await options.now()) >= until) return undefined;
    await sleep(options.pollMs);
  }
}

/**
 * The committee drawn for a dispute in audit round `round` (the latest draw when none is given),
 * or undefined before that draw.
 */
export async function committeeMembers(
  source: DisputeSource,
  disputeId: bigint,
  round?: number,
): Promise<readonly Address[] | undefined> {
  const drawn = await source.game.getEvents.CommitteeDrawn(
    { disputeId },
    { fromBlock: source.fromBlock },
  );
  const event =
    round === undefined ? drawn.at(-1) : drawn.find((e) => e.args.round === BigInt(round));
  return event?.args.members;
}
