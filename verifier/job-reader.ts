// What the verifier reads about a job before re-executing any of it: the on-chain record, the
// spec it names by hash (fetched from the content-addressed store, canonical, hashing to the
// on-chain specHash, agreeing with every on-chain parameter), the runnable program, dataset and
// initial state it names, and the trace manifest the TraceSubmitted event names (checked against
// the committed root, final digest and initial state). Nothing is trusted on the store's or the
// provider's word.
import type { Hex } from "viem";

import { decodeTraceManifest, type TraceManifest } from "../src/checkpoint/trace.ts";
import { assertJobMatchesSpec, type OnchainJob } from "../src/demo/jobs.ts";
import { AssayError } from "../src/errors.ts";
import { loadJob } from "../src/engine/job.ts";
import { parseJobSpecBytes, specHash } from "../src/protocol/job-spec.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import { cidFromDigest } from "../src/store/cid.ts";
import type { ChainContext } from "../src/node/chain.ts";
import type { VerifiableJob } from "./segment-check.ts";

/** A job that cannot be verified as posted (spec, program, manifest): poison, never retried. */
export class UnverifiableJobError extends AssayError {
  override name = "UnverifiableJobError";
  override readonly code = "unverifiable_job";
}

export async function readOnchainJob(chain: ChainContext, jobId: bigint): Promise<OnchainJob> {
  return (await chain.contracts.market.read.getJob([jobId])) as OnchainJob;
}

/** Runs `body`; a failure that a retry cannot fix becomes UnverifiableJobError with `what`. */
async function poisonUnlessRetryable<T>(what: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (cause) {
    if (cause instanceof AssayError && cause.retryable) throw cause;
    if (cause instanceof AssayError || cause instanceof SyntaxError || isZodError(cause))
      throw new UnverifiableJobError(what, { cause });
    throw cause;
  }
}

function isZodError(error: unknown): boolean {
  return error instanceof Error && error.name === "ZodError";
}

export async function readManifest(
  chain: ChainContext,
  store: BlobStore,
  jobId: bigint,
  onchain: OnchainJob,
): Promise<TraceManifest> {
  const [event] = await chain.contracts.market.getEvents.TraceSubmitted(
    { jobId },
    { fromBlock: BigInt(chain.deployment.deployedAtBlock) },
  );
  if (event === undefined) throw new UnverifiableJobError(`job ${jobId} has no submitted trace`);
  const manifestCid = cidFromDigest(event.args.leavesDigest as Hex);
  const manifest = await poisonUnlessRetryable(
    `job ${jobId}: the trace manifest ${manifestCid} cannot be read`,
    async () => decodeTraceManifest(await store.get(manifestCid)),
  );
  const n = onchain.checkpoints;
  const problems = [
    manifest.jobId !== jobId && `it is for job ${manifest.jobId}`,
    manifest.specHash !== onchain.specHash.toLowerCase() && "its spec hash differs",
    manifest.root !== onchain.traceRoot.toLowerCase() && "its root is not the committed trace root",
    manifest.checkpointInterval !== onchain.checkpointInterval && "its checkpoint interval differs",
    manifest.records.length !== n + 1 && `it has ${manifest.records.length - 1} leaves, not ${n}`,
    manifest.records[0]?.stateDigest !== onchain.initialStateDigest.toLowerCase() &&
      "its checkpoint 0 is not the job's initial state",
    manifest.records.at(-1)?.stateDigest !== onchain.finalDigest.toLowerCase() &&
      "its last checkpoint is not the committed final digest",
  ].filter((p): p is string => typeof p === "string");
  if (problems.length > 0)
    throw new UnverifiableJobError(
      `job ${jobId}: trace manifest ${manifestCid}: ${problems.join("; ")}`,
    );
  return manifest;
}

/** Everything needed to re-execute job `jobId`, each piece checked. */
export async function readVerifiableJob(
  chain: ChainContext,
  store: BlobStore,
  jobId: bigint,
): Promise<VerifiableJob> {
  const onchain = await readOnchainJob(chain, jobId);
  if (onchain.status === 0) throw new UnverifiableJobError(`job ${jobId} does not exist`);
  const specCid = cidFromDigest(onchain.specHash as Hex);
  const loaded = await poisonUnlessRetryable(
    `job ${jobId}: its spec ${specCid} or the artefacts it names do not load`,
    async () => {
      const spec = parseJobSpecBytes(await store.get(specCid), { requireCanonical: true });
      if (specHash(spec) !== onchain.specHash.toLowerCase())
        throw new UnverifiableJobError(`spec ${specCid} does not hash to the on-chain specHash`);
      try {
        assertJobMatchesSpec(jobId, onchain, spec);
      } catch (cause) {
        throw new UnverifiableJobError(`job ${jobId} does not match its spec`, { cause });
      }
      return loadJob(store, spec, jobId);
    },
  );
  const manifest = await readManifest(chain, store, jobId, onchain);
  return {
    jobId,
    job: loaded.job,
    initialState: loaded.initialState,
    records: manifest.records,
    numerics: loaded.spec.numerics,
    tolerance: loaded.spec.tolerance,
  };
}
