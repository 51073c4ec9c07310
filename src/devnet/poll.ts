// Waiting on a devnet: poll a condition until it holds, with a deadline that names what was awaited.
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `probe` every `everyMs` until it returns a value (not undefined or false) and returns it;
 * throws `timed out waiting for <what>` after `timeoutMs`.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 90_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
