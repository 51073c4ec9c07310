// What each duty of the verifier daemon (watch, audit and challenge, referee, keeper, claims)
// works with. The daemon owns the connections and the loop; a duty gets them injected, so each is
// a small module of its own.
import type { Address, Hex } from "viem";

import type { ChainContext } from "../src/node/chain.ts";
import type { Journal } from "../src/node/journal.ts";
import type { Logger } from "../src/node/log.ts";
import type { NodeMetrics } from "../src/node/metrics.ts";
import type { TxSender } from "../src/node/tx.ts";
import type { VerifierConfig } from "./config.ts";
import type { VerifierEvent } from "./events.ts";
import type { ReexecTask } from "./tasks.ts";

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
  readonly metrics: NodeMetrics;
  readonly address: Address;
  emit(event: VerifierEvent): void;
  /** Puts a re-execution task in the queue unless it is there (or journaled as failed). */
  ensureTask(task: ReexecTask): Promise<void>;
  /** Runs one piece of work; a failure is logged and retried next tick, never fatal. */
  guard(what: string, run: () => Promise<void>): Promise<void>;
  isClosing(): boolean;
}

export const ZERO_DIGEST: Hex = `0x${"00".repeat(32)}`;
