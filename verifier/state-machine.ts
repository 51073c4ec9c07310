// The verifier daemon's journal records: what each duty keeps per job or dispute, with the states
// a record may be in and the transitions allowed between them (as the worker's state-machine.ts).
import type { Address, Hex } from "viem";

import type { NormCheck } from "../src/training/reexecute.ts";
import type { DisputeKindName } from "../src/protocol/onchain-enums.ts";
import type { SegmentResult, VoteName } from "./segment-check.ts";

// ---------------------------------------------------------------- audit and challenge

/** A job this verifier audits. States and the transitions allowed between them. */
export const AUDIT_TRANSITIONS = {
  auditing: ["passed", "challenging", "unverifiable", "proving"],
  /** A fraud the trace proves: commit (salt journaled first), reveal a block later. */
  proving: ["proven"],
  challenging: ["disputing", "late"],
  /** Back to auditing when an answered availability challenge is withdrawn (the blobs now load). */
  disputing: ["done", "auditing"],
  /** A probe digest of the provider's that differs from this verifier's (receipts, exact jobs). */
  passed: ["challenging"],
  unverifiable: [],
  /** The fraud proof was revealed (or refused: someone slashed the job first). */
  proven: [],
  late: [],
  done: [],
} as const satisfies Record<string, readonly string[]>;
export type AuditState = keyof typeof AUDIT_TRANSITIONS;

export interface AuditRecord {
  state: AuditState;
  segments: number[];
  /** Times the job was audited again (after a withdrawn availability challenge); absent: 0. */
  round?: number;
  /** Proving and later. */
  proof?: { salt: Hex; commitBlock?: bigint };
  challenge?: {
    kind: DisputeKindName;
    segment: number;
    claim: Hex;
    salt: Hex;
    commitBlock?: bigint;
    disputeId?: bigint;
    /** Exact state disputes: the agreed pre-state's envelope was published and named on chain. */
    published?: boolean;
    /** Availability: the blobs were fetched again after the provider answered, and failed. */
    rechecked?: boolean;
    /** Availability: they loaded and the segment passed; the challenge is being withdrawn. */
    withdrawing?: boolean;
    outcome?: string;
    /** A probe challenge (receipts): the dispute covers the segment's first `probeStep` steps. */
    probeStep?: number;
  };
}

/** A segment task's outcome as journaled: a result, or why the segment could not be checked. */
export type SegmentRecord =
  (SegmentResult & { error?: undefined }) | { error: string; segment: number };

/** The norms task's outcome as journaled: the failed checks, or why it could not run. */
export type NormsRecord =
  { failed: NormCheck[]; checked: number; error?: undefined } | { error: string };

// ---------------------------------------------------------------- receipts

/** A receipt round this verifier takes part in (`receipt:<job>`; verifier/receipts.ts). */
export const RECEIPT_TRANSITIONS = {
  /** Waits for the audit's segment results, then commits (salt and roots journaled first). */
  computing: ["committed", "skipped"],
  /** Waits for the provider's probe digests; reveals when they all match its own. */
  committed: ["revealed", "unmatched", "unpaid"],
  /** Claims its share once the job finalizes. */
  revealed: ["paid", "unpaid"],
  /** The provider's probe digests differ from this verifier's (exact jobs: a probe challenge). */
  unmatched: [],
  skipped: [],
  paid: [],
  unpaid: [],
} as const satisfies Record<string, readonly string[]>;
export type ReceiptState = keyof typeof RECEIPT_TRANSITIONS;

export interface ReceiptRecord {
  state: ReceiptState;
  /** The sampled segments, in the contract's order. */
  segments: number[];
  /** The open's block: receipts weigh committee weight as it stood then. */
  snapshot: bigint;
  commitEnd: bigint;
  publishEnd: bigint;
  revealEnd: bigint;
  salt?: Hex;
  roots?: Hex[];
  mismatched?: number[];
  amount?: bigint;
  reason?: string;
}

// ---------------------------------------------------------------- referee and keeper

/** A committee this account sits on (`referee:<dispute>`). */
export const REFEREE_TRANSITIONS = {
  adjudicating: ["voting", "failed"],
  voting: ["committed", "missed"],
  committed: ["revealed", "missed"],
  // A round without a majority is redrawn: drawn again, the referee votes its verdict again.
  revealed: ["voting"],
  failed: [],
  missed: ["voting"],
} as const satisfies Record<string, readonly string[]>;
export type RefereeState = keyof typeof REFEREE_TRANSITIONS;

export interface RefereeRecord {
  state: RefereeState;
  /** The committee round this account was last drawn in, and its seats there (one vote each). */
  round: number;
  seats: number[];
  members: Address[];
  commitDeadline: bigint;
  revealDeadline: bigint;
  vote?: VoteName;
  distancePpm?: bigint;
  salt?: Hex;
  error?: string;
}

/** A dispute the keeper moves along (`keep-dispute:<dispute>`). */
export interface KeptDispute {
  jobId: bigint;
  /** The latest round's committee, for `resolve`. */
  round?: number;
  members?: Address[];
}
