// The pre-state envelope (src/checkpoint/prestate-envelope.ts): how an exact state dispute's
// challenger publishes the agreed pre-state. Its layout, its own address (never the state's), the
// dispute it names, its size bound, and what a reader refuses.
import { expect } from "chai";

import {
  decodePreStateEnvelope,
  encodePreStateEnvelope,
  getPreStateEnvelope,
  MAX_PRESTATE_ENVELOPE_BYTES,
  PRESTATE_ENVELOPE_HEADER_BYTES,
  PreStateEnvelopeError,
  putPreStateEnvelope,
} from "../../../src/checkpoint/prestate-envelope.ts";
import { encodeState, stateDigest } from "../../../src/checkpoint/state-codec.ts";
import { initialState } from "../../../src/engine/training-state.ts";
import { cidFromDigest, cidOf, sha256Hex } from "../../../src/protocol/cid.ts";
import { BlobNotFoundError } from "../../../src/store/errors.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import { lyingStore, smallProgram } from "./helpers/fixtures.ts";

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.fail("accepted"),
    (error: unknown) => error as Error,
  );
}

describe("pre-state envelopes", function () {
  const info = smallProgram("exact").info;
  const state = { ...initialState(info, "envelope"), step: 30 };
  const encoded = encodeState(state);

  it("lay out a 40-byte header (magic, version, dispute id) before the state's canonical bytes", function () {
    const id = (7n << 200n) | 0x0102n;
    const bytes = encodePreStateEnvelope(id, encoded.bytes);
    expect(bytes.length).to.equal(PRESTATE_ENVELOPE_HEADER_BYTES + encoded.bytes.length);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).to.equal("ASPE");
    expect(new DataView(bytes.buffer).getUint32(4, true)).to.equal(1);
    expect(bytes.subarray(8, 40)).to.deep.equal(
      Uint8Array.from(Buffer.from(id.toString(16).padStart(64, "0"), "hex")),
    );
    const back = decodePreStateEnvelope(bytes);
    expect(back.disputeId).to.equal(id);
    expect(back.state).to.deep.equal(encoded.bytes);
  });

  it("have an address of their own: never the state's, and never another dispute's", function () {
    const one = cidOf(encodePreStateEnvelope(1n, encoded.bytes));
    const two = cidOf(encodePreStateEnvelope(2n, encoded.bytes));
    expect(one).to.not.equal(encoded.cid);
    expect(two).to.not.equal(encoded.cid);
    expect(one).to.not.equal(two);
  });

  it("are stored without the bare state, and read back only for their dispute and their state", async function () {
    const blobs = new Map<string, Uint8Array>();
    const store = new MemoryBlobStore({ blobs });
    const published = await putPreStateEnvelope(store, 5n, state);
    expect(published.stateDigest).to.equal(encoded.digest);
    expect([...blobs.keys()]).to.deep.equal([cidFromDigest(published.envelopeDigest)]);
    expect(await store.has(encoded.cid), "the bare state is not stored").to.equal(false);

    const read = await getPreStateEnvelope(
      store,
      published.envelopeDigest,
      { disputeId: 5n, stateDigest: encoded.digest },
      info,
    );
    expect(stateDigest(read)).to.equal(encoded.digest);
    expect(
      (
        await rejection(
          getPreStateEnvelope(store, published.envelopeDigest, {
            disputeId: 6n,
            stateDigest: encoded.digest,
          }),
        )
      ).message,
    ).to.match(/is for dispute 5, not 6/);
    const other = encodeState({ ...state, step: 31 }).digest;
    const wrongState = await rejection(
      getPreStateEnvelope(store, published.envelopeDigest, { disputeId: 5n, stateDigest: other }),
    );
    expect(wrongState).to.be.instanceOf(PreStateEnvelopeError);
    expect(wrongState.message).to.match(/not the agreed pre-state/);
    const absent = await rejection(
      getPreStateEnvelope(store, encoded.digest.replace(/.$/, "0") as typeof encoded.digest, {
        disputeId: 5n,
        stateDigest: encoded.digest,
      }),
    );
    expect(absent).to.be.instanceOf(BlobNotFoundError);
  });

  it("refuse bytes that do not hash to their address, even from a store that does not check", async function () {
    const blobs = new Map<string, Uint8Array>();
    const published = await putPreStateEnvelope(new MemoryBlobStore({ blobs }), 5n, state);
    const cid = cidFromDigest(published.envelopeDigest);
    blobs.get(cid)![100]! ^= 1;
    const error = await rejection(
      getPreStateEnvelope(lyingStore(blobs), published.envelopeDigest, {
        disputeId: 5n,
        stateDigest: encoded.digest,
      }),
    );
    expect(error.message).to.match(/does not hash to its address/);
  });

  it("reject malformed envelopes, and states too large to envelope, with an error naming the problem", function () {
    const good = encodePreStateEnvelope(9n, encoded.bytes);
    const edit = (f: (b: Uint8Array) => void): Uint8Array => {
      const b = good.slice();
      f(b);
      return b;
    };
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, PRESTATE_ENVELOPE_HEADER_BYTES), /holds no state after the 40-byte header/],
      [encoded.bytes, /does not start with "ASPE"/],
      [edit((b) => (b[4] = 2)), /version 2 is not 1/],
      [new Uint8Array(MAX_PRESTATE_ENVELOPE_BYTES + 1), /over the limit/],
    ];
    for (const [bytes, message] of cases)
      expect(() => decodePreStateEnvelope(bytes)).to.throw(PreStateEnvelopeError, message);
    const largest = MAX_PRESTATE_ENVELOPE_BYTES - PRESTATE_ENVELOPE_HEADER_BYTES;
    expect(encodePreStateEnvelope(1n, new Uint8Array(largest)).length).to.equal(
      MAX_PRESTATE_ENVELOPE_BYTES,
    );
    expect(() => encodePreStateEnvelope(1n, new Uint8Array(largest + 1))).to.throw(
      PreStateEnvelopeError,
      /over the limit/,
    );
    expect(() => encodePreStateEnvelope(-1n, encoded.bytes)).to.throw(/not a uint256/);
    expect(sha256Hex(good)).to.not.equal(encoded.digest);
  });
});
