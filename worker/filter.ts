// Whether the provider takes a discovered job: its status, its terms against the configured
// filters, the accept window, how many jobs are in hand, this account's standing and free stake,
// whether every blob it would commit fits the protocol's limit and its own store, and whether the
// spec checks out and the configured cheat fits it. Sends nothing.
import { committedBlobProblem } from "../src/node/job-reader.ts";
import { statusName, type OnchainJob } from "../src/node/onchain-job.ts";
import { STAKE_ROLE } from "../src/protocol/onchain-enums.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import type { WorkerContext } from "./context.ts";
import { JOB_PREFIX, type JobEntry } from "./journal-records.ts";

/** undefined: take it; "busy": not now; anything else: why the job is skipped. */
export async function filterJob(
  ctx: WorkerContext,
  jobId: bigint,
  onchain: OnchainJob,
): Promise<string | undefined> {
  const { chain, journal } = ctx;
  const f = ctx.config.worker.filters;
  if (statusName(onchain.status) !== "Open") return `job is ${statusName(onchain.status)}`;
  if (onchain.submitter.toLowerCase() === chain.address.toLowerCase())
    return "we submitted it (a submitter cannot accept its own job)";
  const numerics = onchain.numerics === 1 ? "exact" : "tolerance";
  if (!f.numerics.includes(numerics)) return `numerics ${numerics} not in the filters`;
  const totalSteps = BigInt(onchain.checkpoints) * BigInt(onchain.checkpointInterval);
  if (totalSteps > BigInt(f.maxTotalSteps))
    return `T = ${totalSteps} exceeds maxTotalSteps ${f.maxTotalSteps}`;
  const amount = BigInt(onchain.amount);
  if (amount < f.minAmount) return `amount ${amount} is below minAmount ${f.minAmount}`;
  if (amount < f.minAmountPerStep * totalSteps)
    return `amount ${amount} is below minAmountPerStep ${f.minAmountPerStep} × T ${totalSteps}`;
  const collateral = BigInt(onchain.collateral);
  if (f.maxCollateral !== null && collateral > f.maxCollateral)
    return `collateral ${collateral} exceeds maxCollateral ${f.maxCollateral}`;
  const latest = await chain.publicClient.getBlock();
  if (latest.timestamp > BigInt(onchain.deadline)) return "its accept window has passed";
  const busy = journal
    .keys(JOB_PREFIX)
    .filter((k) =>
      ["accepting", "training", "submitting"].includes(journal.get<JobEntry>(k)!.state),
    ).length;
  if (busy >= ctx.config.worker.maxConcurrentJobs) return "busy";
  const registry = chain.contracts.registry;
  if (!(await registry.read.isActiveProvider([chain.address])))
    return "this account is not an active provider (stake below the minimum, or ejected)";
  const free = await registry.read.freeStake([chain.address, STAKE_ROLE.Provider]);
  if (free < collateral) return `collateral ${collateral} exceeds the free stake ${free}`;
  const spec = await ctx.specs.get(jobId, onchain);
  // Every blob this provider would commit to must fit the protocol's limit and its own store.
  const tooLarge = committedBlobProblem(spec, jobId, publishLimitOf(ctx.shared));
  if (tooLarge !== undefined) return tooLarge;
  try {
    ctx.specs.plan(spec);
  } catch (error) {
    return `the configured cheat does not fit the job: ${(error as Error).message}`;
  }
  return undefined;
}

/** The largest blob `store` accepts, when it says (every store of src/store/ does: `maxBytes`). */
export function publishLimitOf(store: BlobStore): number | undefined {
  const maxBytes = (store as { maxBytes?: unknown }).maxBytes;
  return typeof maxBytes === "number" ? maxBytes : undefined;
}
