// Training one job: first its inputs are served on from the shared store (the job is ours now:
// worker/job-specs.ts), then it trains from its last journaled checkpoint (the initial state the
// first time), segment by segment (src/provider/segment-training.ts). Each checkpoint is journaled once it is durable in
// the local store and uploaded to the shared one, so a restart resumes there and loses none; every
// `progressEvery` checkpoints the Merkle root so far is committed on chain (`commitProgress`). The
// tamper-blob and withhold-manifest cheats damage the shared store once training is over.
import { getState } from "../src/checkpoint/checkpoint-store.ts";
import { traceLeaves } from "../src/checkpoint/trace.ts";
import type { OnchainJob } from "../src/node/onchain-job.ts";
import { contractCall } from "../src/node/tx.ts";
import { merkleRoot } from "../src/protocol/merkle.ts";
import { trainSegments } from "../src/provider/segment-training.ts";
import { removeStoredBlobs, tamperStoredBlobs } from "../src/provider/tamper.ts";
import type { WorkerContext } from "./context.ts";
import { checkpointKey, checkpointRecords, type JobEntry } from "./journal-records.ts";

const ROLE = { role: "provider" } as const;

/** What a trained job's entry records: its trace, and where training started. */
export type Trained = Required<
  Pick<JobEntry, "root" | "finalDigest" | "manifestCid" | "resumedFrom">
>;

/** Trains job `jobId` to its last checkpoint; the daemon then moves it on with what this returns. */
export async function trainJob(
  ctx: WorkerContext,
  jobId: bigint,
  onchain: OnchainJob,
): Promise<Trained> {
  const { journal, log, metrics } = ctx;
  const spec = await ctx.specs.get(jobId, onchain);
  // Accepted: this node serves the job's inputs too, so that verifiers can read the job whether or
  // not the submitter's node is up. Its work comes first: an input not served is logged, and asked
  // again when training resumes after a restart.
  const unserved = await ctx.specs.serveInputs(spec);
  if (unserved.length > 0)
    log.warn(
      { jobId, cids: unserved.map((input) => input.cid), err: unserved[0]!.error },
      `job ${jobId}: ${unserved.length} of its inputs are not served on by this provider's store; training goes on`,
    );
  const job = spec.loaded.job;
  const plan = ctx.specs.plan(spec);
  const records = checkpointRecords(journal, jobId);
  const info = job.program.info;
  const start =
    records.length === 0
      ? spec.loaded.initialState
      : await getState(ctx.local, records.at(-1)!.cid, info);
  const resumedFrom = records.length === 0 ? 0 : records.at(-1)!.index;
  if (resumedFrom > 0)
    log.info(
      { jobId, resumedFrom, step: start.step },
      `resuming training of job ${jobId} from local checkpoint ${resumedFrom} (step ${start.step})`,
    );
  else log.info({ jobId, totalSteps: job.totalSteps, k: job.checkpointInterval }, "training");
  const every = ctx.config.worker.progressEvery;
  const n = job.totalSteps / job.checkpointInterval;
  const progress: Promise<unknown>[] = [];
  let windowStart = performance.now();
  let windowSteps = 0;
  const result = await trainSegments(job, {
    local: ctx.local,
    shared: ctx.shared,
    plan,
    start,
    records,
    signal: ctx.signal,
    onStep: () => {
      windowSteps += 1;
      metrics.steps.inc(ROLE);
    },
    onCheckpoint: async (record) => {
      await journal.set(checkpointKey(jobId, record.index), record);
      const seconds = (performance.now() - windowStart) / 1000;
      const rate = seconds > 0 ? windowSteps / seconds : 0;
      metrics.stepsPerSecond.set(ROLE, rate);
      log.info(
        {
          jobId,
          checkpoint: record.index,
          step: record.step,
          stepsPerSecond: Number(rate.toFixed(1)),
        },
        `job ${jobId}: checkpoint ${record.index}/${n} stored`,
      );
      windowStart = performance.now();
      windowSteps = 0;
      if (every > 0 && record.index > 0 && record.index % every === 0 && record.index < n) {
        const root = merkleRoot(traceLeaves(jobId, checkpointRecords(journal, jobId)));
        const sending = ctx.tx
          .send(
            `progress:${jobId}:${record.index}`,
            `commit progress of job ${jobId}`,
            contractCall(ctx.chain.contracts.market, "commitProgress", [
              jobId,
              BigInt(record.index),
              root,
            ]),
          )
          .catch((error: unknown) => log.warn({ jobId, err: error }, "commitProgress failed"));
        progress.push(sending);
      }
    },
  });
  await Promise.all(progress);
  if (plan.tamperSegment !== undefined && journal.get(`tampered:${jobId}`) === undefined) {
    const s = plan.tamperSegment;
    const files = await tamperStoredBlobs(ctx.config.worker.storeDir!, [
      result.records[s - 1]!.cid,
      result.records[s]!.cid,
    ]);
    await journal.set(`tampered:${jobId}`, files);
    log.warn({ jobId, files }, "cheat: overwrote stored checkpoints");
  }
  if (plan.withholdsManifest && journal.get(`withheld:${jobId}`) === undefined) {
    const files = await removeStoredBlobs(ctx.config.worker.storeDir!, [result.manifestCid]);
    await journal.set(`withheld:${jobId}`, files);
    log.warn({ jobId, files }, "cheat: removed the trace manifest from the shared store");
  }
  return {
    root: result.root,
    finalDigest: result.finalDigest,
    manifestCid: result.manifestCid,
    resumedFrom,
  };
}
