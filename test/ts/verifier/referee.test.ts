// The referee's verdicts in claims and availability disputes (verifier/segment-check.ts
// `adjudicate`), off chain: what a provider that lies about a leaf's claims, withholds a blob, or
// serves its blobs only once challenged would need the committee to get wrong.
import { expect } from "chai";

import type { CheckpointRecord } from "../../../src/checkpoint/trace.ts";
import { train } from "../../../src/training/trainer.ts";
import { float32LossBits, lossFromFloat32Bits } from "../../../src/protocol/leaf.ts";
import { attacksFor } from "../../../src/provider/attacks.ts";
import { CachingBlobStore } from "../../../src/store/caching-store.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import { adjudicate, verifiableJob } from "../../../verifier/segment-check.ts";
import { smallJob, type SmallJob } from "../engine/helpers/fixtures.ts";
import { question } from "./questions.ts";

/** A loss claim far from the true one, in the numerics' encoding. */
function madeUpLoss(numerics: "exact" | "tolerance", bits: bigint): bigint {
  return numerics === "exact"
    ? bits + 1_000_000n
    : float32LossBits(lossFromFloat32Bits(bits) * 2 + 1);
}

for (const numerics of ["exact", "tolerance"] as const) {
  describe(`referee verdicts in claims and availability disputes, ${numerics} numerics`, function () {
    let small: SmallJob;
    let honest: CheckpointRecord[];
    let blobs: Map<string, Uint8Array>;
    let store: MemoryBlobStore;
    const k = 10;

    before(async function () {
      small = await smallJob(numerics, { totalSteps: 40, checkpointInterval: k });
      blobs = new Map();
      store = new MemoryBlobStore({ blobs });
      honest = (await train(small.job, { store, start: small.initialState })).records;
    });

    it("claims: true claims → Provider; an understated norm or a made-up loss → Challenger", async function () {
      const v = verifiableJob(small, honest);
      const vote = async (claims?: { lossBits: bigint; updateNorm: bigint }) =>
        (await adjudicate(v, store, question("Claims", honest, 2, k, claims))).vote;
      expect(await vote()).to.equal("Provider");
      expect(await vote({ lossBits: honest[2]!.lossBits, updateNorm: 1n })).to.equal("Challenger");
      expect(
        await vote({
          lossBits: madeUpLoss(numerics, honest[2]!.lossBits),
          updateNorm: honest[2]!.updateNorm,
        }),
      ).to.equal("Challenger");
    });

    it("availability: everything served and sound → Provider; a checkpoint or the manifest missing → Challenger", async function () {
      const q = question("Availability", honest, 3, k);
      expect((await adjudicate(verifiableJob(small, honest), store, q)).vote).to.equal("Provider");
      expect(
        (
          await adjudicate(
            verifiableJob(small, honest, { manifestProblem: "not published" }),
            store,
            q,
          )
        ).vote,
        "manifest withheld",
      ).to.equal("Challenger");
      for (const index of [2, 3]) {
        const without = new Map(blobs);
        without.delete(honest[index]!.cid);
        const partial = new MemoryBlobStore({ blobs: without });
        expect(
          (await adjudicate(verifiableJob(small, honest), partial, q)).vote,
          `checkpoint ${index} withheld`,
        ).to.equal("Challenger");
      }
    });

    it("availability: a referee that fetched the blobs before the provider withheld them still finds them unavailable (its cache is not the store)", async function () {
      const q = question("Availability", honest, 3, k);
      const withheld = new Map(blobs);
      const cache = new CachingBlobStore(new MemoryBlobStore({ blobs: withheld }));
      // The referee's worker read both checkpoints while auditing the job…
      for (const index of [2, 3]) await cache.get(honest[index]!.cid);
      // …and the provider withholds the segment's end once challenged.
      withheld.delete(honest[3]!.cid);
      expect((await adjudicate(verifiableJob(small, honest), cache, q)).vote).to.equal(
        "Challenger",
      );
    });

    it("availability: blobs served once challenged but showing a fabricated segment → Challenger (the committee judges the segment, not only the fetch)", async function () {
      const cheatStore = new MemoryBlobStore();
      const attack = attacksFor(numerics).find((a) => a.name === "interpolated-checkpoints")!;
      const trace = await attack.play({
        job: small.job,
        initialState: small.initialState,
        store: cheatStore,
      });
      const q = question("Availability", trace.records, 2, k);
      const verdict = await adjudicate(verifiableJob(small, trace.records), cheatStore, q);
      expect(verdict.vote).to.equal("Challenger");
    });
  });
}
