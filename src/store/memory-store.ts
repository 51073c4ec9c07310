// An in-memory blob store for tests and single-process demos. It checks integrity like
// the others (bytes are re-hashed on every read), so code tested against it meets the
// same errors it will meet against the filesystem or HTTP stores.
import { DEFAULT_MAX_BLOB_BYTES, type PutOptions, type StreamingBlobStore } from "./blob-store.ts";
import { canonicalCid, cidOf } from "../protocol/cid.ts";
import { BlobNotFoundError, BlobTooLargeError, IntegrityError } from "./errors.ts";
import { checkedCid } from "./integrity.ts";
import { collectBytes, sliceBytes, verifyChunks } from "./streams.ts";

export interface MemoryBlobStoreOptions {
  /** Largest blob accepted, in bytes. */
  maxBytes?: number;
  /**
   * The map holding the blobs, keyed by canonical CID. Pass one to share blobs between
   * stores, or to tamper with them in a test of integrity checks.
   */
  blobs?: Map<string, Uint8Array>;
}

const STREAM_CHUNK_BYTES = 1024 * 1024;

export class MemoryBlobStore implements StreamingBlobStore {
  readonly maxBytes: number;
  private readonly blobs: Map<string, Uint8Array>;

  constructor(options: MemoryBlobStoreOptions = {}) {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
      throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    }
    this.maxBytes = maxBytes;
    this.blobs = options.blobs ?? new Map();
  }

  async put(bytes: Uint8Array, options?: PutOptions): Promise<string> {
    if (bytes.byteLength > this.maxBytes) {
      throw new BlobTooLargeError(
        this.maxBytes,
        `blob of ${bytes.byteLength} bytes exceeds the limit of ${this.maxBytes} bytes`,
      );
    }
    options?.signal?.throwIfAborted();
    // Copy first, hash the copy: the caller may reuse its buffer after put returns.
    const copy = bytes.slice();
    const cid = checkedCid(copy, options?.expectedCid);
    if (!this.blobs.has(cid)) this.blobs.set(cid, copy);
    return cid;
  }

  async putStream(source: AsyncIterable<Uint8Array>, options?: PutOptions): Promise<string> {
    const bytes = await collectBytes(source, this.maxBytes, "blob stream");
    return this.put(bytes, options);
  }

  async get(cid: string): Promise<Uint8Array> {
    const canonical = canonicalCid(cid);
    const bytes = this.stored(canonical);
    const actual = cidOf(bytes);
    if (actual !== canonical) {
      throw new IntegrityError(
        canonical,
        actual,
        `corrupted blob in memory: the bytes stored for ${canonical} hash to ${actual}`,
      );
    }
    return bytes.slice();
  }

  async getStream(cid: string): Promise<AsyncIterable<Uint8Array>> {
    const canonical = canonicalCid(cid);
    const bytes = this.stored(canonical).slice();
    return verifyChunks(sliceBytes(bytes, STREAM_CHUNK_BYTES), canonical, Infinity);
  }

  async has(cid: string): Promise<boolean> {
    return this.blobs.has(canonicalCid(cid));
  }

  async size(cid: string): Promise<number | undefined> {
    return this.blobs.get(canonicalCid(cid))?.byteLength;
  }

  /** Nothing to do: whoever reads this store reads every blob it holds (BlobStore.serveOn). */
  async serveOn(cid: string): Promise<void> {
    canonicalCid(cid);
  }

  async delete(cid: string): Promise<boolean> {
    return this.blobs.delete(canonicalCid(cid));
  }

  private stored(canonical: string): Uint8Array {
    const bytes = this.blobs.get(canonical);
    if (bytes === undefined) throw new BlobNotFoundError(canonical);
    return bytes;
  }
}
