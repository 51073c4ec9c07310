// Stream helpers shared by the stores and the HTTP server: size limits enforced while
// bytes flow (never after buffering them all) and verification against an address.
import { createCidHasher } from "../protocol/cid.ts";
import { BlobTooLargeError, IntegrityError } from "./errors.ts";

function asChunk(chunk: unknown): Uint8Array {
  if (!(chunk instanceof Uint8Array)) {
    throw new TypeError(`a blob stream must yield Uint8Array chunks, got ${typeof chunk}`);
  }
  return chunk;
}

function tooLarge(maxBytes: number, what: string): BlobTooLargeError {
  return new BlobTooLargeError(maxBytes, `${what} exceeds the limit of ${maxBytes} bytes`);
}

/** Passes chunks through and throws BlobTooLargeError as soon as their total passes `maxBytes`. */
export async function* limitBytes(
  source: AsyncIterable<unknown> | Iterable<unknown>,
  maxBytes: number,
  what = "blob",
): AsyncGenerator<Uint8Array, void, undefined> {
  let total = 0;
  for await (const item of source) {
    const chunk = asChunk(item);
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(maxBytes, what);
    yield chunk;
  }
}

/**
 * Passes chunks through while hashing them, and throws IntegrityError at the end if they
 * do not hash to `expectedCid`. The last chunk is held back until the check has passed,
 * so a consumer (e.g. an HTTP response with a Content-Length) never receives a complete
 * copy of bytes that fail it.
 */
export async function* verifyChunks(
  source: AsyncIterable<unknown> | Iterable<unknown>,
  expectedCid: string,
  maxBytes: number,
  what = `blob ${expectedCid}`,
): AsyncGenerator<Uint8Array, void, undefined> {
  const hasher = createCidHasher();
  let held: Uint8Array | undefined;
  for await (const item of source) {
    const chunk = asChunk(item);
    if (hasher.bytes + chunk.byteLength > maxBytes) throw tooLarge(maxBytes, what);
    hasher.update(chunk);
    if (held !== undefined) yield held;
    held = chunk;
  }
  const actual = hasher.cid();
  if (actual !== expectedCid) {
    throw new IntegrityError(
      expectedCid,
      actual,
      `${what}: the ${hasher.bytes} bytes received hash to ${actual}, not to ${expectedCid}`,
    );
  }
  if (held !== undefined) yield held;
}

/** Reads a whole stream into one array, failing as soon as it passes `maxBytes`. */
export async function collectBytes(
  source: AsyncIterable<unknown> | Iterable<unknown>,
  maxBytes: number,
  what = "blob",
  expectedLength?: number,
): Promise<Uint8Array> {
  if (expectedLength !== undefined && expectedLength > maxBytes) throw tooLarge(maxBytes, what);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of limitBytes(source, maxBytes, what)) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Views of `bytes` in pieces of at most `size` bytes (no copies). */
export function* sliceBytes(
  bytes: Uint8Array,
  size: number,
): Generator<Uint8Array, void, undefined> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) {
    yield bytes.subarray(offset, Math.min(offset + size, bytes.byteLength));
  }
}
