import { expect } from "chai";

import { CachingBlobStore, uncached } from "../../../src/store/caching-store.ts";
import { BlobNotFoundError, IntegrityError } from "../../../src/store/errors.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import { rejection } from "./contract.ts";
import { blob } from "./fixtures.ts";

// The content-addressed read cache in front of a store (re-execution workers fetch programs and
// datasets once): what a store serving bad bytes, or a caller writing into what it was given, must
// not be able to do to the next reader.
describe("CachingBlobStore", () => {
  /** A memory store that counts the gets that reach it. */
  function counted(): {
    inner: MemoryBlobStore;
    blobs: Map<string, Uint8Array>;
    gets: () => number;
  } {
    const blobs = new Map<string, Uint8Array>();
    const inner = new MemoryBlobStore({ blobs });
    let gets = 0;
    const get = inner.get.bind(inner);
    inner.get = async (cid: string): Promise<Uint8Array> => {
      gets += 1;
      return get(cid);
    };
    return { inner, blobs, gets: () => gets };
  }

  it("fetches a blob once, then serves it from memory; concurrent readers share one fetch", async () => {
    const { inner, gets } = counted();
    const store = new CachingBlobStore(inner);
    const bytes = blob(10_000, "dataset shard");
    const cid = await store.put(bytes);
    const [a, b] = await Promise.all([store.get(cid), store.get(cid)]);
    const c = await store.get(cid);
    for (const got of [a, b, c]) expect(Buffer.from(got).equals(Buffer.from(bytes))).to.equal(true);
    expect(gets()).to.equal(1);
    expect(store.stats).to.include({ hits: 2, misses: 1, bytes: 10_000 });
  });

  it("gives every reader its own copy: writing into it does not change what the next reader gets", async () => {
    const store = new CachingBlobStore(new MemoryBlobStore());
    const bytes = blob(100, "program");
    const cid = await store.put(bytes);
    (await store.get(cid)).fill(0);
    expect(Buffer.from(await store.get(cid)).equals(Buffer.from(bytes))).to.equal(true);
  });

  it("caches nothing the inner store refused: tampered bytes fail on every read, a missing blob stays missing", async () => {
    const { inner, blobs } = counted();
    const store = new CachingBlobStore(inner);
    const cid = await inner.put(blob(100, "tampered"));
    const stored = blobs.get(cid)!;
    stored[0] = stored[0]! ^ 0xff;
    expect(await rejection(() => store.get(cid))).to.be.instanceOf(IntegrityError);
    expect(await rejection(() => store.get(cid))).to.be.instanceOf(IntegrityError);
    const absent = await new MemoryBlobStore().put(blob(10, "absent"));
    expect(await rejection(() => store.get(absent))).to.be.instanceOf(BlobNotFoundError);
    expect(store.stats.bytes).to.equal(0);
  });

  it("evicts least recently used blobs past its byte budget and never keeps one larger than it", async () => {
    const { inner, gets } = counted();
    const store = new CachingBlobStore(inner, { maxBytes: 2_500 });
    const cids = [];
    for (const name of ["a", "b", "c"]) cids.push(await store.put(blob(1_000, name)));
    const big = await store.put(blob(3_000, "too large"));
    for (const cid of cids) await store.get(cid);
    expect(store.stats.bytes).to.be.at.most(2_500);
    await store.get(cids[0]!); // evicted by c: fetched again
    await store.get(big);
    await store.get(big);
    expect(gets()).to.equal(6);
    expect(store.stats.bytes).to.be.at.most(2_500);
  });

  it("uncached() reaches the store behind any number of caches", () => {
    const inner = new MemoryBlobStore();
    expect(uncached(new CachingBlobStore(new CachingBlobStore(inner)))).to.equal(inner);
    expect(uncached(inner)).to.equal(inner);
  });

  it("passes serveOn on to the store behind it (a provider's shared store may be cached)", async () => {
    const inner = new MemoryBlobStore();
    const asked: string[] = [];
    inner.serveOn = async (cid: string): Promise<void> => {
      asked.push(cid);
    };
    const store = new CachingBlobStore(new CachingBlobStore(inner));
    const cid = await store.put(blob(10, "an input"));
    await store.serveOn(cid);
    expect(asked).to.deep.equal([cid]);
    // A store without the operation: nothing to do.
    const plain = new CachingBlobStore({
      put: (bytes) => inner.put(bytes),
      get: (c) => inner.get(c),
      has: (c) => inner.has(c),
      size: (c) => inner.size(c),
    });
    await plain.serveOn(cid);
  });

  it("refuses a byte budget that is not a positive integer", () => {
    expect(() => new CachingBlobStore(new MemoryBlobStore(), { maxBytes: 0 })).to.throw(RangeError);
  });
});
