// The provider's own steps on JobMarket for one job: accept it, submit its trace, wait for the
// seed and record it, open the samples, finalize. Each sends under the job's stable key
// (`accept:<jobId>`, `submit:<jobId>`, …) and says what happened; the daemon moves the job along
// its state table on that (worker/daemon.ts).
import type { OnchainJob } from "../src/node/onchain-job.ts";
import type { ChainContext } from "../src/node/chain.ts";
import { readOnchainJob } from "../src/node/job-reader.ts";
import { revertNameOf } from "../src/node/revert.ts";
import { contractCall } from "../src/node/tx.ts";
import { leafOf } from "../src/checkpoint/trace.ts";
import { digestFromCid } from "../src/protocol/cid.ts";
import { UINT64_MAX } from "../src/protocol/leaf.ts";
import { buildOpening, topSegmentsByNorm } from "../src/protocol/opening.ts";
import { tryAnyoneMay } from "./anyone-may.ts";
import type { WorkerContext } from "./context.ts";
import { checkpointRecords, type JobEntry } from "./journal-records.ts";

/** Whether this account is the job's provider. */
export function isOurs(chain: ChainContext, onchain: OnchainJob): boolean {
  return onchain.provider.toLowerCase() === chain.address.toLowerCase();
}

/**
 * Accepts job `jobId` (on-chain status `status`) unless it is no longer open to this provider;
 * undefined when the job is ours, otherwise why it was lost.
 */
export async function acceptJob(
  ctx: WorkerContext,
  jobId: bigint,
  onchain: OnchainJob,
  status: string,
): Promise<string | undefined> {
  const { chain } = ctx;
  if (status === "Open" || ctx.tx.sent(`accept:${jobId}`)) {
    try {
      await ctx.tx.send(
        `accept:${jobId}`,
        `accept job ${jobId}`,
        contractCall(chain.contracts.market, "accept", [jobId]),
      );
    } catch (error) {
      const revert = revertNameOf(error);
      if (revert === undefined) throw error;
      const now = await readOnchainJob(chain.contracts.market, jobId);
      if (isOurs(chain, now)) return undefined;
      return `accept reverted: ${revert}`;
    }
    return undefined;
  }
  if (isOurs(chain, onchain)) return undefined;
  return `job is ${status}`;
}

/** Submits the trained job's trace; returns the block the submission was mined in. */
export async function submitJob(
  ctx: WorkerContext,
  jobId: bigint,
  entry: JobEntry,
  status: string,
): Promise<bigint> {
  const key = `submit:${jobId}`;
  if (status !== "Accepted" && !ctx.tx.sent(key))
    throw new Error(`job ${jobId} is ${status}, not Accepted, and no submit was sent`);
  const records = checkpointRecords(ctx.journal, jobId);
  const receipt = await ctx.tx.send(
    key,
    `submit job ${jobId}`,
    contractCall(ctx.chain.contracts.market, "submit", [
      jobId,
      entry.root!,
      entry.finalDigest!,
      digestFromCid(records.at(-1)!.cid),
      digestFromCid(entry.manifestCid!),
    ]),
  );
  return receipt.blockNumber;
}

/**
 * Whether the submitted job's seed exists: its block is mined and its hash readable. Once it is,
 * records it for good first (anyone may; a keeper may have done it).
 */
export async function seedReady(
  ctx: WorkerContext,
  jobId: bigint,
  entry: JobEntry,
  onchain: OnchainJob,
): Promise<boolean> {
  const { chain } = ctx;
  const seedBlock = entry.submitBlock! + BigInt(chain.params.randomnessDelayBlocks) + 1n;
  const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
  if (head < seedBlock) {
    // Say what it waits for: on a chain that mines only on transactions this never ends
    // by itself.
    ctx.waits.say(
      `seed:${jobId}`,
      { jobId: jobId.toString(), seedBlock: seedBlock.toString(), head: head.toString() },
      `job ${jobId}: waiting for block ${seedBlock}, whose hash seeds the samples (chain head ${head})`,
    );
    return false;
  }
  try {
    await chain.contracts.market.read.sampledSegments([jobId]);
  } catch {
    return false; // the seed block's hash is not readable yet
  }
  // A block hash is readable for 256 blocks, the open window may be days: keep the seed for
  // good, so a restart after that still opens (anyone may; a keeper may have done it).
  await tryAnyoneMay(
    ctx,
    `record-seed:${jobId}`,
    `record the seed of job ${jobId}`,
    contractCall(chain.contracts.randomness, "record", [onchain.randomnessRequest]),
  );
  return true;
}

/**
 * Opens the sampled and top-Q segments with one multi-proof; false when the plan does not open
 * (the refuse-open cheat waits for expiry).
 */
export async function openSamples(
  ctx: WorkerContext,
  jobId: bigint,
  onchain: OnchainJob,
): Promise<boolean> {
  const { chain } = ctx;
  const spec = await ctx.specs.get(jobId, onchain);
  const plan = ctx.specs.plan(spec);
  if (!plan.opens) return false; // the refuse-open cheat: wait for expiry
  const sampled = await chain.contracts.market.read.sampledSegments([jobId]);
  const leaves = checkpointRecords(ctx.journal, jobId).slice(1).map(leafOf);
  const top = plan.falseTopQ
    ? // The false-top-q cheat: the smallest norms claimed as the largest.
      topSegmentsByNorm(
        leaves.map((l) => ({ ...l, updateNorm: UINT64_MAX - l.updateNorm })),
        onchain.topQ,
      )
    : topSegmentsByNorm(leaves, onchain.topQ);
  const opening = buildOpening(jobId, leaves, sampled, top);
  await ctx.tx.send(
    `open:${jobId}`,
    `open samples of job ${jobId}`,
    contractCall(chain.contracts.market, "openSamples", [
      jobId,
      opening.leaves,
      opening.topIndices,
      opening.proof,
    ]),
  );
  ctx.log.info({ jobId, sampled: sampled.map(Number), top: top.map(Number) }, "samples opened");
  return true;
}

/**
 * Finalizes job `jobId`; false when the call reverted — anyone may finalize, so another caller
 * may have won the race, and the daemon re-reads the job.
 */
export async function finalizeJob(ctx: WorkerContext, jobId: bigint): Promise<boolean> {
  try {
    await ctx.tx.send(
      `finalize:${jobId}`,
      `finalize job ${jobId}`,
      contractCall(ctx.chain.contracts.market, "finalize", [jobId]),
    );
  } catch (error) {
    // Anyone may finalize: another caller may have won the race. Re-read the job.
    if (revertNameOf(error) === undefined) throw error;
    ctx.log.info({ jobId, revert: revertNameOf(error) }, "finalize reverted; re-reading the job");
    return false;
  }
  return true;
}
