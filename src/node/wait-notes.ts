// What a daemon is waiting for, said at once and then at most every `everyMs` per thing. On a chain
// that mines only when a transaction arrives (anvil or `hardhat node` without a block time), a wait
// for a block never ends by itself: the operator must see which block is awaited and where the
// chain head is, not a daemon that looks idle.

export interface WaitLog {
  info(fields: object, message: string): void;
}

export class WaitNotes {
  readonly #log: WaitLog;
  readonly #everyMs: number;
  readonly #now: () => number;
  readonly #said = new Map<string, number>();

  constructor(log: WaitLog, options: { everyMs?: number; now?: () => number } = {}) {
    this.#log = log;
    this.#everyMs = options.everyMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  /** Logs `message` for `key` unless it was said less than `everyMs` ago. */
  say(key: string, fields: Record<string, string>, message: string): void {
    const now = this.#now();
    const last = this.#said.get(key);
    if (last !== undefined && now - last < this.#everyMs) return;
    this.#said.set(key, now);
    this.#log.info(fields, message);
  }

  /** Waits for `block`: says so (with the head) and returns true while the head has not reached it. */
  blockPending(key: string, block: bigint, head: bigint, what: string): boolean {
    if (head >= block) return false;
    this.say(
      key,
      { block: block.toString(), head: head.toString() },
      `${what}: waiting for block ${block} (chain head ${head})`,
    );
    return true;
  }
}
