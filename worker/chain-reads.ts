// What the provider daemon reads from the chain: jobs (with their spec, fetched and checked) and
// new JobCreated / DisputeOpened events in a block range. Disputes are read through
// src/node/dispute-reads.ts, shared with every other party.
import type { Hex } from "viem";

import type { ChainContext } from "../src/node/chain.ts";
import { assertJobMatchesSpec, statusName, type OnchainJob } from "../src/node/onchain-job.ts";
import type { JobStatusName } from "../src/protocol/onchain-enums.ts";
import { loadJob, type LoadedJob } from "../src/engine/job.ts";
import { parseJobSpecBytes, specHash, type JobSpec } from "../src/protocol/job-spec.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import { cidFromDigest } from "../src/store/cid.ts";
import { AssayError } from "../src/errors.ts";

/** A failure about one job that no retry fixes (bad spec, missing artefacts): the job is skipped. */
export class JobRejectedError extends AssayError {
  override name = "JobRejectedError";
  override readonly code = "job_rejected";
}

export async function readJob(chain: ChainContext, jobId: bigint): Promise<OnchainJob> {
  return (await chain.contracts.market.read.getJob([jobId])) as OnchainJob;
}

export function jobStatus(job: OnchainJob): JobStatusName {
  return statusName(job.status);
}

export interface FetchedSpec {
  spec: JobSpec;
  specCid: string;
  loaded: LoadedJob;
}

/** The job's spec from the store, checked against the chain (hash, parameters) and loaded. */
export async function fetchSpec(
  store: BlobStore,
  jobId: bigint,
  onchain: OnchainJob,
): Promise<FetchedSpec> {
  const specCid = cidFromDigest(onchain.specHash as Hex);
  let spec: JobSpec;
  try {
    spec = parseJobSpecBytes(await store.get(specCid), { requireCanonical: true });
  } catch (cause) {
    if ((cause as { retryable?: boolean }).retryable === true) throw cause;
    throw new JobRejectedError(`job ${jobId}: its spec ${specCid} cannot be read`, { cause });
  }
  if (specHash(spec) !== onchain.specHash.toLowerCase())
    throw new JobRejectedError(
      `job ${jobId}: spec ${specCid} does not hash to the on-chain specHash`,
    );
  try {
    assertJobMatchesSpec(jobId, onchain, spec);
  } catch (cause) {
    throw new JobRejectedError(`job ${jobId} does not match its spec`, { cause });
  }
  let loaded: LoadedJob;
  try {
    loaded = await loadJob(store, spec, jobId);
  } catch (cause) {
    if ((cause as { retryable?: boolean }).retryable === true) throw cause;
    throw new JobRejectedError(`job ${jobId}: the artefacts its spec names do not load`, { cause });
  }
  return { spec, specCid, loaded };
}

export interface NewEvents {
  jobsCreated: bigint[];
  disputesOpened: { disputeId: bigint; jobId: bigint; segment: number }[];
}

/** JobCreated and DisputeOpened events in [fromBlock, toBlock]. */
export async function readNewEvents(
  chain: ChainContext,
  fromBlock: bigint,
  toBlock: bigint,
): Promise<NewEvents> {
  const range = { fromBlock, toBlock };
  const created = await chain.contracts.market.getEvents.JobCreated({}, range);
  const opened = await chain.contracts.disputeGame.getEvents.DisputeOpened({}, range);
  return {
    jobsCreated: created.map((e) => e.args.jobId!),
    disputesOpened: opened.map((e) => ({
      disputeId: e.args.disputeId!,
      jobId: e.args.jobId!,
      segment: Number(e.args.segment!),
    })),
  };
}
