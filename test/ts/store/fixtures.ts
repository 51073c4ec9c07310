// Shared test data and helpers for the store tests: temporary roots, deterministic
// blobs, CIDs that must be refused, and tiny HTTP servers that misbehave on purpose.
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { base58btc } from "multiformats/bases/base58";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { create as createDigest } from "multiformats/hashes/digest";

import { cidFromDigest, cidOf } from "../../../src/protocol/cid.ts";

/** Deterministic pseudo-random bytes (sha-256 in counter mode): cheap, and different per seed. */
export function blob(length: number, seed = "blob"): Uint8Array {
  const out = new Uint8Array(length);
  let counter = 0;
  for (let offset = 0; offset < length; offset += 32) {
    const block = createHash("sha256").update(`${seed}:${counter++}`).digest();
    out.set(block.subarray(0, Math.min(32, length - offset)), offset);
  }
  return out;
}

/** `total` bytes as a stream of `chunk`-byte pieces, generated on the fly (never held whole). */
export async function* generated(
  total: number,
  chunk = 1024 * 1024,
  seed = "stream",
): AsyncGenerator<Uint8Array, void, undefined> {
  const piece = blob(chunk, seed);
  for (let sent = 0; sent < total; sent += chunk) {
    // Vary one byte per piece so the stream is not a repetition of one block.
    const out = piece.slice(0, Math.min(chunk, total - sent));
    out[0] = (sent / chunk) & 0xff;
    yield out;
  }
}

/** The CID of what `generated` yields, computed the same way without keeping it. */
export async function cidOfGenerated(total: number, chunk = 1024 * 1024): Promise<string> {
  const hash = createHash("sha256");
  for await (const piece of generated(total, chunk)) hash.update(piece);
  return cidFromDigest(new Uint8Array(hash.digest()));
}

export async function drain(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

export async function listAll<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  yield bytes;
}

export async function tempRoot(): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), "assay-store-"));
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

/** Every file under `dir`, relative to it (empty when `dir` does not exist). */
export async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
  } catch {
    return [];
  }
}

/** CIDs a store must refuse, each with why. */
export function refusedCids(): { cid: string; why: RegExp }[] {
  const bytes = blob(10, "refused");
  const sha256Digest = createDigest(0x12, createHash("sha256").update(bytes).digest());
  const sha512Digest = createDigest(0x13, createHash("sha512").update(bytes).digest());
  return [
    { cid: "not-a-cid", why: /not a CID/ },
    { cid: "", why: /not a CID|missing CID/ },
    { cid: CID.createV1(0x70, sha256Digest).toString(), why: /raw codec and sha2-256/ }, // dag-pb
    { cid: CID.createV1(raw.code, sha512Digest).toString(), why: /raw codec and sha2-256/ },
    { cid: CID.createV0(sha256Digest).toString(), why: /raw codec and sha2-256/ }, // Qm…
  ];
}

/** The same address spelled in base58btc instead of base32. */
export function base58Spelling(cid: string): string {
  return CID.parse(cid).toString(base58btc);
}

export interface TestServer {
  url: string;
  /** Requests received so far. */
  requests: number;
  close(): Promise<void>;
}

/** A throwaway HTTP server on loopback with a hand-written handler. */
export async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<TestServer> {
  const state = { requests: 0 };
  const server = createServer((req, res) => {
    state.requests += 1;
    handler(req, res, state.requests);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const server = await serve(() => undefined);
  await server.close();
  return server.url;
}

export { cidOf };
