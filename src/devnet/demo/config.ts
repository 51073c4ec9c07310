// The demo's settings: what a run may be configured with (checked by zod), the defaults
// `npm run demo` uses, the jobs' terms and seeds, and the data the submitter trains on.
import { keccak256, toHex, type Hex } from "viem";
import { z } from "zod";

import type { SampleSet } from "../../data/dataset.ts";
import { loadMnist } from "../../data/mnist.ts";
import { syntheticSamples } from "../../data/synthetic.ts";
import type { JobTerms } from "../../protocol/create-job.ts";
import { DEVNET_ACCOUNTS } from "../devnet.ts";

const positive = z.number().int().positive();

export const DaemonsDemoConfigSchema = z
  .strictObject({
    /** Real MNIST digits (the `mnist` package), or small seeded synthetic data for tests. */
    data: z.enum(["mnist", "synthetic"]),
    hidden: z.array(z.number().int().min(1).max(4096)).min(1).max(4),
    batchSize: positive.max(1024),
    totalSteps: positive.max(100_000),
    checkpointInterval: positive,
    samples: positive.max(32),
    topQ: z.number().int().min(0).max(8),
    committeeSize: positive.max(21).refine((m) => m % 2 === 1, "the committee size must be odd"),
    /** The cheating worker trains on its own data order from this step on. */
    cheatFromStep: z.number().int().min(0),
    /** Referee-only verifier daemons (audit "none"); the auditing verifier comes on top. */
    referees: z
      .number()
      .int()
      .min(1)
      .max(DEVNET_ACCOUNTS.verifiers.length - 1),
    /** Chain seconds per wall second. */
    speed: z.number().min(1).max(200),
    tickMs: z.number().int().min(50).max(5_000),
    /** The jobs' challenge window, chain seconds. */
    challengeWindow: positive,
    /** The cheater commits a progress root every this many checkpoints (0: never). */
    progressEvery: z.number().int().min(0),
    /** Also run job C, an honest float32 (tolerance) job. */
    tolerance: z.boolean(),
    /** Gives up waiting for the jobs to settle after this many wall milliseconds. */
    timeoutMs: positive,
    /** Keep the daemons' logs and config files after the run (they are removed otherwise). */
    keepLogs: z.boolean(),
    daemonLogLevel: z.enum(["error", "warn", "info", "debug"]),
    /**
     * An external development node (anvil, `hardhat node`) to run on instead of Hardhat's
     * in-process chain: its JSON-RPC URL (startDevnet's `rpcUrl`).
     */
    rpcUrl: z.url({ protocol: /^https?$/ }).optional(),
  })
  .superRefine((c, ctx) => {
    const issue = (message: string): void => ctx.addIssue({ code: "custom", message });
    if (c.totalSteps % c.checkpointInterval !== 0)
      issue(`checkpointInterval ${c.checkpointInterval} must divide totalSteps ${c.totalSteps}`);
    const n = c.totalSteps / c.checkpointInterval;
    if (c.samples + c.topQ > n) issue(`samples + topQ must not exceed the ${n} segments`);
    if (c.cheatFromStep >= c.totalSteps)
      issue(`cheatFromStep ${c.cheatFromStep} must be below totalSteps ${c.totalSteps}`);
    if (Math.floor(c.committeeSize / 2) + 1 > c.referees)
      issue(`a committee of ${c.committeeSize} needs at least a majority of referees`);
  });
export type DaemonsDemoConfig = z.input<typeof DaemonsDemoConfigSchema>;

/** What `npm run demo` runs: MNIST, a 784-64-10 MLP, T = 400, k = 20 (n = 20 segments). */
export const DAEMONS_DEMO_DEFAULTS: DaemonsDemoConfig = {
  data: "mnist",
  hidden: [64],
  batchSize: 64,
  totalSteps: 400,
  checkpointInterval: 20,
  samples: 4,
  topQ: 1,
  committeeSize: 3,
  // Mid-segment 13 of 20: segments 13..20 do not reproduce (f = 8/20).
  cheatFromStep: 247,
  // Seats are drawn by stake among the verifiers other than the parties (the challenger's weight
  // is cut out): 4 equal referees fill every seat, a referee sometimes holding two.
  referees: 4,
  speed: 30,
  tickMs: 250,
  challengeWindow: 600,
  progressEvery: 5,
  tolerance: true,
  timeoutMs: 150_000,
  keepLogs: true,
  daemonLogLevel: "info",
};

/** A checked configuration. */
export type DemoSettings = z.output<typeof DaemonsDemoConfigSchema>;

const UNIT = 10n ** 18n;
/** The honest provider's jobs (A and C): its filter takes collateral up to 200. */
export const HONEST_TERMS: JobTerms = {
  amount: 100n * UNIT,
  collateral: 200n * UNIT,
  verificationBps: 1_000,
};
/** The cheater's job pays more and locks more: only the cheater's filter takes it. */
export const CHEAT_TERMS: JobTerms = {
  amount: 150n * UNIT,
  collateral: 300n * UNIT,
  verificationBps: 1_000,
};
export const SPEC_SEED: Hex = keccak256(toHex("assay demo: the protocol's data order"));
export const CHEAT_SEED: Hex = keccak256(toHex("assay demo: the cheater's own data order"));
export const OPTIMIZER = { kind: "sgd", learningRate: 0.1, momentum: 0.9 } as const;

export interface DemoData {
  train: SampleSet;
  test: SampleSet;
  shardSize: number;
  description: string;
}

export function loadData(kind: "mnist" | "synthetic"): DemoData {
  if (kind === "mnist") {
    const { train, test } = loadMnist();
    return {
      train,
      test,
      shardSize: 2000,
      description: `MNIST, ${train.count} training digits, ${test.count} held out`,
    };
  }
  const all = syntheticSamples({ seed: "assay-demo", count: 640, featureCount: 20, classCount: 5 });
  const slice = (from: number, to: number): SampleSet => ({
    ...all,
    count: to - from,
    features: all.features.slice(from * all.featureCount, to * all.featureCount),
    labels: all.labels.slice(from, to),
  });
  return {
    train: slice(0, 512),
    test: slice(512, 640),
    shardSize: 128,
    description: "synthetic, 512 training samples, 128 held out",
  };
}
