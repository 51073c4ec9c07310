// A job as every party sees it: the on-chain record, and the spec it names by hash, fetched from
// the content-addressed store (the spec's sha-256 is both `specHash` on chain and the digest of
// its CID), checked for canonical form and against the on-chain parameters, and loaded into a
// runnable engine job. Providers do this before accepting, verifiers before re-executing, referees
// before recomputing a step: nobody trusts the store or the submitter's word for any piece.
import type { Hex } from "viem";

import { loadJob, type LoadedJob } from "../engine/job.ts";
import { JOB_STATUS, NUMERICS_CODE, type JobStatusName } from "../protocol/onchain-enums.ts";
import {
  jobParamsFromSpec,
  parseJobSpecBytes,
  specHash,
  type JobSpec,
} from "../protocol/job-spec.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { cidFromDigest } from "../store/cid.ts";
import type { DemoChain, Deployment } from "./chain.ts";
import { DemoError } from "./errors.ts";

export { JOB_STATUS, NUMERICS_CODE, type JobStatusName };

export type OnchainJob = Awaited<ReturnType<Deployment["market"]["read"]["getJob"]>>;

export function statusName(status: number): JobStatusName {
  const name = JOB_STATUS[status];
  if (name === undefined) throw new DemoError(`unknown job status ${status}`);
  return name;
}

export async function readJob(chain: DemoChain, jobId: bigint): Promise<OnchainJob> {
  return chain.deployment.market.read.getJob([jobId]);
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
    throw new DemoError(
      `job ${jobId} does not match its spec: ${wrong
        .map(
          ([name, got, expected]) =>
            `${name} is ${String(got)} on chain, ${String(expected)} in the spec`,
        )
        .join("; ")}`,
    );
}

export interface FetchedJob {
  jobId: bigint;
  onchain: OnchainJob;
  spec: JobSpec;
  specCid: string;
  /** The runnable job (program, dataset, seed) and its initial state, every piece verified. */
  loaded: LoadedJob;
}

/** Reads job `jobId` from the chain and its spec and artefacts from the store, checking each. */
export async function fetchJob(
  chain: DemoChain,
  store: BlobStore,
  jobId: bigint,
): Promise<FetchedJob> {
  const onchain = await readJob(chain, jobId);
  if (onchain.status === 0) throw new DemoError(`job ${jobId} does not exist`);
  const specCid = cidFromDigest(onchain.specHash as Hex);
  let spec: JobSpec;
  try {
    spec = parseJobSpecBytes(await store.get(specCid), { requireCanonical: true });
  } catch (cause) {
    throw new DemoError(`job ${jobId}: its spec ${specCid} cannot be read`, { cause });
  }
  // The store verified the bytes against the CID; this re-derives the hash from the parsed spec.
  if (specHash(spec) !== onchain.specHash.toLowerCase())
    throw new DemoError(`job ${jobId}: spec ${specCid} does not hash to the on-chain specHash`);
  assertJobMatchesSpec(jobId, onchain, spec);
  let loaded: LoadedJob;
  try {
    loaded = await loadJob(store, spec, jobId);
  } catch (cause) {
    throw new DemoError(`job ${jobId}: the artefacts its spec names do not load`, { cause });
  }
  return { jobId, onchain, spec, specCid, loaded };
}
