// Scanning a chain's events without missing or losing any across restarts: the ranges of blocks
// not yet scanned, in chunks, with the last scanned block journaled after each chunk is handled.
// A crash mid-chunk replays that chunk (handlers must be idempotent); nothing is ever skipped.
import type { Journal } from "./journal.ts";

export interface BlockRange {
  from: bigint;
  to: bigint;
}

export interface UnscannedOptions {
  /** The journal key holding the last scanned block. */
  key: string;
  /** The first block there is anything to scan in (the deployment's block). */
  firstBlock: bigint;
  /** Scan up to and including this block. */
  head: bigint;
  /** Blocks per range (a node's getLogs limit). */
  chunk: bigint;
  /** Stop early (between ranges) when this returns true. */
  stop?: () => boolean;
}

/**
 * Yields the unscanned ranges up to `head`; the journal moves past a range only once the consumer
 * asks for the next one (or finishes), so a range whose handling threw is scanned again next time.
 */
export async function* unscannedRanges(
  journal: Journal,
  options: UnscannedOptions,
): AsyncGenerator<BlockRange> {
  const { key, head, chunk } = options;
  if (chunk < 1n) throw new RangeError(`a scan chunk of ${chunk} blocks`);
  let scanned = journal.get<bigint>(key) ?? options.firstBlock - 1n;
  while (scanned < head && options.stop?.() !== true) {
    const from = scanned + 1n;
    const to = head < scanned + chunk ? head : scanned + chunk;
    yield { from, to };
    scanned = to;
    await journal.set(key, scanned);
  }
}
