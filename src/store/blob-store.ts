// The content-addressed store interface (PROTOCOL.md §2). Implementations: the
// filesystem store and the HTTP client (src/store/). Every implementation checks
// integrity: a blob whose bytes do not hash to its address is never stored or returned.

export interface BlobStore {
  /** Stores bytes and returns their CIDv1 (raw, sha2-256). Idempotent. */
  put(bytes: Uint8Array): Promise<string>;
  /** The bytes at `cid`; throws BlobNotFoundError when absent, never returns bytes that do not match. */
  get(cid: string): Promise<Uint8Array>;
  has(cid: string): Promise<boolean>;
  /** Size in bytes, or undefined when absent. */
  size(cid: string): Promise<number | undefined>;
}
