// Scans new blocks, from the journal's block cursor in chunks, for the jobs the market creates
// (each journaled `discovered`, for the daemon to drive) and the disputes opened on this provider's
// jobs (each journaled under `dispute:<id>`, for worker/disputes.ts to answer).
import { unscannedRanges } from "../src/node/block-cursor.ts";
import { readNewEvents } from "./chain-reads.ts";
import type { WorkerContext } from "./context.ts";
import { disputeKey, jobKey, type DisputeEntry, type JobEntry } from "./journal-records.ts";

/** Blocks scanned per getLogs call. */
const SCAN_CHUNK = 2_000n;

/** Scans every block from the cursor to the chain head, moving the cursor chunk by chunk. */
export async function scanNewBlocks(ctx: WorkerContext): Promise<void> {
  const { chain, journal, log } = ctx;
  const latest = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
  // Journals written before the shared block cursor kept the next block to scan under "cursor".
  const legacy = journal.get<bigint>("cursor");
  if (legacy !== undefined && journal.get("scanned") === undefined) {
    await journal.set("scanned", legacy - 1n);
    await journal.delete("cursor");
  }
  for await (const { from, to } of unscannedRanges(journal, {
    key: "scanned",
    firstBlock: BigInt(ctx.config.worker.fromBlock ?? chain.deployment.deployedAtBlock),
    head: latest,
    chunk: SCAN_CHUNK,
  })) {
    const events = await readNewEvents(chain, from, to);
    for (const jobId of events.jobsCreated)
      if (journal.get<JobEntry>(jobKey(jobId)) === undefined) {
        await journal.set(jobKey(jobId), { state: "discovered" } satisfies JobEntry);
        log.info({ jobId }, "job discovered");
      }
    for (const d of events.disputesOpened) {
      const entry = journal.get<JobEntry>(jobKey(d.jobId));
      if (entry === undefined || ["discovered", "skipped", "accepting"].includes(entry.state))
        continue;
      const key = disputeKey(d.disputeId);
      if (journal.get(key) === undefined) {
        await journal.set(key, {
          jobId: d.jobId,
          segment: d.segment,
        } satisfies DisputeEntry);
        ctx.metrics.disputes.inc({ role: "provider", outcome: "opened" });
        log.warn(
          { jobId: d.jobId, disputeId: d.disputeId, segment: d.segment },
          "dispute opened on our job",
        );
      }
    }
  }
}
