// What each part of the provider daemon (watch, filter, training, its steps on the market,
// disputes, probes, claims) works with. The daemon owns the loop and moves each job along its state
// table; a part gets these injected, so each is a small module of its own (as the verifier's
// duties are: verifier/duty.ts).
import type { TransactionReceipt } from "viem";

import type { ChainContext } from "../src/node/chain.ts";
import type { Journal } from "../src/node/journal.ts";
import type { Logger } from "../src/node/log.ts";
import type { NodeMetrics } from "../src/node/metrics.ts";
import type { ContractCall } from "../src/node/tx.ts";
import type { WaitNotes } from "../src/node/wait-notes.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import type { WorkerConfig } from "./config.ts";
import type { JobSpecs } from "./job-specs.ts";

/** What the daemon needs from TxSender (src/node/tx.ts). */
export interface TxPort {
  send(key: string, action: string, call: ContractCall): Promise<TransactionReceipt>;
  sent(key: string): boolean;
  receiptOf(key: string): Promise<TransactionReceipt | undefined>;
}

export interface WorkerContext {
  readonly config: WorkerConfig;
  readonly chain: ChainContext;
  readonly journal: Journal;
  /** Every transaction goes through it, under a key naming what it is (a restart never resends). */
  readonly tx: TxPort;
  /** The provider's own durable store (under dataDir). */
  readonly local: BlobStore;
  /** The shared store verifiers read from. */
  readonly shared: BlobStore;
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  /** Says what a step waits for (a block the chain has not mined), at most every 30 s each. */
  readonly waits: WaitNotes;
  /** Aborted when the daemon closes: training stops at its next step. */
  readonly signal: AbortSignal;
  /** The specs of the jobs this process has read, and the cheat plan for each. */
  readonly specs: JobSpecs;
}
