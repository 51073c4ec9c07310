// Keeps the provider's stake at the configured amount: tops the bonded provider stake (free plus
// locked as job collateral — locking does not make stake go away) up with approve + stake when it
// is below, with keys that name the top-up (the target and the free stake
// it started from), so a restart in the middle waits for the same transactions.
import { InsufficientFundsError } from "../src/errors.ts";
import type { ChainContext } from "../src/node/chain.ts";
import type { Logger } from "../src/node/log.ts";
import type { TxPort } from "./daemon.ts";

const PROVIDER_ROLE = 1;

/** Stakes what is missing for the bonded provider stake to reach `target`; returns the amount staked. */
export async function ensureStake(
  chain: ChainContext,
  tx: TxPort,
  target: bigint,
  log?: Logger,
): Promise<bigint> {
  if (target === 0n) return 0n;
  const { registry, token } = chain.contracts;
  const [free, locked] = await registry.read.accountOf([chain.address, PROVIDER_ROLE]);
  const bonded = free + locked;
  if (bonded >= target) return 0n;
  const missing = target - bonded;
  const key = `${target}:${bonded}`;
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
