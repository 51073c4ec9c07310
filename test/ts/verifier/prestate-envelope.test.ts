// The agreed pre-state of an exact state dispute, published by its challenger in an envelope
// (verifier/segment-check.ts publishPreState, src/checkpoint/prestate-envelope.ts) and named on chain
// (PreStatePublished): the committee recomputes the one disputed step from it while the provider
// withholds every checkpoint, and a bogus envelope (another dispute's, another state, not an
// envelope, too large, absent) is ignored: the referee reads the pre-state as it would without one
// and still votes right. One store stands for every party's (the HTTP backend: one shared store).
import { expect } from "chai";
import type { Hex } from "viem";

import {
  encodePreStateEnvelope,
  MAX_PRESTATE_ENVELOPE_BYTES,
} from "../../../src/checkpoint/prestate-envelope.ts";
import { encodeState } from "../../../src/checkpoint/state-codec.ts";
import type { CheckpointRecord } from "../../../src/checkpoint/trace.ts";
import { cidFromDigest, cidOf, digestFromCid } from "../../../src/protocol/cid.ts";
import type { BlobStore } from "../../../src/store/blob-store.ts";
import { StoreUnavailableError } from "../../../src/store/errors.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import { getState } from "../../../src/checkpoint/checkpoint-store.ts";
import { train } from "../../../src/training/trainer.ts";
import {
  adjudicate,
  ownSegmentDigests,
  publishPreState,
  verifiableJob,
  type RefereeQuestion,
  type VerifiableJob,
} from "../../../verifier/segment-check.ts";
import { smallJob, type SmallJob } from "../engine/helpers/fixtures.ts";

const DISPUTE = 7n;
const MADE_UP: Hex = `0x${"22".repeat(32)}`;

describe("exact state disputes: the challenger's pre-state envelope", function () {
  this.timeout(60_000);
  const k = 10;
  let small: SmallJob;
  let honest: CheckpointRecord[];
  let blobs: Map<string, Uint8Array>;
  let v: VerifiableJob;
  /** The true digests of segment 4, offsets 0..k. */
  let truth: Hex[];

  before(async function () {
    small = await smallJob("exact", { totalSteps: 40, checkpointInterval: k });
    blobs = new Map();
    const store = new MemoryBlobStore({ blobs });
    honest = (await train(small.job, { store, start: small.initialState })).records;
    v = verifiableJob(small, honest);
    truth = await ownSegmentDigests(v, store, 4);
  });

  /** The shared store once the provider withholds every checkpoint it committed (1..n). */
  function withholding(): { store: MemoryBlobStore; held: Map<string, Uint8Array> } {
    const held = new Map(blobs);
    for (const record of honest.slice(1)) held.delete(record.cid);
    return { store: new MemoryBlobStore({ blobs: held }), held };
  }

  /** Segment 4's step `step` disputed: the provider lies unless `providerRight`. */
  function stateQuestion(step: number, envelope?: Hex, providerRight = false): RefereeQuestion {
    return {
      kind: "State",
      segment: 4,
      step,
      preDigest: truth[step - 1]!,
      providerDigest: providerRight ? truth[step]! : MADE_UP,
      challengerDigest: providerRight ? MADE_UP : truth[step]!,
      disputeId: DISPUTE,
      ...(envelope === undefined ? {} : { preStateEnvelope: envelope }),
    };
  }

  /**
   * The challenger's store: it reads the provider's checkpoints (before they were withheld) and
   * writes only into `mine`.
   */
  function challengerStore(): { store: BlobStore; mine: Map<string, Uint8Array> } {
    const mine = new Map<string, Uint8Array>();
    const own = new MemoryBlobStore({ blobs: mine });
    const store: BlobStore = {
      put: (bytes) => own.put(bytes),
      get: async (cid) => (mine.has(cid) ? own.get(cid) : blobs.get(cid)!.slice()),
      has: async (cid) => mine.has(cid) || blobs.has(cid),
      size: async (cid) => (mine.get(cid) ?? blobs.get(cid))?.byteLength,
    };
    return { store, mine };
  }

  /** The challenger's publication for segment 4 at `offset`: its digests and the blobs it stored. */
  async function publish(offset: number, disputeId = DISPUTE) {
    const { store, mine } = challengerStore();
    const published = await publishPreState(v, store, disputeId, 4, offset);
    return { ...published, stored: mine };
  }

  it("publishes the envelope alone, never the bare pre-state (at a segment's first step: the provider's checkpoint)", async function () {
    const published = await publish(0);
    expect(published.stateDigest).to.equal(honest[3]!.stateDigest);
    expect([...published.stored.keys()]).to.deep.equal([cidFromDigest(published.envelopeDigest)]);
    expect(published.stored.has(honest[3]!.cid), "checkpoint 3 is not stored").to.equal(false);
  });

  for (const step of [1, 6])
    it(`the provider withholds every checkpoint: the committee recomputes step ${step} from the envelope alone and votes right`, async function () {
      const { store, held } = withholding();
      // The challenger recomputed it before the provider withheld the checkpoints.
      const published = await publish(step - 1);
      expect(published.stateDigest).to.equal(truth[step - 1]);
      for (const [cid, bytes] of published.stored) held.set(cid, bytes);
      const lying = await adjudicate(v, store, stateQuestion(step, published.envelopeDigest));
      expect(lying).to.deep.include({ vote: "Challenger", steps: 1 });
      const right = await adjudicate(v, store, stateQuestion(step, published.envelopeDigest, true));
      expect(right).to.deep.include({ vote: "Provider", steps: 1 });
      // Control: without the envelope the referee re-derives from checkpoint 0.
      const without = await adjudicate(v, store, stateQuestion(step));
      expect(without).to.deep.include({ vote: "Challenger", steps: 30 + step });
    });

  it("a referee whose question was read before the challenger named its envelope waits for it, rather than re-derive", async function () {
    const { store, held } = withholding();
    const published = await publish(5);
    for (const [cid, bytes] of published.stored) held.set(cid, bytes);
    // The committee was drawn first: the question names no envelope; the challenger names it while
    // the referee is at work.
    let asked = 0;
    const verdict = await adjudicate(v, store, stateQuestion(6), undefined, {
      awaitEnvelope: async () => {
        asked++;
        return published.envelopeDigest;
      },
    });
    expect(asked).to.equal(1);
    expect(verdict).to.deep.include({ vote: "Challenger", steps: 1 });
    // None came in time: it re-derives, as without the wait.
    const late = await adjudicate(v, store, stateQuestion(6), undefined, {
      awaitEnvelope: async () => undefined,
    });
    expect(late).to.deep.include({ vote: "Challenger", steps: 36 });
  });

  it("a referee holding a copy of the pre-state does not wait for an envelope", async function () {
    const verdict = await adjudicate(
      v,
      new MemoryBlobStore({ blobs }),
      stateQuestion(1),
      undefined,
      {
        awaitEnvelope: () => expect.fail("waited for an envelope while holding the pre-state"),
      },
    );
    expect(verdict).to.deep.include({ vote: "Challenger", steps: 1 });
  });

  it("a bogus envelope is ignored: the referee re-derives the pre-state and still votes right", async function () {
    const { store, held } = withholding();
    const put = (bytes: Uint8Array): Hex => {
      held.set(cidOf(bytes), bytes);
      return digestFromCid(cidOf(bytes));
    };
    const checkpoint2 = await getState(new MemoryBlobStore({ blobs }), honest[2]!.cid);
    const otherDispute = await publish(0, DISPUTE + 1n);
    for (const [cid, bytes] of otherDispute.stored) held.set(cid, bytes);
    const bogus: [string, Hex][] = [
      ["another dispute's envelope", otherDispute.envelopeDigest],
      [
        "an envelope for this dispute carrying another state (checkpoint 2)",
        put(encodePreStateEnvelope(DISPUTE, encodeState(checkpoint2).bytes)),
      ],
      ["a blob that is not an envelope (the program)", digestFromCid(small.spec.program.cid)],
      ["a blob over the envelope size limit", put(new Uint8Array(MAX_PRESTATE_ENVELOPE_BYTES + 1))],
      ["a digest nothing is stored under", `0x${"33".repeat(32)}`],
    ];
    for (const [what, envelope] of bogus) {
      const verdict = await adjudicate(v, store, stateQuestion(1, envelope));
      expect(verdict, what).to.deep.include({ vote: "Challenger", steps: 31 });
    }
  });

  it("a store outage while reading the envelope is retried, not taken for a bogus envelope", async function () {
    const { store } = withholding();
    const published = await publish(0);
    const down: BlobStore = {
      get: async (cid) => {
        throw new StoreUnavailableError(`store down while reading ${cid}`, 3);
      },
      put: (bytes) => store.put(bytes),
      has: (cid) => store.has(cid),
      size: (cid) => store.size(cid),
    };
    await adjudicate(v, down, stateQuestion(1, published.envelopeDigest)).then(
      () => expect.fail("voted through an outage"),
      (error: unknown) => expect(error).to.be.instanceOf(StoreUnavailableError),
    );
  });
});
