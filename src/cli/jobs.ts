// Job facts the CLI shows: status names by their uint8 value (contracts/types/JobTypes.sol) and
// which of them are final.

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

export const NUMERICS_CODE = { exact: 1, tolerance: 2 } as const;
export const NUMERICS_NAME = ["none", "exact", "tolerance"] as const;

export function statusName(status: number): JobStatusName {
  return JOB_STATUS[status] ?? "None";
}

/** StakeRole in contracts/types/StakeTypes.sol. */
export const STAKE_ROLE = { provider: 1, verifier: 2 } as const;
export type StakeRoleName = keyof typeof STAKE_ROLE;
