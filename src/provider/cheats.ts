// Cheating providers, for the end-to-end tests and the demo (devnet only: worker/config.ts refuses
// a cheat on any other chain). Each cheat is a plan over the job's segments: which batches the
// steps use, and how each segment's end state is produced (trained, trained short, made up, or
// copied). Every cheat commits a self-consistent trace — leaves, root and manifest describe the
// states it actually stored — so only re-executing a segment shows the difference, and each plan
// names exactly the segments whose re-execution fails (`failing`; tested against the engine).
import { keccak256, toHex, type Hex } from "viem";
import { z } from "zod";

import { chooseFraction } from "../engine/seeded-random.ts";
import {
  divergentBatches,
  fabricatedSegments,
  protocolBatches,
  type BatchRule,
} from "./batch-rule.ts";

const fraction = z.number().gt(0).max(1);
const segmentIndex = z.number().int().min(1);

export const CheatSchema = z.discriminatedUnion("kind", [
  /** Honest. */
  z.strictObject({ kind: z.literal("none") }),
  /** From step `fromStep` on, real training on the dataset under another seed. */
  z.strictObject({
    kind: z.literal("wrong-data-order"),
    fromStep: z.number().int().min(0),
    seed: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/)
      .optional(),
  }),
  /** A fraction of segments (chosen by `seed`) end in a state extrapolated from the previous update. */
  z.strictObject({
    kind: z.literal("fabricate"),
    fraction,
    seed: z.string().default("assay-cheat"),
  }),
  /** A fraction of segments (chosen by `seed`) run only k − skip steps. */
  z.strictObject({
    kind: z.literal("skip-steps"),
    fraction,
    skip: z.number().int().min(1),
    seed: z.string().default("assay-cheat"),
  }),
  /** The listed segments end in a copy of their start state (a replayed checkpoint). */
  z.strictObject({ kind: z.literal("replay"), segments: z.array(segmentIndex).min(1) }),
  /**
   * Fabricates `segment`, and after uploading overwrites the shared store's files of checkpoints
   * segment − 1 and segment, so that readers get bytes that do not match their address.
   */
  z.strictObject({ kind: z.literal("tamper-blob"), segment: segmentIndex }),
  /** Never opens its samples (the job expires and the collateral is slashed). */
  z.strictObject({ kind: z.literal("refuse-open") }),
  /** Never answers a dispute (its clock runs out and it loses). */
  z.strictObject({ kind: z.literal("refuse-dispute") }),
  /**
   * Trains honestly but removes its trace manifest from the shared store after submitting, so no
   * verifier can rebuild the trace; answers availability challenges (re-publishing) only when
   * `answers` is set.
   */
  z.strictObject({ kind: z.literal("withhold-manifest"), answers: z.boolean().default(false) }),
  /**
   * Trains honestly but commits `norm` (a uint64, decimal) as the update norm of `segment`: a
   * false leaf claim over a state that reproduces (a large update hidden from the top-Q rule).
   */
  z.strictObject({
    kind: z.literal("false-norm"),
    segment: segmentIndex,
    norm: z
      .string()
      .regex(/^(0|[1-9][0-9]*)$/)
      .default("1"),
  }),
  /** Trains honestly but opens the segments with the smallest norms as its top-Q claim. */
  z.strictObject({ kind: z.literal("false-top-q") }),
]);
export type Cheat = z.output<typeof CheatSchema>;
export type CheatInput = z.input<typeof CheatSchema>;

/** How a segment's end state comes about. */
export type SegmentMode =
  /** `steps` steps of the plan's batch rule (k for honest segments). */
  | { kind: "train"; steps: number }
  /** W_i = W_{i−1} + (W_{i−1} − W_{i−2}) (clamped into the program's range), without training. */
  | { kind: "extrapolate" }
  /** W_i = W_{i−1}. */
  | { kind: "replay" };

export interface CheatPlan {
  cheat: Cheat;
  batches: BatchRule;
  /** How segment i (1 ≤ i ≤ n) is produced. */
  segment(i: number): SegmentMode;
  /** The segments whose re-execution from the committed checkpoint i − 1 fails, ascending. */
  failing: number[];
  /** tamper-blob: the segment whose checkpoints' stored bytes are overwritten. */
  tamperSegment: number | undefined;
  opens: boolean;
  answersDisputes: boolean;
  /** Removes the trace manifest from the shared store once it is uploaded. */
  withholdsManifest: boolean;
  /** Makes its blobs available again when an availability challenge asks (honest: yes). */
  answersAvailability: boolean;
  /** false-norm: the segment whose leaf commits `norm` instead of its true update norm. */
  falseNorm: { segment: number; norm: bigint } | undefined;
  /** Opens the smallest-norm segments as its top-Q claim. */
  falseTopQ: boolean;
}

export interface TraceShape {
  totalSteps: number;
  checkpointInterval: number;
}

const DEFAULT_CHEAT_SEED: Hex = keccak256(toHex("assay cheat: the provider's own data order"));

/** round(f·n) distinct segments (at least one), drawn by `seed`, ascending. */
export function chooseSegments(n: number, f: number, seed: string): number[] {
  return chooseFraction(n, f, `assay.cheat/${seed}`);
}

export function planCheat(input: CheatInput, shape: TraceShape): CheatPlan {
  const cheat = CheatSchema.parse(input);
  const k = shape.checkpointInterval;
  const n = shape.totalSteps / k;
  const honest = { kind: "train", steps: k } as const;
  const base = {
    cheat,
    batches: protocolBatches,
    tamperSegment: undefined,
    opens: true,
    answersDisputes: true,
    withholdsManifest: false,
    answersAvailability: true,
    falseNorm: undefined,
    falseTopQ: false,
  };
  const inRange = (segments: readonly number[]): void => {
    const bad = segments.find((i) => i > n);
    if (bad !== undefined) throw new RangeError(`segment ${bad} is past the job's ${n} segments`);
  };
  const bySet = (segments: readonly number[], mode: SegmentMode): CheatPlan => {
    inRange(segments);
    const set = new Set(segments);
    return {
      ...base,
      segment: (i) => (set.has(i) ? mode : honest),
      failing: [...set].sort((a, b) => a - b),
    };
  };
  switch (cheat.kind) {
    case "none":
      return { ...base, segment: () => honest, failing: [] };
    case "refuse-open":
      return { ...base, segment: () => honest, failing: [], opens: false };
    case "refuse-dispute":
      return { ...base, segment: () => honest, failing: [], answersDisputes: false };
    case "false-norm":
      inRange([cheat.segment]);
      // The states reproduce: re-execution fails on the leaf's norm claim alone.
      return {
        ...base,
        segment: () => honest,
        failing: [cheat.segment],
        falseNorm: { segment: cheat.segment, norm: BigInt(cheat.norm) },
      };
    case "false-top-q":
      return { ...base, segment: () => honest, failing: [], falseTopQ: true };
    case "withhold-manifest":
      return {
        ...base,
        segment: () => honest,
        failing: [],
        withholdsManifest: true,
        answersAvailability: cheat.answers,
      };
    case "wrong-data-order":
      if (cheat.fromStep >= shape.totalSteps)
        throw new RangeError(
          `fromStep ${cheat.fromStep} is past the job's ${shape.totalSteps} steps`,
        );
      return {
        ...base,
        batches: divergentBatches(
          cheat.fromStep,
          (cheat.seed as Hex | undefined) ?? DEFAULT_CHEAT_SEED,
        ),
        segment: () => honest,
        failing: fabricatedSegments(cheat.fromStep, shape.totalSteps, k),
      };
    case "fabricate":
      return bySet(chooseSegments(n, cheat.fraction, cheat.seed), { kind: "extrapolate" });
    case "skip-steps":
      if (cheat.skip >= k)
        throw new RangeError(`skip ${cheat.skip} must be below the checkpoint interval ${k}`);
      return bySet(chooseSegments(n, cheat.fraction, cheat.seed), {
        kind: "train",
        steps: k - cheat.skip,
      });
    case "replay":
      return bySet(cheat.segments, { kind: "replay" });
    case "tamper-blob":
      return {
        ...bySet([cheat.segment], { kind: "extrapolate" }),
        tamperSegment: cheat.segment,
      };
  }
}
