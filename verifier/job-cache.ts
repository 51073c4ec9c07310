// The jobs a verifier process has loaded (spec, program, dataset, trace records), each read once
// from the chain and the store and kept while it is being verified; bounded, the oldest dropped.
// Both the coordinator (decisions, challenges) and each re-execution worker keep one.
import type { ChainContext } from "../src/node/chain.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import { openSharedStore, type SharedStoreLog } from "../src/node/shared-store.ts";
import { CachingBlobStore, uncached } from "../src/store/caching-store.ts";
import type { VerifierConfig } from "./config.ts";
import { readVerifiableJob } from "./job-reader.ts";
import type { VerifiableJob } from "./segment-check.ts";

export class JobCache {
  readonly #chain: ChainContext;
  readonly #store: BlobStore;
  readonly #max: number;
  readonly #jobs = new Map<string, { round: number; job: Promise<VerifiableJob> }>();

  readonly #epoch: string;

  /**
   * `epoch`: the coordinator journal's (verifier/task-queue.ts), for reads that name none; a
   * coordinator and the worker inside its process then share one cache, each job loaded once.
   */
  constructor(
    chain: ChainContext,
    store: BlobStore,
    options: { epoch?: string; max?: number } = {},
  ) {
    this.#chain = chain;
    this.#store = store;
    this.#epoch = options.epoch ?? "";
    this.#max = options.max ?? 32;
  }

  /**
   * Job `jobId`, loaded on first use (a load that fails is not kept). Read again, for what may have
   * changed since (blobs an availability challenge made the provider publish), when `fresh`, or
   * when the copy kept was loaded for an earlier audit `round` than the one asked for; jobs of
   * another `epoch` are other jobs.
   */
  get(
    jobId: bigint,
    options: { fresh?: boolean; round?: number; epoch?: string } = {},
  ): Promise<VerifiableJob> {
    // The epoch names the coordinator journal a task is for: after a chain reset (job ids start
    // again at 1, at the same addresses on a devnet) a worker must not answer from the old job.
    const key = `${options.epoch ?? this.#epoch}:${jobId}`;
    const round = options.round ?? 0;
    const cached = this.#jobs.get(key);
    if (cached !== undefined && !options.fresh && cached.round >= round) return cached.job;
    // A fresh read is about what the store serves now: the trace manifest is read past the cache
    // (and the IPFS repo); the job's inputs still come from verified copies (fetchJobSpec).
    const job = readVerifiableJob(
      this.#chain,
      options.fresh ? uncached(this.#store) : this.#store,
      jobId,
    );
    const entry = { round: Math.max(round, cached?.round ?? 0), job };
    job.catch(() => {
      if (this.#jobs.get(key) === entry) this.#jobs.delete(key);
    });
    this.#jobs.delete(key);
    this.#jobs.set(key, entry);
    for (const old of this.#jobs.keys()) {
      if (this.#jobs.size <= this.#max) break;
      this.#jobs.delete(old);
    }
    return job;
  }
}

/**
 * The store a verifier process loads jobs through: the configured one, behind the blob cache.
 * Close it after everything that reads through it (an IPFS store stops its node).
 */
export async function cachedStore(
  config: Pick<VerifierConfig, "storeUrl" | "ipfs" | "verifier">,
  log?: SharedStoreLog,
): Promise<{ store: CachingBlobStore; close(): Promise<void> }> {
  const shared = await openSharedStore(config, log === undefined ? {} : { log });
  return {
    store: new CachingBlobStore(shared.store, {
      maxBytes: config.verifier.cacheMiB * 1024 * 1024,
    }),
    close: () => shared.close(),
  };
}
