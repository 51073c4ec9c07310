// What the explorer shows, built from one source: the contracts' events (chain-events.ts) folded in
// chain order, plus the few current values events do not carry (a job's record, stakes, a
// dispute's phase) read at the same head. Every event argument is checked against the shape the
// fold expects (zod), so a wrong ABI or deployment fails naming the event, not as a blank page.
import { getAddress, type Address, type Hex } from "viem";
import { z } from "zod";

import { AssayError } from "../errors.ts";
import { cidFromDigest } from "../protocol/cid.ts";
import { sampleSegments } from "../protocol/sampler.ts";
import {
  DISPUTE_KIND_NAME,
  JOB_STATUS,
  NUMERICS_NAME,
  OUTCOME,
  PHASE,
  STAKE_ROLE,
  type JobStatusName,
} from "../protocol/onchain-enums.ts";
import type { ChainContext } from "../node/chain.ts";
import type { ChainEvent } from "./chain-events.ts";
import type { ManifestView, TraceManifests } from "./manifests.ts";

/** An event's arguments are not what the contracts' ABI promises: a wrong ABI or deployment. */
export class ExplorerEventError extends AssayError {
  override name = "ExplorerEventError";
  override readonly code = "explorer_event";
}

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/)
  .transform((a) => getAddress(a));
const hex32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/)
  .transform((h) => h.toLowerCase() as Hex);

/** Argument `key` of `event`, checked against `schema`. */
function arg<S extends z.ZodType>(event: ChainEvent, key: string, schema: S): z.output<S> {
  const parsed = schema.safeParse(event.args[key]);
  if (!parsed.success)
    throw new ExplorerEventError(
      `${event.contract}.${event.name} at block ${event.block}: argument "${key}" is ${String(event.args[key])}, not what the ABI says; is the deployment file for these contracts?`,
    );
  return parsed.data;
}
const big = (e: ChainEvent, key: string): bigint => arg(e, key, z.bigint());
/** viem decodes uint8 to uint48 as numbers and wider integers as bigints. */
const int = (e: ChainEvent, key: string): number =>
  Number(arg(e, key, z.union([z.bigint(), z.number().int()])));

/** One line of a job's, dispute's or account's history. */
export interface Happening {
  block: bigint;
  tx: Hex;
  event: ChainEvent;
}

export interface OpenedLeafView {
  index: number;
  stateDigest: Hex;
  lossBits: bigint;
  updateNorm: bigint;
}

export interface JobView {
  id: bigint;
  status: JobStatusName;
  numerics: string;
  submitter: Address;
  provider: Address | undefined;
  amount: bigint;
  collateral: bigint;
  /** n, checkpoints in the trace; k, steps between them; T = n·k. */
  checkpoints: number;
  interval: number;
  totalSteps: number;
  /** Checkpoints committed (ProgressCommitted, or all n once the trace is submitted). */
  progress: number;
  samples: number;
  topQ: number;
  committeeSize: number;
  /** Unix seconds of the current deadline (its meaning depends on the status). */
  deadline: number;
  specCid: string;
  trace:
    | {
        root: Hex;
        finalDigest: Hex;
        resultCid: string;
        manifestCid: string;
        /** Every ProgressCommitted: (checkpoints, partial root). */
        commits: { checkpoints: number; partialRoot: Hex; block: bigint }[];
        /** Every checkpoint's claims, from the manifest in the store (absent: no store given). */
        manifest?: ManifestView;
      }
    | undefined;
  opening:
    | {
        seed: Hex;
        sampled: number[];
        topIndices: number[];
        minTopNorm: bigint;
        challengeEnd: number;
        leaves: OpenedLeafView[];
      }
    | undefined;
  disputes: bigint[];
  /** Credit (pull payments) from the job: the market's and fraud proofs' Credited, receipts paid. */
  credits: { account: Address; amount: bigint; from: string }[];
  history: Happening[];
}

export interface VoteView {
  round: number;
  seat: number;
  referee: Address;
  committed: boolean;
  vote: string | undefined;
  distancePpm: bigint | undefined;
}

export interface DisputeView {
  id: bigint;
  jobId: bigint;
  kind: string;
  segment: number;
  challenger: Address;
  bond: bigint;
  phase: string;
  outcome: string | undefined;
  byTimeout: boolean;
  /** Every move and turn of the game, in order: the dispute's own events. */
  moves: Happening[];
  committees: {
    round: number;
    members: Address[];
    commitDeadline: number;
    revealDeadline: number;
  }[];
  votes: VoteView[];
  penalties: { referee: Address; amount: bigint }[];
  /**
   * Stake the registry slashed for the dispute: a losing provider's collateral, referees'
   * penalties (which slash is whose: disputesOfSlashes).
   */
  slashes: { account: Address; amount: bigint }[];
  credits: { account: Address; amount: bigint }[];
}

export interface AccountView {
  address: Address;
  provider: { free: bigint; locked: bigint } | undefined;
  verifier: { free: bigint } | undefined;
  slashed: bigint;
  ejected: string[];
  credited: bigint;
  jobsTaken: number;
  challenges: number;
  committeeSeats: number;
  history: Happening[];
}

export interface ExplorerState {
  /** Counts the states the server built; a page compares it with the server's to know it is stale. */
  version: number;
  chainId: number;
  head: bigint;
  /** Chain time at `head`, Unix seconds. */
  chainTime: number;
  jobs: JobView[];
  disputes: DisputeView[];
  accounts: AccountView[];
}

const VOTE_NAME = ["None", "Provider", "Challenger", "Neither"] as const;
const PHASE_NAME = Object.fromEntries(Object.entries(PHASE).map(([k, v]) => [v, k])) as Record<
  number,
  string
>;

/** Every address an event names (parties, referees, committee members). */
function addressesIn(event: ChainEvent): Address[] {
  const out: Address[] = [];
  for (const value of Object.values(event.args)) {
    const list = Array.isArray(value) ? value : [value];
    for (const v of list)
      if (typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v)) out.push(getAddress(v));
  }
  return out;
}

/**
 * The dispute each of the registry's slashes belongs to, and the ejection a slash caused with it.
 * The registry's events name no dispute, and one transaction may move several disputes (anyone may
 * call resolve on one and drawCommittee on another from one contract), so nothing here is guessed
 * from the transaction alone: a slash whose slasher is the dispute game was made inside one call of
 * the game (which is nonReentrant) about one dispute, and the game's own events next to it in the
 * same transaction name that dispute, in an order its code fixes:
 * - a verifier's stake (a referee's penalty): the game's next event is RefereePenalized, for the
 *   same referee and amount (emitted as soon as the slash returns);
 * - a provider's collateral: the game's previous event is the DisputeResolved that took it
 *   (_settle emits it, the market ends the dispute, emitting JobSlashed for the dispute's job, and
 *   the registry slashes), with that JobSlashed between the two.
 * A registry Ejected belongs where the Slashed just before it (the same registry call, the same
 * account) does. Slashes by the market (a missed deadline) or fraud proofs, any other registry
 * event, and a slash that fits neither pattern belong to no dispute: they are shown on the
 * account, never on a dispute the transaction merely touched.
 */
export function disputesOfSlashes(
  events: readonly ChainEvent[],
  disputeGame: Address,
): Map<ChainEvent, bigint> {
  const game = getAddress(disputeGame);
  const out = new Map<ChainEvent, bigint>();
  /** The dispute game's first event after (step 1) or before (step -1) `i` in its transaction. */
  const gameEvent = (i: number, step: 1 | -1): { at: number; event: ChainEvent } | undefined => {
    for (
      let j = i + step;
      j >= 0 && j < events.length && events[j]!.tx === events[i]!.tx;
      j += step
    )
      if (events[j]!.contract === "disputeGame") return { at: j, event: events[j]! };
    return undefined;
  };
  events.forEach((e, i) => {
    if (e.contract !== "registry") return;
    if (e.name === "Ejected") {
      const slash = events[i - 1];
      if (
        slash !== undefined &&
        slash.tx === e.tx &&
        out.has(slash) &&
        arg(slash, "account", address) === arg(e, "account", address)
      )
        out.set(e, out.get(slash)!);
      return;
    }
    if (e.name !== "Slashed" || arg(e, "slasher", address) !== game) return;
    const account = arg(e, "account", address);
    if (int(e, "role") === STAKE_ROLE.Verifier) {
      const next = gameEvent(i, 1)?.event;
      if (
        next?.name === "RefereePenalized" &&
        arg(next, "referee", address) === account &&
        big(next, "amount") === big(e, "amount")
      )
        out.set(e, big(next, "disputeId"));
      return;
    }
    const previous = gameEvent(i, -1);
    if (previous?.event.name !== "DisputeResolved") return;
    const jobId = big(previous.event, "jobId");
    const jobSlashed = events
      .slice(previous.at + 1, i)
      .some((m) => m.contract === "market" && m.name === "JobSlashed" && big(m, "jobId") === jobId);
    if (jobSlashed) out.set(e, big(previous.event, "disputeId"));
  });
  return out;
}

/** The state at `head`: `events` (all of them up to head) folded, and the current values read. */
export async function readExplorerState(
  chain: Pick<ChainContext, "publicClient" | "contracts" | "chainId">,
  events: readonly ChainEvent[],
  head: bigint,
  /** Reads each submitted trace's manifest from the store, for every checkpoint's claims. */
  manifests?: TraceManifests,
): Promise<ExplorerState> {
  const { market, disputeGame, registry } = chain.contracts;
  const at = { blockNumber: head };
  const [block, jobCount] = await Promise.all([
    chain.publicClient.getBlock(at),
    market.read.jobCount(at),
  ]);

  const jobs = new Map<bigint, JobView>();
  for (let id = 1n; id <= jobCount; id++) {
    const j = await market.read.getJob([id], at);
    jobs.set(id, {
      id,
      status: JOB_STATUS[j.status] ?? "None",
      numerics: NUMERICS_NAME[j.numerics] ?? String(j.numerics),
      submitter: j.submitter,
      provider: /^0x0{40}$/.test(j.provider) ? undefined : j.provider,
      amount: j.amount,
      collateral: j.collateral,
      checkpoints: j.checkpoints,
      interval: j.checkpointInterval,
      totalSteps: j.checkpoints * j.checkpointInterval,
      progress: j.progress,
      samples: j.samples,
      topQ: j.topQ,
      committeeSize: j.committeeSize,
      deadline: Number(j.deadline),
      specCid: cidFromDigest(j.specHash),
      trace: undefined,
      opening: undefined,
      disputes: [],
      credits: [],
      history: [],
    });
  }

  const disputes = new Map<bigint, DisputeView>();
  const accounts = new Map<Address, AccountView>();
  const account = (a: Address): AccountView => {
    let view = accounts.get(a);
    if (view === undefined) {
      view = {
        address: a,
        provider: undefined,
        verifier: undefined,
        slashed: 0n,
        ejected: [],
        credited: 0n,
        jobsTaken: 0,
        challenges: 0,
        committeeSeats: 0,
        history: [],
      };
      accounts.set(a, view);
    }
    return view;
  };
  const staked = new Set<string>();
  const slashDisputes = disputesOfSlashes(events, chain.contracts.disputeGame.address);

  for (const e of events) {
    const happening: Happening = { block: e.block, tx: e.tx, event: e };
    let job: JobView | undefined;
    let dispute: DisputeView | undefined;
    if ("disputeId" in e.args) dispute = disputes.get(big(e, "disputeId"));
    if ("jobId" in e.args) job = jobs.get(big(e, "jobId"));
    if (e.contract === "disputeGame" && e.name === "Credited")
      dispute = disputes.get(big(e, "ref"));
    if (e.contract !== "disputeGame" && e.name === "Credited") job = jobs.get(big(e, "ref"));
    if (slashDisputes.has(e)) dispute = disputes.get(slashDisputes.get(e)!);
    if (dispute !== undefined) job ??= jobs.get(dispute.jobId);

    switch (`${e.contract}.${e.name}`) {
      case "market.JobAccepted":
        account(arg(e, "provider", address)).jobsTaken++;
        break;
      case "market.ProgressCommitted":
        if (job !== undefined) {
          job.trace ??= {
            root: `0x${"00".repeat(32)}`,
            finalDigest: `0x${"00".repeat(32)}`,
            resultCid: "",
            manifestCid: "",
            commits: [],
          };
          job.trace.commits.push({
            checkpoints: int(e, "checkpoints"),
            partialRoot: arg(e, "partialRoot", hex32),
            block: e.block,
          });
        }
        break;
      case "market.TraceSubmitted":
        if (job !== undefined)
          job.trace = {
            root: arg(e, "traceRoot", hex32),
            finalDigest: arg(e, "finalDigest", hex32),
            resultCid: cidFromDigest(arg(e, "resultDigest", hex32)),
            manifestCid: cidFromDigest(arg(e, "leavesDigest", hex32)),
            commits: job.trace?.commits ?? [],
          };
        break;
      case "market.SamplesOpened":
        if (job !== undefined) {
          const seed = arg(e, "seed", hex32);
          job.opening = {
            seed,
            // From the event's seed, as the contract draws them: sampledSegments() reads the
            // block hash, which the chain serves for 256 blocks only.
            sampled: sampleSegments(seed, BigInt(job.checkpoints), job.samples).map(Number),
            topIndices: arg(e, "topIndices", z.array(z.bigint())).map(Number),
            minTopNorm: big(e, "minTopNorm"),
            challengeEnd: int(e, "challengeEnd"),
            leaves: job.opening?.leaves ?? [],
          };
        }
        break;
      case "market.ChallengeWindowExtended":
        if (job?.opening !== undefined) job.opening.challengeEnd = int(e, "challengeEnd");
        break;
      case "market.LeavesOpened":
        if (job !== undefined) {
          const leaves = arg(
            e,
            "leaves",
            z.array(
              z.object({
                index: z.bigint(),
                stateDigest: hex32,
                lossBits: z.bigint(),
                updateNorm: z.bigint(),
              }),
            ),
          );
          const opened = leaves.map((l) => ({ ...l, index: Number(l.index) }));
          if (job.opening === undefined)
            job.opening = {
              seed: `0x${"00".repeat(32)}`,
              sampled: [],
              topIndices: [],
              minTopNorm: 0n,
              challengeEnd: 0,
              leaves: opened,
            };
          else job.opening.leaves = opened;
        }
        break;
      case "disputeGame.DisputeOpened": {
        const id = big(e, "disputeId");
        const challenger = arg(e, "challenger", address);
        dispute = {
          id,
          jobId: big(e, "jobId"),
          kind: DISPUTE_KIND_NAME[int(e, "kind")] ?? "?",
          segment: int(e, "segment"),
          challenger,
          bond: big(e, "bond"),
          phase: "Dissection",
          outcome: undefined,
          byTimeout: false,
          moves: [],
          committees: [],
          votes: [],
          penalties: [],
          slashes: [],
          credits: [],
        };
        disputes.set(id, dispute);
        job = jobs.get(dispute.jobId);
        job?.disputes.push(id);
        account(challenger).challenges++;
        break;
      }
      case "disputeGame.CommitteeDrawn":
        if (dispute !== undefined) {
          const round = int(e, "round");
          const members = arg(e, "members", z.array(address));
          dispute.committees.push({
            round,
            members,
            commitDeadline: int(e, "commitDeadline"),
            revealDeadline: int(e, "revealDeadline"),
          });
          members.forEach((referee, seat) => {
            dispute!.votes.push({
              round,
              seat,
              referee,
              committed: false,
              vote: undefined,
              distancePpm: undefined,
            });
            account(referee).committeeSeats++;
          });
        }
        break;
      case "disputeGame.VoteCommitted":
      case "disputeGame.VoteRevealed":
        if (dispute !== undefined) {
          const round = dispute.committees.at(-1)?.round ?? 0;
          const seat = int(e, "seat");
          const vote = dispute.votes.find((v) => v.round === round && v.seat === seat);
          if (vote !== undefined) {
            vote.committed = true;
            if (e.name === "VoteRevealed") {
              vote.vote = VOTE_NAME[int(e, "vote")] ?? "?";
              vote.distancePpm = big(e, "distancePpm");
            }
          }
        }
        break;
      case "disputeGame.DisputeResolved":
        if (dispute !== undefined) {
          dispute.outcome = OUTCOME[int(e, "outcome")] ?? "?";
          dispute.byTimeout = arg(e, "byTimeout", z.boolean());
        }
        break;
      case "disputeGame.RefereePenalized":
        dispute?.penalties.push({
          referee: arg(e, "referee", address),
          amount: big(e, "amount"),
        });
        break;
      case "registry.Staked":
        staked.add(`${arg(e, "account", address)}:${int(e, "role")}`);
        break;
      case "registry.Slashed": {
        const slashed = { account: arg(e, "account", address), amount: big(e, "amount") };
        account(slashed.account).slashed += slashed.amount;
        dispute?.slashes.push(slashed);
        break;
      }
      case "registry.Ejected":
        account(arg(e, "account", address)).ejected.push(
          int(e, "role") === STAKE_ROLE.Provider ? "provider" : "verifier",
        );
        break;
    }
    if (e.name === "Credited" || e.name === "ReceiptPaid") {
      const who = arg(e, e.name === "Credited" ? "account" : "verifier", address);
      const amount = big(e, "amount");
      account(who).credited += amount;
      if (e.contract === "disputeGame") dispute?.credits.push({ account: who, amount });
      else job?.credits.push({ account: who, amount, from: e.contract });
    }
    dispute?.moves.push(happening);
    job?.history.push(happening);
    for (const a of new Set(addressesIn(e))) account(a).history.push(happening);
  }

  // What events do not carry: the progress and status above are the job records'; the sampled
  // segments, each dispute's phase and every staked account's current stake.
  for (const job of jobs.values()) {
    // A submitted trace commits all n checkpoints; the record keeps the last ProgressCommitted.
    if (job.trace !== undefined && job.trace.manifestCid !== "") {
      job.progress = job.checkpoints;
      if (manifests !== undefined)
        job.trace.manifest = manifests.view(job.id, job.trace, job.checkpoints);
    }
  }
  for (const dispute of disputes.values()) {
    const d = await disputeGame.read.getDispute([dispute.id], at);
    dispute.phase = PHASE_NAME[d.phase] ?? String(d.phase);
  }
  for (const key of staked) {
    const [a, role] = key.split(":") as [Address, string];
    const view = account(a);
    if (Number(role) === STAKE_ROLE.Provider)
      view.provider = {
        free: await registry.read.freeStake([a, STAKE_ROLE.Provider], at),
        locked: await registry.read.lockedStake([a], at),
      };
    else view.verifier = { free: await registry.read.freeStake([a, STAKE_ROLE.Verifier], at) };
  }

  return {
    version: 0,
    chainId: chain.chainId,
    head,
    chainTime: Number(block.timestamp),
    jobs: [...jobs.values()].reverse(),
    disputes: [...disputes.values()].reverse(),
    accounts: [...accounts.values()]
      .filter((a) => a.provider !== undefined || a.verifier !== undefined)
      .sort((a, b) => (a.provider ? 0 : 1) - (b.provider ? 0 : 1)),
  };
}
