// A job as the demo's parties see it: the on-chain record and its spec, fetched and checked
// through src/node/job-reader.ts exactly as the daemons do.
import { fetchJobSpec, readOnchainJob, type FetchedSpec } from "../node/job-reader.ts";
import type { OnchainJob } from "../node/onchain-job.ts";
import type { BlobStore } from "../store/blob-store.ts";
import type { DemoChain } from "./chain.ts";

export async function readJob(chain: DemoChain, jobId: bigint): Promise<OnchainJob> {
  return readOnchainJob(chain.deployment.market, jobId);
}

export interface FetchedJob extends FetchedSpec {
  jobId: bigint;
  onchain: OnchainJob;
}

/** Reads job `jobId` from the chain and its spec and artefacts from the store, checking each. */
export async function fetchJob(
  chain: DemoChain,
  store: BlobStore,
  jobId: bigint,
): Promise<FetchedJob> {
  const onchain = await readJob(chain, jobId);
  return { jobId, onchain, ...(await fetchJobSpec(store, jobId, onchain)) };
}
