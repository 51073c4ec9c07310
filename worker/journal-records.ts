// What the provider daemon keeps in its journal of each job, besides its transactions (TxSender's
// `tx:` keys): the job's entry (`job:<jobId>`), each dispute opened on it (`dispute:<disputeId>`) and
// each checkpoint once it is durable and uploaded (`ckpt:<jobId>:<index>`, in index order).
import type { Hex } from "viem";

import type { CheckpointRecord } from "../src/checkpoint/trace.ts";
import type { Journal } from "../src/node/journal.ts";
import type { JobState } from "./state-machine.ts";

/** A job as the journal keeps it. */
export interface JobEntry {
  state: JobState;
  /** Why it was skipped, expired or slashed. */
  reason?: string;
  submitBlock?: bigint;
  root?: Hex;
  finalDigest?: Hex;
  manifestCid?: string;
  /** Training resumed from this checkpoint index after a restart (0: started fresh). */
  resumedFrom?: number;
}

/** A dispute opened on one of this provider's jobs. */
export interface DisputeEntry {
  jobId: bigint;
  segment: number;
}

export const JOB_PREFIX = "job:";
export const DISPUTE_PREFIX = "dispute:";

export const jobKey = (id: bigint): string => `${JOB_PREFIX}${id}`;
export const disputeKey = (id: bigint): string => `${DISPUTE_PREFIX}${id}`;
export const checkpointKey = (id: bigint, index: number): string =>
  `ckpt:${id}:${String(index).padStart(6, "0")}`;

/** Job `jobId`'s journaled checkpoints, in index order. */
export function checkpointRecords(journal: Journal, jobId: bigint): CheckpointRecord[] {
  return journal
    .keys(`ckpt:${jobId}:`)
    .sort()
    .map((key) => journal.get<CheckpointRecord>(key)!);
}
