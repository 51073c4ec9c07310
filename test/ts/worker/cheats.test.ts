import { expect } from "chai";

import { train } from "../../../src/training/trainer.ts";
import { reexecute } from "../../../src/training/reexecute.ts";
import { getState } from "../../../src/checkpoint/checkpoint-store.ts";
import { decodeTraceManifest, type CheckpointRecord } from "../../../src/checkpoint/trace.ts";
import { chooseSegments, planCheat, type CheatInput } from "../../../src/provider/cheats.ts";
import { providerSegmentStates, trainSegments } from "../../../src/provider/segment-training.ts";
import { tamperStoredBlobs } from "../../../src/provider/tamper.ts";
import { FsBlobStore } from "../../../src/store/fs-store.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import { stateDigest } from "../../../src/checkpoint/state-codec.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { smallJob, type SmallJob } from "../engine/helpers/fixtures.ts";

// The provider's segment trainer and its cheats, re-executed with the engine: the honest plan
// commits what the engine's `train` commits, a resumed run commits what an uninterrupted one does,
// and every cheat fails re-execution in exactly the segments its plan names (T = 24, k = 4, n = 6).

async function failingSegments(
  small: SmallJob,
  store: MemoryBlobStore | FsBlobStore,
  records: readonly CheckpointRecord[],
): Promise<number[]> {
  const failing: number[] = [];
  for (let i = 1; i < records.length; i++) {
    const report = await reexecute(
      small.job,
      { index: i, start: records[i - 1]!, end: records[i]! },
      { store },
    );
    if (!report.ok) failing.push(i);
  }
  return failing;
}

describe("provider cheats and segment training", function () {
  let small: SmallJob;
  before(async function () {
    small = await smallJob("exact");
  });

  it("the honest plan commits exactly what the engine's train commits", async function () {
    const engine = await train(small.job, { store: small.store, start: small.initialState });
    const local = new MemoryBlobStore();
    const run = await trainSegments(small.job, {
      local,
      shared: small.store,
      plan: planCheat({ kind: "none" }, small.job),
      start: small.initialState,
    });
    expect(run.records).to.deep.equal(engine.records);
    expect(run.root).to.equal(engine.trace!.root);
    expect(run.manifestCid).to.equal(engine.trace!.manifestCid);
    expect(run.stepsRun).to.equal(24);
    // Both stores hold every checkpoint and the manifest.
    for (const r of run.records) expect(await local.has(r.cid)).to.equal(true);
    expect(decodeTraceManifest(await small.store.get(run.manifestCid)).root).to.equal(run.root);
  });

  it("a run resumed from checkpoint 3 commits what an uninterrupted run commits, running only the rest", async function () {
    const plan = planCheat({ kind: "fabricate", fraction: 0.34, seed: "resume" }, small.job);
    const local = new MemoryBlobStore();
    const whole = await trainSegments(small.job, { local, plan, start: small.initialState });
    const journaled = whole.records.slice(0, 4);
    const resumed = await trainSegments(small.job, {
      local,
      plan,
      start: await getState(local, journaled.at(-1)!.cid, small.job.program.info),
      records: journaled,
    });
    expect(resumed.records).to.deep.equal(whole.records);
    expect(resumed.root).to.equal(whole.root);
    expect(resumed.stepsRun).to.equal(
      [4, 5, 6].filter((i) => plan.segment(i).kind === "train").length * 4,
    );
  });

  const cheats: [string, CheatInput][] = [
    ["none", { kind: "none" }],
    ["wrong-data-order", { kind: "wrong-data-order", fromStep: 9 }],
    ["fabricate", { kind: "fabricate", fraction: 0.5, seed: "unit" }],
    ["skip-steps", { kind: "skip-steps", fraction: 0.34, skip: 1, seed: "unit" }],
    ["replay", { kind: "replay", segments: [2, 6] }],
    ["tamper-blob", { kind: "tamper-blob", segment: 3 }],
    ["refuse-open", { kind: "refuse-open" }],
    ["withhold-manifest", { kind: "withhold-manifest" }],
    ["false-norm", { kind: "false-norm", segment: 4 }],
    ["false-top-q", { kind: "false-top-q" }],
  ];
  for (const [name, cheat] of cheats)
    it(`${name}: re-execution fails in exactly the segments the plan names`, async function () {
      const plan = planCheat(cheat, small.job);
      const store = new MemoryBlobStore();
      const run = await trainSegments(small.job, { local: store, plan, start: small.initialState });
      expect(await failingSegments(small, store, run.records)).to.deep.equal(plan.failing);
      // What only publication shows (refusing, withholding, a false top-Q claim) fails no segment.
      const publication = ["none", "refuse-open", "withhold-manifest", "false-top-q"];
      if (!publication.includes(cheat.kind)) expect(plan.failing).to.not.be.empty;
      // The trace is self-consistent: the manifest decodes and its root is the committed one.
      expect(decodeTraceManifest(await store.get(run.manifestCid)).root).to.equal(run.root);
      // The provider's dissection states end in its own committed checkpoints.
      for (const i of [1, 6]) {
        const states = await providerSegmentStates(small.job, store, run.records, plan.batches, i);
        expect(states).to.have.length(5);
        expect(stateDigest(states[0]!)).to.equal(run.records[i - 1]!.stateDigest);
        expect(stateDigest(states[4]!)).to.equal(run.records[i]!.stateDigest);
      }
    });

  it("fabricated segments are chosen by seed, round(f·n) of them, and the same seed gives the same ones", function () {
    expect(chooseSegments(20, 0.25, "a")).to.have.length(5);
    expect(chooseSegments(20, 0.25, "a")).to.deep.equal(chooseSegments(20, 0.25, "a"));
    expect(chooseSegments(20, 0.25, "a")).to.not.deep.equal(chooseSegments(20, 0.25, "b"));
    expect(chooseSegments(6, 0.01, "a")).to.have.length(1);
    expect(new Set(chooseSegments(6, 1, "a")).size).to.equal(6);
  });

  it("refuses a cheat that does not fit the job", function () {
    expect(() => planCheat({ kind: "replay", segments: [7] }, small.job)).to.throw(
      /past the job's 6/,
    );
    expect(() => planCheat({ kind: "skip-steps", fraction: 0.5, skip: 4 }, small.job)).to.throw(
      /below the checkpoint interval 4/,
    );
    expect(() => planCheat({ kind: "wrong-data-order", fromStep: 24 }, small.job)).to.throw(
      /past the job's 24 steps/,
    );
  });

  it("tamper-blob overwrites stored checkpoints so that the store refuses them", async function () {
    const dir = await mkdtemp(path.join(tmpdir(), "assay-tamper-"));
    try {
      const store = new FsBlobStore({ root: dir, durable: false });
      const plan = planCheat({ kind: "tamper-blob", segment: 3 }, small.job);
      const run = await trainSegments(small.job, { local: store, plan, start: small.initialState });
      const cids = [run.records[2]!.cid, run.records[3]!.cid];
      await tamperStoredBlobs(dir, cids);
      for (const cid of cids)
        await store.get(cid).then(
          () => expect.fail(`tampered ${cid} was served`),
          (e: unknown) => expect((e as Error).name).to.match(/Integrity/),
        );
      expect(await store.get(run.records[4]!.cid)).to.have.length.greaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
