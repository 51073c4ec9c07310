// The verifier's queue tasks: data schemas (parsed with zod on the worker side: Redis is a
// boundary), deterministic task ids (a re-enqueue after a restart or a Redis flush dedupes
// against a task still in Redis), and the split between failures worth retrying and poison.
import { UnrecoverableError } from "bullmq";
import { z } from "zod";

import { isRetryable, oneLine } from "../src/errors.ts";

/** Queue names (under the configured Redis prefix). */
export const QUEUES = { reexec: "reexec" } as const;

const uint = z.string().regex(/^(0|[1-9][0-9]*)$/, "a decimal integer string");

/** Re-execute one segment of a job and compare it with the provider's checkpoint. */
export const SegmentTaskSchema = z.strictObject({
  kind: z.literal("segment"),
  jobId: uint,
  segment: z.number().int().min(1),
});
/**
 * Check the committed update norms of a job's segments from their two checkpoint blobs (no
 * training): every segment by default, a random fraction where bandwidth matters.
 */
export const NormsTaskSchema = z.strictObject({
  kind: z.literal("norms"),
  jobId: uint,
});
/** Re-execute the step (exact) or segment (tolerance) a committee this verifier sits on judges. */
export const RefereeTaskSchema = z.strictObject({
  kind: z.literal("referee"),
  disputeId: uint,
});
export const ReexecTaskSchema = z.discriminatedUnion("kind", [
  SegmentTaskSchema,
  NormsTaskSchema,
  RefereeTaskSchema,
]);
export type ReexecTask = z.output<typeof ReexecTaskSchema>;

/** BullMQ job id of a task: one task per (job, segment) and per dispute, ever. */
export function taskId(task: ReexecTask): string {
  switch (task.kind) {
    case "segment":
      return `seg-${task.jobId}-${task.segment}`;
    case "norms":
      return `norms-${task.jobId}`;
    case "referee":
      return `ref-${task.disputeId}`;
  }
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
