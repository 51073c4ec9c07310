import { expect } from "chai";

import { putState } from "../../../src/checkpoint/checkpoint-store.ts";
import type { CheckpointRecord } from "../../../src/checkpoint/trace.ts";
import { RuntimeError, StateError, TrainingError } from "../../../src/engine/errors.ts";
import { reexecute, type Segment } from "../../../src/training/reexecute.ts";
import {
  calibrateTolerance,
  legitimateRuntimeSettings,
} from "../../../src/training/calibration.ts";
import { openStepSession, type EngineLogger } from "../../../src/engine/runtime.ts";
import {
  digestsBetween,
  stateAt,
  train,
  type TrainProgress,
} from "../../../src/training/trainer.ts";
import { stateDigest } from "../../../src/checkpoint/state-codec.ts";
import { batchForStep } from "../../../src/data/batch-schedule.ts";
import type { TrainingState } from "../../../src/engine/training-state.ts";
import { smallJob } from "./helpers/fixtures.ts";

function segment(records: readonly CheckpointRecord[], index: number): Segment {
  return { index, start: records[index - 1]!, end: records[index]! };
}

function capturingLogger(): EngineLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(m) };
}

describe("training, replay and re-execution", function () {
  it("train stores a checkpoint every k steps, reports progress and returns the trace", async function () {
    const { job, initialState, store } = await smallJob("exact");
    const progress: TrainProgress[] = [];
    const result = await train(job, {
      store,
      start: initialState,
      onProgress: (p) => progress.push(p),
    });
    expect(progress.map((p) => p.step)).to.deep.equal(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(progress.filter((p) => p.checkpoint).map((p) => p.step)).to.deep.equal([
      4, 8, 12, 16, 20, 24,
    ]);
    expect(result.records.map((r) => r.step)).to.deep.equal([0, 4, 8, 12, 16, 20, 24]);
    expect(result.state.step).to.equal(24);
    expect(result.timings).to.include({ steps: 24, checkpoints: 6 });
    expect(result.timings.stepMs).to.be.greaterThan(0);
    for (const r of result.records) expect(await store.has(r.cid)).to.equal(true);
    expect(result.trace!.finalDigest).to.equal(stateDigest(result.state));
    expect(await store.has(result.trace!.manifestCid)).to.equal(true);
    // Training changed something and the loss went down on this separable data.
    const losses = progress.map((p) => Number(p.loss as bigint) / 2 ** 16);
    expect(losses.slice(-4).reduce((a, b) => a + b)).to.be.below(
      losses.slice(0, 4).reduce((a, b) => a + b),
    );
  });

  it("resuming from a checkpoint gives the same records and root as one straight run", async function () {
    const { job, initialState, store } = await smallJob("tolerance");
    const straight = await train(job, { store, start: initialState });
    const half = await train(job, { store, start: initialState, toStep: 12 });
    expect(half.trace).to.equal(undefined);
    const rest = await train(job, { store, start: half.state, records: half.records });
    expect(rest.records).to.deep.equal(straight.records);
    expect(rest.trace!.root).to.equal(straight.trace!.root);
  });

  it("fails training when a checkpoint cannot be stored", async function () {
    const { job, initialState, store } = await smallJob("exact");
    let puts = 0;
    const flaky = {
      ...store,
      has: (cid: string) => store.has(cid),
      get: (cid: string) => store.get(cid),
      size: (cid: string) => store.size(cid),
      put: async (bytes: Uint8Array) => {
        puts += 1;
        if (puts === 3) throw new Error("disk full");
        return store.put(bytes);
      },
    };
    await train(job, { store: flaky, start: initialState }).then(
      () => expect.fail("accepted"),
      (e: unknown) => {
        expect(e).to.be.instanceOf(TrainingError);
        expect((e as Error).message).to.match(/storing a checkpoint failed/);
        expect(((e as Error).cause as Error).message).to.equal("disk full");
      },
    );
  });

  it("rejects training requests that contradict the checkpoint schedule", async function () {
    const { job, initialState, store } = await smallJob("exact");
    const off: TrainingState = { ...initialState, step: 3 };
    await train(job, { store, start: off }).then(
      () => expect.fail("accepted"),
      (e: unknown) => expect((e as Error).message).to.match(/must start at a checkpoint; step 3/),
    );
    await train(job, { store, start: initialState, toStep: 10 }).then(
      () => expect.fail("accepted"),
      (e: unknown) => {
        expect(e).to.be.instanceOf(TrainingError);
        expect((e as Error).message).to.match(/toStep 10 must be a multiple of 4/);
      },
    );
  });

  it("stateAt and digestsBetween recompute any step from the nearest checkpoint", async function () {
    const { job, initialState, store } = await smallJob("exact");
    const digests: string[] = [];
    let state = initialState;
    const session = await openStepSession(job.program);
    for (let t = 0; t < 24; t++) {
      state = (await session.step(state, batchForStep(job.dataset, job.seed, job.jobId, t, 8)))
        .state;
      digests.push(stateDigest(state));
    }
    await session.close();
    const { records } = await train(job, { store, start: initialState });
    const at10 = await stateAt(job, { store, records }, 10);
    expect(at10.step).to.equal(10);
    expect(stateDigest(at10)).to.equal(digests[9]);
    const range = await digestsBetween(job, { store, records }, 7, 13);
    expect(range.map((d) => d.step)).to.deep.equal([7, 8, 9, 10, 11, 12, 13]);
    expect(range.map((d) => d.digest)).to.deep.equal(digests.slice(6, 13));
    expect(range[1]!.digest).to.equal(records[2]!.stateDigest);
  });

  it("exact re-execution accepts an honest segment and catches a fabricated checkpoint", async function () {
    const { job, initialState, store } = await smallJob("exact");
    const { records } = await train(job, { store, start: initialState });
    const honest = await reexecute(job, segment(records, 3), { store });
    expect(honest).to.include({ ok: true, stateOk: true, lossOk: true, normOk: true });
    expect(honest.recomputedDigest).to.equal(records[3]!.stateDigest);

    // A provider that skipped the last step of segment 3 and committed that state.
    const lazy = await stateAt(job, { store, records }, 11);
    const forged = await putState(store, { ...lazy, step: 12 });
    const cheat = await reexecute(
      job,
      segment(
        [...records.slice(0, 3), { ...records[3]!, cid: forged.cid, stateDigest: forged.digest }],
        3,
      ),
      {
        store,
      },
    );
    expect(cheat).to.include({ ok: false, fault: "state" });
    expect(cheat.recomputedDigest).to.equal(records[3]!.stateDigest);
  });

  it("tolerance re-execution holds the whole state, element by element, to the calibrated thresholds", async function () {
    const { job, spec, initialState, store } = await smallJob("tolerance");
    const tolerance = spec.tolerance!;
    const { records } = await train(job, { store, start: initialState });
    const honest = await reexecute(job, segment(records, 2), { store, tolerance });
    expect(honest).to.include({ ok: true, ratio: 0 }); // same runtime settings: same bits
    // Every legitimate runtime setting passes.
    for (const setting of legitimateRuntimeSettings()) {
      const other = await reexecute(job, segment(records, 2), {
        store,
        tolerance,
        runtime: setting.options,
      });
      expect(other.ok, setting.label).to.equal(true);
      expect(other.ratio!, setting.label).to.be.at.most(1);
    }
    // A fabricated checkpoint: the segment's start state relabelled as its end.
    const start = (await stateAt(job, { store, records }, 4)) as TrainingState;
    const forged = await putState(store, { ...start, step: 8 });
    const cheat = await reexecute(
      job,
      segment(
        [records[0]!, records[1]!, { ...records[2]!, cid: forged.cid, stateDigest: forged.digest }],
        2,
      ),
      { store, tolerance },
    );
    expect(cheat).to.include({ ok: false, fault: "state" });
    expect(cheat.ratio!).to.be.greaterThan(1e3);
    await reexecute(job, segment(records, 2), { store }).then(
      () => expect.fail("accepted"),
      (e: unknown) => expect((e as Error).message).to.match(/needs the spec's thresholds/),
    );
  });

  it("calibration fits per-tensor thresholds F times the largest honest difference, never 0", async function () {
    const { job, initialState } = await smallJob("tolerance");
    const settings = legitimateRuntimeSettings();
    const { tolerance, report } = await calibrateTolerance(job, initialState, { settings });
    expect(report.settings).to.have.length(settings.length);
    expect(tolerance.tensors.map((t) => t.name)).to.deep.equal(
      job.program.info.state.map((t) => t.name),
    );
    for (const t of report.tensors) {
      expect(t.rtol).to.be.greaterThan(0);
      expect(t.atol).to.be.greaterThan(0);
      if (!t.floored) expect(t.rtol / t.maxRelativeDifference).to.be.closeTo(100, 1e-9);
    }
    // The reference setting itself is bit-identical to the reference.
    expect(report.identicalSettings).to.include("cpu/threads=1/opt=disabled");
    await calibrateTolerance((await smallJob("exact")).job, initialState).then(
      () => expect.fail("accepted"),
      (e: unknown) => expect((e as Error).message).to.match(/only tolerance/),
    );
  });

  it("falls back to the CPU with a log line when CUDA is not available", async function () {
    const { job, initialState } = await smallJob("tolerance");
    const logger = capturingLogger();
    const session = await openStepSession(job.program, { executionProviders: ["cuda"], logger });
    try {
      expect(session.executionProvider).to.equal("cpu");
      expect(logger.lines.join("\n")).to.match(
        /execution provider cuda is not available .*falling back to cpu/,
      );
      const out = await session.step(
        initialState,
        batchForStep(job.dataset, job.seed, job.jobId, 0, 8),
      );
      expect(out.state.step).to.equal(1);
    } finally {
      await session.close();
    }
    const exact = await smallJob("exact");
    const exactLogger = capturingLogger();
    const s2 = await openStepSession(exact.job.program, {
      executionProviders: ["cuda"],
      logger: exactLogger,
    });
    expect(s2.executionProvider).to.equal("cpu");
    expect(exactLogger.lines.join("\n")).to.match(
      /exact programs run on the cpu execution provider only/,
    );
    await s2.close();
  });

  it("rejects batches and states that do not fit the program", async function () {
    const { job, initialState } = await smallJob("exact");
    const session = await openStepSession(job.program);
    try {
      await session
        .step(initialState, { features: new Uint8Array(3), labels: new Int32Array(8) })
        .then(
          () => expect.fail("accepted"),
          (e: unknown) => expect(e).to.be.instanceOf(RuntimeError),
        );
      const wrong = { ...initialState, values: initialState.values.slice(1) };
      await session.step(wrong, { features: new Uint8Array(160), labels: new Int32Array(8) }).then(
        () => expect.fail("accepted"),
        (e: unknown) => {
          expect(e).to.be.instanceOf(StateError);
          expect((e as Error).message).to.match(/state has \d+ tensors, the program declares \d+/);
        },
      );
    } finally {
      await session.close();
    }
  });
});
