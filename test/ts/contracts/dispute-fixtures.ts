// Builders for dispute-game tests and the dispute benchmark: a job whose per-step state digests
// are a pure function (honest) or diverge from some step on (cheating), challenges through
// commit–reveal, the dissection played by both sides, and committee votes.
import { expect } from "chai";
import {
  keccak256,
  maxUint256,
  parseEventLogs,
  toHex,
  zeroHash,
  type Abi,
  type Address,
  type Hex,
} from "viem";

import {
  challengeCommitment,
  finalDigestEvidence,
  fraudCommitment,
  topQEvidence,
  voteCommitment,
} from "../../../src/protocol/dispute-commitments.ts";
import { hashLeaf, type TraceLeaf } from "../../../src/protocol/leaf.ts";
import { buildLevels, multiProof } from "../../../src/protocol/merkle.ts";
import { chooseNarrowing, type DissectionDigests } from "../../../src/protocol/dissection.ts";
import { buildOpening, topSegmentsByNorm, type Opening } from "../../../src/protocol/opening.ts";
import jobMarketArtifact from "../../../artifacts/contracts/JobMarket.sol/JobMarket.json" with { type: "json" };
import fraudProofsArtifact from "../../../artifacts/contracts/FraudProofs.sol/FraudProofs.json" with { type: "json" };
import registryArtifact from "../../../artifacts/contracts/StakeRegistry.sol/StakeRegistry.json" with { type: "json" };
import receiptsArtifact from "../../../artifacts/contracts/Receipts.sol/Receipts.json" with { type: "json" };
import {
  MIN_VERIFIER_STAKE,
  UNIT,
  connection,
  createJob,
  deployFixture,
  mineForSeed,
  networkHelpers,
  openArgs,
  viem,
  type Fixture,
  type JobParamsInput,
} from "./fixtures.ts";

import { DISPUTE_KIND, PHASE, VOTE } from "../../../src/protocol/onchain-enums.ts";
import { expectRevert, expectRevertData } from "../helpers/expect-revert.ts";
import { JOB, NUMERICS, STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

export { DISPUTE_KIND, PHASE, VOTE };

export type Wallet = Fixture["provider"];

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
  /** The provider that accepted the job. */
  provider: Wallet;
  /** The final digest the provider submitted (the last leaf's digest unless a test lied). */
  finalDigest: Hex;
}

export interface TracedJobOptions {
  k?: number;
  checkpoints?: number;
  cheatFromStep?: number;
  numerics?: number;
  overrides?: Partial<JobParamsInput>;
  /** Who accepts the job (default `f.provider`). */
  provider?: Wallet;
  /** The committed update norm of each leaf 1..n (default: a fixed pseudo-random spread). */
  norms?: readonly bigint[];
  /** The submitted final digest (default: the last leaf's digest). */
  finalDigest?: Hex;
  /**
   * Give the job a verification budget, so it opens a receipt round (docs/receipts.md) whose commit
   * phase holds dissections back. Off by default: the dispute tests play the game on its own.
   */
  receipts?: boolean;
}

/**
 * Creates, accepts and submits a job whose provider follows the honest function up to
 * `cheatFromStep` (absolute, exclusive: states after that step are fabricated), and mines until
 * its sample seed exists. `openTracedJob` opens it.
 */
export async function submitTracedJob(
  f: DisputeFixture,
  options: TracedJobOptions = {},
): Promise<TracedJob> {
  const k = options.k ?? 16;
  const n = options.checkpoints ?? 8;
  const numerics = options.numerics ?? NUMERICS.Exact;
  const provider = options.provider ?? f.provider;
  const label = `job-${Math.random().toString(36).slice(2)}`;
  const honest = (step: number): Hex =>
    step === 0 ? keccak256(toHex("h0")) : honestDigest(label, step);
  const cheat = options.cheatFromStep;
  const providerDigest = (step: number): Hex =>
    cheat !== undefined && step > cheat ? keccak256(toHex(`${label}:fake:${step}`)) : honest(step);
  if (options.norms !== undefined && options.norms.length !== n) {
    throw new RangeError(`${options.norms.length} norms given for ${n} checkpoints`);
  }
  const { jobId, params } = await createJob(f, {
    totalSteps: k * n,
    checkpointInterval: k,
    numerics,
    deltaPpm: numerics === NUMERICS.Tolerance ? 10_000 : 0,
    samples: 2,
    topQ: 1,
    initialStateDigest: honest(0),
    ...(options.receipts === true ? {} : { verificationBps: 0 }),
    ...options.overrides,
  });
  await f.market.write.accept([jobId], { account: provider.account });
  const trace: TraceLeaf[] = Array.from({ length: n }, (_, i) => ({
    index: BigInt(i + 1),
    stateDigest: providerDigest((i + 1) * k),
    lossBits: 0x3f800000n,
    updateNorm: options.norms?.[i] ?? BigInt(1000 + ((i * 7919) % 997)),
  }));
  const levels = buildLevels(trace.map((leaf) => hashLeaf(jobId, leaf)));
  const finalDigest = options.finalDigest ?? trace.at(-1)!.stateDigest;
  await f.market.write.submit(
    [jobId, levels.at(-1)![0]!, finalDigest, keccak256(toHex("r")), keccak256(toHex("l"))],
    {
      account: provider.account,
    },
  );
  await mineForSeed();
  return {
    jobId,
    params,
    k,
    trace,
    providerDigest,
    honestDigest: honest,
    provider,
    finalDigest,
  };
}

/**
 * Opens the sampled segments and a top-Q claim: the honest one (largest norms, ties to the lower
 * index) unless `topIndices` names a dishonest one.
 */
export async function openTracedJob(
  f: DisputeFixture,
  job: TracedJob,
  topIndices?: readonly bigint[],
): Promise<Opening> {
  const sampled = await f.market.read.sampledSegments([job.jobId]);
  const claim = topIndices ?? topSegmentsByNorm(job.trace, job.params.topQ);
  const opening = buildOpening(job.jobId, job.trace, sampled, claim);
  await f.market.write.openSamples(openArgs(job.jobId, opening), {
    account: job.provider.account,
  });
  return opening;
}

/**
 * Creates, accepts, submits and opens a job whose provider follows the honest function up to
 * `cheatFromStep` (absolute, exclusive: states after that step are fabricated). Samples are opened
 * honestly from the committed trace, so the cheat is only visible by re-execution.
 */
export async function tracedJob(
  f: DisputeFixture,
  options: TracedJobOptions = {},
): Promise<TracedJob> {
  const job = await submitTracedJob(f, options);
  await openTracedJob(f, job);
  return job;
}

/** Leaves at `indices` (1-based, increasing) of the job's trace with their multi-proof. */
export function traceLeaves(job: TracedJob, indices: readonly number[]) {
  const levels = buildLevels(job.trace.map((leaf) => hashLeaf(job.jobId, leaf)));
  return {
    leaves: indices.map((i) => job.trace[i - 1]!),
    proof: multiProof(
      levels,
      indices.map((i) => i - 1),
    ),
  };
}

export { challengeCommitment, voteCommitment };

/** Commits to a fraud proof from `prover`, waits a block; returns the salt the reveal needs. */
export async function commitFraudProof(
  f: DisputeFixture,
  kind: "topQ" | "finalDigest",
  jobId: bigint,
  evidence: Hex,
  prover: Wallet,
): Promise<Hex> {
  const salt = keccak256(toHex(`fraud:${kind}:${jobId}:${Math.random()}`));
  const commitment = fraudCommitment(kind, jobId, evidence, salt, prover.account.address);
  await f.fraudProofs.write.commitProof([commitment], { account: prover.account });
  await networkHelpers.mine(1);
  return salt;
}

/** Commits, then reveals a top-Q fraud proof from `prover`. */
export async function proveTopQFraud(
  f: DisputeFixture,
  jobId: bigint,
  leaves: readonly TraceLeaf[],
  proof: readonly Hex[],
  prover: Wallet,
): Promise<Hex> {
  const salt = await commitFraudProof(f, "topQ", jobId, topQEvidence(leaves, proof), prover);
  return f.fraudProofs.write.proveTopQFraud([jobId, leaves, proof, salt], {
    account: prover.account,
  });
}

/** Commits, then reveals a final-digest fraud proof from `prover`. */
export async function proveFinalDigestFraud(
  f: DisputeFixture,
  jobId: bigint,
  leaf: TraceLeaf,
  proof: readonly Hex[],
  prover: Wallet,
): Promise<Hex> {
  const evidence = finalDigestEvidence(leaf, proof);
  const salt = await commitFraudProof(f, "finalDigest", jobId, evidence, prover);
  return f.fraudProofs.write.proveFinalDigestFraud([jobId, leaf, proof, salt], {
    account: prover.account,
  });
}

/** Leaves segment−1 (if any) and segment, with their multi-proof, as revealChallenge takes them. */
export function segmentLeaves(job: TracedJob, segment: number) {
  return traceLeaves(job, segment === 1 ? [1] : [segment - 1, segment]);
}

/** Commits to a challenge with a fresh salt; returns what the reveal needs. */
export async function commitChallenge(
  f: DisputeFixture,
  job: TracedJob,
  segment: number,
  challenger: Wallet,
  claim: Hex,
): Promise<{ salt: Hex; commitment: Hex; hash: Hex }> {
  const salt = keccak256(toHex(`salt:${segment}:${challenger.account.address}:${Math.random()}`));
  const commitment = challengeCommitment(
    job.jobId,
    segment,
    claim,
    salt,
    challenger.account.address,
  );
  const hash = await f.disputeGame.write.commitChallenge([commitment], {
    account: challenger.account,
  });
  return { salt, commitment, hash };
}

/** The arguments of revealChallenge for an honest reveal of `segment` with `claim`. */
export function revealArgs(job: TracedJob, segment: number, claim: Hex, salt: Hex) {
  const { leaves, proof } = segmentLeaves(job, segment);
  return [job.jobId, BigInt(segment), claim, salt, leaves, proof] as const;
}

/** The dissection digests a fresh dispute on `segment` starts from. */
export function startDigests(job: TracedJob, segment: number, claim: Hex): DissectionDigests {
  return {
    lo: segment === 1 ? job.params.initialStateDigest : job.trace[segment - 2]!.stateDigest,
    hi: job.trace[segment - 1]!.stateDigest,
    challengerHi: claim,
  };
}

/** Commits, waits a block and reveals a challenge; returns the dispute id and the gas of both calls. */
export async function openDispute(
  f: DisputeFixture,
  job: TracedJob,
  segment: number,
  challenger: Wallet,
  claim: Hex,
) {
  const { salt, hash: commitHash } = await commitChallenge(f, job, segment, challenger, claim);
  await networkHelpers.mine(1);
  const revealHash = await f.disputeGame.write.revealChallenge(
    revealArgs(job, segment, claim, salt),
    {
      account: challenger.account,
    },
  );
  const disputeId = await f.disputeGame.read.disputeCount();
  return {
    disputeId,
    digests: startDigests(job, segment, claim),
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
  provider: Wallet = f.provider,
): Promise<{ post: bigint[]; narrow: bigint[] }> {
  const gas = { post: [] as bigint[], narrow: [] as bigint[] };
  let current = start;
  for (;;) {
    const d = await f.disputeGame.read.getDispute([disputeId]);
    if (d.phase !== PHASE.Dissection) return gas;
    const points = (await f.disputeGame.read.pointsOf([disputeId])).map(Number);
    const posted = points.map(providerAt);
    const post = await f.disputeGame.write.postPoints([disputeId, current, posted], {
      account: provider.account,
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

/** Mines past the randomness delay and draws the committee; returns its members and the gas. */
/**
 * Mines past the randomness block and draws. A round gone stale (its redraw delay passed, as when a
 * test waits out a window first) is asked again and drawn from the fresh value; a short committee
 * is returned as drawn (empty), its round redrawn by the contract.
 */
export async function drawCommittee(
  f: DisputeFixture,
  disputeId: bigint,
): Promise<{ members: Address[]; gas: bigint }> {
  for (;;) {
    await networkHelpers.mine(4);
    const hash = await f.disputeGame.write.drawCommittee([disputeId], {
      account: f.stranger.account,
    });
    const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
    const { abi } = f.disputeGame;
    const [drawn] = parseEventLogs({ abi, logs: receipt.logs, eventName: "CommitteeDrawn" });
    if (drawn !== undefined) return { members: [...drawn.args.members], gas: receipt.gasUsed };
    if (parseEventLogs({ abi, logs: receipt.logs, eventName: "CommitteeShort" }).length > 0)
      return { members: [], gas: receipt.gasUsed };
  }
}

/**
 * An availability dispute (the challenger reveals the zero digest) that the provider has answered:
 * its withdrawal window is open, its first committee round not yet requested.
 */
export async function answeredAvailabilityDispute(
  f: DisputeFixture,
  job: TracedJob,
  segment: number,
  challenger: Wallet = f.verifier,
) {
  const opened = await openDispute(f, job, segment, challenger, zeroHash);
  await f.disputeGame.write.answerAvailability([opened.disputeId, opened.digests], {
    account: f.provider.account,
  });
  return opened;
}

/**
 * `count` sybil verifiers staking `amount` each, created by a contract in batches of 25: dead
 * entries (stake then unstake at once, `leave`) or live ones.
 */
export async function createSybils(
  f: DisputeFixture,
  count: number,
  amount: bigint,
  leave: boolean,
): Promise<Address[]> {
  const factory = await viem.deployContract("SybilVerifiers");
  await f.token.write.mint([factory.address, amount * BigInt(count)]);
  for (let done = 0; done < count; done += 25) {
    const batch = Math.min(25, count - done);
    await factory.write.create([f.registry.address, f.token.address, amount, BigInt(batch), leave]);
  }
  const created = await factory.getEvents.Created({ fromBlock: 0n });
  return created.map((e) => e.args.sybil!);
}

/** Every referee of the fixture but the first `keep` starts leaving (its weight drops to zero). */
export async function drainReferees(f: DisputeFixture, keep: number): Promise<void> {
  for (const referee of f.referees.slice(keep)) {
    await f.registry.write.requestUnstake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], {
      account: referee.account,
    });
  }
}

/**
 * How many of `seats` (all by default) `member` holds: seats go by stake, so a referee may hold
 * several, each paid and penalized on its own.
 */
export function seatsHeld(
  members: readonly Address[],
  member: Address,
  seats: readonly number[] = members.map((_m, seat) => seat),
): bigint {
  return BigInt(
    seats.filter((seat) => members[seat]!.toLowerCase() === member.toLowerCase()).length,
  );
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

/** The final state of a dissection (DisputeGame's ReadyForCommittee event). */
export async function readyForCommittee(f: DisputeFixture, disputeId: bigint) {
  const events = await f.disputeGame.getEvents.ReadyForCommittee({ disputeId }, { fromBlock: 0n });
  expect(events, `dispute ${disputeId} never reached the committee`).to.have.length(1);
  const { step, preDigest, providerDigest, challengerDigest } = events[0]!.args;
  return {
    step: Number(step!),
    preDigest: preDigest!,
    providerDigest: providerDigest!,
    challengerDigest: challengerDigest!,
  };
}

/** Outcome and byTimeout of a resolved dispute (DisputeResolved). */
export async function resolution(f: DisputeFixture, disputeId: bigint) {
  const events = await f.disputeGame.getEvents.DisputeResolved({ disputeId }, { fromBlock: 0n });
  expect(events, `dispute ${disputeId} is not resolved`).to.have.length(1);
  return { outcome: events[0]!.args.outcome!, byTimeout: events[0]!.args.byTimeout! };
}

// ---------------------------------------------------------------- reverts

// Errors that bubble up through the dispute contracts from the market and the registry, and
// FraudProofs' own (for mined reverts of its transactions).
const BUBBLED_ERRORS: Abi = [
  ...(jobMarketArtifact.abi as Abi),
  ...(registryArtifact.abi as Abi),
  ...(fraudProofsArtifact.abi as Abi),
  ...(receiptsArtifact.abi as Abi),
].filter((item) => item.type === "error");

/**
 * expectRevert (helpers/expect-revert.ts) that also decodes errors raised by the market, the
 * registry, FraudProofs or Receipts inside a DisputeGame / FraudProofs call (e.g. the market's
 * JobDeadlinePassed).
 */
export async function expectRevertFrom(
  action: Promise<unknown>,
  errorName: string,
  args?: readonly unknown[],
): Promise<void> {
  await expectRevert(action, errorName, args, BUBBLED_ERRORS);
}

/**
 * Asserts that a mined transaction reverted with `errorName`: for transactions sent with automine
 * off (several in one block), whose revert data only a trace shows.
 */
export async function expectMinedRevert(
  f: DisputeFixture,
  hash: Hex,
  errorName: string,
  args?: readonly unknown[],
): Promise<void> {
  const receipt = await f.publicClient.getTransactionReceipt({ hash });
  expect(receipt.status).to.equal("reverted");
  const trace = (await connection.provider.request({
    method: "debug_traceTransaction",
    params: [hash, { disableStorage: true, disableMemory: true, disableStack: true }],
  })) as { failed: boolean; returnValue: string };
  expect(trace.failed).to.equal(true);
  const data = (
    trace.returnValue.startsWith("0x") ? trace.returnValue : `0x${trace.returnValue}`
  ) as Hex;
  expectRevertData(data, [...(f.disputeGame.abi as Abi), ...BUBBLED_ERRORS], errorName, args);
}

// ---------------------------------------------------------------- solvency

const LIVE_STATUSES: readonly number[] = [
  JOB.Open,
  JOB.Accepted,
  JOB.Submitted,
  JOB.Opened,
  JOB.Disputed,
];

/** Every account that can hold stake or credit in these tests: all of Hardhat's wallets. */
async function everyAccount(): Promise<Address[]> {
  return (await viem.getWalletClients()).map((w) => w.account.address);
}

export interface Owed {
  market: bigint;
  disputeGame: bigint;
  fraudProofs: bigint;
  receipts: bigint;
  registry: bigint;
}

/**
 * What each contract owes, summed from its own records: the market the escrow of live jobs plus
 * credits, the dispute game the bonds of unresolved disputes plus credits, the fraud proofs their
 * credits, the registry every stake.
 */
export async function owed(f: DisputeFixture): Promise<Owed> {
  const accounts = await everyAccount();
  let market = 0n;
  // Receipts: every settled budget less what was paid out of it.
  let receipts = 0n;
  for (let id = 1n; id <= (await f.market.read.jobCount()); id++) {
    const job = await f.market.read.getJob([id]);
    if (LIVE_STATUSES.includes(job.status)) market += job.amount;
    const round = await f.receipts.read.roundOf([id]);
    receipts += round.budget - round.paid;
  }
  let disputeGame = 0n;
  for (let id = 1n; id <= (await f.disputeGame.read.disputeCount()); id++) {
    const d = await f.disputeGame.read.getDispute([id]);
    if (d.phase !== PHASE.Resolved) disputeGame += d.bond;
  }
  let fraudProofs = 0n;
  let registry = 0n;
  for (const account of accounts) {
    market += await f.market.read.creditOf([account]);
    disputeGame += await f.disputeGame.read.creditOf([account]);
    fraudProofs += await f.fraudProofs.read.creditOf([account]);
    for (const role of [STAKE_ROLE.Provider, STAKE_ROLE.Verifier]) {
      const [free, locked, unbonding] = await f.registry.read.accountOf([account, role]);
      registry += free + locked + unbonding;
    }
  }
  return { market, disputeGame, fraudProofs, receipts, registry };
}

/** Asserts that each contract's token balance equals exactly what it owes. */
export async function expectSolvent(f: DisputeFixture): Promise<Owed> {
  const due = await owed(f);
  const held: Owed = {
    market: await f.token.read.balanceOf([f.market.address]),
    disputeGame: await f.token.read.balanceOf([f.disputeGame.address]),
    fraudProofs: await f.token.read.balanceOf([f.fraudProofs.address]),
    receipts: await f.token.read.balanceOf([f.receipts.address]),
    registry: await f.token.read.balanceOf([f.registry.address]),
  };
  expect(held).to.deep.equal(due);
  return due;
}

/**
 * Every account claims every credit it has (checking that its balance grows by exactly that much);
 * then each contract must hold only what is still owed: escrow of live jobs, unresolved bonds, stakes.
 */
export async function claimEverythingAndExpectSolvent(f: DisputeFixture): Promise<void> {
  const wallets = await viem.getWalletClients();
  const ledgers = [
    {
      creditOf: (a: Address) => f.market.read.creditOf([a]),
      claim: (w: Wallet) => f.market.write.claimCredit({ account: w.account }),
    },
    {
      creditOf: (a: Address) => f.disputeGame.read.creditOf([a]),
      claim: (w: Wallet) => f.disputeGame.write.claimCredit({ account: w.account }),
    },
    {
      creditOf: (a: Address) => f.fraudProofs.read.creditOf([a]),
      claim: (w: Wallet) => f.fraudProofs.write.claimCredit({ account: w.account }),
    },
  ];
  for (const wallet of wallets) {
    for (const ledger of ledgers) {
      const credit = await ledger.creditOf(wallet.account.address);
      if (credit === 0n) continue;
      const before = await f.token.read.balanceOf([wallet.account.address]);
      await ledger.claim(wallet);
      expect(await f.token.read.balanceOf([wallet.account.address])).to.equal(before + credit);
      expect(await ledger.creditOf(wallet.account.address)).to.equal(0n);
    }
  }
  const after = await expectSolvent(f);
  let liveEscrow = 0n;
  for (let id = 1n; id <= (await f.market.read.jobCount()); id++) {
    const job = await f.market.read.getJob([id]);
    if (LIVE_STATUSES.includes(job.status)) liveEscrow += job.amount;
  }
  expect(after.market).to.equal(liveEscrow);
  expect(after.fraudProofs).to.equal(0n);
}
