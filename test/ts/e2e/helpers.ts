// Shared set-up for the end-to-end tests: one devnet (Hardhat's chain over JSON-RPC with the clock
// running chain time 20× wall time, the HTTP blob store, Redis), provider daemons (in-process
// ProviderDaemon, one per devnet account, each with its own data dir) and verifier daemons (each
// with its own Redis prefix), tiny exact jobs (synthetic data, 20-16-5 MLP, batch 8, T = 48, k = 8:
// n = 6 segments), and the on-chain assertions every cheat ends in.
//
// Routing: every provider daemon watches every job, so each job gets a "slot" s with amount
// 100 + s and collateral 200 + s tokens, and the daemon meant for it filters on
// minAmount = 100 + s and maxCollateral = 200 + s: a daemon takes a job only if its slot is ≥ and
// ≤ its own, i.e. only its own job.
//
// IPFS (ipfs.test.ts): daemons get an `ipfs` section in their config (ipfsNodeConfig) naming a
// node made beforehand (mintIpfsPeer: repoDir and fixed loopback port) and the peers it dials; their
// storeUrl is a tripwire (startTripwire) that records any request.
import { createServer } from "node:http";
import path from "node:path";

import { expect } from "chai";
import { keccak256, maxUint256, toHex, type Address, type Hex } from "viem";

import { DEVNET_PARAMS, type DeployParams } from "../../../deploy/deploy-assay.ts";
import { syntheticSamples } from "../../../src/data/synthetic.ts";
import { send } from "../../../src/demo/chain.ts";
import { postJob, publishSpec } from "../../../src/demo/submitter.ts";
import type { JobTerms } from "../../../src/protocol/create-job.ts";
import type { JobSpec } from "../../../src/protocol/job-spec.ts";
import { sampleSegments } from "../../../src/protocol/sampler.ts";
import type { CheatInput } from "../../../src/provider/cheats.ts";
import type { BlobStore } from "../../../src/store/blob-store.ts";
import { startIpfsNode } from "../../../src/store/ipfs-node.ts";
import { IpfsOptionsSchema, type IpfsOptions } from "../../../src/store/ipfs-options.ts";
import { freeFixedPort } from "../helpers/ports.ts";
import { JOB, OUTCOME } from "../../../src/protocol/onchain-enums.ts";
import { startFixture, type Fixture } from "../verifier/fixture.ts";
import { startWorker, workerConfigInput, type RunningDaemon } from "../worker/helpers.ts";

export const UNIT = 10n ** 18n;
/** Provider stake each worker keeps: exactly the devnet minimum, so any slash ejects it. */
export const PROVIDER_STAKE = 1_000n * UNIT;
export const VERIFICATION_BPS = 1_000;

/**
 * The devnet's parameters with short dispute clocks (the contract minimum, 5 chain minutes = 15
 * wall seconds at 20×: a provider that refuses to answer a dispute loses on time within the test)
 * and vote windows of 10 chain minutes (an absent referee does not stall a committee for long).
 */
export const E2E_PARAMS: DeployParams = {
  ...DEVNET_PARAMS,
  dispute: {
    ...DEVNET_PARAMS.dispute,
    clockBudget: 300,
    voteCommitWindow: 600,
    voteRevealWindow: 600,
    redrawDelay: 600,
  },
};
export const BOND = BigInt(E2E_PARAMS.dispute.challengeBond);
export const CHALLENGER_SHARE_BPS = BigInt(E2E_PARAMS.dispute.challengerShareBps);
export const EXPIRY_SUBMITTER_BPS = BigInt(E2E_PARAMS.expirySubmitterBps);

/** Chain seconds per job phase; the clock runs 20× faster than the wall. */
export interface Windows {
  accept: number;
  train: number;
  open: number;
  challenge: number;
}
export const WINDOWS: Windows = { accept: 3600, train: 3600, open: 1800, challenge: 1200 };

export const SHAPE = { totalSteps: 48, checkpointInterval: 8 } as const;

/** Starts a devnet with E2E_PARAMS and a funded, approved submitter (account 1). */
export async function startE2e(options: { redisUrl?: string } = {}): Promise<Fixture> {
  return startFixture({ ...options, deployParams: E2E_PARAMS, submitterTokens: 10_000n * UNIT });
}

/** Publishes a tiny exact spec with the given windows (chain seconds) to `store`. */
export async function publishE2eSpec(
  f: Fixture,
  windows: Partial<Windows> = {},
  store: BlobStore = f.store,
): Promise<JobSpec> {
  const published = await publishSpec(store, {
    numerics: "exact",
    layers: [20, 16, 5],
    batchSize: 8,
    optimizer: { kind: "sgd", learningRate: 0.1, momentum: 0.9 },
    samples: syntheticSamples({ seed: "assay-e2e", count: 256, featureCount: 20, classCount: 5 }),
    shardSize: 128,
    initSeed: "assay-e2e",
    rest: {
      version: 2,
      seed: keccak256(toHex("assay e2e: the protocol's data order")) as Hex,
      ...SHAPE,
      verification: { samples: 2, topQ: 1, committeeSize: 3 },
      windows: { ...WINDOWS, ...windows },
    },
  });
  return published.spec;
}

/** The terms of slot `slot` (see the routing note at the top). */
export function termsOf(slot: number): JobTerms {
  return {
    amount: BigInt(100 + slot) * UNIT,
    collateral: BigInt(200 + slot) * UNIT,
    verificationBps: VERIFICATION_BPS,
  };
}

/**
 * Starts the provider daemon for `slot` on devnet account `account`, cheating as `cheat`. `node`:
 * top-level config keys over the devnet's (an `ipfs` section, say).
 */
export async function startSlotWorker(
  f: Fixture,
  account: number,
  slot: number,
  cheat: CheatInput,
  node: Record<string, unknown> = {},
): Promise<RunningDaemon> {
  const terms = termsOf(slot);
  const input = workerConfigInput(
    f.devnet,
    account,
    {
      stake: PROVIDER_STAKE.toString(),
      filters: {
        numerics: ["exact"],
        minAmount: terms.amount.toString(),
        maxCollateral: terms.collateral.toString(),
      },
      cheat,
      ...(cheat.kind === "tamper-blob" || cheat.kind === "withhold-manifest"
        ? { storeDir: f.devnet.storeDir }
        : {}),
    },
    `worker-${account}-${cheat.kind}`,
  );
  return startWorker(f.devnet, { ...input, pollIntervalMs: 200, ...node });
}

export async function postSlotJob(f: Fixture, spec: JobSpec, slot: number): Promise<bigint> {
  return postJob(f.chain, f.submitter, spec, termsOf(slot));
}

export interface ProviderStake {
  free: bigint;
  locked: bigint;
  ejected: boolean;
}

export async function providerStake(f: Fixture, provider: Address): Promise<ProviderStake> {
  const [free, locked, , , ejected] = await f.devnet.deployment.registry.read.accountOf([
    provider,
    1,
  ]);
  return { free, locked, ejected };
}

/** The amounts JobMarket credited to `account` for `jobId`. */
export async function marketCredits(
  f: Fixture,
  jobId: bigint,
  account: Address,
): Promise<bigint[]> {
  const events = await f.devnet.deployment.market.getEvents.Credited(
    { ref: jobId, account },
    { fromBlock: 0n },
  );
  return events.map((e) => e.args.amount!);
}

/** The provider lost its whole collateral for `jobId` and, staked at the minimum, was ejected. */
export async function expectCollateralSlashed(
  f: Fixture,
  provider: Address,
  collateral: bigint,
): Promise<void> {
  const slashed = await f.devnet.deployment.registry.getEvents.Slashed(
    { account: provider, role: 1 },
    { fromBlock: 0n },
  );
  expect(slashed.map((e) => e.args.amount)).to.deep.equal([collateral]);
  expect(await providerStake(f, provider)).to.deep.equal({
    free: PROVIDER_STAKE - collateral,
    locked: 0n,
    ejected: true,
  });
}

export interface SlashedByDispute {
  disputeId: bigint;
  segment: number;
  byTimeout: boolean;
}

/**
 * Job `jobId` (slot `slot`) ended Slashed through exactly one dispute that `challenger` won: the
 * provider's collateral was taken, the challenger was credited its bond back plus its share of
 * the collateral, and the submitter got its whole escrow back.
 */
export async function expectSlashedByDispute(
  f: Fixture,
  jobId: bigint,
  slot: number,
  provider: Address,
  challenger: Address,
): Promise<SlashedByDispute> {
  const { market, disputeGame } = f.devnet.deployment;
  const terms = termsOf(slot);
  expect((await market.read.getJob([jobId])).status, "job status").to.equal(JOB.Slashed);
  const opened = await disputeGame.getEvents.DisputeOpened({ jobId }, { fromBlock: 0n });
  expect(opened, "disputes on the job").to.have.length(1);
  const disputeId = opened[0]!.args.disputeId!;
  const dispute = await disputeGame.read.getDispute([disputeId]);
  expect(dispute.challenger.toLowerCase()).to.equal(challenger.toLowerCase());
  expect(OUTCOME[dispute.outcome]).to.equal("ChallengerWon");
  const [resolved] = await disputeGame.getEvents.DisputeResolved({ disputeId }, { fromBlock: 0n });
  // Every credit names the dispute it comes from.
  const credited = await disputeGame.getEvents.Credited(
    { account: challenger, ref: disputeId },
    { fromBlock: resolved!.blockNumber, toBlock: resolved!.blockNumber },
  );
  const share = (terms.collateral * CHALLENGER_SHARE_BPS) / 10_000n;
  expect(credited.map((e) => e.args.amount)).to.deep.equal([BOND + share]);
  await expectCollateralSlashed(f, provider, terms.collateral);
  expect(await marketCredits(f, jobId, f.submitter.address)).to.deep.equal([terms.amount]);
  return {
    disputeId,
    segment: Number(opened[0]!.args.segment),
    byTimeout: resolved!.args.byTimeout!,
  };
}

/** The committee decided `disputeId`: at least 2 votes revealed, every one for the challenger. */
export async function expectChallengerVotes(f: Fixture, disputeId: bigint): Promise<void> {
  const votes = await f.devnet.deployment.disputeGame.getEvents.VoteRevealed(
    { disputeId },
    { fromBlock: 0n },
  );
  expect(votes.length).to.be.at.least(2);
  for (const v of votes) expect(Number(v.args.vote)).to.equal(2); // Challenger
}

/** The segments a sampling auditor re-executes for `jobId`: the sampled ones and the top-Q claim. */
export async function openedSegments(f: Fixture, jobId: bigint): Promise<Set<number>> {
  const [opened] = await f.devnet.deployment.market.getEvents.SamplesOpened(
    { jobId },
    { fromBlock: 0n },
  );
  const n = BigInt(SHAPE.totalSteps / SHAPE.checkpointInterval);
  return new Set([
    ...sampleSegments(opened!.args.seed!, n, 2).map(Number),
    ...opened!.args.topIndices!.map(Number),
  ]);
}

/** Stakes `account` as a verifier (for a challenger the test drives itself). */
export async function stakeVerifier(f: Fixture, account: number, amount: bigint): Promise<void> {
  const who = f.actor(account, `verifier-${account}`);
  const { registry, disputeGame, testToken } = f.devnet.deployment;
  await f.devnet.fund(who.address, amount + 10n * BOND);
  for (const spender of [registry.address, disputeGame.address])
    await send(f.chain, who, "approve", () =>
      testToken!.write.approve([spender, maxUint256], { account: who.wallet.account }),
    );
  await send(f.chain, who, "stake", () =>
    registry.write.stake([2, amount], { account: who.wallet.account }),
  );
}

/** One provider daemon on its own account and job slot, cheating as `cheat`. */
export interface CheatCase {
  name: string;
  account: number;
  slot: number;
  cheat: CheatInput;
}

export interface RunningCases {
  /** The job each case's provider serves, by case key. */
  jobs: Map<string, bigint>;
  /** Each case's provider address, by case key. */
  providers: Map<string, Address>;
  workers: RunningDaemon[];
}

/**
 * Starts every case's provider daemon (with the top-level config keys `nodeOf(key)`), then posts
 * each case's job with `specOf(key)`: all providers are watching before the first job appears.
 */
export async function startCheatCases(
  f: Fixture,
  cases: Record<string, CheatCase>,
  specOf: (key: string) => JobSpec,
  nodeOf: (key: string) => Record<string, unknown> = () => ({}),
): Promise<RunningCases> {
  const running: RunningCases = { jobs: new Map(), providers: new Map(), workers: [] };
  try {
    for (const [key, c] of Object.entries(cases)) {
      const worker = await startSlotWorker(f, c.account, c.slot, c.cheat, nodeOf(key));
      running.workers.push(worker);
      running.providers.set(key, worker.daemon.chain.address);
    }
    for (const [key, c] of Object.entries(cases))
      running.jobs.set(key, await postSlotJob(f, specOf(key), c.slot));
  } catch (error) {
    // The caller never sees these workers: left running, they would keep the process alive.
    for (const w of running.workers) await w.close().catch(() => undefined);
    throw error;
  }
  return running;
}

/**
 * A daemon's IPFS node as an operator sets up one that others must reach: a repoDir (its key, so
 * its peer id, made on a first start here) and a fixed loopback port (freeFixedPort: outside the
 * range the OS hands out to other sockets meanwhile), so that every config naming it as a peer can
 * be written before any daemon starts.
 */
export interface IpfsPeer {
  repoDir: string;
  listen: string;
  /** What other nodes put in their `peers`: the listen address and /p2p/<peer id>. */
  address: string;
}

/** Makes `name`'s IPFS repo under the devnet's directory (removed with it) and picks its port. */
export async function mintIpfsPeer(f: Fixture, name: string): Promise<IpfsPeer> {
  const repoDir = path.join(f.devnet.dir, `ipfs-${name}`);
  const { node } = await startIpfsNode({ repoDir, listen: [] });
  const peerId = node.peerId;
  await node.stop();
  const listen = `/ip4/127.0.0.1/tcp/${await freeFixedPort()}`;
  return { repoDir, listen, address: `${listen}/p2p/${peerId}` };
}

/**
 * The top-level config keys of a daemon whose shared store is `self`'s IPFS node, dialing only
 * `peers`; its storeUrl is `storeUrl` (a tripwire: with an `ipfs` section it must go unused).
 */
export function ipfsNodeConfig(
  self: IpfsPeer,
  peers: readonly IpfsPeer[],
  storeUrl: string,
): { storeUrl: string; ipfs: IpfsOptions } {
  return {
    storeUrl,
    ipfs: IpfsOptionsSchema.parse({
      repoDir: self.repoDir,
      listen: [self.listen],
      peers: peers.map((peer) => peer.address),
      fetchTimeoutMs: 10_000,
    }),
  };
}

/** An HTTP server on 127.0.0.1 that answers every request 503 and records it. */
export interface Tripwire {
  url: string;
  /** "METHOD path" of every request received. */
  requests: string[];
  close(): Promise<void>;
}

export async function startTripwire(): Promise<Tripwire> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    response.writeHead(503).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
