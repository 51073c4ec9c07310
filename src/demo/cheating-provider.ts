// A cheating provider for the demo and its tests. It trains honestly up to step `fromStep`, then
// feeds the rest of the run batches of its own choosing (here: the job's dataset under another
// seed — as if it had reused batches it had cached, or trained on data it preferred) instead of
// the batches the protocol fixes. Its states are real training states, its losses go down, its
// trace is self-consistent (every leaf, the root and its dissection answers describe the run it
// actually did), and every checkpoint is stored: only re-executing a step with the protocol's
// batch shows the difference. PROTOCOL.md §2: the provider does not choose its data order.
import { batchForStep } from "../data/batch-schedule.ts";
import type { Hex } from "viem";

import { protocolBatches, type BatchRule } from "./provider.ts";

/** Steps `t ≥ fromStep` use the dataset under `seed` instead of the job's seed. */
export function divergentBatches(fromStep: number, seed: Hex): BatchRule {
  if (!Number.isSafeInteger(fromStep) || fromStep < 0)
    throw new RangeError(`fromStep ${fromStep} must be a non-negative integer`);
  return (job, step) =>
    step < fromStep
      ? protocolBatches(job, step)
      : batchForStep(job.dataset, seed, step, job.program.info.batchSize);
}

/**
 * Segments whose checkpoints the deviation changes: step `fromStep` is the first one computed
 * from another batch, so state `fromStep + 1` (in segment ⌈(fromStep + 1) / k⌉) is the first
 * that differs, and every later checkpoint differs too.
 */
export function fabricatedSegments(fromStep: number, totalSteps: number, k: number): number[] {
  const first = Math.ceil((fromStep + 1) / k);
  const n = totalSteps / k;
  return Array.from({ length: Math.max(0, n - first + 1) }, (_, j) => first + j);
}
