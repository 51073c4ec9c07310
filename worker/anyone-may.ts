// Calls anyone may make (record a seed, request or record probe randomness, time out a dispute,
// draw its committee, resolve it): the provider makes them when they concern its own jobs, and a
// revert means someone else (a verifier's keeper) made the call first.
import { revertNameOf } from "../src/node/revert.ts";
import type { ContractCall } from "../src/node/tx.ts";
import type { WorkerContext } from "./context.ts";

/**
 * Sends `call` under `key`; a revert is logged at debug and swallowed. With `simulateOnly` the call
 * is simulated first and not sent if the simulation fails, so that a not-yet call costs no key.
 */
export async function tryAnyoneMay(
  ctx: WorkerContext,
  key: string,
  action: string,
  call: ContractCall,
  simulateOnly = false,
): Promise<void> {
  const { chain } = ctx;
  if (simulateOnly) {
    // Draws need the randomness to exist; simulate first so that a not-yet draw costs no key.
    try {
      await chain.publicClient.simulateContract({
        ...call,
        account: chain.account,
      } as Parameters<typeof chain.publicClient.simulateContract>[0]);
    } catch {
      return;
    }
  }
  try {
    await ctx.tx.send(key, action, call);
  } catch (error) {
    if (revertNameOf(error) === undefined) throw error;
    ctx.log.debug(
      { key, revert: revertNameOf(error) },
      `${action}: reverted (someone else moved first)`,
    );
  }
}
