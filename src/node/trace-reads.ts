// What a job's TraceSubmitted event names, and the checks every reader makes of the trace manifest
// it points to: the manifest is this job's (id, spec hash, interval, committed root, one record per
// checkpoint, checkpoint 0 the job's initial state). The verifier and the devnet's challenger read
// submissions through it alike.
import type { Hex } from "viem";

import type { TraceManifest } from "../checkpoint/trace.ts";
import { cidFromDigest } from "../protocol/cid.ts";
import type { ContractOf } from "./chain.ts";
import type { OnchainJob } from "./onchain-job.ts";

export interface SubmittedTrace {
  /** CID of the trace manifest (the leaves' preimages and checkpoint CIDs). */
  manifestCid: string;
  /** CID of the result: the final checkpoint's state. */
  resultCid: string;
}

/** The addresses job `jobId`'s TraceSubmitted event names, or undefined before it submitted. */
export async function readSubmittedTrace(
  market: Pick<ContractOf<"JobMarket">, "getEvents">,
  jobId: bigint,
  fromBlock: bigint,
): Promise<SubmittedTrace | undefined> {
  const [event] = await market.getEvents.TraceSubmitted({ jobId }, { fromBlock });
  if (event === undefined) return undefined;
  return {
    manifestCid: cidFromDigest(event.args.leavesDigest as Hex),
    resultCid: cidFromDigest(event.args.resultDigest as Hex),
  };
}

/**
 * What makes `manifest` not job `jobId`'s committed trace, in words (none: it is). With
 * `finalDigest`, a last record other than the committed final digest is one of them too; without,
 * that is left to the caller (for a verifier it is the provider's fraud, not a manifest problem).
 */
export function manifestProblems(
  jobId: bigint,
  onchain: OnchainJob,
  manifest: TraceManifest,
  options: { finalDigest: boolean },
): string[] {
  const n = onchain.checkpoints;
  return [
    manifest.jobId !== jobId && `it is for job ${manifest.jobId}`,
    manifest.specHash !== onchain.specHash.toLowerCase() && "its spec hash differs",
    manifest.root !== onchain.traceRoot.toLowerCase() && "its root is not the committed trace root",
    manifest.checkpointInterval !== onchain.checkpointInterval && "its checkpoint interval differs",
    manifest.records.length !== n + 1 && `it has ${manifest.records.length - 1} leaves, not ${n}`,
    manifest.records[0]?.stateDigest !== onchain.initialStateDigest.toLowerCase() &&
      "its checkpoint 0 is not the job's initial state",
    options.finalDigest &&
      manifest.records.at(-1)?.stateDigest !== onchain.finalDigest.toLowerCase() &&
      "its last checkpoint is not the committed final digest",
  ].filter((p): p is string => typeof p === "string");
}
