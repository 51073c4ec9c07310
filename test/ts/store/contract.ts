// The behaviour every StreamingBlobStore shares (filesystem, memory, HTTP client against
// the HTTP server): one suite, run against each implementation by its own test file.
import { expect } from "chai";

import type { StreamingBlobStore } from "../../../src/store/blob-store.ts";
import {
  BlobNotFoundError,
  BlobTooLargeError,
  IntegrityError,
  InvalidCidError,
  StoreError,
} from "../../../src/store/errors.ts";
import { base58Spelling, blob, cidOf, drain, once, refusedCids } from "./fixtures.ts";

export interface StoreUnderTest {
  store: StreamingBlobStore;
  /** The size limit the store enforces (in bytes); the suite needs at least 300 000. */
  maxBytes: number;
  /**
   * What `serveOn` does with a blob the store does not hold: "ignored" for the stores that serve
   * everything they hold (a no-op), "not-found" for the IPFS store, which pins only a block already
   * in its repo and never fetches one.
   */
  serveOnAbsent: "ignored" | "not-found";
  teardown(): Promise<void>;
}

/** Runs `fn` and returns what it threw; fails the test when it does not throw. */
export async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  expect.fail("expected a rejection");
}

export function describeStoreContract(name: string, setup: () => Promise<StoreUnderTest>): void {
  describe(`${name}: the BlobStore contract`, () => {
    let sut: StoreUnderTest;
    let store: StreamingBlobStore;
    beforeEach(async () => {
      sut = await setup();
      store = sut.store;
    });
    afterEach(async () => {
      await sut.teardown();
    });

    it("returns the CIDv1 of the bytes on put, and the same bytes on get", async () => {
      const bytes = blob(100_000, "round trip");
      const cid = await store.put(bytes);
      expect(cid).to.equal(cidOf(bytes));
      expect(cid).to.match(/^bafkrei/);
      expect(Buffer.from(await store.get(cid)).equals(Buffer.from(bytes))).to.equal(true);
      expect(await store.has(cid)).to.equal(true);
      expect(await store.size(cid)).to.equal(bytes.byteLength);
    });

    it("is idempotent: putting the same bytes twice gives the same CID and one blob", async () => {
      const bytes = blob(1000, "twice");
      expect(await store.put(bytes)).to.equal(await store.put(bytes));
      expect(await store.size(cidOf(bytes))).to.equal(1000);
    });

    it("stores the empty blob", async () => {
      const cid = await store.put(new Uint8Array(0));
      expect((await store.get(cid)).byteLength).to.equal(0);
      expect(await store.size(cid)).to.equal(0);
      expect((await drain(await store.getStream(cid))).byteLength).to.equal(0);
    });

    it("reports an absent blob as not found (get, getStream), absent (has) and sizeless", async () => {
      const cid = cidOf(blob(10, "never stored"));
      const error = await rejection(() => store.get(cid));
      expect(error).to.be.instanceOf(BlobNotFoundError);
      expect((error as BlobNotFoundError).cid).to.equal(cid);
      expect((error as StoreError).retryable).to.equal(false);
      expect(await rejection(() => store.getStream(cid))).to.be.instanceOf(BlobNotFoundError);
      expect(await store.has(cid)).to.equal(false);
      expect(await store.size(cid)).to.equal(undefined);
    });

    it("refuses bytes that do not hash to the expected CID, and stores nothing", async () => {
      const claimed = cidOf(blob(64, "claimed"));
      const sent = blob(64, "actually sent");
      const error = await rejection(() => store.put(sent, { expectedCid: claimed }));
      expect(error).to.be.instanceOf(IntegrityError);
      expect((error as IntegrityError).expectedCid).to.equal(claimed);
      expect(await store.has(claimed)).to.equal(false);
      expect(await store.has(cidOf(sent))).to.equal(false);
    });

    it("refuses a stream that does not hash to the expected CID, and stores nothing", async () => {
      const claimed = cidOf(blob(5000, "claimed"));
      const sent = blob(5000, "sent instead");
      const error = await rejection(() => store.putStream(once(sent), { expectedCid: claimed }));
      expect(error).to.be.instanceOf(IntegrityError);
      expect(await store.has(claimed)).to.equal(false);
      expect(await store.has(cidOf(sent))).to.equal(false);
    });

    it("streams a blob in and out under its expected CID", async () => {
      const bytes = blob(300_000, "streamed");
      const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 70_000), bytes.subarray(70_000)];
      async function* source(): AsyncGenerator<Uint8Array> {
        yield* chunks;
      }
      const cid = await store.putStream(source(), { expectedCid: cidOf(bytes) });
      expect(cid).to.equal(cidOf(bytes));
      const back = await drain(await store.getStream(cid));
      expect(Buffer.from(back).equals(Buffer.from(bytes))).to.equal(true);
    });

    it("rejects CIDs that are malformed, not raw or not sha2-256, naming the problem", async () => {
      for (const { cid, why } of refusedCids()) {
        for (const op of [
          () => store.get(cid),
          () => store.has(cid),
          () => store.size(cid),
          () => store.getStream(cid),
          () => store.put(new Uint8Array(1), { expectedCid: cid }),
          () => store.serveOn(cid),
        ]) {
          const error = await rejection(op);
          expect(error, `CID ${JSON.stringify(cid)}`).to.be.instanceOf(InvalidCidError);
          expect((error as Error).message).to.match(why);
        }
      }
    });

    it("finds a blob under another spelling (base58btc) of the same address", async () => {
      const bytes = blob(50, "spelling");
      const cid = await store.put(bytes);
      const other = base58Spelling(cid);
      expect(other).to.not.equal(cid);
      expect(await store.has(other)).to.equal(true);
      expect((await store.get(other)).byteLength).to.equal(50);
    });

    it("refuses a blob over the size limit, whole or streamed, and stores nothing", async () => {
      const big = blob(sut.maxBytes + 1, "too big");
      expect(await rejection(() => store.put(big))).to.be.instanceOf(BlobTooLargeError);
      async function* pieces(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < big.byteLength; i += 4096) yield big.subarray(i, i + 4096);
      }
      expect(await rejection(() => store.putStream(pieces()))).to.be.instanceOf(BlobTooLargeError);
      expect(await store.has(cidOf(big))).to.equal(false);
      const fits = blob(sut.maxBytes, "just fits");
      expect(await store.put(fits)).to.equal(cidOf(fits));
    });

    it("serveOn: a blob it holds stays held and served, however often asked", async () => {
      const bytes = blob(2_000, "served on");
      const cid = await store.put(bytes);
      await store.serveOn(cid);
      await store.serveOn(base58Spelling(cid));
      expect(await store.has(cid)).to.equal(true);
      expect(Buffer.from(await store.get(cid)).equals(Buffer.from(bytes))).to.equal(true);
    });

    it("serveOn of a blob it does not hold stores nothing (ignored, or BlobNotFoundError where serving takes a copy)", async () => {
      const cid = cidOf(blob(10, "never stored, never served"));
      if (sut.serveOnAbsent === "ignored") await store.serveOn(cid);
      else {
        const error = await rejection(() => store.serveOn(cid));
        expect(error).to.be.instanceOf(BlobNotFoundError);
        expect((error as BlobNotFoundError).cid).to.equal(cid);
      }
      expect(await store.has(cid)).to.equal(false);
      expect(await store.size(cid)).to.equal(undefined);
    });

    it("survives concurrent puts of the same blob: one CID, intact bytes", async () => {
      const bytes = blob(200_000, "concurrent");
      const cids = await Promise.all([
        ...Array.from({ length: 6 }, () => store.put(bytes)),
        ...Array.from({ length: 6 }, () => store.putStream(once(bytes))),
      ]);
      expect(new Set(cids)).to.deep.equal(new Set([cidOf(bytes)]));
      expect(Buffer.from(await store.get(cidOf(bytes))).equals(Buffer.from(bytes))).to.equal(true);
    });
  });
}
