// Calibration of a tolerance job's thresholds (docs/protocol.md §2). Honest providers may run a
// float program under settings other than the verifiers' reproducible one (thread counts, graph
// optimization levels, execution providers); each lands a few ulps away. `calibrateTolerance`
// measures that noise on the job itself — segments re-executed from the same reference states
// under every setting — and fits, per state tensor,
//
//   α_t = F · max over settings, segments and elements of |x_s − x_ref| / (s_t + |x_ref|)
//   atol_t = α_t · s_t,  rtol_t = α_t          (s_t: the tensor's RMS over the reference states)
//
// so the largest honest difference uses exactly 1/F of its threshold (F, the safety factor, is
// 100 by default). A tensor whose every honest difference was 0 gets α_t = F · 2^−24 (a float32
// half-ulp, times F): no threshold is ever 0, so hardware not measured here keeps some room. The
// loss is fitted the same way. Noise grows with training (ReLU flips amplify it), so segments are
// taken from the start, the middle and the end of a reference run of up to `maxSteps` steps.
import type { ToleranceSpec } from "../protocol/job-spec.ts";
import { TrainingError } from "../engine/errors.ts";
import {
  REPRODUCIBLE_RUNTIME,
  openStepSession,
  providerLibraryPresent,
  type OptimizationLevel,
  type RuntimeOptions,
  type StepSession,
} from "../engine/runtime.ts";
import { checkJob, runStep, type TrainingJob } from "./trainer.ts";
import type { TrainingState } from "../engine/training-state.ts";

export const DEFAULT_SAFETY_FACTOR = 100;
/** float32 half-ulp: the floor of every relative threshold before the safety factor. */
const FLOOR = 2 ** -24;

export interface RuntimeSetting {
  label: string;
  options: RuntimeOptions;
}

/**
 * Every runtime setting a provider may legitimately use here: 1, 2 and 4 intra-op threads under
 * each graph optimization level, on the CPU and on every other execution provider present.
 */
export function legitimateRuntimeSettings(): RuntimeSetting[] {
  const levels: OptimizationLevel[] = ["disabled", "basic", "extended", "all"];
  const providers = (["cpu", "cuda"] as const).filter(
    (p) => p === "cpu" || providerLibraryPresent(p),
  );
  const out: RuntimeSetting[] = [];
  for (const provider of providers)
    for (const threads of [1, 2, 4])
      for (const level of levels)
        out.push({
          label: `${provider}/threads=${threads}/opt=${level}`,
          options: {
            executionProviders: [provider],
            intraOpThreads: threads,
            optimizationLevel: level,
          },
        });
  return out;
}

export interface CalibrationOptions {
  safetyFactor?: number;
  /** Segments measured (spread over the reference run); default 3. */
  segments?: number;
  /** Length of the reference run the segments are taken from; default min(T, 2,000). */
  maxSteps?: number;
  settings?: readonly RuntimeSetting[];
  /** Reported after each setting. */
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface TensorCalibration {
  name: string;
  /** Largest |x_s − x_ref| seen under any setting. */
  maxAbsDifference: number;
  /** Largest |x_s − x_ref| / (s_t + |x_ref|). */
  maxRelativeDifference: number;
  scale: number;
  atol: number;
  rtol: number;
  /** Whether no difference was seen, so the floor set the threshold. */
  floored: boolean;
}

export interface CalibrationReport {
  safetyFactor: number;
  settings: string[];
  /** Reference steps run plus steps re-executed under the settings. */
  steps: number;
  segmentStarts: number[];
  tensors: TensorCalibration[];
  loss: { maxAbsDifference: number; atol: number; rtol: number; floored: boolean };
  /** Largest absolute honest difference over every tensor. */
  maxHonestDifference: number;
  /** Thresholds over the largest honest difference, in the rule's units (F unless floored). */
  ratio: number;
  /** Settings whose results were bit-identical to the reference on every segment. */
  identicalSettings: string[];
}

export interface ToleranceCalibration {
  tolerance: ToleranceSpec;
  report: CalibrationReport;
}

async function withSession<T>(
  job: TrainingJob,
  options: RuntimeOptions,
  body: (session: StepSession) => Promise<T>,
): Promise<T> {
  const session = await openStepSession(job.program, options);
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}

async function runSegment(
  session: StepSession,
  job: TrainingJob,
  start: TrainingState,
): Promise<{ state: TrainingState; loss: number }> {
  let state = start;
  let loss = 0;
  for (let s = 0; s < job.checkpointInterval; s++) {
    const result = await runStep(session, job, state);
    state = result.state;
    loss = Number(result.loss);
  }
  return { state, loss };
}

function roundUpPowerOfTen(x: number): number {
  return 10 ** Math.ceil(Math.log10(x));
}

/** Measures honest noise on `job` from `start` and fits the per-tensor thresholds. */
export async function calibrateTolerance(
  job: TrainingJob,
  start: TrainingState,
  options: CalibrationOptions = {},
): Promise<ToleranceCalibration> {
  checkJob(job);
  const { info } = job.program;
  if (info.numerics !== "tolerance")
    throw new TrainingError("only tolerance (float) programs are calibrated");
  const F = options.safetyFactor ?? DEFAULT_SAFETY_FACTOR;
  if (!(F >= 1 && Number.isFinite(F))) throw new TrainingError(`safety factor ${F} must be ≥ 1`);
  const k = job.checkpointInterval;
  const prefix = Math.min(job.totalSteps - start.step, options.maxSteps ?? 2_000);
  const segments = Math.max(1, Math.min(options.segments ?? 3, Math.floor(prefix / k)));
  if (prefix < k || start.step % k !== 0)
    throw new TrainingError(
      `calibration needs at least one whole segment after step ${start.step}`,
    );
  const lastStart = start.step + (Math.floor(prefix / k) - 1) * k;
  const starts = [
    ...new Set(
      Array.from({ length: segments }, (_, j) =>
        segments === 1
          ? start.step
          : start.step + Math.round((j * (lastStart - start.step)) / k / (segments - 1)) * k,
      ),
    ),
  ];
  const settings = options.settings ?? legitimateRuntimeSettings();

  // The reference run: the verifiers' reproducible setting, from `start` to the last segment's end.
  const reference = new Map<number, { start: TrainingState; end: TrainingState; loss: number }>();
  let steps = 0;
  await withSession(job, REPRODUCIBLE_RUNTIME, async (session) => {
    let state = start;
    for (const at of starts) {
      while (state.step < at) {
        state = (await runStep(session, job, state)).state;
        steps += 1;
      }
      const end = await runSegment(session, job, state);
      steps += k;
      reference.set(at, { start: state, end: end.state, loss: end.loss });
    }
  });

  // s_t: the tensor's RMS over the reference end states.
  const scale = info.state.map((_, i) => {
    let best = 0;
    for (const { end } of reference.values()) {
      const data = end.values[i]!;
      let sum = 0;
      for (let e = 0; e < data.length; e++) sum += data[e]! * data[e]!;
      best = Math.max(best, Math.sqrt(sum / data.length));
    }
    return best > 0 ? best : 1;
  });
  const lossScale = Math.max(...[...reference.values()].map((r) => Math.abs(r.loss)), 1e-30);
  const maxAbs = info.state.map(() => 0);
  const maxRel = info.state.map(() => 0);
  let lossAbs = 0;
  let lossRel = 0;
  let valueMax = 0;
  const identical: string[] = [];

  let done = 0;
  for (const setting of settings) {
    let same = true;
    await withSession(job, setting.options, async (session) => {
      for (const at of starts) {
        const ref = reference.get(at)!;
        const got = await runSegment(session, job, ref.start);
        steps += k;
        info.state.forEach((_, i) => {
          const x = got.state.values[i]!;
          const y = ref.end.values[i]!;
          for (let e = 0; e < x.length; e++) {
            const ye = y[e]!;
            valueMax = Math.max(valueMax, Math.abs(ye));
            const d = Math.abs(x[e]! - ye);
            if (!Number.isFinite(d))
              throw new TrainingError(`setting ${setting.label} produced a non-finite state`);
            if (d === 0) continue;
            same = false;
            maxAbs[i] = Math.max(maxAbs[i]!, d);
            maxRel[i] = Math.max(maxRel[i]!, d / (scale[i]! + Math.abs(ye)));
          }
        });
        const dl = Math.abs(got.loss - ref.loss);
        if (dl > 0) same = false;
        lossAbs = Math.max(lossAbs, dl);
        lossRel = Math.max(lossRel, dl / (lossScale + Math.abs(ref.loss)));
      }
    });
    if (same) identical.push(setting.label);
    done += 1;
    options.onProgress?.(done, settings.length, setting.label);
  }

  const tensors: TensorCalibration[] = info.state.map((spec, i) => {
    const floored = maxRel[i] === 0;
    const alpha = Math.min(floored ? F * FLOOR : F * maxRel[i]!, 1);
    return {
      name: spec.name,
      maxAbsDifference: maxAbs[i]!,
      maxRelativeDifference: maxRel[i]!,
      scale: scale[i]!,
      atol: alpha * scale[i]!,
      rtol: alpha,
      floored,
    };
  });
  const lossFloored = lossRel === 0;
  const lossAlpha = Math.min(lossFloored ? F * FLOOR : F * lossRel, 1);
  const measured = tensors.filter((t) => !t.floored);
  const ratio =
    measured.length === 0
      ? Infinity
      : Math.max(...measured.map((t) => t.rtol / t.maxRelativeDifference));
  const maxHonestDifference = Math.max(0, ...maxAbs);
  const valueBound = roundUpPowerOfTen(Math.max(1, valueMax) * 1_000);
  const tolerance: ToleranceSpec = {
    tensors: tensors.map((t) => ({ name: t.name, atol: t.atol, rtol: t.rtol })),
    loss: { atol: lossAlpha * lossScale, rtol: lossAlpha },
    valueBound,
    calibration: {
      safetyFactor: F,
      steps,
      settings: settings.map((s) => s.label),
      maxHonestDifference,
    },
  };
  return {
    tolerance,
    report: {
      safetyFactor: F,
      settings: settings.map((s) => s.label),
      steps,
      segmentStarts: starts,
      tensors,
      loss: {
        maxAbsDifference: lossAbs,
        atol: lossAlpha * lossScale,
        rtol: lossAlpha,
        floored: lossFloored,
      },
      maxHonestDifference,
      ratio,
      identicalSettings: identical,
    },
  };
}
