// What the verifier reads about a job's receipts round: the probe digests the provider published.
// Disputes are read through src/node/dispute-reads.ts, shared with every other party.
import { zeroHash } from "viem";

import type { ChainContext } from "../src/node/chain.ts";
import { DisputeReadError } from "../src/node/dispute-reads.ts";
import type { Probes } from "../src/protocol/receipts.ts";

/** The provider's published probe digests on `jobId` (ProbesPublished), or undefined before. */
export async function readProbes(chain: ChainContext, jobId: bigint): Promise<Probes | undefined> {
  const { receipts } = chain.contracts;
  const round = await receipts.read.roundOf([jobId]);
  if (round.probesHash === zeroHash) return undefined;
  const [event] = await receipts.getEvents.ProbesPublished(
    { jobId },
    { fromBlock: BigInt(round.snapshot) },
  );
  if (event === undefined)
    throw new DisputeReadError(`job ${jobId}: probes are published but no event was found`);
  return { segments: event.args.segments!, steps: event.args.steps!, digests: event.args.digests! };
}
