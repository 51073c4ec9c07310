// What each duty of the verifier daemon (watch, audit and challenge, receipts, referee, keeper,
// claims) works with. The daemon owns the connections and the loops; a duty gets them injected, so
// each is a small module of its own.
import type { Address } from "viem";

import type { ChainContext } from "../src/node/chain.ts";
import type { Journal } from "../src/node/journal.ts";
import type { Logger } from "../src/node/log.ts";
import type { NodeMetrics } from "../src/node/metrics.ts";
import type { TxSender } from "../src/node/tx.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import type { VerifierConfig } from "./config.ts";
import type { VerifierEvent } from "./events.ts";
import type { JobCache } from "./job-cache.ts";
import type { ReexecTaskInput } from "./tasks.ts";
import type { WaitNotes } from "../src/node/wait-notes.ts";

/** The chain head a tick works against. */
export interface Head {
  number: bigint;
  timestamp: bigint;
}

export interface DutyContext {
  readonly config: VerifierConfig;
  readonly chain: ChainContext;
  readonly journal: Journal;
  /** Every transaction goes through it, under a key naming what it is (a restart never resends). */
  readonly tx: TxSender;
  readonly log: Logger;
  /** Says what a duty waits for (a block the chain has not mined), at most every 30 s each. */
  readonly waits: WaitNotes;
  readonly metrics: NodeMetrics;
  readonly address: Address;
  /** The blob store (reads go through the content-addressed cache). */
  readonly store: BlobStore;
  /** The jobs this process has loaded. */
  readonly jobs: JobCache;
  emit(event: VerifierEvent): void;
  /**
   * Puts a re-execution task in the queue unless it is there; once a worker finished it, its
   * outcome or failure is handed to the duty that journals it (verifier/task-queue.ts).
   */
  ensureTask(task: ReexecTaskInput): Promise<void>;
  /** Runs one piece of work; a failure is logged and retried next tick, never fatal. */
  guard(what: string, run: () => Promise<void>): Promise<void>;
  isClosing(): boolean;
}
