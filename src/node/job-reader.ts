// A job as every party sees it: the on-chain record, and the spec it names by hash, fetched from
// the content-addressed store (the spec's sha-256 is both `specHash` on chain and the digest of
// its CID), checked for canonical form and against the on-chain parameters, and loaded into a
// runnable engine job. Providers do this before accepting, verifiers before re-executing, referees
// before recomputing a step: nobody trusts the store or the submitter's word for any piece.
import type { Hex } from "viem";

import { AssayError, isPoisonInput } from "../errors.ts";
import { parseJobSpecBytes, specHash, type JobSpec } from "../protocol/job-spec.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { cidFromDigest } from "../protocol/cid.ts";
import { loadJob, type LoadedJob } from "../training/job.ts";
import type { ContractOf } from "./chain.ts";
import { assertJobMatchesSpec, type OnchainJob } from "./onchain-job.ts";

/**
 * The job's spec or the artefacts it names are unusable: missing from the store for good,
 * malformed, not canonical, hashing to something else, or disagreeing with the on-chain job.
 * No retry fixes it; each party decides what that means for it (a provider skips the job, a
 * verifier holds it unverifiable).
 */
export class JobSpecUnusableError extends AssayError {
  override name = "JobSpecUnusableError";
  override readonly code = "job_spec_unusable";
}

/** JobMarket.getJob: the record of `jobId` (status None when the market never issued it). */
export async function readOnchainJob(
  market: Pick<ContractOf<"JobMarket">, "read">,
  jobId: bigint,
): Promise<OnchainJob> {
  return market.read.getJob([jobId]);
}

export interface FetchedSpec {
  spec: JobSpec;
  specCid: string;
  /** The runnable job (program, dataset, seed) and its initial state, every piece verified. */
  loaded: LoadedJob;
}

/**
 * The spec `onchain` names, from `store`, checked (canonical, hashing to specHash, agreeing with
 * every on-chain parameter) and loaded. Throws JobSpecUnusableError for what no retry fixes, and
 * passes retryable failures (an unreachable store) through unchanged.
 */
export async function fetchJobSpec(
  store: BlobStore,
  jobId: bigint,
  onchain: OnchainJob,
): Promise<FetchedSpec> {
  if (onchain.status === 0) throw new JobSpecUnusableError(`job ${jobId} does not exist`);
  const specCid = cidFromDigest(onchain.specHash as Hex);
  const spec = await unusableUnlessRetryable(
    `job ${jobId}: its spec ${specCid} cannot be read`,
    async () => parseJobSpecBytes(await store.get(specCid), { requireCanonical: true }),
  );
  // The store verified the bytes against the CID; this re-derives the hash from the parsed spec.
  if (specHash(spec) !== onchain.specHash.toLowerCase())
    throw new JobSpecUnusableError(
      `job ${jobId}: spec ${specCid} does not hash to the on-chain specHash`,
    );
  await unusableUnlessRetryable(`job ${jobId} does not match its spec`, async () =>
    assertJobMatchesSpec(jobId, onchain, spec),
  );
  const loaded = await unusableUnlessRetryable(
    `job ${jobId}: the artefacts its spec names do not load`,
    () => loadJob(store, spec, jobId),
  );
  return { spec, specCid, loaded };
}

/** Runs `body`; a failure about the job's content (isPoisonInput) becomes JobSpecUnusableError. */
async function unusableUnlessRetryable<T>(what: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (cause) {
    if (isPoisonInput(cause)) throw new JobSpecUnusableError(what, { cause });
    throw cause;
  }
}
