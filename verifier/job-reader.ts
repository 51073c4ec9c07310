// What the verifier reads about a job before re-executing any of it: the on-chain record, the
// spec it names by hash (fetched from the content-addressed store, canonical, hashing to the
// on-chain specHash, agreeing with every on-chain parameter), the runnable program, dataset and
// initial state it names, and the trace manifest the TraceSubmitted event names (checked against
// the committed root and initial state). Nothing is trusted on the store's or the provider's word.
//
// The audit never depends on the provider's manifest alone: the leaves `openSamples` revealed are
// in the LeavesOpened event, with their multi-proof, and name the checkpoints of every sampled
// segment. A manifest that cannot be fetched, or is not this job's, is the provider's fault (an
// availability challenge), and the job is still audited from the opened leaves.
import type { Hex } from "viem";

import {
  decodeTraceManifest,
  type CheckpointRecord,
  type TraceManifest,
} from "../src/checkpoint/trace.ts";
import { hashLeaf, type TraceLeaf } from "../src/protocol/leaf.ts";
import { multiProofRoot, treeDepth } from "../src/protocol/merkle.ts";
import { fetchJobSpec, JobSpecUnusableError, readOnchainJob } from "../src/node/job-reader.ts";
import type { OnchainJob } from "../src/node/onchain-job.ts";
import { manifestProblems, readSubmittedTrace } from "../src/node/trace-reads.ts";
import { AssayError, isPoisonInput } from "../src/errors.ts";
import type { LoadedJob } from "../src/training/job.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import { cidFromDigest } from "../src/protocol/cid.ts";
import type { ChainContext } from "../src/node/chain.ts";
import { verifiableJob, type VerifiableJob } from "./segment-check.ts";

/** A job that cannot be verified as posted (spec, program, manifest): poison, never retried. */
export class UnverifiableJobError extends AssayError {
  override name = "UnverifiableJobError";
  override readonly code = "unverifiable_job";
}

/** Runs `body`; a failure about the input (isPoisonInput) becomes UnverifiableJobError with `what`. */
async function poisonUnlessRetryable<T>(what: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (cause) {
    if (isPoisonInput(cause)) throw new UnverifiableJobError(what, { cause });
    throw cause;
  }
}

export async function readManifest(
  chain: ChainContext,
  store: BlobStore,
  jobId: bigint,
  onchain: OnchainJob,
): Promise<TraceManifest> {
  const submitted = await readSubmittedTrace(
    chain.contracts.market,
    jobId,
    BigInt(chain.deployment.deployedAtBlock),
  );
  if (submitted === undefined)
    throw new UnverifiableJobError(`job ${jobId} has no submitted trace`);
  const { manifestCid } = submitted;
  const manifest = await poisonUnlessRetryable(
    `job ${jobId}: the trace manifest ${manifestCid} cannot be read`,
    async () => decodeTraceManifest(await store.get(manifestCid)),
  );
  // A last leaf other than the committed final digest, under the committed root, is not a
  // manifest problem but the provider's fraud (FraudProofs.proveFinalDigestFraud).
  const problems = manifestProblems(jobId, onchain, manifest, { finalDigest: false });
  if (problems.length > 0)
    throw new UnverifiableJobError(
      `job ${jobId}: trace manifest ${manifestCid}: ${problems.join("; ")}`,
    );
  return manifest;
}

/** The leaves openSamples revealed (LeavesOpened), checked against the committed trace root. */
export interface OnchainOpening {
  leaves: TraceLeaf[];
  proof: Hex[];
}

export async function readOpening(
  chain: ChainContext,
  jobId: bigint,
  onchain: OnchainJob,
): Promise<OnchainOpening | undefined> {
  const [event] = await chain.contracts.market.getEvents.LeavesOpened(
    { jobId },
    { fromBlock: BigInt(chain.deployment.deployedAtBlock) },
  );
  if (event === undefined) return undefined;
  const leaves = (event.args.leaves ?? []).map((l): TraceLeaf => ({
    index: l.index,
    stateDigest: l.stateDigest,
    lossBits: l.lossBits,
    updateNorm: l.updateNorm,
  }));
  const proof = [...(event.args.proof ?? [])];
  // The contract checked them in openSamples; checked again so a wrong deployment cannot mislead.
  const root = multiProofRoot(
    treeDepth(onchain.checkpoints),
    leaves.map((l) => Number(l.index) - 1),
    leaves.map((l) => hashLeaf(jobId, l)),
    proof,
  );
  if (root.toLowerCase() !== onchain.traceRoot.toLowerCase())
    throw new UnverifiableJobError(`job ${jobId}: the LeavesOpened leaves do not prove the root`);
  return { leaves, proof };
}

/** Checkpoint records 0..n as far as the opened leaves name them (undefined elsewhere). */
export function recordsFromOpening(
  onchain: OnchainJob,
  opening: OnchainOpening | undefined,
): (CheckpointRecord | undefined)[] {
  const k = onchain.checkpointInterval;
  const records: (CheckpointRecord | undefined)[] = Array.from(
    { length: onchain.checkpoints + 1 },
    () => undefined,
  );
  const record = (index: number, stateDigest: Hex, lossBits: bigint, updateNorm: bigint) => ({
    index,
    step: index * k,
    cid: cidFromDigest(stateDigest),
    stateDigest: stateDigest.toLowerCase() as Hex,
    lossBits,
    updateNorm,
  });
  records[0] = record(0, onchain.initialStateDigest, 0n, 0n);
  for (const leaf of opening?.leaves ?? []) {
    const i = Number(leaf.index);
    records[i] = record(i, leaf.stateDigest, leaf.lossBits, leaf.updateNorm);
  }
  return records;
}

/** Everything needed to re-execute job `jobId`, each piece checked. */
export async function readVerifiableJob(
  chain: ChainContext,
  store: BlobStore,
  jobId: bigint,
): Promise<VerifiableJob> {
  const onchain = await readOnchainJob(chain.contracts.market, jobId);
  let loaded: LoadedJob;
  try {
    ({ loaded } = await fetchJobSpec(store, jobId, onchain));
  } catch (error) {
    if (!(error instanceof JobSpecUnusableError)) throw error;
    throw new UnverifiableJobError(error.message, { cause: error });
  }
  const opening = await readOpening(chain, jobId, onchain);
  let records: readonly (CheckpointRecord | undefined)[];
  let manifestProblem: string | undefined;
  try {
    records = (await readManifest(chain, store, jobId, onchain)).records;
  } catch (error) {
    if (!(error instanceof UnverifiableJobError) || opening === undefined) throw error;
    manifestProblem = error.message;
    records = recordsFromOpening(onchain, opening);
  }
  return verifiableJob(loaded, records, { opening, manifestProblem });
}
