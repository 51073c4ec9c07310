// How a provider computes each step's batch. The protocol fixes the batch of step t as a pure
// function of (dataset root, seed, job id, t) (docs/protocol.md §2); a cheating provider may substitute its own
// rule. Everything else — checkpoints, leaves, openings, dissection answers — is the same code for
// honest and cheating providers, so the only difference a verifier can find is in the steps.
import type { Hex } from "viem";

import { batchForStep } from "../data/batch-schedule.ts";
import { protocolBatches, type BatchRule } from "../training/trainer.ts";

export { protocolBatches, type BatchRule };

/**
 * Steps `t ≥ fromStep` use the dataset under `seed` instead of the job's seed: real training on
 * the wrong data order (as if the provider reused batches it had cached, or preferred its own).
 */
export function divergentBatches(fromStep: number, seed: Hex): BatchRule {
  if (!Number.isSafeInteger(fromStep) || fromStep < 0)
    throw new RangeError(`fromStep ${fromStep} must be a non-negative integer`);
  return (job, step) =>
    step < fromStep
      ? protocolBatches(job, step)
      : batchForStep(job.dataset, seed, job.jobId, step, job.program.info.batchSize);
}

/**
 * Segments whose checkpoints a deviation from step `fromStep` on changes: step `fromStep` is the
 * first one computed from another batch, so state `fromStep + 1` (in segment ⌈(fromStep + 1) / k⌉)
 * is the first that differs, and every later checkpoint differs too.
 */
export function fabricatedSegments(fromStep: number, totalSteps: number, k: number): number[] {
  const first = Math.ceil((fromStep + 1) / k);
  const n = totalSteps / k;
  return Array.from({ length: Math.max(0, n - first + 1) }, (_, j) => first + j);
}
