// A read cache in front of any BlobStore. Blobs are named by their content (a CID is the hash of
// the bytes), so a cached blob can never go stale: there is no invalidation, only eviction, least
// recently used first, under a byte budget. A re-execution worker that serves many jobs over the
// same program and dataset fetches and hashes them once instead of once per job.
import { LRUCache } from "lru-cache";

import { SERVED_NOW, type BlobStore, type ServesNow } from "./blob-store.ts";
import { isOverReaderLimit } from "./errors.ts";

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

  /** Passed on to the store behind the cache (BlobStore.serveOn); nothing where it has none. */
  async serveOn(cid: string): Promise<void> {
    await this.inner.serveOn?.(cid);
  }
}

/**
 * The store behind any cache, read as the network serves it now: for what must be judged on what
 * is served now (is a blob available?), never on a copy fetched earlier, since a provider that
 * later withholds it is what an availability dispute is about. A store that keeps such copies
 * itself (the IPFS store's repo) gives a view that reads past them (SERVED_NOW); any other store
 * is returned as it is. Only the blobs availability is judged on (the disputed checkpoints, the
 * trace manifest) are read through it: `withCopies()` gives back the store it was taken from.
 */
export function uncached(store: BlobStore): BlobStore {
  const inner = bottom(store);
  if (!servesNow(inner)) return inner;
  // A view is a new object each time: remember what it was taken from (cache, repo included).
  const view = inner[SERVED_NOW]();
  takenFrom.set(view, store);
  return view;
}

/** Each served-now view `uncached()` made, to the store it was given. */
const takenFrom = new WeakMap<BlobStore, BlobStore>();

/** The store behind every cache. */
function bottom(store: BlobStore): BlobStore {
  return store instanceof CachingBlobStore ? bottom(store.inner) : store;
}

/**
 * The store a served-now view was taken from (`uncached()`), with its cache and the IPFS repo; any
 * other store as it is. For reads that judge no availability: a job's inputs (spec, program,
 * initial state, dataset — nobody's burden to serve now) and a state named by its digest (an exact
 * state dispute). Blobs are content-addressed and every store checks their bytes, so a verified
 * copy is as good as one served now.
 */
export function withCopies(store: BlobStore): BlobStore {
  return takenFrom.get(store) ?? store;
}

/**
 * `withCopies(store)`, except that a blob over this reader's own size limit (below the protocol's
 * MAX_COMMITTED_BLOB_BYTES, which a provider may commit up to) is read through the served-now view,
 * which accepts blobs up to the protocol's limit: a reader that holds no copy still reads what is
 * served, as large as the provider may make it. For a state dispute's pre-state and re-derivation.
 * `uncached()` of it is still the served-now view.
 */
export function copiesFirst(store: BlobStore): BlobStore {
  const copies = withCopies(store);
  if (!servesNow(bottom(copies))) return copies;
  const view: BlobStore & ServesNow = {
    put: (bytes) => copies.put(bytes),
    get: async (cid) => {
      try {
        return await copies.get(cid);
      } catch (error) {
        if (!isOverReaderLimit(error)) throw error;
        return uncached(copies).get(cid);
      }
    },
    has: (cid) => copies.has(cid),
    size: (cid) => copies.size(cid),
    // Passed on to what judges availability, it still gives the served-now view, never the copies.
    [SERVED_NOW]: () => uncached(copies),
  };
  return view;
}

function servesNow(store: BlobStore): store is BlobStore & ServesNow {
  return typeof (store as Partial<ServesNow>)[SERVED_NOW] === "function";
}
