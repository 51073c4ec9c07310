// Keeps the verifier's stake at the configured amount (approve + stake when the free verifier
// stake is below it) and lets DisputeGame pull challenge bonds. Transaction keys name the top-up
// (target and the free stake it started from), so a restart in the middle waits for the same
// transactions instead of staking twice.
import { maxUint256 } from "viem";

import { InsufficientFundsError } from "../src/errors.ts";
import type { ChainContext } from "../src/node/chain.ts";
import type { Logger } from "../src/node/log.ts";
import type { TxSender } from "../src/node/tx.ts";

const VERIFIER_ROLE = 2;

/** Stakes what is missing for the free verifier stake to reach `target`; returns the amount staked. */
export async function ensureVerifierStake(
  chain: ChainContext,
  tx: TxSender,
  target: bigint,
  log?: Logger,
): Promise<bigint> {
  const { registry, token, disputeGame } = chain.contracts;
  // Bonds are pulled by DisputeGame when a challenge is revealed.
  const bondAllowance = await token.read.allowance([chain.address, disputeGame.address]);
  if (bondAllowance < chain.params.challengeBond)
    await tx.send(`approve-bonds:${bondAllowance}`, "approve challenge bonds", {
      address: token.address,
      abi: token.abi,
      functionName: "approve",
      args: [disputeGame.address, maxUint256],
    });
  if (target === 0n) return 0n;
  const free = await registry.read.freeStake([chain.address, VERIFIER_ROLE]);
  if (free >= target) return 0n;
  const missing = target - free;
  const key = `${target}:${free}`;
  if (!tx.sent(`stake:${key}`)) {
    const balance = await token.read.balanceOf([chain.address]);
    if (balance < missing)
      throw new InsufficientFundsError(
        `staking ${missing} more token units (to reach the verifier stake ${target}) needs a balance of ${missing}, but ${chain.address} holds ${balance}`,
      );
    const allowance = await token.read.allowance([chain.address, registry.address]);
    if (allowance < missing)
      await tx.send(`approve-stake:${key}`, "approve the stake registry", {
        address: token.address,
        abi: token.abi,
        functionName: "approve",
        args: [registry.address, missing],
      });
  }
  await tx.send(`stake:${key}`, `stake ${missing} as verifier`, {
    address: registry.address,
    abi: registry.abi,
    functionName: "stake",
    args: [VERIFIER_ROLE, missing],
  });
  log?.info({ staked: missing.toString(), target: target.toString() }, "verifier stake topped up");
  return missing;
}
