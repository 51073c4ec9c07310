// Receipts (docs/receipts.md): once verifiers committed receipts on one of this provider's jobs and
// their commit phase is over, the provider owes probe digests. It requests the probe randomness,
// records it once its block is mined, and publishes the digest after each probe step — recomputed
// from its checkpoint segment − 1 — before the deadline. Owed probes not published expire the job.
import { zeroHash, type Hex } from "viem";

import { stateDigest } from "../src/checkpoint/state-codec.ts";
import type { OnchainJob } from "../src/node/onchain-job.ts";
import { contractCall } from "../src/node/tx.ts";
import { providerSegmentStates } from "../src/provider/segment-training.ts";
import { tryAnyoneMay } from "./anyone-may.ts";
import type { WorkerContext } from "./context.ts";
import { checkpointRecords } from "./journal-records.ts";

/** Takes the next step towards publishing job `jobId`'s probe digests, if one is due at `head`. */
export async function publishProbes(
  ctx: WorkerContext,
  jobId: bigint,
  onchain: OnchainJob,
  head: { number: bigint; timestamp: bigint },
): Promise<void> {
  const receipts = ctx.chain.contracts.receipts;
  const round = await receipts.read.roundOf([jobId]);
  if (round.openedAt === 0 || round.committed === 0) return;
  if (round.probesHash !== zeroHash) return;
  const commitEnd = BigInt(round.openedAt) + BigInt(round.window) / 2n;
  if (head.timestamp <= commitEnd) return;
  const randomness = ctx.chain.contracts.randomness;
  const value =
    round.probeRequest === 0
      ? undefined
      : await randomness.read.randomness([BigInt(round.probeRequest)]);
  // Not requested yet, or requested by someone and left unread past the block-hash horizon.
  const expired = value === zeroHash && head.number > BigInt(round.probeRequest);
  if (round.probeRequest === 0 || expired) {
    ctx.log.info({ jobId, receipts: round.committed }, "requesting the probe steps");
    await tryAnyoneMay(
      ctx,
      `probes-request:${jobId}:${round.probeRequest}`,
      `request probes of job ${jobId}`,
      contractCall(receipts, "requestProbes", [jobId]),
    );
    return;
  }
  // The randomness is the hash of the block after the request: not mined yet, nothing to do.
  if (
    ctx.waits.blockPending(
      `probes:${jobId}`,
      BigInt(round.probeRequest) + 1n,
      head.number,
      `job ${jobId}: the probe randomness of block ${round.probeRequest}`,
    )
  )
    return;
  // Kept for good at once: a value read in time can never be re-rolled.
  await tryAnyoneMay(
    ctx,
    `probes-record:${jobId}:${round.probeRequest}`,
    `record the probes of job ${jobId}`,
    contractCall(randomness, "record", [BigInt(round.probeRequest)]),
  );
  const spec = await ctx.specs.get(jobId, onchain);
  const plan = ctx.specs.plan(spec);
  const [segments, steps] = await receipts.read.probeSteps([jobId]);
  const digests: Hex[] = [];
  for (const [i, segment] of segments.entries()) {
    const states = await providerSegmentStates(
      spec.loaded.job,
      ctx.local,
      checkpointRecords(ctx.journal, jobId),
      plan.batches,
      Number(segment),
    );
    digests.push(stateDigest(states[Number(steps[i]!)]!));
  }
  await ctx.tx.send(
    `probes:${jobId}`,
    `publish probes of job ${jobId}`,
    contractCall(receipts, "publishProbes", [jobId, digests]),
  );
  ctx.log.info(
    { jobId, segments: segments.map(Number), steps: steps.map(Number) },
    "probe digests published",
  );
}
