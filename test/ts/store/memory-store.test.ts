import { expect } from "chai";

import { IntegrityError } from "../../../src/store/errors.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import { describeStoreContract, rejection } from "./contract.ts";
import { blob, drain } from "./fixtures.ts";

const LIMIT = 512 * 1024;

describeStoreContract("MemoryBlobStore", async () => ({
  store: new MemoryBlobStore({ maxBytes: LIMIT }),
  maxBytes: LIMIT,
  serveOnAbsent: "ignored",
  teardown: async () => undefined,
}));

describe("MemoryBlobStore", () => {
  it("detects bytes tampered with after they were stored, on get and getStream", async () => {
    const blobs = new Map<string, Uint8Array>();
    const store = new MemoryBlobStore({ blobs });
    const cid = await store.put(blob(100, "tampered"));
    const stored = blobs.get(cid)!;
    stored[0] = stored[0]! ^ 0xff;
    expect(await rejection(() => store.get(cid))).to.be.instanceOf(IntegrityError);
    expect(await rejection(async () => drain(await store.getStream(cid)))).to.be.instanceOf(
      IntegrityError,
    );
  });

  it("keeps its own copy: a caller reusing its buffer does not change the stored blob", async () => {
    const store = new MemoryBlobStore();
    const bytes = blob(100, "reused buffer");
    const cid = await store.put(bytes);
    bytes.fill(0);
    const back = await store.get(cid);
    back.fill(1);
    expect(Buffer.from(await store.get(cid)).equals(Buffer.from(blob(100, "reused buffer")))).to.be
      .true;
  });

  it("rejects a non-positive size limit", () => {
    expect(() => new MemoryBlobStore({ maxBytes: 0 })).to.throw(RangeError, /maxBytes/);
  });
});
