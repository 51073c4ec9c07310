// The contracts' enums as TypeScript sees them (contracts/types/JobTypes.sol, DisputeTypes.sol): one
// definition for the daemons, the CLI and the tests, by their uint8 values. Pure: no I/O.

/** JobStatus, indexed by its uint8 value. */
export const JOB_STATUS = [
  "None",
  "Open",
  "Accepted",
  "Submitted",
  "Opened",
  "Disputed",
  "Finalized",
  "Cancelled",
  "Expired",
  "Slashed",
] as const;
export type JobStatusName = (typeof JOB_STATUS)[number];

/** JobStatus by name. */
export const JOB = Object.fromEntries(JOB_STATUS.map((name, value) => [name, value])) as {
  readonly [N in JobStatusName]: number;
};

/** Numerics by the contract's name. */
export const NUMERICS = { None: 0, Exact: 1, Tolerance: 2 } as const;
/** Numerics by the spec's name. */
export const NUMERICS_CODE = { exact: NUMERICS.Exact, tolerance: NUMERICS.Tolerance } as const;
/** Numerics names, indexed by the uint8 value. */
export const NUMERICS_NAME = ["none", "exact", "tolerance"] as const;

/** DisputePhase. */
export const PHASE = {
  None: 0,
  Dissection: 1,
  Answer: 2,
  AwaitingCommittee: 3,
  Voting: 4,
  Resolved: 5,
} as const;

/** DisputeKind: what a dispute is about (the challenger's revealed digest chooses it). */
export const DISPUTE_KIND = { State: 0, Claims: 1, Availability: 2 } as const;
export type DisputeKindName = keyof typeof DISPUTE_KIND;
/** DisputeKind by its uint8 value. */
export const DISPUTE_KIND_NAME = ["State", "Claims", "Availability"] as const;

/** Vote. */
export const VOTE = { None: 0, Provider: 1, Challenger: 2, Neither: 3 } as const;
export type VoteName = keyof typeof VOTE;

/** Outcome, indexed by its uint8 value. */
export const OUTCOME = ["None", "ProviderWon", "ChallengerWon", "NoVerdict"] as const;
export type OutcomeName = (typeof OUTCOME)[number];
/** Outcome by name. */
export const OUTCOME_CODE = { None: 0, ProviderWon: 1, ChallengerWon: 2, NoVerdict: 3 } as const;

/** The job statuses no transaction leaves: the job's money is settled. */
export const FINAL_JOB_STATUSES: ReadonlySet<JobStatusName> = new Set([
  "Finalized",
  "Cancelled",
  "Expired",
  "Slashed",
]);

/** Whether a job in `status` (its uint8 value or its name) is settled for good. */
export function isFinalJobStatus(status: number | JobStatusName): boolean {
  const name = typeof status === "number" ? JOB_STATUS[status] : status;
  return name !== undefined && FINAL_JOB_STATUSES.has(name);
}

/** StakeRole (contracts/types/StakeTypes.sol). */
export const STAKE_ROLE = { None: 0, Provider: 1, Verifier: 2 } as const;
/** The roles an account stakes in, as commands and configs name them. */
export type StakeRoleName = "provider" | "verifier";
export function stakeRole(name: StakeRoleName): number {
  return name === "provider" ? STAKE_ROLE.Provider : STAKE_ROLE.Verifier;
}

/** The Outcome named by its uint8 value; a value the contract does not define throws. */
export function outcomeName(outcome: number): OutcomeName {
  const name = OUTCOME[outcome];
  if (name === undefined) throw new RangeError(`unknown dispute outcome ${outcome}`);
  return name;
}

/** An Outcome as a metric or log label: `ProviderWon` → `provider-won`. */
export function outcomeLabel(outcome: number): string {
  const name = OUTCOME[outcome] ?? `outcome-${outcome}`;
  return name.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase();
}
