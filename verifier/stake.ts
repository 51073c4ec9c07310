// Keeps the verifier's stake at the configured amount (src/node/stake.ts) and lets DisputeGame pull
// challenge bonds.
import { maxUint256 } from "viem";

import type { ChainContext } from "../src/node/chain.ts";
import type { Logger } from "../src/node/log.ts";
import { topUpStake } from "../src/node/stake.ts";
import { contractCall, type TxSender } from "../src/node/tx.ts";

/** Approves bonds, then stakes what is missing for the bonded verifier stake to reach `target`; returns the amount staked. */
export async function ensureVerifierStake(
  chain: ChainContext,
  tx: TxSender,
  target: bigint,
  log?: Logger,
): Promise<bigint> {
  const { token, disputeGame } = chain.contracts;
  // Bonds are pulled by DisputeGame when a challenge is revealed.
  const bondAllowance = await token.read.allowance([chain.address, disputeGame.address]);
  if (bondAllowance < chain.params.challengeBond)
    await tx.send(
      `approve-bonds:${bondAllowance}`,
      "approve challenge bonds",
      contractCall(token, "approve", [disputeGame.address, maxUint256]),
    );
  return topUpStake(chain, tx, "verifier", target, log);
}
