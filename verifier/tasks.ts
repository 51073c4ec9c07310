// The verifier's queue contract, between a coordinator and its re-execution workers (which may be
// other processes on other machines): the task data (parsed with zod by the worker: Redis is a
// boundary), the outcome a worker returns (parsed with zod by the coordinator, which alone
// journals it), deterministic task ids (a re-enqueue after a restart or a Redis flush dedupes
// against a task still in Redis), and the split between failures worth retrying and poison.
import { UnrecoverableError } from "bullmq";
import type { Address, Hex } from "viem";
import { z } from "zod";

import { isRetryable, oneLine } from "../src/errors.ts";

/** Queue names (under the configured Redis prefix). */
export const QUEUES = { reexec: "reexec" } as const;

const uint = z.string().regex(/^(0|[1-9][0-9]*)$/, "a decimal integer string");

/** Re-execute one segment of a job and compare it with the provider's checkpoint. */
/**
 * The audit round a task belongs to: 0, then one more each time the job is audited again (after a
 * withdrawn availability challenge), so that a worker loads the job afresh instead of its copy.
 */
const round = z.number().int().min(0).default(0);
/** The coordinator's journal the task is for (verifier/task-queue.ts); "" when not given. */
const epoch = z
  .string()
  .regex(/^[0-9a-f]{0,32}$/, "lowercase hex")
  .default("");

export const SegmentTaskSchema = z.strictObject({
  kind: z.literal("segment"),
  jobId: uint,
  segment: z.number().int().min(1),
  round,
  epoch,
  /** Also return the digest after every step inside the segment (receipts). */
  interior: z.boolean().default(false),
});
/**
 * Check the committed update norms of a job's segments from their two checkpoint blobs (no
 * training): every segment by default, a random fraction where bandwidth matters.
 */
export const NormsTaskSchema = z.strictObject({
  kind: z.literal("norms"),
  jobId: uint,
  round,
  epoch,
  /** Fraction of the segments checked (verifier.normCheckFraction). */
  fraction: z.number().min(0).max(1),
  /** The verifier the segments are drawn for (verifiers cover different ones). */
  verifier: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, "an address")
    .transform((v) => v as Address),
});
/** Re-execute the step (exact) or segment (tolerance) a committee this verifier sits on judges. */
export const RefereeTaskSchema = z.strictObject({
  kind: z.literal("referee"),
  disputeId: uint,
  epoch,
});
export const ReexecTaskSchema = z.discriminatedUnion("kind", [
  SegmentTaskSchema,
  NormsTaskSchema,
  RefereeTaskSchema,
]);
export type ReexecTask = z.output<typeof ReexecTaskSchema>;
/** A task as a duty names it (the audit round may be left out: 0). */
export type ReexecTaskInput = z.input<typeof ReexecTaskSchema>;

const hex32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "a 32-byte hex string")
  .transform((v) => v as Hex);
const fault = z.enum(["state", "claim", "availability"]);

/** A segment task's outcome (verifier/segment-check.ts SegmentResult). */
export const SegmentOutcomeSchema = z.strictObject({
  segment: z.number().int().min(1),
  ok: z.boolean(),
  failing: z.number().int().min(1),
  claimedDigest: hex32,
  recomputedDigest: hex32,
  fault: fault.optional(),
  /** A number, or its name when JSON has none for it (a lazy provider's state gives Infinity). */
  ratio: z
    .union([z.number(), z.enum(["Infinity", "-Infinity", "NaN"])])
    .transform((v) => (typeof v === "string" ? Number(v) : v))
    .optional(),
  startedFrom: z.number().int().min(0),
  steps: z.number().int().min(0),
  reason: z.string().optional(),
  interior: z.array(hex32).optional(),
});
/** The norms task's outcome: the checks that failed, of how many. */
export const NormsOutcomeSchema = z.strictObject({
  failed: z.array(
    z.strictObject({
      segment: z.number().int().min(1),
      ok: z.boolean(),
      fault: z.enum(["claim", "availability"]).optional(),
      reason: z.string().optional(),
    }),
  ),
  checked: z.number().int().min(0),
});
/** A referee task's outcome: the verdict (distance in ppm as a decimal string: JSON has no bigint). */
export const RefereeOutcomeSchema = z.strictObject({
  vote: z.enum(["Provider", "Challenger", "Neither"]),
  distancePpm: uint.transform((v) => BigInt(v)),
  recomputedDigest: hex32,
  steps: z.number().int().min(0),
});
export type SegmentOutcome = z.output<typeof SegmentOutcomeSchema>;

/**
 * A segment result as a worker returns it: BullMQ stores the value as JSON, which has no Infinity
 * or NaN (they would arrive as null, and the outcome be refused as malformed), so a non-finite
 * ratio travels by name. SegmentOutcomeSchema turns it back into the number.
 */
export function segmentOutcomeJson(result: SegmentOutcome): unknown {
  if (result.ratio === undefined || Number.isFinite(result.ratio)) return result;
  return { ...result, ratio: String(result.ratio) };
}
export type NormsOutcome = z.output<typeof NormsOutcomeSchema>;
export type RefereeOutcome = z.output<typeof RefereeOutcomeSchema>;

/** The outcome schema of each task kind. */
export const OUTCOME_SCHEMAS = {
  segment: SegmentOutcomeSchema,
  norms: NormsOutcomeSchema,
  referee: RefereeOutcomeSchema,
} as const;

/** BullMQ job id of a task: one task per (job, segment) and per dispute, ever. */
export function taskId(task: ReexecTaskInput): string {
  switch (task.kind) {
    case "segment":
      return `seg-${task.jobId}-${task.segment}${roundSuffix(task.round)}`;
    case "norms":
      return `norms-${task.jobId}${roundSuffix(task.round)}`;
    case "referee":
      return `ref-${task.disputeId}`;
  }
}

function roundSuffix(round: number | undefined): string {
  return round === undefined || round === 0 ? "" : `-r${round}`;
}

/**
 * What a queue processor throws for `error`: the error itself when a later attempt may succeed
 * (RPC, Redis or store unreachable: BullMQ retries with backoff), else an UnrecoverableError so
 * that a poison task (malformed program or spec, a blob that does not match its address, a bug)
 * fails at once instead of looping through its attempts.
 */
export function queueError(error: unknown): Error {
  if (isRetryable(error)) return error instanceof Error ? error : new Error(String(error));
  const poison = new UnrecoverableError(oneLine(error));
  (poison as Error & { cause?: unknown }).cause = error;
  return poison;
}
