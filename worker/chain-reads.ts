// What the provider daemon reads from the chain: new JobCreated / DisputeOpened events in a block
// range. Jobs and their specs are read through src/node/job-reader.ts
// and disputes through src/node/dispute-reads.ts, shared with every other party.
import type { ChainContext } from "../src/node/chain.ts";

export interface NewEvents {
  jobsCreated: bigint[];
  disputesOpened: { disputeId: bigint; jobId: bigint; segment: number }[];
}

/** JobCreated and DisputeOpened events in [fromBlock, toBlock]. */
export async function readNewEvents(
  chain: ChainContext,
  fromBlock: bigint,
  toBlock: bigint,
): Promise<NewEvents> {
  const range = { fromBlock, toBlock };
  const created = await chain.contracts.market.getEvents.JobCreated({}, range);
  const opened = await chain.contracts.disputeGame.getEvents.DisputeOpened({}, range);
  return {
    jobsCreated: created.map((e) => e.args.jobId!),
    disputesOpened: opened.map((e) => ({
      disputeId: e.args.disputeId!,
      jobId: e.args.jobId!,
      segment: Number(e.args.segment!),
    })),
  };
}
