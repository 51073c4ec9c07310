// The filesystem blob store. Layout under `root` (docs/store.md):
//   blocks/<shard>/<cid>   one file per blob, named by its canonical CID; <shard> is the
//                          next-to-last two characters of the CID (IPFS flatfs's
//                          "next-to-last/2": the last base32 character carries padding
//                          bits, the two before it are uniform, so 1024 shards fill evenly)
//   tmp/                   writes in progress; renamed into blocks/ only once complete
//   corrupt/               blobs that failed verification on read, moved aside
// A blob appears under its address only by an atomic rename after its bytes were hashed
// and fsynced, so a crash never leaves a partial or unverified file under an address.
import { randomBytes } from "node:crypto";
import { createReadStream, type Stats } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";

import { z } from "zod";

import { maxBlobBytesOption, type PutOptions, type StreamingBlobStore } from "./blob-store.ts";
import { canonicalCid, cidOf, createCidHasher } from "../protocol/cid.ts";
import { BlobNotFoundError, BlobTooLargeError, IntegrityError, StoreError } from "./errors.ts";
import { checkedCid } from "./integrity.ts";
import { verifyChunks } from "./streams.ts";

export const FsBlobStoreOptionsSchema = z.object({
  /** Directory holding the store; created on first write. */
  root: z.string().min(1),
  /** Largest blob accepted or returned, in bytes. */
  maxBytes: maxBlobBytesOption,
  /** fsync files and directories on write (turn off only for throwaway stores). */
  durable: z.boolean().default(true),
});
export type FsBlobStoreOptions = z.input<typeof FsBlobStoreOptionsSchema>;

const READ_CHUNK_BYTES = 1024 * 1024;
/** Temporary files older than this are left over from a crashed writer (see sweepTemp). */
const DEFAULT_STALE_TEMP_MS = 60 * 60 * 1000;

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

export class FsBlobStore implements StreamingBlobStore {
  readonly root: string;
  readonly maxBytes: number;
  private readonly durable: boolean;
  private readonly blocksDir: string;
  private readonly tmpDir: string;
  private readonly corruptDir: string;
  private ready: Promise<void> | undefined;

  constructor(options: FsBlobStoreOptions) {
    const parsed = FsBlobStoreOptionsSchema.parse(options);
    this.root = path.resolve(parsed.root);
    this.maxBytes = parsed.maxBytes;
    this.durable = parsed.durable;
    this.blocksDir = path.join(this.root, "blocks");
    this.tmpDir = path.join(this.root, "tmp");
    this.corruptDir = path.join(this.root, "corrupt");
  }

  /** Where the blob with this (canonical) CID lives; the name never contains caller input. */
  pathOf(cid: string): string {
    const canonical = canonicalCid(cid);
    return path.join(this.blocksDir, canonical.slice(-3, -1), canonical);
  }

  async put(bytes: Uint8Array, options?: PutOptions): Promise<string> {
    if (bytes.byteLength > this.maxBytes) {
      throw new BlobTooLargeError(
        this.maxBytes,
        `blob of ${bytes.byteLength} bytes exceeds the limit of ${this.maxBytes} bytes`,
      );
    }
    const cid = checkedCid(bytes, options?.expectedCid);
    options?.signal?.throwIfAborted();
    if (await this.has(cid)) return cid;
    await this.writeAtomically(async (handle) => {
      await writeAll(handle, bytes);
      return cid;
    });
    return cid;
  }

  async putStream(source: AsyncIterable<Uint8Array>, options?: PutOptions): Promise<string> {
    const expected =
      options?.expectedCid === undefined ? undefined : canonicalCid(options.expectedCid);
    const signal = options?.signal;
    return this.writeAtomically(async (handle) => {
      const hasher = createCidHasher();
      for await (const chunk of source) {
        signal?.throwIfAborted();
        if (!(chunk instanceof Uint8Array)) {
          throw new TypeError(`a blob stream must yield Uint8Array chunks, got ${typeof chunk}`);
        }
        if (hasher.bytes + chunk.byteLength > this.maxBytes) {
          throw new BlobTooLargeError(
            this.maxBytes,
            `blob stream exceeds the limit of ${this.maxBytes} bytes`,
          );
        }
        hasher.update(chunk);
        await writeAll(handle, chunk);
      }
      const cid = hasher.cid();
      if (expected !== undefined && cid !== expected) {
        throw new IntegrityError(
          expected,
          cid,
          `refused to store a ${hasher.bytes}-byte stream under ${expected}: it hashes to ${cid}`,
        );
      }
      return cid;
    });
  }

  async get(cid: string): Promise<Uint8Array> {
    const canonical = canonicalCid(cid);
    const file = this.pathOf(canonical);
    let handle: FileHandle;
    try {
      handle = await open(file, "r");
    } catch (error) {
      if (isErrno(error, "ENOENT")) throw new BlobNotFoundError(canonical);
      throw new StoreError(`cannot open ${file}`, { cause: error });
    }
    let bytes: Buffer;
    let stats: Stats;
    try {
      stats = await handle.stat();
      if (stats.size > this.maxBytes) {
        throw new BlobTooLargeError(
          this.maxBytes,
          `blob ${canonical} has ${stats.size} bytes, over the limit of ${this.maxBytes} bytes`,
        );
      }
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
    const actual = cidOf(bytes);
    if (actual !== canonical) throw await this.corrupted(canonical, actual, stats);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async getStream(
    cid: string,
    options?: { signal?: AbortSignal },
  ): Promise<AsyncIterable<Uint8Array>> {
    const canonical = canonicalCid(cid);
    const file = this.pathOf(canonical);
    const stats = await this.statBlob(file);
    if (stats === undefined) throw new BlobNotFoundError(canonical);
    if (stats.size > this.maxBytes) {
      throw new BlobTooLargeError(
        this.maxBytes,
        `blob ${canonical} has ${stats.size} bytes, over the limit of ${this.maxBytes} bytes`,
      );
    }
    return this.readVerified(canonical, file, stats, options?.signal);
  }

  // The file is opened only when the stream is first read, so a caller that never reads
  // leaks no descriptor.
  private async *readVerified(
    cid: string,
    file: string,
    stats: Stats,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<Uint8Array, void, undefined> {
    const stream = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES, signal });
    try {
      yield* verifyChunks(stream, cid, this.maxBytes);
    } catch (error) {
      if (isErrno(error, "ENOENT")) throw new BlobNotFoundError(cid);
      if (error instanceof IntegrityError) {
        throw await this.corrupted(cid, error.actualCid, stats, error);
      }
      throw error;
    } finally {
      stream.destroy();
    }
  }

  async has(cid: string): Promise<boolean> {
    return (await this.statBlob(this.pathOf(cid))) !== undefined;
  }

  async size(cid: string): Promise<number | undefined> {
    return (await this.statBlob(this.pathOf(cid)))?.size;
  }

  /**
   * Nothing to do: whoever reads this directory (the store server, a provider's `servePort`) reads
   * every blob it holds (BlobStore.serveOn).
   */
  async serveOn(cid: string): Promise<void> {
    canonicalCid(cid);
  }

  /** Removes a blob; true when it was there. */
  async delete(cid: string): Promise<boolean> {
    const file = this.pathOf(cid);
    const existed = (await this.statBlob(file)) !== undefined;
    await rm(file, { force: true });
    return existed;
  }

  /** Every stored CID (in no particular order). */
  async *cids(): AsyncGenerator<string, void, undefined> {
    let shards: string[];
    try {
      shards = await readdir(this.blocksDir);
    } catch (error) {
      if (isErrno(error, "ENOENT")) return;
      throw error;
    }
    for (const shard of shards) {
      for (const name of await readdir(path.join(this.blocksDir, shard))) yield name;
    }
  }

  /**
   * Removes temporary files a crashed writer left behind. Only files older than
   * `olderThanMs` go, because another process may be writing into the same root.
   * Returns how many were removed.
   */
  async sweepTemp(olderThanMs = DEFAULT_STALE_TEMP_MS): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch (error) {
      if (isErrno(error, "ENOENT")) return 0;
      throw error;
    }
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of names) {
      const file = path.join(this.tmpDir, name);
      const stats = await stat(file).catch(() => undefined);
      if (stats !== undefined && stats.mtimeMs <= cutoff) {
        await rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  private async init(): Promise<void> {
    this.ready ??= Promise.all([
      mkdir(this.blocksDir, { recursive: true }),
      mkdir(this.tmpDir, { recursive: true }),
    ]).then(
      () => undefined,
      (error: unknown) => {
        this.ready = undefined;
        throw new StoreError(`cannot create the store under ${this.root}`, { cause: error });
      },
    );
    return this.ready;
  }

  private async statBlob(file: string): Promise<Stats | undefined> {
    try {
      const stats = await stat(file);
      return stats.isFile() ? stats : undefined;
    } catch (error) {
      if (isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR")) return undefined;
      throw new StoreError(`cannot stat ${file}`, { cause: error });
    }
  }

  /**
   * Writes a temporary file through `write` (which returns the blob's CID once every
   * byte is written and checked), fsyncs it and renames it to its address. Any failure
   * removes the temporary file: nothing is left behind.
   */
  private async writeAtomically(write: (handle: FileHandle) => Promise<string>): Promise<string> {
    await this.init();
    const temp = path.join(this.tmpDir, `${process.pid}-${randomBytes(8).toString("hex")}.tmp`);
    // Read-only from the start: blobs are immutable, and a stray writer gets EACCES.
    const handle = await open(temp, "wx", 0o444);
    let committed = false;
    try {
      let cid: string;
      try {
        cid = await write(handle);
        if (this.durable) await handle.sync();
      } finally {
        await handle.close();
      }
      const target = this.pathOf(cid);
      const shard = path.dirname(target);
      await mkdir(shard, { recursive: true });
      // Concurrent puts of the same blob each rename identical, complete bytes onto the
      // same name; rename is atomic, so readers see one whole file or the other.
      await rename(temp, target);
      committed = true;
      if (this.durable) await this.syncDir(shard);
      return cid;
    } finally {
      if (!committed) await rm(temp, { force: true });
    }
  }

  private async syncDir(dir: string): Promise<void> {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } catch (error) {
      // Some platforms cannot fsync a directory; the rename is still atomic there.
      if (!isErrno(error, "EINVAL") && !isErrno(error, "EISDIR") && !isErrno(error, "EPERM")) {
        throw error;
      }
    } finally {
      await handle.close();
    }
  }

  /**
   * A blob failed verification on read: move it to corrupt/ (so its address reads as
   * absent and a fresh copy can be put) and build the error to throw. The move happens
   * only if the file at the address is still the one that was read (same inode), so a
   * good copy renamed in meanwhile is not taken away.
   */
  private async corrupted(
    cid: string,
    actual: string | undefined,
    readStats: Stats,
    cause?: unknown,
  ): Promise<IntegrityError> {
    const file = this.pathOf(cid);
    let movedTo: string | undefined;
    try {
      const now = await stat(file);
      if (now.ino === readStats.ino && now.dev === readStats.dev) {
        await mkdir(this.corruptDir, { recursive: true });
        movedTo = path.join(
          this.corruptDir,
          `${cid}.${Date.now()}.${randomBytes(4).toString("hex")}`,
        );
        await rename(file, movedTo);
      }
    } catch {
      // Best effort: the error below is what matters; the file is never returned.
      movedTo = undefined;
    }
    const seen = actual === undefined ? "do not" : `hash to ${actual}, which does not`;
    const where = movedTo === undefined ? `at ${file}` : `(moved from ${file} to ${movedTo})`;
    return new IntegrityError(
      cid,
      actual,
      `corrupted blob on disk: the bytes stored for ${cid} ${seen} match its address ${where}`,
      cause === undefined ? undefined : { cause },
    );
  }
}
