// Runs a loaded train-step program on ONNX Runtime. The default session settings are
// the reproducible ones (measured on the development machine, docs/engine.md): one intra-op thread, one inter-op thread, graph
// optimizations disabled, sequential execution, CPU. Tolerance-mode workers may ask for
// other settings or execution providers (CUDA where installed); a provider that is not
// available falls back to the CPU with a log line. Exact programs always run on the CPU.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import ort from "onnxruntime-node";

import { RuntimeError } from "./errors.ts";
import {
  FEATURES_INPUT,
  LABELS_INPUT,
  LOSS_OUTPUT,
  STEP_INPUT,
  elementCount,
  nextName,
} from "./program-info.ts";
import type { LoadedProgram } from "./program-loader.ts";
import { assertStateMatches, type StateArray, type TrainingState } from "./training-state.ts";

export type ExecutionProvider = "cpu" | "cuda";
export type OptimizationLevel = "disabled" | "basic" | "extended" | "all";

/** The minimal logger the engine writes to; a pino logger fits. */
export interface EngineLogger {
  info(message: string): void;
  warn(message: string): void;
}

const consoleLogger: EngineLogger = {
  info: (message) => console.info(`[engine] ${message}`),
  warn: (message) => console.warn(`[engine] ${message}`),
};

export interface RuntimeOptions {
  /** Providers to try in order (tolerance mode only); default ["cpu"]. */
  executionProviders?: readonly ExecutionProvider[];
  /** Intra-op threads; default 1 (reproducible). */
  intraOpThreads?: number;
  /** Graph optimization level; default "disabled" (reproducible). */
  optimizationLevel?: OptimizationLevel;
  logger?: EngineLogger;
}

/** The reproducible settings every verifier uses. */
export const REPRODUCIBLE_RUNTIME: Readonly<Required<Omit<RuntimeOptions, "logger">>> = {
  executionProviders: ["cpu"],
  intraOpThreads: 1,
  optimizationLevel: "disabled",
};

/** One batch: raw uint8 features [B, F] row-major and int32 class labels [B]. */
export interface Batch {
  features: Uint8Array;
  labels: Int32Array;
}

export interface StepResult {
  state: TrainingState;
  /** float32 loss (tolerance) or the raw int64 fixed-point loss (exact). */
  loss: number | bigint;
}

export interface StepSession {
  readonly program: LoadedProgram;
  /** The provider the session actually runs on. */
  readonly executionProvider: ExecutionProvider;
  /** Runs one step: (params, optimizer state, batch, step index) → updated state and loss. */
  step(state: TrainingState, batch: Batch): Promise<StepResult>;
  /**
   * Runs `count` steps from `state` (the batch of each from `batchFor`): the last state, in arrays
   * of its own, and the last step's loss (`state` itself and loss 0 when count is 0). The same
   * steps as `count` calls of `step`, bit for bit, but the states between are written into two
   * buffers the session reuses, so `onInterior`'s state is valid only during the call (hash it or
   * copy it, never keep it). A state per step is a fresh ArrayBuffer the size of the model for the
   * garbage collector; in a daemon's large heap each one it collects costs a marking of the heap.
   */
  steps(
    state: TrainingState,
    count: number,
    batchFor: (step: number) => Batch,
    onInterior?: (state: TrainingState, stepsIn: number) => void,
  ): Promise<StepResult>;
  close(): Promise<void>;
}

/**
 * Whether ONNX Runtime can load a non-CPU provider: onnxruntime-node ships only the CPU
 * provider for linux x64, and the CUDA one is a separate shared library next to the
 * binding (installed when the package's install script can download it). Checking for
 * it first avoids ORT's own error print for a provider that cannot load.
 */
export function providerLibraryPresent(provider: Exclude<ExecutionProvider, "cpu">): boolean {
  try {
    const require = createRequire(import.meta.url);
    const pkg = path.dirname(require.resolve("onnxruntime-node/package.json"));
    const dir = path.join(pkg, "bin", "napi-v6", process.platform, process.arch);
    const file =
      process.platform === "win32"
        ? `onnxruntime_providers_${provider}.dll`
        : `libonnxruntime_providers_${provider}.so`;
    return existsSync(path.join(dir, file));
  } catch {
    return false;
  }
}

export async function openStepSession(
  program: LoadedProgram,
  options: RuntimeOptions = {},
): Promise<StepSession> {
  const logger = options.logger ?? consoleLogger;
  const threads = options.intraOpThreads ?? REPRODUCIBLE_RUNTIME.intraOpThreads;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256)
    throw new RuntimeError(`intraOpThreads must be an integer in [1, 256], got ${threads}`);
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: options.optimizationLevel ?? REPRODUCIBLE_RUNTIME.optimizationLevel,
    executionMode: "sequential",
    logSeverityLevel: 3,
  };
  let wanted = [...(options.executionProviders ?? REPRODUCIBLE_RUNTIME.executionProviders)];
  if (program.info.numerics === "exact" && wanted.some((p) => p !== "cpu")) {
    logger.warn(
      `exact programs run on the cpu execution provider only; ignoring ${wanted.join(",")}`,
    );
    wanted = ["cpu"];
  }
  if (!wanted.includes("cpu")) wanted.push("cpu");

  let session: ort.InferenceSession | undefined;
  let provider: ExecutionProvider = "cpu";
  for (const candidate of wanted) {
    if (candidate !== "cpu" && !providerLibraryPresent(candidate)) {
      logger.warn(
        `execution provider ${candidate} is not available (its library is not installed); falling back to cpu`,
      );
      continue;
    }
    try {
      // A missing provider library makes ORT print its own error; keep it quiet, we log.
      const quiet = candidate === "cpu" ? base : { ...base, logSeverityLevel: 4 as const };
      session = await ort.InferenceSession.create(program.bytes, {
        ...quiet,
        executionProviders: [candidate],
      });
      provider = candidate;
      break;
    } catch (cause) {
      if (candidate === "cpu")
        throw new RuntimeError(`ONNX Runtime rejected program ${program.cid}`, { cause });
      logger.warn(
        `execution provider ${candidate} is not available (${firstLine(cause)}); falling back to cpu`,
      );
    }
  }
  const live = session!;
  const { info } = program;
  const B = info.batchSize;
  const F = info.model.layers[0]!;
  const outputNames = [LOSS_OUTPUT, ...info.state.map((t) => nextName(t.name))];

  const feedsFor = (state: TrainingState, batch: Batch): Record<string, ort.Tensor> => {
    assertStateMatches(info, state);
    if (batch.features.length !== B * F || batch.labels.length !== B)
      throw new RuntimeError(
        `batch has ${batch.features.length} feature bytes and ${batch.labels.length} labels; the program takes ${B}×${F} and ${B}`,
      );
    const feeds: Record<string, ort.Tensor> = {
      [FEATURES_INPUT]: new ort.Tensor("uint8", batch.features, [B, F]),
      [LABELS_INPUT]: new ort.Tensor("int32", batch.labels, [B]),
      [STEP_INPUT]: new ort.Tensor("int64", BigInt64Array.of(BigInt(state.step)), []),
    };
    info.state.forEach((t, i) => {
      feeds[t.name] = new ort.Tensor(t.dtype, state.values[i]!, t.shape);
    });
    return feeds;
  };
  /** One step; the next state is written into `into` (pre-allocated outputs) when given. */
  const run = async (
    state: TrainingState,
    batch: Batch,
    into?: readonly StateArray[],
  ): Promise<StepResult> => {
    const feeds = feedsFor(state, batch);
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      if (into === undefined) out = await live.run(feeds, outputNames);
      else {
        const fetches: Record<string, ort.Tensor | null> = { [LOSS_OUTPUT]: null };
        info.state.forEach((t, i) => {
          fetches[nextName(t.name)] = new ort.Tensor(t.dtype, into[i]!, t.shape);
        });
        out = await live.run(feeds, fetches);
      }
    } catch (cause) {
      throw new RuntimeError(`step ${state.step} of program ${program.cid} failed`, { cause });
    }
    const values =
      into === undefined
        ? info.state.map((t) => out[nextName(t.name)]!.data as StateArray)
        : [...into];
    const lossData = out[LOSS_OUTPUT]!.data;
    const loss = lossData instanceof BigInt64Array ? lossData[0]! : Number(lossData[0]);
    return { state: { step: state.step + 1, specs: info.state, values }, loss };
  };
  // steps()'s two buffers, made on first use: an interior step writes one while it reads the other.
  let buffers: [StateArray[], StateArray[]] | undefined;
  const newState = (): StateArray[] =>
    info.state.map((t) =>
      t.dtype === "float32"
        ? new Float32Array(elementCount(t.shape))
        : new Int32Array(elementCount(t.shape)),
    );

  return {
    program,
    executionProvider: provider,
    step: (state, batch) => run(state, batch),
    async steps(state, count, batchFor, onInterior) {
      if (!Number.isSafeInteger(count) || count < 0)
        throw new RuntimeError(`steps: count ${count} is not a non-negative integer`);
      let result: StepResult = { state, loss: info.numerics === "exact" ? 0n : 0 };
      for (let s = 0; s < count; s++) {
        // The last step's state is the caller's to keep: ONNX Runtime allocates it.
        const last = s + 1 === count;
        buffers ??= [newState(), newState()];
        const into = last ? undefined : buffers[s % 2];
        result = await run(result.state, batchFor(result.state.step), into);
        if (!last) onInterior?.(result.state, s + 1);
      }
      return result;
    },
    async close() {
      await live.release();
    },
  };
}

function firstLine(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.split("\n")[0]!.slice(0, 200);
}
