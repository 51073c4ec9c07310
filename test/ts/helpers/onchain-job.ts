// A job's on-chain record built from its spec, without a chain: what JobMarket.getJob returns right
// after a correct createJob, for tests of the readers and checks that take an OnchainJob.
import type { Hex } from "viem";

import type { OnchainJob } from "../../../src/node/onchain-job.ts";
import { jobParamsFromSpec, type JobSpec } from "../../../src/protocol/job-spec.ts";
import { NUMERICS_CODE } from "../../../src/protocol/onchain-enums.ts";

/** The on-chain record a correct createJob for `spec` produces (status Open, nothing submitted). */
export function onchainFor(spec: JobSpec): OnchainJob {
  const p = jobParamsFromSpec(spec);
  const zero: Hex = `0x${"00".repeat(32)}`;
  return {
    submitter: "0x0000000000000000000000000000000000000001",
    status: 1,
    numerics: NUMERICS_CODE[p.numerics],
    samples: p.samples,
    topQ: p.topQ,
    committeeSize: p.committeeSize,
    openDisputes: 0,
    verificationBps: 1_000,
    topAbove: 0,
    provider: "0x0000000000000000000000000000000000000000",
    checkpoints: p.totalSteps / p.checkpointInterval,
    checkpointInterval: p.checkpointInterval,
    deltaPpm: p.deltaPpm,
    specHash: p.specHash,
    initialStateDigest: p.initialStateDigest,
    amount: 100n,
    collateral: 200n,
    minTopNorm: 0n,
    trainWindow: p.trainWindow,
    openWindow: p.openWindow,
    challengeWindow: p.challengeWindow,
    deadline: 0,
    randomnessRequest: 0n,
    progress: 0,
    disputedSince: 0,
    traceRoot: zero,
    finalDigest: zero,
  };
}
