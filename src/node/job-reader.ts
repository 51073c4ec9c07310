// A job as every party sees it: the on-chain record, and the spec it names by hash, fetched from
// the content-addressed store (the spec's sha-256 is both `specHash` on chain and the digest of
// its CID), checked for canonical form and against the on-chain parameters, and loaded into a
// runnable engine job. Providers do this before accepting, verifiers before re-executing, referees
// before recomputing a step: nobody trusts the store or the submitter's word for any piece.
import type { Hex } from "viem";

import { serializeState } from "../checkpoint/state-codec.ts";
import { encodeTraceManifest } from "../checkpoint/trace.ts";
import { AssayError, isPoisonInput } from "../errors.ts";
import {
  canonicalJobSpecBytes,
  parseJobSpecBytes,
  specHash,
  type JobSpec,
} from "../protocol/job-spec.ts";
import { UINT64_MAX } from "../protocol/leaf.ts";
import { MAX_COMMITTED_BLOB_BYTES } from "../protocol/limits.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { withCopies } from "../store/caching-store.ts";
import { cidFromDigest } from "../protocol/cid.ts";
import { loadJob, type LoadedJob } from "../training/job.ts";
import type { ContractOf } from "./chain.ts";
import { assertJobMatchesSpec, type OnchainJob } from "./onchain-job.ts";

/**
 * The job's spec or the artefacts it names are unusable: missing from the store for good,
 * malformed, not canonical, hashing to something else, or disagreeing with the on-chain job.
 * No retry fixes it; each party decides what that means for it (a provider skips the job, a
 * verifier holds it unverifiable).
 */
export class JobSpecUnusableError extends AssayError {
  override name = "JobSpecUnusableError";
  override readonly code = "job_spec_unusable";
}

/** JobMarket.getJob: the record of `jobId` (status None when the market never issued it). */
export async function readOnchainJob(
  market: Pick<ContractOf<"JobMarket">, "read">,
  jobId: bigint,
): Promise<OnchainJob> {
  return market.read.getJob([jobId]);
}

export interface FetchedSpec {
  spec: JobSpec;
  specCid: string;
  /** The runnable job (program, dataset, seed) and its initial state, every piece verified. */
  loaded: LoadedJob;
}

/**
 * The spec `onchain` names, from `store`, checked (canonical, hashing to specHash, agreeing with
 * every on-chain parameter) and loaded — from the store a served-now view was taken from, when
 * given one (`withCopies()`). Throws JobSpecUnusableError for what no retry fixes, and
 * passes retryable failures (an unreachable store) through unchanged.
 */
export async function fetchJobSpec(
  store: BlobStore,
  jobId: bigint,
  onchain: OnchainJob,
): Promise<FetchedSpec> {
  if (onchain.status === 0) throw new JobSpecUnusableError(`job ${jobId} does not exist`);
  // The spec and the artefacts it names are nobody's burden to serve now (an availability
  // dispute is about the provider's checkpoints and manifest): handed the served-now view, read
  // the store it was taken from, whose verified copies (cache, repo) are as good as a fresh fetch.
  store = withCopies(store);
  const specCid = cidFromDigest(onchain.specHash as Hex);
  const spec = await unusableUnlessRetryable(
    `job ${jobId}: its spec ${specCid} cannot be read`,
    async () => parseJobSpecBytes(await store.get(specCid), { requireCanonical: true }),
  );
  // The store verified the bytes against the CID; this re-derives the hash from the parsed spec.
  if (specHash(spec) !== onchain.specHash.toLowerCase())
    throw new JobSpecUnusableError(
      `job ${jobId}: spec ${specCid} does not hash to the on-chain specHash`,
    );
  await unusableUnlessRetryable(`job ${jobId} does not match its spec`, async () =>
    assertJobMatchesSpec(jobId, onchain, spec),
  );
  const loaded = await unusableUnlessRetryable(
    `job ${jobId}: the artefacts its spec names do not load`,
    () => loadJob(store, spec, jobId),
  );
  return { spec, specCid, loaded };
}

/**
 * The job's inputs: every blob `fetchJobSpec` reads for it — the spec, the program, the initial
 * state and each dataset shard — by CID, each once. What a provider that accepted the job serves on
 * (worker/job-specs.ts), so that whoever must read the job finds it on the provider's node too.
 */
export function jobInputCids(fetched: FetchedSpec): string[] {
  const { spec, specCid } = fetched;
  return [
    ...new Set([specCid, spec.program.cid, spec.program.initialStateCid, ...spec.dataset.shards]),
  ];
}

/** The sizes of the blobs a job's provider commits to, in bytes, as `committedBlobProblem` bounds them. */
export interface CommittedBlobSizes {
  /** Every checkpoint (all have the initial state's tensors, so its size). */
  checkpoint: number;
  /** The trace manifest, at most (every loss and norm at its longest). */
  manifest: number;
  /** The spec the job names. */
  spec: number;
}

/** Each trace manifest entry takes more than this (a CID alone is 59 characters). */
const MANIFEST_ENTRY_MIN_BYTES = 100;

export function committedBlobSizes(fetched: FetchedSpec, jobId: bigint): CommittedBlobSizes {
  const { spec, loaded } = fetched;
  const n = spec.totalSteps / spec.checkpointInterval;
  const specBytes = canonicalJobSpecBytes(spec).byteLength;
  const checkpoint = serializeState(loaded.initialState).byteLength;
  if ((n + 1) * MANIFEST_ENTRY_MIN_BYTES > MAX_COMMITTED_BLOB_BYTES)
    return { checkpoint, manifest: (n + 1) * MANIFEST_ENTRY_MIN_BYTES, spec: specBytes };
  const zero: Hex = `0x${"00".repeat(32)}`;
  const cid = cidFromDigest(zero);
  const manifest = encodeTraceManifest({
    jobId,
    specHash: specHash(spec),
    checkpointInterval: spec.checkpointInterval,
    records: Array.from({ length: n + 1 }, (_, index) => ({
      index,
      step: index * spec.checkpointInterval,
      cid,
      stateDigest: zero,
      lossBits: UINT64_MAX,
      updateNorm: UINT64_MAX,
    })),
    root: zero,
  }).byteLength;
  return { checkpoint, manifest, spec: specBytes };
}

/**
 * Why a provider must not accept this job, or undefined. Every blob it would commit to — each
 * checkpoint, the trace manifest — and the spec must fit the protocol's MAX_COMMITTED_BLOB_BYTES
 * (src/protocol/limits.ts), which every referee reads up to whatever its own store's limit, and
 * `publishLimit`, what the provider's own shared store accepts: a provider that accepted a job whose
 * checkpoints it cannot publish, or that referees may not take, would lose an availability dispute
 * it cannot answer.
 */
export function committedBlobProblem(
  fetched: FetchedSpec,
  jobId: bigint,
  publishLimit: number = MAX_COMMITTED_BLOB_BYTES,
): string | undefined {
  const limit = Math.min(MAX_COMMITTED_BLOB_BYTES, publishLimit);
  const whose =
    limit < MAX_COMMITTED_BLOB_BYTES
      ? `this provider's shared store limit of ${limit} bytes`
      : `the protocol's limit of ${limit} bytes per committed blob`;
  const sizes = committedBlobSizes(fetched, jobId);
  if (sizes.checkpoint > limit)
    return `its checkpoints would be ${sizes.checkpoint} bytes, over ${whose}`;
  if (sizes.manifest > limit)
    return `its trace manifest could be ${sizes.manifest} bytes, over ${whose}`;
  if (sizes.spec > limit) return `its spec is ${sizes.spec} bytes, over ${whose}`;
  return undefined;
}

/** Runs `body`; a failure about the job's content (isPoisonInput) becomes JobSpecUnusableError. */
async function unusableUnlessRetryable<T>(what: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (cause) {
    if (isPoisonInput(cause)) throw new JobSpecUnusableError(what, { cause });
    throw cause;
  }
}
