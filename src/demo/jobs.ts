// A job as every party sees it: the on-chain record, and the spec it names by hash, fetched from
// the content-addressed store (the spec's sha-256 is both `specHash` on chain and the digest of
// its CID), checked for canonical form and against the on-chain parameters, and loaded into a
// runnable engine job. Providers do this before accepting, verifiers before re-executing, referees
// before recomputing a step: nobody trusts the store or the submitter's word for any piece.
import type { Hex } from "viem";

import { loadJob, type LoadedJob } from "../engine/job.ts";
import { JOB_STATUS, NUMERICS_CODE, type JobStatusName } from "../protocol/onchain-enums.ts";
import { parseJobSpecBytes, specHash, type JobSpec } from "../protocol/job-spec.ts";
import { assertJobMatchesSpec, type OnchainJob } from "../node/onchain-job.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { cidFromDigest } from "../store/cid.ts";
import type { DemoChain } from "./chain.ts";
import { DemoError } from "./errors.ts";

export { JOB_STATUS, NUMERICS_CODE, type JobStatusName };

export async function readJob(chain: DemoChain, jobId: bigint): Promise<OnchainJob> {
  return chain.deployment.market.read.getJob([jobId]);
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
