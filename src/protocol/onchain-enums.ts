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
