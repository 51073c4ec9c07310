// The provider daemon keeps its provider stake at the configured amount (src/node/stake.ts).
import type { ChainContext } from "../src/node/chain.ts";
import type { Logger } from "../src/node/log.ts";
import { topUpStake } from "../src/node/stake.ts";
import type { TxPort } from "./context.ts";

/** Stakes what is missing for the bonded provider stake to reach `target`; returns the amount staked. */
export async function ensureStake(
  chain: ChainContext,
  tx: TxPort,
  target: bigint,
  log?: Logger,
): Promise<bigint> {
  return topUpStake(chain, tx, "provider", target, log);
}
