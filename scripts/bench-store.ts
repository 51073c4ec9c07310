// Throughput of the content-addressed store: filesystem put/get (whole and streamed) and
// the same through the HTTP server and client on loopback, with sha-256 alone as the
// ceiling (every path hashes each byte once). Prints MiB/s; not a test.
//
// Usage: npm run bench:store [-- <MiB per blob, default 64> <runs, default 3>]
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import type { StreamingBlobStore } from "../src/store/blob-store.ts";
import { FsBlobStore } from "../src/store/fs-store.ts";
import { HttpBlobStore } from "../src/store/http-client.ts";
import { startStoreServer } from "../src/store/http-server.ts";
import { sliceBytes } from "../src/store/streams.ts";

const MIB = 1024 * 1024;
const sizeMiB = Number(process.argv[2] ?? 64);
const runs = Number(process.argv[3] ?? 3);
if (!(Number.isInteger(sizeMiB) && sizeMiB > 0 && Number.isInteger(runs) && runs > 0)) {
  throw new Error("usage: bench-store.ts [MiB per blob] [runs]");
}
const bytesPerBlob = sizeMiB * MIB;

/** Median MiB/s of `runs` runs of `op` over a fresh blob each time (so puts really write). */
async function measure(
  name: string,
  op: (bytes: Uint8Array, run: number) => Promise<void>,
): Promise<void> {
  const rates: number[] = [];
  for (let run = 0; run < runs; run++) {
    const bytes = new Uint8Array(randomBytes(bytesPerBlob));
    const start = process.hrtime.bigint();
    await op(bytes, run);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(sizeMiB / seconds);
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)]!;
  const spread = `${rates[0]!.toFixed(0)}–${rates.at(-1)!.toFixed(0)}`;
  console.log(`${name.padEnd(52)} ${median.toFixed(0).padStart(6)} MiB/s   (${spread})`);
}

async function* chunks(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield* sliceBytes(bytes, MIB);
}

async function drain(stream: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _chunk of stream) {
    // consume
  }
}

async function benchStore(label: string, store: StreamingBlobStore): Promise<void> {
  // Blobs put in one measurement are read back in the next.
  const cids: string[] = [];
  await measure(`${label} put`, async (bytes) => {
    cids.push(await store.put(bytes));
  });
  await measure(`${label} get`, async (_bytes, run) => {
    await store.get(cids[run]!);
  });
  const streamed: string[] = [];
  await measure(`${label} putStream (1 MiB chunks)`, async (bytes) => {
    streamed.push(await store.putStream(chunks(bytes)));
  });
  await measure(`${label} getStream`, async (_bytes, run) => {
    await drain(await store.getStream(streamed[run]!));
  });
}

const root = await mkdtemp(path.join(tmpdir(), "assay-bench-store-"));
const maxBytes = bytesPerBlob + MIB;
const server = await startStoreServer({
  store: new FsBlobStore({ root: path.join(root, "server"), maxBytes }),
  maxBytes,
});
try {
  console.log(`store benchmark: ${runs} runs of ${sizeMiB} MiB blobs, median (min–max)`);
  await measure("sha-256 alone (ceiling)", async (bytes) => {
    createHash("sha256").update(bytes).digest();
  });
  await benchStore("fs", new FsBlobStore({ root: path.join(root, "fs"), maxBytes }));
  await benchStore(
    "fs, no fsync",
    new FsBlobStore({ root: path.join(root, "fs-nosync"), maxBytes, durable: false }),
  );
  await benchStore(
    "http (loopback, fs behind)",
    new HttpBlobStore({ url: server.url, maxBytes, timeoutMs: 120_000 }),
  );
} finally {
  await server.close();
  await rm(root, { recursive: true, force: true });
}
