// A read cache in front of any BlobStore. Blobs are named by their content (a CID is the hash of
// the bytes), so a cached blob can never go stale: there is no invalidation, only eviction, least
// recently used first, under a byte budget. A re-execution worker that serves many jobs over the
// same program and dataset fetches and hashes them once instead of once per job.
import { LRUCache } from "lru-cache";

import { SERVED_NOW, type BlobStore, type ServesNow } from "./blob-store.ts";

export interface CachingStoreOptions {
  /** Bytes kept in memory at most (default 256 MiB). A blob larger than this is never cached. */
  maxBytes?: number;
}

export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

export class CachingBlobStore implements BlobStore {
  readonly inner: BlobStore;
  readonly #cache: LRUCache<string, Uint8Array>;
  /** Fetches in flight, so that concurrent readers of one blob share a single transfer. */
  readonly #pending = new Map<string, Promise<Uint8Array>>();
  #hits = 0;
  #misses = 0;

  constructor(inner: BlobStore, options: CachingStoreOptions = {}) {
    this.inner = inner;
    const maxBytes = options.maxBytes ?? DEFAULT_CACHE_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1)
      throw new RangeError(`the cache needs a positive byte budget, not ${maxBytes}`);
    this.#cache = new LRUCache<string, Uint8Array>({
      maxSize: maxBytes,
      sizeCalculation: (bytes) => Math.max(1, bytes.byteLength),
    });
  }

  /** Cache hits and misses so far (misses include blobs too large to keep). */
  get stats(): { hits: number; misses: number; bytes: number } {
    return { hits: this.#hits, misses: this.#misses, bytes: this.#cache.calculatedSize };
  }

  put(bytes: Uint8Array): Promise<string> {
    return this.inner.put(bytes);
  }

  async get(cid: string): Promise<Uint8Array> {
    // Every reader gets its own copy: a caller that writes into its bytes cannot change the blob
    // the next reader is given.
    const cached = this.#cache.get(cid);
    if (cached !== undefined) {
      this.#hits += 1;
      return cached.slice();
    }
    const pending = this.#pending.get(cid);
    if (pending !== undefined) {
      this.#hits += 1;
      return (await pending).slice();
    }
    this.#misses += 1;
    // The inner store checked the bytes against their address: what is cached is what was named.
    const fetch = this.inner.get(cid).then((bytes) => {
      if (bytes.byteLength <= this.#cache.maxSize) this.#cache.set(cid, bytes);
      return bytes;
    });
    this.#pending.set(cid, fetch);
    try {
      return (await fetch).slice();
    } finally {
      this.#pending.delete(cid);
    }
  }

  async has(cid: string): Promise<boolean> {
    return this.#cache.has(cid) || (await this.inner.has(cid));
  }

  async size(cid: string): Promise<number | undefined> {
    return this.#cache.get(cid)?.byteLength ?? (await this.inner.size(cid));
  }
}

/**
 * The store behind any cache, read as the network serves it now: for what must be judged on what
 * is served now (is a blob available?), never on a copy fetched earlier, since a provider that
 * later withholds it is what an availability dispute is about. A store that keeps such copies
 * itself (the IPFS store's repo) gives a view that reads past them (SERVED_NOW); any other store
 * is returned as it is.
 */
export function uncached(store: BlobStore): BlobStore {
  if (store instanceof CachingBlobStore) return uncached(store.inner);
  return servesNow(store) ? store[SERVED_NOW]() : store;
}

function servesNow(store: BlobStore): store is BlobStore & ServesNow {
  return typeof (store as Partial<ServesNow>)[SERVED_NOW] === "function";
}
