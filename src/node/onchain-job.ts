// A job's on-chain record as every party reads it, and the check every party makes before acting
// on it: the on-chain parameters are exactly those its spec determines. Used by the provider and
// verifier daemons, the CLI and the demo alike. Pure: no I/O.
import { JOB_STATUS, NUMERICS_CODE, type JobStatusName } from "../protocol/onchain-enums.ts";
import { jobParamsFromSpec, type JobSpec } from "../protocol/job-spec.ts";
import { AssayError } from "../errors.ts";
import type { ContractOf } from "./chain.ts";

/** JobMarket.getJob's record (contracts/types/JobTypes.sol `Job`). */
export type OnchainJob = Awaited<ReturnType<ContractOf<"JobMarket">["read"]["getJob"]>>;

/** The on-chain job does not carry the parameters its spec determines: never act on it. */
export class JobSpecMismatchError extends AssayError {
  override name = "JobSpecMismatchError";
  override readonly code = "job_spec_mismatch";
}

export function statusName(status: number): JobStatusName {
  const name = JOB_STATUS[status];
  if (name === undefined) throw new AssayError(`unknown job status ${status}`);
  return name;
}

/**
 * Checks that the on-chain job carries exactly the parameters its spec determines. A submitter
 * could post a spec hash with other T, k, q or windows; a provider that trained by the spec
 * would then be judged by different rules.
 */
export function assertJobMatchesSpec(jobId: bigint, job: OnchainJob, spec: JobSpec): void {
  const want = jobParamsFromSpec(spec);
  const checks: [string, unknown, unknown][] = [
    ["specHash", job.specHash.toLowerCase(), want.specHash],
    ["initialStateDigest", job.initialStateDigest.toLowerCase(), want.initialStateDigest],
    ["checkpoints", job.checkpoints, want.totalSteps / want.checkpointInterval],
    ["checkpointInterval", job.checkpointInterval, want.checkpointInterval],
    ["numerics", job.numerics, NUMERICS_CODE[want.numerics]],
    ["deltaPpm", job.deltaPpm, want.deltaPpm],
    ["samples", job.samples, want.samples],
    ["topQ", job.topQ, want.topQ],
    ["committeeSize", job.committeeSize, want.committeeSize],
    ["trainWindow", job.trainWindow, want.trainWindow],
    ["openWindow", job.openWindow, want.openWindow],
    ["challengeWindow", job.challengeWindow, want.challengeWindow],
  ];
  const wrong = checks.filter(([, got, expected]) => got !== expected);
  if (wrong.length > 0)
    throw new JobSpecMismatchError(
      `job ${jobId} does not match its spec: ${wrong
        .map(
          ([name, got, expected]) =>
            `${name} is ${String(got)} on chain, ${String(expected)} in the spec`,
        )
        .join("; ")}`,
    );
}
