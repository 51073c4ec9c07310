// Shared fixture and builders for the contract tests: one deployment (deploy/deploy-assay.ts, the
// same wiring as the devnet), funded accounts, job parameter and trace builders.
import { network } from "hardhat";
import { keccak256, maxUint256, toHex, type Address, type Hex } from "viem";

import { DEVNET_PARAMS, deployAssay } from "../../../deploy/deploy-assay.ts";
import type { CreateJobParams } from "../../../src/protocol/create-job.ts";
import { NUMERICS, STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";
import { float32LossBits, hashLeaf, type TraceLeaf } from "../../../src/protocol/leaf.ts";
import { merkleRoot } from "../../../src/protocol/merkle.ts";
import { buildOpening, topSegmentsByNorm, type Opening } from "../../../src/protocol/opening.ts";

export const connection = await network.getOrCreate();
export const { viem, networkHelpers } = connection;

export const UNIT = 10n ** 18n;
export const MIN_PROVIDER_STAKE = 1_000n * UNIT;
export const MIN_VERIFIER_STAKE = 100n * UNIT;

export async function deployFixture() {
  const wallets = await viem.getWalletClients();
  const [, treasury, submitter, provider, provider2, verifier, verifier2, stranger] = wallets;
  const deployment = await deployAssay(viem, {
    ...DEVNET_PARAMS,
    treasury: treasury!.account.address,
  });
  const token = deployment.testToken!;
  const publicClient = await viem.getPublicClient();
  for (const wallet of [submitter, provider, provider2, verifier, verifier2, stranger]) {
    await token.write.mint([wallet!.account.address, 1_000_000n * UNIT]);
    for (const spender of [deployment.market.address, deployment.registry.address]) {
      await token.write.approve([spender, maxUint256], { account: wallet!.account });
    }
  }
  return {
    ...deployment,
    token,
    publicClient,
    deployer: wallets[0]!,
    treasury: treasury!,
    submitter: submitter!,
    provider: provider!,
    provider2: provider2!,
    verifier: verifier!,
    verifier2: verifier2!,
    stranger: stranger!,
  };
}
export type Fixture = Awaited<ReturnType<typeof deployFixture>>;

/** Fixture with `provider` staked at 10× the minimum and `verifier` at the minimum. */
export async function stakedFixture() {
  const f = await deployFixture();
  await f.registry.write.stake([STAKE_ROLE.Provider, 10n * MIN_PROVIDER_STAKE], {
    account: f.provider.account,
  });
  await f.registry.write.stake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], {
    account: f.verifier.account,
  });
  return f;
}

/** createJob's struct (src/protocol/create-job.ts builds it from a spec; tests build it by hand). */
export type JobParamsInput = CreateJobParams;

export function jobParams(overrides: Partial<JobParamsInput> = {}): JobParamsInput {
  return {
    specHash: keccak256(toHex("spec")),
    initialStateDigest: keccak256(toHex("h0")),
    amount: 100n * UNIT,
    collateral: 200n * UNIT,
    totalSteps: 160,
    checkpointInterval: 10,
    numerics: NUMERICS.Exact,
    deltaPpm: 0,
    samples: 4,
    topQ: 2,
    committeeSize: 3,
    verificationBps: 1_000,
    acceptWindow: 3600,
    trainWindow: 6 * 3600,
    openWindow: 3600,
    challengeWindow: 2 * 3600,
    ...overrides,
  };
}

/** A deterministic fake trace of n leaves (digests and norms derived from a label). */
export function makeTrace(n: number, label = "trace"): TraceLeaf[] {
  return Array.from({ length: n }, (_, i) => {
    const h = keccak256(toHex(`${label}:${i + 1}`));
    return {
      index: BigInt(i + 1),
      stateDigest: h,
      lossBits: float32LossBits(2.3 / (i + 1)),
      updateNorm: BigInt(h.slice(0, 12)),
    };
  });
}

export function traceRoot(jobId: bigint, trace: readonly TraceLeaf[]): Hex {
  return merkleRoot(trace.map((leaf) => hashLeaf(jobId, leaf)));
}

export async function createJob(
  f: Fixture,
  overrides: Partial<JobParamsInput> = {},
  account = f.submitter.account,
) {
  const params = jobParams(overrides);
  await f.market.write.createJob([params], { account });
  const jobId = await f.market.read.jobCount();
  return { jobId, params };
}

export const RESULT_DIGEST = keccak256(toHex("result"));
export const LEAVES_DIGEST = keccak256(toHex("leaves"));

/** Creates, accepts and submits a job with a fake trace; returns everything needed to open it. */
export async function submittedJob(f: Fixture, overrides: Partial<JobParamsInput> = {}) {
  const { jobId, params } = await createJob(f, overrides);
  await f.market.write.accept([jobId], { account: f.provider.account });
  const trace = makeTrace(params.totalSteps / params.checkpointInterval, `job${jobId}`);
  const root = traceRoot(jobId, trace);
  await f.market.write.submit(
    [jobId, root, trace.at(-1)!.stateDigest, RESULT_DIGEST, LEAVES_DIGEST],
    {
      account: f.provider.account,
    },
  );
  return { jobId, params, trace, root };
}

/** Mines past the randomness delay so that the sample seed exists. */
export async function mineForSeed(): Promise<void> {
  await networkHelpers.mine(DEVNET_PARAMS.randomnessDelayBlocks + 1);
}

export async function honestOpening(
  f: Fixture,
  jobId: bigint,
  trace: readonly TraceLeaf[],
  topQ: number,
): Promise<Opening> {
  const sampled = await f.market.read.sampledSegments([jobId]);
  return buildOpening(jobId, trace, sampled, topSegmentsByNorm(trace, topQ));
}

export function openArgs(jobId: bigint, opening: Opening) {
  return [jobId, opening.leaves, opening.topIndices, opening.proof] as const;
}

export async function openedJob(f: Fixture, overrides: Partial<JobParamsInput> = {}) {
  const job = await submittedJob(f, overrides);
  await mineForSeed();
  const opening = await honestOpening(f, job.jobId, job.trace, job.params.topQ);
  await f.market.write.openSamples(openArgs(job.jobId, opening), { account: f.provider.account });
  return { ...job, opening };
}

export async function balanceOf(f: Fixture, account: Address): Promise<bigint> {
  return f.token.read.balanceOf([account]);
}
