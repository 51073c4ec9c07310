// Every argument of JobMarket.createJob, from a job spec and the submitter's terms: the spec fixes
// the hash, the initial state, the shape, the numerics, the verification and the windows; the
// submitter chooses only what it pays, the collateral it asks for and the verification share.
// Pure: no I/O. The CLI's `submit` and the devnet's submitter both post through it.
import type { Hex } from "viem";

import { jobParamsFromSpec, type JobSpec } from "./job-spec.ts";
import { NUMERICS_CODE } from "./onchain-enums.ts";

/** What the submitter decides: escrow, the provider's collateral, the verifiers' share. */
export interface JobTerms {
  /** Tokens escrowed for the job (provider payment plus verification budget). */
  amount: bigint;
  /** Tokens the provider locks when it accepts. */
  collateral: bigint;
  /** Share of `amount` for the verifiers' receipts, in basis points. */
  verificationBps: number;
}

/** The `JobParams` struct createJob takes (contracts/types/JobTypes.sol). */
export interface CreateJobParams {
  specHash: Hex;
  initialStateDigest: Hex;
  amount: bigint;
  collateral: bigint;
  totalSteps: number;
  checkpointInterval: number;
  numerics: number;
  deltaPpm: number;
  samples: number;
  topQ: number;
  committeeSize: number;
  verificationBps: number;
  acceptWindow: number;
  trainWindow: number;
  openWindow: number;
  challengeWindow: number;
}

export function createJobParams(spec: JobSpec, terms: JobTerms): CreateJobParams {
  const p = jobParamsFromSpec(spec);
  return {
    specHash: p.specHash,
    initialStateDigest: p.initialStateDigest,
    amount: terms.amount,
    collateral: terms.collateral,
    totalSteps: p.totalSteps,
    checkpointInterval: p.checkpointInterval,
    numerics: NUMERICS_CODE[p.numerics],
    deltaPpm: p.deltaPpm,
    samples: p.samples,
    topQ: p.topQ,
    committeeSize: p.committeeSize,
    verificationBps: terms.verificationBps,
    acceptWindow: p.acceptWindow,
    trainWindow: p.trainWindow,
    openWindow: p.openWindow,
    challengeWindow: p.challengeWindow,
  };
}
