// `assay spec build`: a submitter's job spec from a train-step program and a dataset. The program
// is either an ONNX file (validated by the engine's loader exactly as providers will: limits,
// interface, operator allow-list, exact-mode canonical build) or built here from `--mlp`. The
// initial state, the dataset shards and the program are content-addressed; with --upload they and
// the canonical spec are put to the store. The spec file is written in canonical form, so its
// sha-256 is the specHash that goes on chain.
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";

import { decodeShard, type SampleSet } from "../../data/dataset.ts";
import { loadMnist } from "../../data/mnist.ts";
import { syntheticSamples } from "../../data/synthetic.ts";
import { RangeOverflowError } from "../../engine/errors.ts";
import { buildExactMlpProgram } from "../../engine/exact-mlp-program.ts";
import { buildFloatMlpProgram } from "../../engine/float-mlp-program.ts";
import { DEFAULT_SAFETY_FACTOR, type CalibrationReport } from "../../training/calibration.ts";
import { publishJob } from "../../training/job.ts";
import type { OptimizerSpec, ProgramInfo } from "../../engine/program-info.ts";
import { loadProgram } from "../../engine/program-loader.ts";
import { initialState } from "../../engine/training-state.ts";
import {
  JOB_SPEC_VERSION,
  canonicalJobSpecBytes,
  specHash,
  type JobSpec,
} from "../../protocol/job-spec.ts";
import type { BlobStore } from "../../store/blob-store.ts";
import { cidOf, sha256Hex } from "../../protocol/cid.ts";
import { MemoryBlobStore } from "../../store/memory-store.ts";
import {
  durationFlag,
  integerFlag,
  isBytes32,
  numberFlag,
  parseCommandArgs,
  parseInteger,
  requireString,
  stringFlag,
  type FlagValues,
  type OptionSpec,
} from "../args.ts";
import type { Command, CommandIo } from "../command.ts";
import { STORE_HELP, STORE_OPTIONS, cliConfig } from "../config.ts";
import { CliError, UsageError } from "../errors.ts";
import { openStore } from "../store.ts";

const OPTIONS = {
  ...STORE_OPTIONS,
  program: { type: "string" },
  mlp: { type: "string" },
  numerics: { type: "string" },
  "batch-size": { type: "string" },
  optimizer: { type: "string" },
  lr: { type: "string" },
  momentum: { type: "string" },
  dataset: { type: "string" },
  "sample-count": { type: "string" },
  "data-seed": { type: "string" },
  "shard-size": { type: "string" },
  seed: { type: "string" },
  "init-seed": { type: "string" },
  steps: { type: "string" },
  interval: { type: "string" },
  "safety-factor": { type: "string" },
  samples: { type: "string" },
  "top-q": { type: "string" },
  committee: { type: "string" },
  "accept-window": { type: "string" },
  "train-window": { type: "string" },
  "open-window": { type: "string" },
  "challenge-window": { type: "string" },
  out: { type: "string" },
  upload: { type: "boolean" },
  json: { type: "boolean" },
} as const satisfies OptionSpec;

const HELP = `usage: assay spec build (--program model.onnx | --mlp 784,128,10) --dataset mnist|synthetic|<shard file>
                        --out spec.json [--upload] [flags]

Builds a job spec: validates the program, derives the initial state, shards the dataset,
content-addresses everything, and writes the canonical spec (its sha-256 is the on-chain specHash).
With --upload, puts the program, initial state, shards and the spec itself to the store.

program:
  --program FILE      a train-step ONNX program (numerics, layers, batch size, optimizer from its metadata)
  --mlp W0,W1,...     build an MLP program: layer widths, input first
  --numerics MODE     exact (integer, bit-exact) | tolerance (float32)       (default exact)
  --batch-size N                                                              (default 32)
  --optimizer KIND    sgd | adam (tolerance only)                             (default sgd)
  --lr X --momentum X                                           (default 0.1, 0.9; adam lr 0.001)
  --init-seed TEXT    seeds the initial parameters                            (default assay-cli)
dataset:
  --dataset mnist | synthetic | FILE   FILE: one shard in the dataset shard format (docs/engine.md)
  --sample-count N    synthetic samples                                       (default 512)
  --data-seed TEXT    seeds the synthetic samples                             (default assay-cli)
  --shard-size N      samples per shard                                       (default 1024)
training and verification:
  --steps T --interval k       (default 100, 10: n = T/k checkpoints)
  --seed 0x… | TEXT   batch-schedule seed (bytes32, or hashed from TEXT)      (default random)
  --safety-factor F   tolerance: thresholds are F × the largest honest difference
                      calibrated over every runtime setting (docs/protocol.md §2) (default 100)
  --samples q --top-q Q --committee m                                         (default 4, 1, 3)
  --accept-window --train-window --open-window --challenge-window  e.g. 3600, 30m, 6h
                                                              (default 1h, 6h, 1h, 2h)
output:
  --out FILE          where to write the canonical spec (required)
  --upload            put every blob to the store (else only addresses are computed)
  --json              print the result as JSON

${STORE_HELP}`;

interface BuiltProgram {
  bytes: Uint8Array;
  info: ProgramInfo;
  source: string;
}

function optimizerOf(values: FlagValues, numerics: "exact" | "tolerance"): OptimizerSpec {
  const kind = stringFlag(values, "optimizer") ?? "sgd";
  if (kind === "sgd")
    return {
      kind,
      learningRate: numberFlag(values, "lr", 0.1),
      momentum: numberFlag(values, "momentum", 0.9),
    };
  if (kind === "adam") {
    if (numerics === "exact")
      throw new UsageError("exact numerics train with SGD (with momentum) only");
    return {
      kind,
      learningRate: numberFlag(values, "lr", 0.001),
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    };
  }
  throw new UsageError(`--optimizer must be sgd or adam, not "${kind}"`);
}

async function programOf(values: FlagValues): Promise<BuiltProgram> {
  const file = stringFlag(values, "program");
  const mlp = stringFlag(values, "mlp");
  if ((file === undefined) === (mlp === undefined))
    throw new UsageError("give exactly one of --program FILE and --mlp W0,W1,...");
  const numericsFlag = stringFlag(values, "numerics");
  if (numericsFlag !== undefined && numericsFlag !== "exact" && numericsFlag !== "tolerance")
    throw new UsageError(`--numerics must be exact or tolerance, not "${numericsFlag}"`);
  if (file !== undefined) {
    for (const flag of ["batch-size", "optimizer", "lr", "momentum"])
      if (values[flag] !== undefined)
        throw new UsageError(`--${flag} comes from the program's metadata; drop it with --program`);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (cause) {
      throw new CliError(`cannot read the program ${file}`, { cause });
    }
    let info: ProgramInfo;
    try {
      info = loadProgram(bytes).info;
    } catch (cause) {
      throw new CliError(
        `${file} is not a valid train-step program: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
    if (numericsFlag !== undefined && numericsFlag !== info.numerics)
      throw new UsageError(`--numerics ${numericsFlag}, but ${file} is a ${info.numerics} program`);
    return { bytes, info, source: file };
  }
  const layers = mlp!.split(",").map((w) => parseInteger(w, "--mlp layer width", { min: 1 }));
  if (layers.length < 2) throw new UsageError("--mlp needs at least an input and an output width");
  const numerics = (numericsFlag ?? "exact") as "exact" | "tolerance";
  const batchSize = integerFlag(values, "batch-size", 32, { min: 1, max: 65_536 });
  const optimizer = optimizerOf(values, numerics);
  const sgd = optimizer as Extract<OptimizerSpec, { kind: "sgd" }>;
  try {
    const built =
      numerics === "exact"
        ? buildExactMlpProgram({ layers, batchSize, optimizer: sgd })
        : buildFloatMlpProgram({ layers, batchSize, optimizer });
    return { ...built, source: `${numerics} MLP ${layers.join("-")}` };
  } catch (cause) {
    if (cause instanceof RangeOverflowError) {
      // Say what to change, not the range arithmetic (that stays in the cause: ASSAY_DEBUG=1).
      const fits = largestExactBatch(layers, sgd, batchSize);
      const shape = `an exact ${layers.join("-")} MLP`;
      throw new UsageError(
        fits === 0
          ? `${shape} cannot be built: its 32-bit integer sums could overflow even with one sample a batch; narrow the layers or use --numerics tolerance`
          : `--batch-size ${batchSize} is too large for ${shape}: its 32-bit integer sums could overflow; at most ${fits} fits (--batch-size ${fits}), or use --numerics tolerance`,
        { cause },
      );
    }
    throw new CliError(
      `cannot build the ${numerics} MLP ${layers.join("-")}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/** The largest batch size below `tooLarge` an exact MLP of these layers builds with; 0 if none. */
function largestExactBatch(
  layers: number[],
  optimizer: Extract<OptimizerSpec, { kind: "sgd" }>,
  tooLarge: number,
): number {
  // The ranges grow with the batch size, so the sizes that build are 1..fits: bisect.
  let [fits, overflows] = [0, tooLarge];
  while (overflows - fits > 1) {
    const mid = Math.floor((fits + overflows) / 2);
    try {
      buildExactMlpProgram({ layers, batchSize: mid, optimizer });
      fits = mid;
    } catch (error) {
      if (!(error instanceof RangeOverflowError)) throw error;
      overflows = mid;
    }
  }
  return fits;
}

async function datasetOf(values: FlagValues, info: ProgramInfo): Promise<SampleSet> {
  const which = requireString(values, "dataset");
  const features = info.model.layers[0]!;
  const classes = info.model.layers.at(-1)!;
  let samples: SampleSet;
  if (which === "mnist") samples = loadMnist().train;
  else if (which === "synthetic")
    samples = syntheticSamples({
      seed: stringFlag(values, "data-seed") ?? "assay-cli",
      count: integerFlag(values, "sample-count", 512, { min: 1, max: 1_000_000 }),
      featureCount: features,
      classCount: classes,
    });
  else {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(which));
    } catch (cause) {
      throw new CliError(`--dataset ${which}: not mnist, synthetic or a readable file`, { cause });
    }
    try {
      samples = decodeShard(bytes, which);
    } catch (cause) {
      throw new CliError(
        `${which} is not a dataset shard: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
  }
  if (samples.featureCount !== features || samples.classCount !== classes)
    throw new CliError(
      `the dataset has ${samples.featureCount} features and ${samples.classCount} classes; the program's layers [${info.model.layers.join(", ")}] need ${features} and ${classes}`,
    );
  return samples;
}

function seedOf(values: FlagValues): `0x${string}` {
  const seed = stringFlag(values, "seed");
  if (seed === undefined) return `0x${randomBytes(32).toString("hex")}`;
  if (isBytes32(seed)) return seed.toLowerCase() as `0x${string}`;
  return sha256Hex(new TextEncoder().encode(seed));
}

export interface BuiltSpec {
  spec: JobSpec;
  specHash: string;
  specCid: string;
  bytes: Uint8Array;
}

/** `closers`: what build opened that the caller closes when it ends (the store). */
async function build(
  values: FlagValues,
  io: CommandIo,
  closers: (() => Promise<void>)[],
): Promise<void> {
  const out = requireString(values, "out");
  const program = await programOf(values);
  const { info } = program;
  const samples = await datasetOf(values, info);
  const totalSteps = integerFlag(values, "steps", 100, { min: 1, max: 2 ** 32 - 1 });
  const interval = integerFlag(values, "interval", 10, { min: 1, max: 2 ** 32 - 1 });
  const safetyFactor = numberFlag(values, "safety-factor", DEFAULT_SAFETY_FACTOR);
  if (info.numerics === "exact" && values["safety-factor"] !== undefined)
    throw new UsageError("--safety-factor applies to tolerance numerics only");
  if (!(safetyFactor >= 1 && safetyFactor <= 1e6))
    throw new UsageError("--safety-factor must be within [1, 1000000]");
  const rest: Omit<JobSpec, "program" | "dataset" | "tolerance"> = {
    version: JOB_SPEC_VERSION,
    seed: seedOf(values),
    totalSteps,
    checkpointInterval: interval,
    numerics: info.numerics,
    hyperParameters: {
      model: { kind: "mlp", layers: [...info.model.layers] },
      batchSize: info.batchSize,
      optimizer: info.optimizer,
    },
    verification: {
      samples: integerFlag(values, "samples", 4, { min: 1, max: 255 }),
      topQ: integerFlag(values, "top-q", 1, { min: 0, max: 255 }),
      committeeSize: integerFlag(values, "committee", 3, { min: 1, max: 255 }),
    },
    windows: {
      accept: durationFlag(values, "accept-window", 3_600),
      train: durationFlag(values, "train-window", 6 * 3_600),
      open: durationFlag(values, "open-window", 3_600),
      challenge: durationFlag(values, "challenge-window", 2 * 3_600),
    },
  };

  // Without --upload the blobs go to memory: only their addresses are needed for the spec.
  let store: BlobStore = new MemoryBlobStore();
  let where = "memory (not uploaded)";
  if (values.upload === true) {
    const opened = await openStore(cliConfig(values, io.env));
    closers.push(opened.close);
    ({ store, where } = opened);
  } else if (values["store-url"] !== undefined || values["store-dir"] !== undefined)
    throw new UsageError("--store-url / --store-dir need --upload");

  let spec: JobSpec;
  let calibration: CalibrationReport | undefined;
  try {
    spec = await publishJob(store, {
      programBytes: program.bytes,
      initialState: initialState(info, stringFlag(values, "init-seed") ?? "assay-cli"),
      samples,
      shardSize: integerFlag(values, "shard-size", 1_024, { min: 1, max: 1_000_000 }),
      rest,
      calibration: {
        safetyFactor,
        onProgress: (done, total, label) =>
          io.note(`calibrating: ${done}/${total} runtime settings (${label})`),
        onReport: (report) => {
          calibration = report;
        },
      },
    });
  } catch (cause) {
    throw new CliError(
      `cannot build the spec: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  const bytes = canonicalJobSpecBytes(spec);
  const hash = specHash(spec);
  const specCid = cidOf(bytes);
  if (values.upload === true) {
    const stored = await store.put(bytes);
    if (stored !== specCid) throw new CliError(`the store returned ${stored} for the spec`);
  }
  await writeFile(out, bytes);

  const result = {
    out,
    specHash: hash,
    specCid,
    programCid: spec.program.cid,
    initialStateCid: spec.program.initialStateCid,
    datasetRoot: spec.dataset.root,
    shards: spec.dataset.shards.length,
    sampleCount: spec.dataset.sampleCount,
    numerics: spec.numerics,
    checkpoints: spec.totalSteps / spec.checkpointInterval,
    uploaded: values.upload === true ? where : null,
    ...(calibration === undefined
      ? {}
      : {
          calibration: {
            settings: calibration.settings.length,
            steps: calibration.steps,
            maxHonestDifference: calibration.maxHonestDifference,
            safetyFactor: calibration.safetyFactor,
            ratio: calibration.ratio,
            floored: calibration.tensors.filter((t) => t.floored).map((t) => t.name),
          },
        }),
  };
  if (values.json === true) {
    io.out(JSON.stringify(result, null, 2));
    return;
  }
  io.out(`specHash   ${hash}`);
  io.out(`spec CID   ${specCid}`);
  io.out(`program    ${spec.program.cid} (${program.source}, ${program.bytes.length} bytes)`);
  io.out(`state 0    ${spec.program.initialStateCid}`);
  io.out(
    `dataset    ${spec.dataset.root} (${spec.dataset.sampleCount} samples in ${spec.dataset.shards.length} shards)`,
  );
  io.out(
    `training   T = ${spec.totalSteps}, k = ${spec.checkpointInterval}, n = ${result.checkpoints}, ${spec.numerics}`,
  );
  if (calibration !== undefined)
    io.out(
      `tolerance  calibrated over ${calibration.settings.length} runtime settings, ${calibration.steps} steps: largest honest difference ${calibration.maxHonestDifference.toPrecision(3)}; thresholds ${calibration.safetyFactor}× (per tensor, per element)`,
    );
  io.out(
    `wrote      ${out}${values.upload === true ? `; uploaded to ${where}` : " (not uploaded: pass --upload)"}`,
  );
}

async function run(argv: readonly string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  const [sub, ...extra] = positionals;
  if (sub !== "build")
    throw new UsageError(
      sub === undefined ? "missing subcommand: spec build" : `unknown subcommand "spec ${sub}"`,
    );
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const closers: (() => Promise<void>)[] = [];
  try {
    await build(values, io, closers);
  } finally {
    for (const close of closers) await close();
  }
}

export const specCommand: Command = {
  name: "spec",
  summary: "build (and upload) a job spec",
  help: HELP,
  run,
};
