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

/** Numerics by the spec's name. */
export const NUMERICS_CODE = { exact: 1, tolerance: 2 } as const;

/** DisputePhase. */
export const PHASE = {
  None: 0,
  Dissection: 1,
  AwaitingCommittee: 2,
  Voting: 3,
  Resolved: 4,
} as const;

/** Vote. */
export const VOTE = { None: 0, Provider: 1, Challenger: 2, Neither: 3 } as const;
export type VoteName = keyof typeof VOTE;

/** Outcome, indexed by its uint8 value. */
export const OUTCOME = ["None", "ProviderWon", "ChallengerWon", "NoVerdict"] as const;
export type OutcomeName = (typeof OUTCOME)[number];
