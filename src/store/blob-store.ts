// The content-addressed store interface (docs/protocol.md §2). Implementations (src/store/):
// the filesystem store, the in-memory store, the HTTP client of the store server, and the IPFS
// store (raw blocks of an embedded Helia node). Every implementation checks integrity: a blob
// whose bytes do not hash to its address is never stored or returned.
import { z } from "zod";

export interface BlobStore {
  /** Stores bytes and returns their CIDv1 (raw, sha2-256). Idempotent. */
  put(bytes: Uint8Array): Promise<string>;
  /** The bytes at `cid`; throws BlobNotFoundError when absent, never returns bytes that do not match. */
  get(cid: string): Promise<Uint8Array>;
  has(cid: string): Promise<boolean>;
  /** Size in bytes, or undefined when absent. */
  size(cid: string): Promise<number | undefined>;
  /**
   * Optional: serve on a blob this store already holds — one it fetched and verified, as a reader —
   * as it serves what it put. Only a store that holds copies it does not serve needs it (the IPFS
   * store: peers are served only what it pinned, src/store/ipfs-serving.ts); there it pins the
   * block held in the local repo, never fetching one (BlobNotFoundError when the repo lacks it;
   * IntegrityError, the block dropped, when the copy rotted). The stores that serve everything
   * they hold (filesystem, memory, the store server's client) do nothing but check the address.
   * Idempotent. A wrapper must pass it on (CachingBlobStore does) or the copies stay unserved.
   *
   * Who calls it, and for what: a provider, for the inputs of a job it accepted (the spec and what
   * it names: worker/job-specs.ts), so that a job stays readable once its submitter's node is gone.
   * Never a verifier or a referee, and never for a checkpoint or manifest fetched from someone else:
   * a node that served on what it read would answer availability questions for a provider that
   * withholds it (test/ts/ipfs-review/attack-peer-cache-rescue.test.ts).
   */
  serveOn?(cid: string): Promise<void>;
}

export interface PutOptions {
  /**
   * The address the bytes must have. When they hash to anything else the put throws
   * IntegrityError and stores nothing: this is how a blob fetched from an untrusted
   * peer is accepted only under the address that was asked for.
   */
  expectedCid?: string;
  /** Aborts the transfer; nothing is left behind. */
  signal?: AbortSignal;
}

/**
 * A BlobStore that also moves blobs as streams, so that large blobs (checkpoints,
 * dataset shards) never have to sit in memory whole. Implemented by FsBlobStore,
 * MemoryBlobStore, HttpBlobStore and IpfsBlobStore (whose blobs are one block, a few MiB).
 */
export interface StreamingBlobStore extends BlobStore {
  put(bytes: Uint8Array, options?: PutOptions): Promise<string>;
  /** Stores a stream, hashing while it flows; a stream over the size limit is rejected part-way. */
  putStream(source: AsyncIterable<Uint8Array>, options?: PutOptions): Promise<string>;
  /**
   * The bytes at `cid` as a stream. Throws BlobNotFoundError before the stream starts
   * when absent. The bytes are verified as they flow and the stream throws IntegrityError
   * at its end if they do not match: treat nothing read as trusted until the stream has
   * ended without error.
   */
  getStream(cid: string, options?: { signal?: AbortSignal }): Promise<AsyncIterable<Uint8Array>>;
  /** Every streaming store says what serving on a blob it holds means for it (BlobStore.serveOn). */
  serveOn(cid: string): Promise<void>;
}

/**
 * A store that keeps copies of blobs others publish (the IPFS store: blocks fetched earlier stay in
 * its repo, blobs it put are pinned) implements this: the view it returns reads only what the
 * network serves now, never such a copy. `uncached()` (src/store/caching-store.ts) takes it, so
 * everything judged on what is served now — availability verdicts, audits, a fresh job read's
 * manifest — uses it (a job's inputs and an exact state dispute's pre-state are not: `withCopies()`). A wrapper that hides the store behind it (any object but CachingBlobStore) hides the view too:
 * pass the store itself.
 */
export const SERVED_NOW: unique symbol = Symbol("assay.servedNow");

export interface ServesNow {
  [SERVED_NOW](): BlobStore;
}

/** The size limit every store applies unless configured otherwise: 256 MiB. */
export const DEFAULT_MAX_BLOB_BYTES = 256 * 1024 * 1024;

/** A store's size limit in its options: a positive safe integer, 256 MiB unless given. */
export const maxBlobBytesOption = z
  .number()
  .int()
  .positive()
  .max(Number.MAX_SAFE_INTEGER)
  .default(DEFAULT_MAX_BLOB_BYTES);
