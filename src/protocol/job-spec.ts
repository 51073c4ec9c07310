// The job spec (docs/protocol.md §2): a JSON document naming, by content address, everything
// that makes a run reproducible. Its canonical serialization — keys sorted by UTF-16
// code units at every level, no whitespace, ECMAScript number formatting (as RFC 8785)
// — is hashed with sha-256 into `specHash`, the bytes32 stored on chain
// (JobParams.specHash). The on-chain JobParams repeat a few fields (T, k, numerics,
// deltaPpm, q, Q, m, windows); `jobParamsFromSpec` derives them so they cannot drift.
//
// Version 2: the batch schedule depends on the job id, and a tolerance job carries its
// thresholds per state tensor (`tolerance`), calibrated to honest runtime noise, instead of one
// normalized-distance delta (docs/protocol.md §2).
import type { Hex } from "viem";
import { z } from "zod";

import { digestFromCid, sha256Hex } from "./cid.ts";
import { formatIssues } from "../zod-issues.ts";

export class JobSpecError extends Error {
  override name = "JobSpecError";
  readonly code = "invalid_job_spec";
}

export const JOB_SPEC_VERSION = 2 as const;
const UINT32_MAX = 2 ** 32 - 1;

const cidString = z.string().refine(
  (s) => {
    try {
      digestFromCid(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: "must be a CIDv1 (raw codec, sha2-256)" },
);
const bytes32 = z
  .string()
  .regex(/^0x[0-9a-f]{64}$/, "must be 0x followed by 64 lowercase hex digits");
const uint32 = z.number().int().min(0).max(UINT32_MAX);
const uint8 = z.number().int().min(0).max(255);
const seconds = z.number().int().min(1).max(UINT32_MAX);

/** An optimizer and its hyper-parameters, as a spec names them and a program declares them. */
export const optimizerSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("sgd"),
    learningRate: z.number().positive().finite(),
    momentum: z.number().min(0).lt(1),
  }),
  z.strictObject({
    kind: z.literal("adam"),
    learningRate: z.number().positive().finite(),
    beta1: z.number().min(0).lt(1),
    beta2: z.number().min(0).lt(1),
    epsilon: z.number().positive().finite(),
  }),
]);

const nonNegative = z.number().min(0).finite();
/** One threshold pair of the rule |x' − x| ≤ atol + rtol·|x| (x: the verifier's recomputed value). */
const thresholdSchema = z.strictObject({ atol: nonNegative, rtol: nonNegative.max(1) });
export type Threshold = z.infer<typeof thresholdSchema>;

/**
 * Tolerance numerics: how a re-executed segment is compared with the committed state. Every
 * element of every state tensor (parameters and optimizer state) must satisfy its tensor's
 * threshold, the segment's loss the loss threshold, and every element of a committed state must be
 * finite and within ±valueBound.
 */
export const toleranceSchema = z.strictObject({
  /** One entry per state tensor, in the program's canonical order. */
  tensors: z
    .array(thresholdSchema.extend({ name: z.string().min(1).max(63) }))
    .min(1)
    .max(256),
  loss: thresholdSchema,
  valueBound: z.number().positive().finite(),
  /** How the thresholds were obtained (informative; docs/protocol.md §2). */
  calibration: z
    .strictObject({
      safetyFactor: z.number().min(1).finite(),
      steps: z.number().int().min(0),
      settings: z.array(z.string().min(1).max(100)).max(256),
      maxHonestDifference: nonNegative,
    })
    .optional(),
});
export type ToleranceSpec = z.infer<typeof toleranceSchema>;

export const jobSpecSchema = z
  .strictObject({
    version: z.literal(JOB_SPEC_VERSION),
    program: z.strictObject({
      /** The train-step ONNX program. */
      cid: cidString,
      /** The canonical initial training state (checkpoint 0). */
      initialStateCid: cidString,
    }),
    dataset: z.strictObject({
      /** Merkle root over the shards' sha-256 digests (src/data/dataset.ts). */
      root: bytes32,
      shards: z.array(cidString).min(1).max(1_000_000),
      sampleCount: z.number().int().min(1).max(UINT32_MAX),
    }),
    /** Seeds the batch schedule (src/data/batch-schedule.ts). */
    seed: bytes32,
    totalSteps: uint32.min(1),
    checkpointInterval: uint32.min(1),
    numerics: z.enum(["exact", "tolerance"]),
    /** Tolerance numerics only: the per-tensor thresholds. */
    tolerance: toleranceSchema.optional(),
    hyperParameters: z.strictObject({
      model: z.strictObject({
        kind: z.literal("mlp"),
        layers: z.array(z.number().int().min(1).max(65_536)).min(2).max(16),
      }),
      batchSize: z.number().int().min(1).max(65_536),
      optimizer: optimizerSchema,
    }),
    verification: z.strictObject({
      /** q: segments sampled from the randomness. */
      samples: uint8.min(1),
      /** Q: largest-update segments the provider must also open. */
      topQ: uint8,
      /** m: referees per dispute committee. */
      committeeSize: uint8.min(1),
    }),
    /** Deadlines, in seconds (JobParams). */
    windows: z.strictObject({
      accept: seconds,
      train: seconds,
      open: seconds,
      challenge: seconds,
    }),
  })
  .superRefine((spec, ctx) => {
    const { totalSteps: T, checkpointInterval: k } = spec;
    if (T % k !== 0)
      ctx.addIssue({
        code: "custom",
        path: ["checkpointInterval"],
        message: `checkpointInterval ${k} must divide totalSteps ${T}`,
      });
    const n = Math.floor(T / k);
    if (spec.verification.samples + spec.verification.topQ > n)
      ctx.addIssue({
        code: "custom",
        path: ["verification"],
        message: `samples + topQ (${spec.verification.samples + spec.verification.topQ}) exceed the ${n} segments`,
      });
    if (spec.numerics === "exact" && spec.tolerance !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["tolerance"],
        message: "exact numerics compare digests: a tolerance applies to tolerance numerics only",
      });
    if (spec.numerics === "tolerance" && spec.tolerance === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["tolerance"],
        message: "tolerance numerics need per-tensor thresholds (assay spec build calibrates them)",
      });
    if (spec.tolerance !== undefined) {
      const names = spec.tolerance.tensors.map((t) => t.name);
      if (new Set(names).size !== names.length)
        ctx.addIssue({
          code: "custom",
          path: ["tolerance", "tensors"],
          message: "tolerance tensor names must be distinct",
        });
    }
    if (spec.numerics === "exact" && spec.hyperParameters.optimizer.kind !== "sgd")
      ctx.addIssue({
        code: "custom",
        path: ["hyperParameters", "optimizer"],
        message: "exact numerics support SGD with momentum only",
      });
    if (new Set(spec.dataset.shards).size !== spec.dataset.shards.length)
      ctx.addIssue({
        code: "custom",
        path: ["dataset", "shards"],
        message: "shards must be distinct",
      });
  });

export type JobSpec = z.infer<typeof jobSpecSchema>;

/** Parses a spec object; throws JobSpecError listing every problem with its path. */
export function parseJobSpec(input: unknown): JobSpec {
  const parsed = jobSpecSchema.safeParse(input);
  if (!parsed.success)
    throw new JobSpecError(`invalid job spec: ${formatIssues(parsed.error, jobSpecSchema)}`);
  return parsed.data;
}

/** Parses spec bytes (UTF-8 JSON); with `requireCanonical`, also rejects non-canonical encodings. */
export function parseJobSpecBytes(
  bytes: Uint8Array,
  options: { requireCanonical?: boolean } = {},
): JobSpec {
  let text: string;
  let json: unknown;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    json = JSON.parse(text);
  } catch (cause) {
    throw new JobSpecError("job spec is not UTF-8 JSON", { cause });
  }
  const spec = parseJobSpec(json);
  if (options.requireCanonical && canonicalJson(spec) !== text)
    throw new JobSpecError("job spec bytes are not in canonical form (sorted keys, no whitespace)");
  return spec;
}

/** Canonical JSON: sorted keys at every level, no whitespace, finite numbers only. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string")
    return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new JobSpecError(`cannot serialize the number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new JobSpecError(`cannot serialize a ${typeof value}`);
}

export function canonicalJobSpecBytes(spec: JobSpec): Uint8Array {
  return new TextEncoder().encode(canonicalJson(parseJobSpec(spec)));
}

/** sha-256 of the canonical spec bytes, as the bytes32 JobParams.specHash. */
export function specHash(spec: JobSpec): Hex {
  return sha256Hex(canonicalJobSpecBytes(spec));
}

/**
 * The on-chain deltaPpm of a spec. Tolerance jobs compare per element with per-tensor thresholds;
 * a referee reports the worst element's |x' − x| / (atol + rtol·|x|) in parts per million, which
 * passes up to 1,000,000 (ratio 1). Exact jobs: 0.
 */
export const TOLERANCE_DELTA_PPM = 1_000_000;

/** The fields of the on-chain JobParams that the spec determines. */
export interface SpecJobParams {
  specHash: Hex;
  initialStateDigest: Hex;
  totalSteps: number;
  checkpointInterval: number;
  numerics: "exact" | "tolerance";
  deltaPpm: number;
  samples: number;
  topQ: number;
  committeeSize: number;
  acceptWindow: number;
  trainWindow: number;
  openWindow: number;
  challengeWindow: number;
}

export function jobParamsFromSpec(spec: JobSpec): SpecJobParams {
  return {
    specHash: specHash(spec),
    initialStateDigest: digestFromCid(spec.program.initialStateCid),
    totalSteps: spec.totalSteps,
    checkpointInterval: spec.checkpointInterval,
    numerics: spec.numerics,
    deltaPpm: spec.numerics === "tolerance" ? TOLERANCE_DELTA_PPM : 0,
    samples: spec.verification.samples,
    topQ: spec.verification.topQ,
    committeeSize: spec.verification.committeeSize,
    acceptWindow: spec.windows.accept,
    trainWindow: spec.windows.train,
    openWindow: spec.windows.open,
    challengeWindow: spec.windows.challenge,
  };
}
