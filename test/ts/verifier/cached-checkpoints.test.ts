// Checkpoints are judged on what the store serves now, never on a copy a worker cached. A provider
// that serves its blobs while verifiers audit and withholds them afterwards must meet the same
// verdict from a referee (or auditor) whose worker read them before as from one without the copy:
// a Claims dispute whose start is unavailable → Challenger (availability is the provider's
// burden), a tolerance State dispute likewise, and an audited segment → an availability fault.
// (Found by an attack review: only Availability disputes looked past the cache.)
import { expect } from "chai";

import type { CheckpointRecord } from "../../../src/checkpoint/trace.ts";
import { train } from "../../../src/training/trainer.ts";
import { CachingBlobStore } from "../../../src/store/caching-store.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import { adjudicate, checkSegment, verifiableJob } from "../../../verifier/segment-check.ts";
import { smallJob, type SmallJob } from "../engine/helpers/fixtures.ts";
import { question } from "./questions.ts";

for (const numerics of ["exact", "tolerance"] as const) {
  describe(`checkpoints judged past the worker cache, ${numerics} numerics`, function () {
    this.timeout(60_000);
    const k = 10;
    let small: SmallJob;
    let honest: CheckpointRecord[];
    let blobs: Map<string, Uint8Array>;

    before(async function () {
      small = await smallJob(numerics, { totalSteps: 40, checkpointInterval: k });
      blobs = new Map();
      honest = (
        await train(small.job, { store: new MemoryBlobStore({ blobs }), start: small.initialState })
      ).records;
    });

    /** The store after the provider withholds checkpoint 2, and a worker cache that read it before. */
    async function withheldAfterCaching(): Promise<{
      store: MemoryBlobStore;
      cache: CachingBlobStore;
    }> {
      const withheld = new Map(blobs);
      const store = new MemoryBlobStore({ blobs: withheld });
      const cache = new CachingBlobStore(store);
      for (const index of [2, 3]) await cache.get(honest[index]!.cid); // audited earlier
      withheld.delete(honest[2]!.cid);
      return { store, cache };
    }

    it("claims dispute: the start withheld after the referee's worker cached it → Challenger, as for a referee without the copy", async function () {
      const { store, cache } = await withheldAfterCaching();
      const v = verifiableJob(small, honest);
      const q = question("Claims", honest, 3, k);
      expect((await adjudicate(v, store, q)).vote, "referee without the copy").to.equal(
        "Challenger",
      );
      expect((await adjudicate(v, cache, q)).vote, "referee with the copy").to.equal("Challenger");
    });

    if (numerics === "tolerance")
      it("tolerance state dispute: the start withheld after caching → Challenger, as for a referee without the copy", async function () {
        const { store, cache } = await withheldAfterCaching();
        const v = verifiableJob(small, honest);
        const q = question("State", honest, 3, k);
        expect((await adjudicate(v, store, q)).vote, "referee without the copy").to.equal(
          "Challenger",
        );
        expect((await adjudicate(v, cache, q)).vote, "referee with the copy").to.equal(
          "Challenger",
        );
      });

    it("audit: a segment whose start was withheld after the worker cached it is an availability fault", async function () {
      const { store, cache } = await withheldAfterCaching();
      const v = verifiableJob(small, honest);
      expect((await checkSegment(v, store, 3)).fault, "worker without the copy").to.equal(
        "availability",
      );
      expect((await checkSegment(v, cache, 3)).fault, "worker with the copy").to.equal(
        "availability",
      );
    });
  });
}
