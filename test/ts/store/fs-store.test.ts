import { chmod, readFile, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { BlobTooLargeError, IntegrityError } from "../../../src/store/errors.ts";
import { FsBlobStore } from "../../../src/store/fs-store.ts";
import { describeStoreContract, rejection } from "./contract.ts";
import {
  blob,
  cidOf,
  cidOfGenerated,
  drain,
  filesUnder,
  listAll,
  generated,
  once,
  tempRoot,
} from "./fixtures.ts";

const LIMIT = 512 * 1024;

describeStoreContract("FsBlobStore", async () => {
  const { root, remove } = await tempRoot();
  const store = new FsBlobStore({ root, maxBytes: LIMIT });
  return {
    store,
    maxBytes: LIMIT,
    serveOnAbsent: "ignored",
    teardown: async () => {
      // Whatever a test did, no temporary file may outlive its operation.
      expect(await filesUnder(path.join(root, "tmp"))).to.deep.equal([]);
      await remove();
    },
  };
});

describe("FsBlobStore", () => {
  let root: string;
  let remove: () => Promise<void>;
  let store: FsBlobStore;
  beforeEach(async () => {
    ({ root, remove } = await tempRoot());
    store = new FsBlobStore({ root, maxBytes: 80 * 1024 * 1024 });
  });
  afterEach(async () => {
    await remove();
  });

  /** Overwrites a stored blob's file in place, as bit rot or a stray writer would. */
  async function corrupt(cid: string, bytes: Uint8Array): Promise<void> {
    const file = store.pathOf(cid);
    await chmod(file, 0o644);
    await writeFile(file, bytes);
  }

  it("lays blobs out as blocks/<next-to-last two characters>/<cid>, read-only", async () => {
    const cid = await store.put(blob(10, "layout"));
    expect(await filesUnder(root)).to.deep.equal([path.join("blocks", cid.slice(-3, -1), cid)]);
    expect((await stat(store.pathOf(cid))).mode & 0o777).to.equal(0o444);
  });

  it("detects a corrupted file on get, never returns it, and moves it aside", async () => {
    const bytes = blob(4096, "will rot");
    const cid = await store.put(bytes);
    const rotten = bytes.slice();
    rotten[100] = rotten[100]! ^ 0x01;
    await corrupt(cid, rotten);

    const error = await rejection(() => store.get(cid));
    expect(error).to.be.instanceOf(IntegrityError);
    expect((error as IntegrityError).message).to.match(/corrupted blob on disk/);
    expect((error as IntegrityError).actualCid).to.equal(cidOf(rotten));
    // Moved to corrupt/, so the address reads as absent and a good copy can be put again.
    expect(await store.has(cid)).to.equal(false);
    expect(await filesUnder(path.join(root, "corrupt"))).to.have.length(1);
    await store.put(bytes);
    expect(Buffer.from(await store.get(cid)).equals(Buffer.from(bytes))).to.equal(true);
  });

  it("detects a corrupted file on getStream and withholds its last chunk", async () => {
    const bytes = blob(3 * 1024 * 1024 + 5, "will rot too");
    const cid = await store.put(bytes);
    const rotten = bytes.slice();
    rotten[rotten.length - 1] = rotten[rotten.length - 1]! ^ 0x80;
    await corrupt(cid, rotten);

    let received = 0;
    const error = await rejection(async () => {
      for await (const chunk of await store.getStream(cid)) received += chunk.byteLength;
    });
    expect(error).to.be.instanceOf(IntegrityError);
    expect(received).to.be.lessThan(bytes.byteLength);
    expect(await store.has(cid)).to.equal(false);
  });

  it("detects a truncated file", async () => {
    const bytes = blob(1000, "truncated");
    const cid = await store.put(bytes);
    await corrupt(cid, bytes.subarray(0, 999));
    expect(await rejection(() => store.get(cid))).to.be.instanceOf(IntegrityError);
  });

  it("leaves nothing behind when a stream is refused part-way for its size", async () => {
    const small = new FsBlobStore({ root, maxBytes: 1024 * 1024 });
    const error = await rejection(() => small.putStream(generated(8 * 1024 * 1024, 64 * 1024)));
    expect(error).to.be.instanceOf(BlobTooLargeError);
    expect((error as BlobTooLargeError).maxBytes).to.equal(1024 * 1024);
    expect(await filesUnder(root)).to.deep.equal([]);
  });

  it("leaves nothing behind when a stream fails or is aborted", async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield blob(1000);
      throw new Error("source broke");
    }
    expect(((await rejection(() => store.putStream(failing()))) as Error).message).to.equal(
      "source broke",
    );
    const controller = new AbortController();
    async function* aborted(): AsyncGenerator<Uint8Array> {
      yield blob(1000);
      controller.abort(new Error("caller gave up"));
      yield blob(1000);
    }
    const error = await rejection(() => store.putStream(aborted(), { signal: controller.signal }));
    expect((error as Error).message).to.equal("caller gave up");
    expect(await filesUnder(root)).to.deep.equal([]);
  });

  it("streams a 64 MiB blob in and out without holding it whole", async () => {
    const total = 64 * 1024 * 1024;
    const cid = await store.putStream(generated(total), {
      expectedCid: await cidOfGenerated(total),
    });
    expect(await store.size(cid)).to.equal(total);
    let received = 0;
    for await (const chunk of await store.getStream(cid)) received += chunk.byteLength;
    expect(received).to.equal(total);
  });

  it("keeps a second handle on the same root consistent (two processes sharing a store)", async () => {
    const other = new FsBlobStore({ root });
    const bytes = blob(777, "shared");
    const cids = await Promise.all([store.put(bytes), other.putStream(once(bytes))]);
    expect(cids[0]).to.equal(cids[1]);
    expect((await other.get(cids[0]!)).byteLength).to.equal(777);
    expect(await filesUnder(path.join(root, "blocks"))).to.have.length(1);
  });

  it("deletes blobs and lists what it holds", async () => {
    const a = await store.put(blob(10, "a"));
    const b = await store.put(blob(10, "b"));
    expect(new Set(await listAll(store.cids()))).to.deep.equal(new Set([a, b]));
    expect(await store.delete(a)).to.equal(true);
    expect(await store.delete(a)).to.equal(false);
    expect(await listAll(store.cids())).to.deep.equal([b]);
  });

  it("sweeps temporary files a crashed writer left, but not fresh ones", async () => {
    await store.put(blob(1)); // creates tmp/
    const stale = path.join(root, "tmp", "1-dead.tmp");
    const fresh = path.join(root, "tmp", "2-live.tmp");
    await writeFile(stale, "partial");
    await writeFile(fresh, "in progress");
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, old, old);
    expect(await store.sweepTemp()).to.equal(1);
    expect(await filesUnder(path.join(root, "tmp"))).to.deep.equal(["2-live.tmp"]);
  });

  it("rejects invalid options with a clear message", () => {
    expect(() => new FsBlobStore({ root: "" })).to.throw(/root/);
    expect(() => new FsBlobStore({ root, maxBytes: -1 })).to.throw(/maxBytes/);
  });

  it("reads back bytes it wrote, byte for byte, from the file itself", async () => {
    const bytes = blob(123_456, "on disk");
    const cid = await store.put(bytes);
    expect(Buffer.from(await readFile(store.pathOf(cid))).equals(Buffer.from(bytes))).to.equal(
      true,
    );
    expect(
      Buffer.from(await drain(await store.getStream(cid))).equals(Buffer.from(bytes)),
    ).to.equal(true);
  });
});
