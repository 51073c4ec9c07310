// Builders for dispute-game tests and the dispute benchmark: a job whose per-step state digests
// are a pure function (honest) or diverge from some step on (cheating), challenges through
// commit–reveal, the dissection played by both sides, and committee votes.
import {
  encodeAbiParameters,
  keccak256,
  parseEventLogs,
  toHex,
  type Address,
  type Hex,
} from "viem";

import { hashLeaf, type TraceLeaf } from "../../../src/protocol/leaf.ts";
import { buildLevels, multiProof } from "../../../src/protocol/merkle.ts";
import { chooseNarrowing, type DissectionDigests } from "../../../src/protocol/dissection.ts";
import {
  MIN_VERIFIER_STAKE,
  NUMERICS,
  STAKE_ROLE,
  UNIT,
  createJob,
  deployFixture,
  honestOpening,
  mineForSeed,
  networkHelpers,
  openArgs,
  viem,
  type Fixture,
  type JobParamsInput,
} from "./fixtures.ts";
import { maxUint256 } from "viem";

export const VOTE = { None: 0, Provider: 1, Challenger: 2, Neither: 3 } as const;
export const OUTCOME = { None: 0, ProviderWon: 1, ChallengerWon: 2, NoVerdict: 3 } as const;
export const PHASE = {
  None: 0,
  Dissection: 1,
  AwaitingCommittee: 2,
  Voting: 3,
  Resolved: 4,
} as const;

type Wallet = Fixture["provider"];

/** Staked verifiers besides the two challengers: the referee pool (Hardhat has 20 accounts). */
export const REFEREE_POOL = 10;

/** Deployment with a staked provider and REFEREE_POOL staked verifiers. */
export async function disputeFixture() {
  const f = await deployFixture();
  const all = await viem.getWalletClients();
  await f.registry.write.stake([STAKE_ROLE.Provider, 10_000n * UNIT], {
    account: f.provider.account,
  });
  const referees: Wallet[] = [];
  for (const wallet of all.slice(8, 8 + REFEREE_POOL)) {
    await f.token.write.mint([wallet.account.address, 10_000n * UNIT]);
    await f.token.write.approve([f.registry.address, maxUint256], { account: wallet.account });
    await f.token.write.approve([f.disputeGame.address, maxUint256], { account: wallet.account });
    await f.registry.write.stake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], {
      account: wallet.account,
    });
    referees.push(wallet);
  }
  // The challengers: `verifier` is honest, `verifier2` is whatever a test makes it.
  for (const wallet of [f.verifier, f.verifier2]) {
    await f.token.write.approve([f.disputeGame.address, maxUint256], { account: wallet.account });
    await f.registry.write.stake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], {
      account: wallet.account,
    });
  }
  const wallets = new Map<string, Wallet>(all.map((w) => [w.account.address.toLowerCase(), w]));
  return { ...f, referees, wallets };
}
export type DisputeFixture = Awaited<ReturnType<typeof disputeFixture>>;

/** The honest state digest after `step` steps of the job labelled `label`. */
export function honestDigest(label: string, step: number): Hex {
  return keccak256(toHex(`${label}:state:${step}`));
}

export interface TracedJob {
  jobId: bigint;
  params: JobParamsInput;
  k: number;
  trace: TraceLeaf[];
  /** The digest the provider claims after `step` steps (absolute). */
  providerDigest: (step: number) => Hex;
  honestDigest: (step: number) => Hex;
}

/**
 * Creates, accepts, submits and opens a job whose provider follows the honest function up to
 * `cheatFromStep` (absolute, exclusive: states after that step are fabricated). Samples are opened
 * honestly from the committed trace, so the cheat is only visible by re-execution.
 */
export async function tracedJob(
  f: DisputeFixture,
  options: {
    k?: number;
    checkpoints?: number;
    cheatFromStep?: number;
    numerics?: number;
    overrides?: Partial<JobParamsInput>;
  } = {},
): Promise<TracedJob> {
  const k = options.k ?? 16;
  const n = options.checkpoints ?? 8;
  const numerics = options.numerics ?? NUMERICS.Exact;
  const label = `job-${Math.random().toString(36).slice(2)}`;
  const honest = (step: number): Hex =>
    step === 0 ? keccak256(toHex("h0")) : honestDigest(label, step);
  const cheat = options.cheatFromStep;
  const providerDigest = (step: number): Hex =>
    cheat !== undefined && step > cheat ? keccak256(toHex(`${label}:fake:${step}`)) : honest(step);
  const { jobId, params } = await createJob(f, {
    totalSteps: k * n,
    checkpointInterval: k,
    numerics,
    deltaPpm: numerics === NUMERICS.Tolerance ? 10_000 : 0,
    samples: 2,
    topQ: 1,
    initialStateDigest: honest(0),
    ...options.overrides,
  });
  await f.market.write.accept([jobId], { account: f.provider.account });
  const trace: TraceLeaf[] = Array.from({ length: n }, (_, i) => ({
    index: BigInt(i + 1),
    stateDigest: providerDigest((i + 1) * k),
    lossBits: 0x3f800000n,
    updateNorm: BigInt(1000 + ((i * 7919) % 997)),
  }));
  const levels = buildLevels(trace.map((leaf) => hashLeaf(jobId, leaf)));
  await f.market.write.submit(
    [
      jobId,
      levels.at(-1)![0]!,
      trace.at(-1)!.stateDigest,
      keccak256(toHex("r")),
      keccak256(toHex("l")),
    ],
    {
      account: f.provider.account,
    },
  );
  await mineForSeed();
  const opening = await honestOpening(f, jobId, trace, params.topQ);
  await f.market.write.openSamples(openArgs(jobId, opening), { account: f.provider.account });
  return { jobId, params, k, trace, providerDigest, honestDigest: honest };
}

/** Leaves segment−1 (if any) and segment, with their multi-proof, as revealChallenge takes them. */
export function segmentLeaves(job: TracedJob, segment: number) {
  const levels = buildLevels(job.trace.map((leaf) => hashLeaf(job.jobId, leaf)));
  const indices = segment === 1 ? [1] : [segment - 1, segment];
  return {
    leaves: indices.map((i) => job.trace[i - 1]!),
    proof: multiProof(
      levels,
      indices.map((i) => i - 1),
    ),
  };
}

export function challengeCommitment(
  jobId: bigint,
  segment: number,
  claim: Hex,
  salt: Hex,
  challenger: Address,
): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "uint256" },
        { type: "uint256" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "address" },
      ],
      [jobId, BigInt(segment), claim, salt, challenger],
    ),
  );
}

/** Commits, waits a block and reveals a challenge; returns the dispute id and the gas of both calls. */
export async function openDispute(
  f: DisputeFixture,
  job: TracedJob,
  segment: number,
  challenger: Wallet,
  claim: Hex,
) {
  const salt = keccak256(toHex(`salt:${segment}:${challenger.account.address}:${Math.random()}`));
  const commitHash = await f.disputeGame.write.commitChallenge(
    [challengeCommitment(job.jobId, segment, claim, salt, challenger.account.address)],
    {
      account: challenger.account,
    },
  );
  await networkHelpers.mine(1);
  const { leaves, proof } = segmentLeaves(job, segment);
  const revealHash = await f.disputeGame.write.revealChallenge(
    [job.jobId, BigInt(segment), claim, salt, leaves, proof],
    {
      account: challenger.account,
    },
  );
  const disputeId = await f.disputeGame.read.disputeCount();
  const digests: DissectionDigests = {
    lo: segment === 1 ? job.params.initialStateDigest : job.trace[segment - 2]!.stateDigest,
    hi: job.trace[segment - 1]!.stateDigest,
    challengerHi: claim,
  };
  return {
    disputeId,
    digests,
    gas: { commit: await gasOf(f, commitHash), reveal: await gasOf(f, revealHash) },
  };
}

export async function gasOf(f: Fixture, hash: Hex): Promise<bigint> {
  const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
  return receipt.gasUsed;
}

/**
 * Plays the dissection to the end: the provider posts `providerAt` at each requested point, the
 * challenger answers by `challengerAt`. Offsets are from the segment start. Returns gas per move.
 */
export async function playDissection(
  f: DisputeFixture,
  disputeId: bigint,
  start: DissectionDigests,
  providerAt: (offset: number) => Hex,
  challengerAt: (offset: number) => Hex,
  challenger: Wallet,
): Promise<{ post: bigint[]; narrow: bigint[] }> {
  const gas = { post: [] as bigint[], narrow: [] as bigint[] };
  let current = start;
  for (;;) {
    const d = await f.disputeGame.read.getDispute([disputeId]);
    if (d.phase !== PHASE.Dissection) return gas;
    const points = (await f.disputeGame.read.pointsOf([disputeId])).map(Number);
    const posted = points.map(providerAt);
    const post = await f.disputeGame.write.postPoints([disputeId, current, posted], {
      account: f.provider.account,
    });
    gas.post.push(await gasOf(f, post));
    const move = chooseNarrowing(d.lo, d.hi, current, posted, challengerAt);
    const narrow = await f.disputeGame.write.narrow(
      [disputeId, current, posted, BigInt(move.choice), move.ownDigest],
      { account: challenger.account },
    );
    gas.narrow.push(await gasOf(f, narrow));
    current = move.next;
  }
}

export function voteCommitment(
  disputeId: bigint,
  seat: number,
  vote: number,
  distancePpm: bigint,
  salt: Hex,
  referee: Address,
): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "uint256" },
        { type: "uint256" },
        { type: "uint8" },
        { type: "uint256" },
        { type: "bytes32" },
        { type: "address" },
      ],
      [disputeId, BigInt(seat), vote, distancePpm, salt, referee],
    ),
  );
}

/** Mines past the randomness delay and draws the committee; returns its members and the gas. */
export async function drawCommittee(
  f: DisputeFixture,
  disputeId: bigint,
): Promise<{ members: Address[]; gas: bigint }> {
  await networkHelpers.mine(4);
  const hash = await f.disputeGame.write.drawCommittee([disputeId], {
    account: f.stranger.account,
  });
  const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
  const [event] = parseEventLogs({
    abi: f.disputeGame.abi,
    logs: receipt.logs,
    eventName: "CommitteeDrawn",
  });
  return { members: event ? [...event.args.members] : [], gas: receipt.gasUsed };
}

/**
 * Runs the vote: each member commits and reveals `voteOf(member, seat)` (null: stays silent),
 * then anyone resolves. Returns gas per call kind.
 */
export async function vote(
  f: DisputeFixture,
  disputeId: bigint,
  members: readonly Address[],
  voteOf: (member: Address, seat: number) => number | null,
  distancePpm = 0n,
) {
  const gas = { commit: [] as bigint[], reveal: [] as bigint[], resolve: 0n };
  const salts = members.map((m, seat) => keccak256(toHex(`vote:${disputeId}:${seat}:${m}`)));
  for (const [seat, member] of members.entries()) {
    const v = voteOf(member, seat);
    if (v === null) continue;
    const wallet = f.wallets.get(member.toLowerCase())!;
    const c = voteCommitment(disputeId, seat, v, distancePpm, salts[seat]!, wallet.account.address);
    gas.commit.push(
      await gasOf(
        f,
        await f.disputeGame.write.commitVote([disputeId, BigInt(seat), members, c], {
          account: wallet.account,
        }),
      ),
    );
  }
  const d = await f.disputeGame.read.getDispute([disputeId]);
  if (d.committedSeats !== 2 ** members.length - 1)
    await networkHelpers.time.increaseTo(BigInt(d.commitDeadline) + 1n);
  for (const [seat, member] of members.entries()) {
    const v = voteOf(member, seat);
    if (v === null) continue;
    const wallet = f.wallets.get(member.toLowerCase())!;
    gas.reveal.push(
      await gasOf(
        f,
        await f.disputeGame.write.revealVote(
          [disputeId, BigInt(seat), v, distancePpm, salts[seat]!],
          { account: wallet.account },
        ),
      ),
    );
  }
  const after = await f.disputeGame.read.getDispute([disputeId]);
  if (after.revealedSeats !== 2 ** members.length - 1)
    await networkHelpers.time.increaseTo(BigInt(after.revealDeadline) + 1n);
  gas.resolve = await gasOf(
    f,
    await f.disputeGame.write.resolve([disputeId, members], { account: f.stranger.account }),
  );
  return gas;
}
