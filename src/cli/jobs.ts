// Job facts the CLI shows: what the deadline means in each status (status
// names are src/node/onchain-job.ts's `statusName`).

import { getAddress } from "viem";

import type { OnchainJob } from "../node/onchain-job.ts";
import { JOB_STATUS, type JobStatusName } from "../protocol/onchain-enums.ts";
import type { ChainContext } from "./chain.ts";
import { CliError } from "./errors.ts";

export { JOB_STATUS, type JobStatusName };

/** What the job's `deadline` field means in each status. */
export const DEADLINE_MEANING: Partial<Record<JobStatusName, string>> = {
  Open: "accept by",
  Accepted: "submit by",
  Submitted: "open samples by",
  Opened: "challenges until",
  Disputed: "challenges until",
};

/**
 * The market's record of job `jobId`. An id the market never issued is a clear error naming the
 * ids that exist, where `getJob` itself would only revert `JobNotFound`.
 */
export async function readJob(chain: ChainContext, jobId: bigint): Promise<OnchainJob> {
  const { market } = chain.contracts;
  const count = await market.read.jobCount();
  const at = getAddress(market.address);
  if (jobId < 1n || jobId > count)
    throw new CliError(
      count === 0n
        ? `job ${jobId} does not exist: the market at ${at} has no jobs yet`
        : `job ${jobId} does not exist: the market at ${at} has jobs 1 to ${count}`,
    );
  return market.read.getJob([jobId]);
}
