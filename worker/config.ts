// The provider daemon's configuration: NodeConfig (rpc, chain, account, store, data dir, metrics,
// logging) plus a `worker` section. Amounts are decimal strings of token base units (18 decimals on
// the devnet) so that no amount ever passes through a float.
import { z } from "zod";

import { ConfigError } from "../src/errors.ts";
import { loadConfig, NodeConfigSchema, type ConfigSources } from "../src/node/config.ts";
import { CheatSchema } from "../src/provider/cheats.ts";

/** The Hardhat devnet's chain id: the only chain a cheat may run on. */
export const DEVNET_CHAIN_ID = 31337;

const amount = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/, "a decimal integer string of token base units")
  .transform((s) => BigInt(s));

export const WorkerFiltersSchema = z.strictObject({
  /** Numerics the daemon takes jobs in. */
  numerics: z
    .array(z.enum(["exact", "tolerance"]))
    .min(1)
    .default(["exact", "tolerance"]),
  /** Largest T accepted (training time grows with it). */
  maxTotalSteps: z.number().int().positive().default(1_000_000),
  /** Smallest payment per step accepted, in token base units (the job's amount / T). */
  minAmountPerStep: amount.default(0n),
  /** Smallest total amount accepted. */
  minAmount: amount.default(0n),
  /** Largest collateral the daemon locks for one job (null: up to its free stake). */
  maxCollateral: amount.nullable().default(null),
});

export const WorkerSectionSchema = z.strictObject({
  /** Provider stake to keep deposited; main.ts tops the stake up to this at start. "0": don't stake. */
  stake: amount.default(0n),
  filters: WorkerFiltersSchema.default({
    numerics: ["exact", "tolerance"],
    maxTotalSteps: 1_000_000,
    minAmountPerStep: 0n,
    minAmount: 0n,
    maxCollateral: null,
  }),
  /** Commit a progress root every this many checkpoints (0: never). */
  progressEvery: z.number().int().min(0).default(0),
  /** Pull the credit the market and the dispute game owe the daemon once it is owed any. */
  claimCredits: z.boolean().default(true),
  /** Jobs trained at the same time (training is CPU-bound: keep 1 on small machines). */
  maxConcurrentJobs: z.number().int().min(1).max(16).default(1),
  /**
   * Only jobs created at or after this block are considered (null: from the deployment block).
   * Lets a fresh daemon ignore an old backlog.
   */
  fromBlock: z.number().int().min(0).nullable().default(null),
  /**
   * Serve the local checkpoint store read-only on 127.0.0.1:<port> (the store's gateway API), so
   * that the provider itself keeps its checkpoints available even if the shared store loses them;
   * null: don't serve; 0: any free port (logged).
   */
  servePort: z.number().int().min(0).max(65_535).nullable().default(null),
  /**
   * Path of the shared store's directory (FsBlobStore root); only the tamper-blob and
   * withhold-manifest cheats use it.
   */
  storeDir: z.string().min(1).nullable().default(null),
  /** Devnet only: how this provider cheats (src/provider/cheats.ts). */
  cheat: CheatSchema.default({ kind: "none" }),
});

export const WorkerConfigSchema = NodeConfigSchema.extend({
  worker: WorkerSectionSchema.default(WorkerSectionSchema.parse({})),
}).superRefine((config, ctx) => {
  const cheat = config.worker.cheat;
  // Without a configured chain id the RPC's is checked at start (assertCheatAllowed): the devnet's
  // deployment file already names its chain, so a cheat need not repeat it.
  if (cheat.kind !== "none" && config.chainId !== undefined && config.chainId !== DEVNET_CHAIN_ID)
    ctx.addIssue({
      code: "custom",
      path: ["worker", "cheat"],
      message: `cheat "${cheat.kind}" runs only on the devnet (chain ${DEVNET_CHAIN_ID}), not on chain ${config.chainId}`,
    });
  if (
    (cheat.kind === "tamper-blob" || cheat.kind === "withhold-manifest") &&
    config.worker.storeDir === null
  )
    ctx.addIssue({
      code: "custom",
      path: ["worker", "storeDir"],
      message: `the ${cheat.kind} cheat needs worker.storeDir, the shared store's directory`,
    });
});
export type WorkerConfig = z.output<typeof WorkerConfigSchema>;
export type WorkerConfigInput = z.input<typeof WorkerConfigSchema>;

export function loadWorkerConfig(sources: ConfigSources): WorkerConfig {
  return loadConfig(WorkerConfigSchema, sources);
}

/** Checked again once the chain is known: the RPC's chain id, not only the configured one. */
export function assertCheatAllowed(config: WorkerConfig, chainId: number): void {
  if (config.worker.cheat.kind !== "none" && chainId !== DEVNET_CHAIN_ID)
    throw new ConfigError(
      `cheat "${config.worker.cheat.kind}" runs only on the devnet (chain ${DEVNET_CHAIN_ID}); this RPC serves chain ${chainId}`,
    );
}
