// The verifier's whole-trace checks and its choice of dispute (verifier/trace-checks.ts), off
// chain: the order of evidence, the frauds a trace proves by itself, and the norm-check sample.
import { expect } from "chai";
import type { Hex } from "viem";

import { leafOf, type CheckpointRecord } from "../../../src/checkpoint/trace.ts";
import type { NormCheck } from "../../../src/training/reexecute.ts";
import { train } from "../../../src/training/trainer.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import {
  verifiableJob,
  type SegmentResult,
  type VerifiableJob,
} from "../../../verifier/segment-check.ts";
import {
  checkNorms,
  chooseDispute,
  findFraud,
  normSegments,
} from "../../../verifier/trace-checks.ts";
import { smallJob, type SmallJob } from "../engine/helpers/fixtures.ts";

const A: Hex = `0x${"aa".repeat(32)}`;
const B: Hex = `0x${"bb".repeat(32)}`;

function result(segment: number, fault?: SegmentResult["fault"], digests: [Hex, Hex] = [A, A]) {
  return {
    segment,
    ok: fault === undefined,
    failing: segment,
    claimedDigest: digests[0],
    recomputedDigest: digests[1],
    startedFrom: segment - 1,
    steps: 10,
    ...(fault === undefined ? {} : { fault }),
  } satisfies SegmentResult;
}

describe("verifier trace checks", function () {
  describe("chooseDispute: strongest evidence first", function () {
    it("a state fault beats a claim, a claim beats availability, availability beats nothing", function () {
      const claim = result(2, "claim");
      const state = result(5, "state", [A, B]);
      const unavailable = result(1, "availability");
      expect(chooseDispute([unavailable, claim, state], [], undefined)).to.deep.equal({
        kind: "State",
        segment: 5,
      });
      expect(chooseDispute([unavailable, claim], [], undefined)).to.deep.equal({
        kind: "Claims",
        segment: 2,
      });
      expect(chooseDispute([unavailable, result(3)], [], undefined)).to.deep.equal({
        kind: "Availability",
        segment: 1,
      });
      expect(chooseDispute([result(1), result(3)], [], undefined)).to.equal(undefined);
    });

    it("a tolerance re-execution whose digest differs from the committed one is no state dispute by itself", function () {
      // Another machine's runtime: digests differ, the state is within the thresholds, the norm is false.
      const falseNorm = result(4, "claim", [A, B]);
      expect(chooseDispute([result(1, undefined, [A, B]), falseNorm], [], undefined)).to.deep.equal(
        { kind: "Claims", segment: 4 },
      );
    });

    it("the norm check's findings count, and a manifest that cannot be used is an availability dispute on the first audited segment", function () {
      const norms: NormCheck[] = [
        { segment: 6, ok: true },
        { segment: 7, ok: false, fault: "claim" },
      ];
      expect(chooseDispute([result(2)], norms, undefined)).to.deep.equal({
        kind: "Claims",
        segment: 7,
      });
      expect(chooseDispute([result(2), result(4)], [], "not published")).to.deep.equal({
        kind: "Availability",
        segment: 2,
      });
    });
  });

  describe("on a real trace", function () {
    let small: SmallJob;
    let records: CheckpointRecord[];
    let store: MemoryBlobStore;
    let v: VerifiableJob;

    before(async function () {
      small = await smallJob("exact", { totalSteps: 40, checkpointInterval: 10 });
      store = new MemoryBlobStore();
      records = (await train(small.job, { store, start: small.initialState })).records;
      v = verifiableJob(small, records);
    });

    it("checkNorms passes an honest trace and names a false norm", async function () {
      expect((await checkNorms(v, store, [1, 2, 3, 4])).every((c) => c.ok)).to.equal(true);
      const lying = records.map((r, i) => (i === 3 ? { ...r, updateNorm: 1n } : r));
      const checks = await checkNorms({ ...v, records: lying }, store, [1, 2, 3, 4]);
      expect(checks.filter((c) => !c.ok).map((c) => [c.segment, c.fault])).to.deep.equal([
        [3, "claim"],
      ]);
    });

    it("findFraud: a smallest-norm top-Q claim and a final digest other than the last leaf are proven; an honest claim is not", function () {
      const leaves = records.slice(1).map(leafOf);
      const byNorm = [...leaves].sort((a, b) => (a.updateNorm < b.updateNorm ? -1 : 1));
      const claims = (top: bigint) => ({
        topQ: 1,
        topAbove: 0,
        minTopNorm: top,
        finalDigest: records.at(-1)!.stateDigest,
      });
      expect(findFraud(v, claims(byNorm.at(-1)!.updateNorm))).to.equal(undefined);
      const fraud = findFraud(v, claims(byNorm[0]!.updateNorm));
      expect(fraud?.kind).to.equal("topQ");
      expect(fraud?.kind === "topQ" && fraud.leaves.length).to.equal(1);
      expect(findFraud(v, { ...claims(byNorm.at(-1)!.updateNorm), finalDigest: A })?.kind).to.equal(
        "finalDigest",
      );
      expect(findFraud({ ...v, manifestProblem: "gone" }, claims(0n))).to.equal(undefined);
    });

    it("normSegments: every segment at 1, none at 0, round(f·n) drawn per checker otherwise", function () {
      expect(normSegments(v, 1, "0xabc")).to.deep.equal([1, 2, 3, 4]);
      expect(normSegments(v, 0, "0xabc")).to.deep.equal([]);
      const half = normSegments(v, 0.5, "0xabc");
      expect(half).to.have.length(2);
      expect(normSegments(v, 0.5, "0xABC")).to.deep.equal(half);
    });
  });
});
