// Benchmark of the learning engine (npm run bench:engine): step rate of the 784-256-10
// MNIST MLP at batch 64 on one thread in both numerics, sha-256 throughput, and the
// checkpoint overhead (serialize + hash + store, plus the leaf's norm and loss fields)
// as a fraction of training time at k = 10 and k = 100. Prints the figures and writes
// bench-results/engine.json.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";

import { putState } from "../src/checkpoint/checkpoint-store.ts";
import { encodeLossBits, encodeUpdateNorm } from "../src/checkpoint/update-norm.ts";
import { assembleBatch, batchIndices } from "../src/data/batch-schedule.ts";
import { loadMnist } from "../src/data/mnist.ts";
import { evaluateAccuracy } from "../src/training/evaluate.ts";
import { buildExactMlpProgram } from "../src/engine/exact-mlp-program.ts";
import { buildFloatMlpProgram } from "../src/engine/float-mlp-program.ts";
import { loadProgram } from "../src/engine/program-loader.ts";
import { openStepSession, type Batch, type StepSession } from "../src/engine/runtime.ts";
import { calibrateTolerance } from "../src/training/calibration.ts";
import { train as trainJob, type TrainTimings, type TrainingJob } from "../src/training/trainer.ts";
import { initialState, type TrainingState } from "../src/engine/training-state.ts";
import { sha256Bytes } from "../src/protocol/cid.ts";
import { FsBlobStore } from "../src/store/fs-store.ts";

const loadAtStart = loadavg()[0]!;
const WARMUP = 50;
const ROUNDS = 11;
const STEPS_PER_ROUND = 100;
const CHECKPOINTS = 30;

const shape = {
  layers: [784, 256, 10],
  batchSize: 64,
  optimizer: { kind: "sgd", learningRate: 0.1, momentum: 0.9 },
} as const;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeSteps(
  session: StepSession,
  state: TrainingState,
  batches: Batch[],
  steps: number,
): Promise<{ ms: number; cpuMs: number; state: TrainingState; loss: number | bigint }> {
  let loss: number | bigint = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    const out = await session.step(state, batches[i % batches.length]!);
    state = out.state;
    loss = out.loss;
  }
  const used = process.cpuUsage(cpu);
  return {
    ms: (performance.now() - start) / steps,
    // CPU time of the whole process (ORT runs the step on a worker thread): robust to
    // other processes competing for the cores, unlike wall-clock time.
    cpuMs: (used.user + used.system) / 1000 / steps,
    state,
    loss,
  };
}

const { train } = loadMnist();
const seed = `0x${"be".repeat(32)}` as const;
const root = `0x${"ef".repeat(32)}` as const;
const batches = Array.from({ length: 64 }, (_, t) =>
  assembleBatch(train, batchIndices(root, seed, 1n, t, 64, train.count)),
);

const modes = {
  float: loadProgram(buildFloatMlpProgram(shape).bytes),
  int: loadProgram(buildExactMlpProgram(shape).bytes),
};
const sessions = {
  float: await openStepSession(modes.float),
  int: await openStepSession(modes.int),
};
const states: Record<"float" | "int", TrainingState> = {
  float: initialState(modes.float.info, "bench"),
  int: initialState(modes.int.info, "bench"),
};
const losses: Record<"float" | "int", number | bigint> = { float: 0, int: 0n };
for (const mode of ["float", "int"] as const)
  states[mode] = (await timeSteps(sessions[mode], states[mode], batches, WARMUP)).state;

// Alternate rounds so that load from other processes hits both modes alike. The machine
// is shared (load is recorded below): the headline is the best round of each mode, the
// usual estimator of what the code costs when it has a core; medians are in details.
const rounds: Record<"float" | "int", number[]> = { float: [], int: [] };
const cpuRounds: Record<"float" | "int", number[]> = { float: [], int: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of ["float", "int"] as const) {
    const out = await timeSteps(sessions[mode], states[mode], batches, STEPS_PER_ROUND);
    rounds[mode].push(out.ms);
    cpuRounds[mode].push(out.cpuMs);
    states[mode] = out.state;
    losses[mode] = out.loss;
  }
}
const floatStepMs = Math.min(...rounds.float);
const intStepMs = Math.min(...rounds.int);

// sha-256 throughput over a 32 MiB buffer.
const buffer = new Uint8Array(32 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
const hashStart = performance.now();
for (let i = 0; i < 4; i++) sha256Bytes(buffer);
const sha256MBps = (4 * buffer.length) / 1e6 / ((performance.now() - hashStart) / 1000);

// Checkpoint cost, two ways, against a durable fs store (fsync on every blob):
// (1) in isolation, per checkpoint, everything awaited: serialize + sha-256 + the store's
//     own hashing, write and fsync + update norm + loss bits;
// (2) inside train() at k = 10 and k = 100, where the write and fsync overlap the next
//     steps (below). The headline overheads are (2).
const dir = await mkdtemp(path.join(tmpdir(), "assay-bench-"));
const store = new FsBlobStore({ root: dir, durable: true });
const checkpointMs: Record<"float" | "int", number> = { float: 0, int: 0 };
let stateBytes = 0;
for (const mode of ["float", "int"] as const) {
  const info = modes[mode].info;
  const times: number[] = [];
  let previous = states[mode];
  for (let c = 0; c < CHECKPOINTS; c++) {
    // A distinct state each time (the store deduplicates equal blobs).
    const state = { ...states[mode], step: states[mode].step + 1 + c };
    const start = performance.now();
    const encoded = await putState(store, state);
    encodeLossBits(info, losses[mode]);
    encodeUpdateNorm(info, previous, state);
    times.push(performance.now() - start);
    stateBytes = encoded.bytes.length;
    previous = state;
  }
  checkpointMs[mode] = median(times);
}

// End to end: train() records where its wall-clock time went (steps, the checkpoint
// work on the main thread, and any wait for a write that had not finished), so the
// overhead is measured inside one run, with steps and checkpoints under the same load.
const T = 1000;
const dataset = { ...train, ref: { root, shards: [], sampleCount: train.count } };
const endToEnd: Record<"float" | "int", Record<string, TrainTimings>> = { float: {}, int: {} };
let run = 0;
for (const mode of ["float", "int"] as const) {
  for (const k of [10, 100]) {
    // A fresh seed per run: equal states would be deduplicated by the store.
    const job: TrainingJob = {
      jobId: 1n,
      specHash: `0x${"00".repeat(32)}`,
      program: modes[mode],
      dataset,
      seed: `0x${(run++).toString(16).padStart(64, "0")}`,
      totalSteps: T,
      checkpointInterval: k,
    };
    const result = await trainJob(job, {
      store,
      start: initialState(modes[mode].info, `e2e-${run}`),
      session: sessions[mode],
    });
    endToEnd[mode][`k${k}`] = result.timings;
  }
}
await rm(dir, { recursive: true, force: true });
const e2eOverhead = (mode: "float" | "int", k: number): number => {
  const t = endToEnd[mode][`k${k}`]!;
  return (t.checkpointMs + t.storeWaitMs) / t.stepMs;
};

// Calibration of a tolerance job's thresholds (src/training/calibration.ts) over every legitimate
// runtime setting, from the trained float state above: one 100-step segment.
const calibration: Record<string, unknown> = {};
{
  const job: TrainingJob = {
    jobId: 1n,
    specHash: `0x${"00".repeat(32)}`,
    program: modes.float,
    dataset,
    seed,
    totalSteps: states.float.step + 100,
    checkpointInterval: 100,
  };
  const { report } = await calibrateTolerance(job, states.float, { segments: 1 });
  calibration.float = {
    settings: report.settings.length,
    identicalSettings: report.identicalSettings.length,
    maxHonestDifference: report.maxHonestDifference,
    ratio: report.ratio,
    tensors: report.tensors.map((t) => ({
      name: t.name,
      maxAbsDifference: t.maxAbsDifference,
      rtol: t.rtol,
      atol: t.atol,
      floored: t.floored,
    })),
  };
}

for (const s of Object.values(sessions)) await s.close();

// MNIST held-out accuracy after a longer run, both numerics (the same batch schedule).
const MNIST_STEPS = [300, 1000, 2000];
const { test } = loadMnist();
const mnist: Record<"float" | "int", Record<string, number>> = { float: {}, int: {} };
for (const mode of ["float", "int"] as const) {
  const session = await openStepSession(modes[mode]);
  let state = initialState(modes[mode].info, "mnist");
  for (let t = 0; t < MNIST_STEPS.at(-1)!; t++) {
    state = (
      await session.step(
        state,
        assembleBatch(train, batchIndices(root, seed, 1n, t, 64, train.count)),
      )
    ).state;
    if (MNIST_STEPS.includes(t + 1))
      mnist[mode][`steps${t + 1}`] = (
        await evaluateAccuracy(modes[mode].info, state, test)
      ).accuracy;
  }
  await session.close();
}

const isolatedOverhead = (mode: "float" | "int", k: number): number =>
  checkpointMs[mode] / (k * (mode === "float" ? floatStepMs : intStepMs));
const round = (x: number, digits = 4): number => Number(x.toFixed(digits));

const result = {
  floatStepsPerSec: round(1000 / floatStepMs, 1),
  intStepsPerSec: round(1000 / intStepMs, 1),
  intOverFloat: round(intStepMs / floatStepMs, 3),
  sha256MBps: round(sha256MBps, 1),
  // End-to-end, float (the faster step, so the larger fraction); int alongside in details.
  overheadK10: round(e2eOverhead("float", 10)),
  overheadK100: round(e2eOverhead("float", 100)),
  details: {
    model: "MLP 784-256-10, batch 64, SGD momentum, MNIST batches",
    runtime: "onnxruntime-node 1.30, CPU, 1 intra-op thread, optimizations disabled, sequential",
    floatStepMs: round(floatStepMs, 3),
    intStepMs: round(intStepMs, 3),
    medianStepMs: { float: round(median(rounds.float), 3), int: round(median(rounds.int), 3) },
    medianPairedIntOverFloat: round(median(rounds.int.map((x, i) => x / rounds.float[i]!)), 3),
    cpuStepMs: { float: round(median(cpuRounds.float), 3), int: round(median(cpuRounds.int), 3) },
    roundsMs: {
      float: rounds.float.map((x) => round(x, 3)),
      int: rounds.int.map((x) => round(x, 3)),
    },
    stateBytes,
    checkpointMs: { float: round(checkpointMs.float, 3), int: round(checkpointMs.int, 3) },
    checkpointIncludes:
      "serialize + sha-256 + FsBlobStore.put (durable, fsync) + update norm + loss bits",
    intOverheadK10: round(e2eOverhead("int", 10)),
    intOverheadK100: round(e2eOverhead("int", 100)),
    trainTimingsMs: Object.fromEntries(
      (["float", "int"] as const).map((m) => [
        m,
        Object.fromEntries(
          Object.entries(endToEnd[m]).map(([k, t]) => [
            k,
            {
              steps: t.steps,
              stepMs: round(t.stepMs, 1),
              checkpoints: t.checkpoints,
              checkpointMs: round(t.checkpointMs, 1),
              storeWaitMs: round(t.storeWaitMs, 1),
            },
          ]),
        ),
      ]),
    ),
    isolatedCheckpointOverhead: {
      floatK10: round(isolatedOverhead("float", 10)),
      floatK100: round(isolatedOverhead("float", 100)),
      intK10: round(isolatedOverhead("int", 10)),
      intK100: round(isolatedOverhead("int", 100)),
    },
    calibration100Steps: calibration,
    mnistHeldOutAccuracy: mnist,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    loadAverage1m: { atStart: round(loadAtStart, 2), atEnd: round(loadavg()[0]!, 2) },
    measuredAt: new Date().toISOString(),
  },
};

console.log(JSON.stringify(result, null, 2));
const outDir = path.join(import.meta.dirname, "..", "bench-results");
await mkdir(outDir, { recursive: true });
await writeFile(path.join(outDir, "engine.json"), `${JSON.stringify(result, null, 2)}\n`);
