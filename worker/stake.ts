// Keeps the provider's stake at the configured amount: tops the free provider stake up with
// approve + stake when it is below, with keys that name the top-up (the target and the free stake
// it started from), so a restart in the middle waits for the same transactions.
import { InsufficientFundsError } from "../src/errors.ts";
import type { ChainContext } from "../src/node/chain.ts";
import type { Logger } from "../src/node/log.ts";
import type { TxPort } from "./daemon.ts";

const PROVIDER_ROLE = 1;

/** Stakes what is missing for the free provider stake to reach `target`; returns the amount staked. */
export async function ensureStake(
  chain: ChainContext,
  tx: TxPort,
  target: bigint,
  log?: Logger,
): Promise<bigint> {
  if (target === 0n) return 0n;
  const { registry, token } = chain.contracts;
  const free = await registry.read.freeStake([chain.address, PROVIDER_ROLE]);
  if (free >= target) return 0n;
  const missing = target - free;
  const key = `${target}:${free}`;
  if (!tx.sent(`stake:${key}`)) {
    const balance = await token.read.balanceOf([chain.address]);
    if (balance < missing)
      throw new InsufficientFundsError(
        `staking ${missing} more token units (to reach the configured stake ${target}) needs a balance of ${missing}, but ${chain.address} holds ${balance}`,
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
  await tx.send(`stake:${key}`, `stake ${missing} as provider`, {
    address: registry.address,
    abi: registry.abi,
    functionName: "stake",
    args: [PROVIDER_ROLE, missing],
  });
  log?.info({ staked: missing.toString(), target: target.toString() }, "provider stake topped up");
  return missing;
}
