// Job facts the CLI shows: which statuses are final and what the deadline means in each (status
// names are src/node/onchain-job.ts's `statusName`).

import { JOB_STATUS, type JobStatusName } from "../protocol/onchain-enums.ts";

export { JOB_STATUS, type JobStatusName };

export const FINAL_STATUSES: ReadonlySet<JobStatusName> = new Set([
  "Finalized",
  "Cancelled",
  "Expired",
  "Slashed",
]);

/** What the job's `deadline` field means in each status. */
export const DEADLINE_MEANING: Partial<Record<JobStatusName, string>> = {
  Open: "accept by",
  Accepted: "submit by",
  Submitted: "open samples by",
  Opened: "challenges until",
  Disputed: "challenges until",
};

/** StakeRole in contracts/types/StakeTypes.sol. */
export const STAKE_ROLE = { provider: 1, verifier: 2 } as const;
export type StakeRoleName = keyof typeof STAKE_ROLE;
