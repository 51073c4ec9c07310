// npm run bench:adversarial — every attack of src/provider/attacks.ts played on an MNIST job
// (MLP 784-64-10, batch 64, SGD 0.1 / 0.9, T = 200, k = 20, as in the report that found the v1
// rule spoofable) in both numerics, audited segment by segment through the real verifier code.
// Writes bench-results/adversarial.json:
//   attacks[]: savedFraction (1 − work done / honest work: steps computed, times the arithmetic
//              per step where the cheat is cheaper arithmetic), caught, check (the fault of the
//              first failing segment), failing (fraction f of segments that fail) and the chance
//              q = 4 random samples hit one; tolerance attacks also say how many segments the v1
//              rule (parameters only, normalized by the segment's movement, delta 0.01) passed.
//              `dispute` is what the verifier daemon opens over the findings (chooseDispute:
//              state, claims or availability; the norm check of every segment included).
//              Two provider strategies about what it publishes rather than what it computes are
//              played through the same decision: a manifest withheld (audited from the opened
//              leaves only) and a false top-Q claim (found by findFraud).
//   calibration: the job's calibrated thresholds, and honest runs under every legitimate runtime
//              setting audited with them (honestRejected must be 0).
//   normCheck: per numerics, what checking every segment's committed update norm from its two
//              checkpoint blobs costs per job on an honest trace: the distinct checkpoints (and
//              bytes) it needs, and the seconds it takes with the blobs in memory.
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";

import { getState } from "../src/checkpoint/checkpoint-store.ts";
import { paramDistance } from "../src/checkpoint/update-norm.ts";
import { loadMnist } from "../src/data/mnist.ts";
import { buildExactMlpProgram } from "../src/engine/exact-mlp-program.ts";
import { buildFloatMlpProgram } from "../src/engine/float-mlp-program.ts";
import { legitimateRuntimeSettings, type CalibrationReport } from "../src/training/calibration.ts";
import { loadJob, publishJob, type LoadedJob } from "../src/training/job.ts";
import { openStepSession } from "../src/engine/runtime.ts";
import { runSteps, train } from "../src/training/trainer.ts";
import { initialState, type TrainingState } from "../src/engine/training-state.ts";
import { JOB_SPEC_VERSION, type JobSpec } from "../src/protocol/job-spec.ts";
import { leafOf, type CheckpointRecord } from "../src/checkpoint/trace.ts";
import { sampleSegments } from "../src/protocol/sampler.ts";
import { topSegmentsByNorm } from "../src/protocol/opening.ts";
import { attacksFor } from "../src/provider/attacks.ts";
import { MemoryBlobStore } from "../src/store/memory-store.ts";
import { auditSegments, verifiableJob } from "../verifier/segment-check.ts";
import { checkNorms, chooseDispute, findFraud } from "../verifier/trace-checks.ts";

const T = 200;
const K = 20;
const N = T / K;
const Q = 4;
const LAYERS = [784, 64, 10];
const OPTIMIZER = { kind: "sgd", learningRate: 0.1, momentum: 0.9 } as const;

/** P(at least one of q segments drawn without replacement from n hits one of the f·n failing). */
function detection(failing: number, n: number, q: number): number {
  let miss = 1;
  for (let j = 0; j < q; j++) miss *= Math.max(0, n - failing - j) / (n - j);
  return 1 - miss;
}

async function setUp(
  numerics: "exact" | "tolerance",
): Promise<{ loaded: LoadedJob; store: MemoryBlobStore; calibration?: CalibrationReport }> {
  const program =
    numerics === "exact"
      ? buildExactMlpProgram({ layers: LAYERS, batchSize: 64, optimizer: OPTIMIZER })
      : buildFloatMlpProgram({ layers: LAYERS, batchSize: 64, optimizer: OPTIMIZER });
  const store = new MemoryBlobStore();
  let calibration: CalibrationReport | undefined;
  const rest: Omit<JobSpec, "program" | "dataset" | "tolerance"> = {
    version: JOB_SPEC_VERSION,
    seed: `0x${"42".repeat(32)}`,
    totalSteps: T,
    checkpointInterval: K,
    numerics,
    hyperParameters: {
      model: { kind: "mlp", layers: LAYERS },
      batchSize: 64,
      optimizer: OPTIMIZER,
    },
    verification: { samples: Q, topQ: 1, committeeSize: 3 },
    windows: { accept: 3600, train: 3600, open: 3600, challenge: 3600 },
  };
  const spec = await publishJob(store, {
    programBytes: program.bytes,
    initialState: initialState(program.info, "bench-adversarial"),
    samples: loadMnist().train,
    shardSize: 10_000,
    rest,
    calibration: {
      onReport: (report) => {
        calibration = report;
      },
    },
  });
  const loaded = await loadJob(store, spec, 1n);
  return { loaded, store, ...(calibration ? { calibration } : {}) };
}

const ALL_SEGMENTS = Array.from({ length: N }, (_, i) => i + 1);
/** The segments a job's seed would sample (a fixed seed: the bench's provider cannot choose it). */
const SAMPLED = sampleSegments(`0x${"5a".repeat(32)}`, BigInt(N), Q).map(Number);

/** Records 0..n as a verifier sees them without the manifest: the opened leaves only. */
function openedOnly(records: readonly CheckpointRecord[]): (CheckpointRecord | undefined)[] {
  const opened = new Set(SAMPLED.flatMap((i) => [i - 1, i]));
  return records.map((r, i) => (i === 0 || opened.has(i) ? r : undefined));
}

/** The strategies about what a provider publishes, played through the verifier's decision. */
async function publicationAttacks(
  loaded: LoadedJob,
  numerics: "exact" | "tolerance",
): Promise<unknown[]> {
  const rows: unknown[] = [];
  const store = new MemoryBlobStore();
  const { records } = await train(loaded.job, { store, start: loaded.initialState });
  const interpolated = attacksFor(numerics).find((a) => a.name === "interpolated-checkpoints")!;
  const cheatStore = new MemoryBlobStore();
  const cheat = await interpolated.play({
    job: loaded.job,
    initialState: loaded.initialState,
    store: cheatStore,
  });
  for (const [name, description, trace, where, saved] of [
    [
      "withheld-manifest",
      "an honest trace whose manifest is never published: audited from the opened leaves",
      records,
      store,
      0,
    ],
    [
      "withheld-manifest-fabricated",
      "interpolated checkpoints (10% trained) behind a withheld manifest",
      cheat.records,
      cheatStore,
      1 - cheat.stepsComputed / T,
    ],
  ] as const) {
    const v = verifiableJob(loaded, openedOnly(trace), { manifestProblem: "not published" });
    const results = await auditSegments(v, where, SAMPLED);
    const dispute = chooseDispute(results, [], v.manifestProblem)?.kind ?? null;
    const failed = results.filter((r) => !r.ok);
    rows.push({
      name,
      numerics,
      description,
      savedFraction: Number(saved.toFixed(4)),
      savedBasis: "steps",
      caught: dispute !== null,
      check: failed[0]?.fault ?? "availability",
      dispute,
      reason: failed[0]?.reason ?? "the trace manifest cannot be fetched",
    });
  }
  // The smallest-norm segments opened as the top-Q claim, as the contract would record it.
  const leaves = records.slice(1).map(leafOf);
  const claimed = topSegmentsByNorm(
    leaves.map((l) => ({ ...l, updateNorm: (1n << 64n) - 1n - l.updateNorm })),
    1,
  );
  const norms = claimed.map((i) => leaves[Number(i) - 1]!.updateNorm);
  const minTopNorm = norms.reduce((a, b) => (a < b ? a : b));
  const fraud = findFraud(verifiableJob(loaded, records), {
    topQ: 1,
    topAbove: norms.filter((x) => x > minTopNorm).length,
    minTopNorm,
    finalDigest: records.at(-1)!.stateDigest,
  });
  rows.push({
    name: "false-top-q",
    numerics,
    description: "an honest trace whose smallest-norm segment is opened as the top-Q claim",
    savedFraction: 0,
    savedBasis: "steps",
    caught: fraud !== undefined,
    check: fraud === undefined ? null : `fraud proof (${fraud.kind})`,
    dispute: null,
    reason:
      fraud === undefined
        ? null
        : `${fraud.kind === "topQ" ? fraud.leaves.length : 1} leaves prove it`,
  });
  return rows;
}

/** What checking every segment's committed norm from the blobs costs on an honest trace. */
async function normCheckCost(loaded: LoadedJob): Promise<Record<string, unknown>> {
  const store = new MemoryBlobStore();
  const { records } = await train(loaded.job, { store, start: loaded.initialState });
  let bytes = 0;
  for (const r of records) bytes += (await store.get(r.cid)).length;
  const started = performance.now();
  const checks = await checkNorms(verifiableJob(loaded, records), store, ALL_SEGMENTS);
  const seconds = (performance.now() - started) / 1000;
  return {
    segments: checks.length,
    failed: checks.filter((c) => !c.ok).length,
    // Distinct checkpoints the check needs (each interior one serves two segments).
    checkpointsNeeded: records.length,
    bytesNeeded: bytes,
    seconds: Number(seconds.toFixed(3)),
    msPerSegment: Number(((seconds * 1000) / checks.length).toFixed(2)),
  };
}

const attacks: unknown[] = [];
const normCheck: Record<string, unknown> = {};
let calibrationOut: Record<string, unknown> = {};
for (const numerics of ["exact", "tolerance"] as const) {
  const started = performance.now();
  const { loaded, calibration } = await setUp(numerics);
  console.log(`${numerics}: job set up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const attack of attacksFor(numerics)) {
    const blobs = new Map<string, Uint8Array>();
    const store = new MemoryBlobStore({ blobs });
    const trace = await attack.play({ job: loaded.job, initialState: loaded.initialState, store });
    for (const index of trace.withheld ?? []) blobs.delete(trace.records[index]!.cid);
    const v = verifiableJob(loaded, trace.records);
    const results = await auditSegments(v, store);
    const failed = results.filter((r) => !r.ok);
    const failingSegments = new Set(failed.map((r) => r.failing)).size;
    const norms = await checkNorms(v, store, ALL_SEGMENTS);
    const dispute = chooseDispute(results, norms, undefined)?.kind ?? null;
    const work = trace.stepsComputed * (trace.workPerStep ?? 1);
    let v1PassedSegments: number | undefined;
    if (numerics === "tolerance") {
      // The v1 rule, for contrast: ‖W' − W‖₂ / max(‖W − W₀‖₂, 1e-8) ≤ 0.01 over parameters.
      v1PassedSegments = 0;
      const info = loaded.job.program.info;
      for (let i = 1; i <= N; i++) {
        if (trace.withheld?.includes(i) || trace.withheld?.includes(i - 1)) continue;
        const start = await getState(store, trace.records[i - 1]!.cid, info);
        const claimed = await getState(store, trace.records[i]!.cid, info);
        // Re-executed from the attacker's start, as a verifier would.
        const recomputed = await reexecuteFrom(loaded, start);
        const distance =
          paramDistance(info, claimed, recomputed) /
          Math.max(paramDistance(info, start, claimed), 1e-8);
        if (distance <= 0.01) v1PassedSegments += 1;
      }
    }
    const row = {
      name: attack.name,
      numerics,
      description: attack.description,
      savedFraction: Number((1 - work / T).toFixed(4)),
      savedBasis: trace.workPerStep === undefined ? "steps" : "arithmetic per step (nominal)",
      caught: failed.length > 0,
      check: failed[0]?.fault ?? null,
      dispute,
      reason: failed[0]?.reason ?? null,
      failingFraction: failingSegments / N,
      detectionWithQ4: Number(detection(failingSegments, N, Q).toFixed(4)),
      ...(v1PassedSegments === undefined ? {} : { v1PassedSegments }),
    };
    attacks.push(row);
    console.log(
      `${numerics.padEnd(9)} ${attack.name.padEnd(26)} saved ${row.savedFraction.toFixed(2)}  caught ${String(row.caught).padEnd(5)} by ${String(row.check).padEnd(12)} dispute ${String(dispute).padEnd(12)} f = ${row.failingFraction.toFixed(2)}${v1PassedSegments === undefined ? "" : `  v1 rule passed ${v1PassedSegments}/${N} segments`}`,
    );
  }
  for (const row of await publicationAttacks(loaded, numerics)) {
    attacks.push(row);
    console.log(`${numerics.padEnd(9)} ${JSON.stringify(row)}`);
  }
  normCheck[numerics] = await normCheckCost(loaded);
  console.log(`${numerics}: norm check of every segment: ${JSON.stringify(normCheck[numerics])}`);
  if (numerics === "tolerance" && calibration !== undefined) {
    // Honest providers under every legitimate setting, audited with the calibrated thresholds.
    let honestRejected = 0;
    let honestChecked = 0;
    let worstRatio = 0;
    for (const setting of legitimateRuntimeSettings()) {
      const store = new MemoryBlobStore();
      const { records } = await train(loaded.job, {
        store,
        start: loaded.initialState,
        runtime: setting.options,
      });
      const results = await auditSegments(verifiableJob(loaded, records), store);
      honestChecked += results.length;
      honestRejected += results.filter((r) => !r.ok).length;
      worstRatio = Math.max(worstRatio, ...results.map((r) => r.ratio ?? 0));
    }
    const measured = calibration.tensors.filter((t) => !t.floored);
    calibrationOut = {
      maxHonestDifference: calibration.maxHonestDifference,
      threshold: Math.max(...calibration.tensors.map((t) => t.rtol)),
      ratio: calibration.ratio,
      settings: calibration.settings,
      honestRejected,
      honestChecked,
      worstHonestRatioToThreshold: worstRatio,
      safetyFactor: calibration.safetyFactor,
      calibrationSteps: calibration.steps,
      identicalSettings: calibration.identicalSettings.length,
      tensors: calibration.tensors.map((t) => ({
        name: t.name,
        maxAbsDifference: t.maxAbsDifference,
        maxRelativeDifference: t.maxRelativeDifference,
        atol: t.atol,
        rtol: t.rtol,
        floored: t.floored,
      })),
      floored: calibration.tensors.length - measured.length,
    };
    console.log(
      `calibration: ${calibration.settings.length} settings, largest honest difference ${calibration.maxHonestDifference.toExponential(2)}, ratio ${calibration.ratio.toFixed(1)}; honest segments rejected ${honestRejected}/${honestChecked} (worst ${worstRatio.toExponential(2)} of a threshold)`,
    );
  }
}

async function reexecuteFrom(loaded: LoadedJob, start: TrainingState): Promise<TrainingState> {
  const session = await openStepSession(loaded.job.program);
  try {
    return (await runSteps(session, loaded.job, start, K)).state;
  } finally {
    await session.close();
  }
}

const result = {
  attacks,
  calibration: calibrationOut,
  normCheck,
  machine: { cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length },
  job: { model: LAYERS.join("-"), batchSize: 64, totalSteps: T, checkpointInterval: K, samples: Q },
};
await mkdir("bench-results", { recursive: true });
await writeFile("bench-results/adversarial.json", `${JSON.stringify(result, null, 2)}\n`);
console.log("wrote bench-results/adversarial.json");
