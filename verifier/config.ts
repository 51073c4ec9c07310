// The verifier daemon's configuration: the shared node part (RPC, deployment, account, Redis,
// store, data dir, metrics, logging; src/node/config.ts) plus the `verifier` section below.
// Sources, highest precedence first: flags, env, a JSON file, these defaults (loadConfig).
import { z } from "zod";

import { ConfigError } from "../src/errors.ts";
import { NodeConfigSchema } from "../src/node/config.ts";

const tokenAmount = z
  .union([z.string().regex(/^\d+$/, "a decimal integer string"), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));

export const VerifierSectionSchema = z.strictObject({
  /**
   * Verifier stake (token units, 18 decimals) to hold in the StakeRegistry: main.ts stakes the
   * difference when the account's free verifier stake is below it. null: the deployment's minimum.
   */
  stake: tokenAmount.nullable().default(null),
  /**
   * What this process is (docs/verifier.md, "Scale-out"): `all` = the coordinator with a
   * re-execution worker inside; `coordinator` = watch, journal and transactions only, its tasks run
   * by worker processes; `worker` = a stateless re-execution worker of a coordinator's queue (same
   * rpcUrl, deployment, redisUrl, redisPrefix and storeUrl; no key, no journal).
   */
  role: z.enum(["all", "coordinator", "worker"]).default("all"),
  /** Re-execution tasks run at once by this process's worker (BullMQ worker concurrency). */
  concurrency: z.number().int().min(1).max(64).default(1),
  /**
   * BullMQ lock duration: a task whose worker dies (or stops renewing its lock) this long runs
   * again on another worker.
   */
  lockMs: z.number().int().min(1_000).max(600_000).default(30_000),
  /** Memory for blobs cached by content address (programs, datasets, checkpoints), in MiB. */
  cacheMiB: z.number().int().min(1).max(65_536).default(256),
  /** Attempts per re-execution task before it counts as failed (retryable errors only). */
  attempts: z.number().int().min(1).max(20).default(3),
  /** First retry delay; doubles per attempt (BullMQ exponential backoff). */
  backoffMs: z.number().int().min(0).max(600_000).default(1_000),
  /**
   * Which segments to re-execute: `opened` = the sampled and top-Q segments (the protocol's
   * check), `all` = every segment (anyone may challenge any segment), `none` = verify nothing
   * (an account that only sits on committees and keeps deadlines).
   */
  audit: z.enum(["opened", "all", "none"]).default("opened"),
  /**
   * Fraction of a job's segments whose committed update norm is checked from their two checkpoint
   * blobs (no training) besides the re-executed ones: 1 = every segment (the default: what makes
   * the top-Q rule hold), less where bandwidth matters (each checked segment fetches up to two
   * checkpoints), 0 = none. The segments are drawn per job and verifier, so verifiers cover
   * different ones.
   */
  normCheckFraction: z.number().min(0).max(1).default(1),
  /**
   * Take part in receipt rounds (paid verification, docs/receipts.md): commit to the digests of
   * every step inside the sampled segments of the jobs audited, reveal them, claim the pay.
   */
  receipts: z.boolean().default(true),
  /** Sit on dispute committees when drawn (re-execute the step, vote by commit–reveal). */
  referee: z.boolean().default(true),
  /** Act on deadlines anyone may act on: finalize, expire, timeout, drawCommittee, resolve. */
  keeper: z.boolean().default(true),
  /** Pull credits (bond returns, challenger share, referee pay) from JobMarket and DisputeGame. */
  claimCredits: z.boolean().default(true),
  /**
   * Devnet-only test behaviour (refused unless the chain id is 31337): challenge the first opened
   * segment of every job with a made-up end digest, so tests can show a dishonest challenger
   * losing its bond.
   */
  dishonest: z.boolean().default(false),
  /** Blocks per event query while catching up. */
  logChunkBlocks: z.number().int().min(1).max(100_000).default(2_000),
});
export type VerifierSection = z.output<typeof VerifierSectionSchema>;

export const VerifierConfigSchema = NodeConfigSchema.extend({
  verifier: VerifierSectionSchema.default(VerifierSectionSchema.parse({})),
});
export type VerifierConfig = z.output<typeof VerifierConfigSchema>;

/** Hardhat's chain id: the only chain `dishonest` is allowed on. */
export const DEVNET_CHAIN_ID = 31337;

/** Checks the parts of the configuration that depend on the chain it connected to. */
export function assertConfigFitsChain(config: VerifierConfig, chainId: number): void {
  if (config.verifier.dishonest && chainId !== DEVNET_CHAIN_ID)
    throw new ConfigError(
      `verifier.dishonest is a devnet test behaviour and is refused on chain ${chainId} (only ${DEVNET_CHAIN_ID})`,
    );
}
