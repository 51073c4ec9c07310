// Keeps an account's stake in one role at a configured amount: when the bonded stake (free plus
// locked as job collateral — locking does not make stake go away) is below it, approve + stake the
// difference. The transaction keys name the top-up (the target and the bonded stake it started
// from), so a daemon restarted in the middle waits for the same transactions instead of staking
// twice.
import { InsufficientFundsError } from "../errors.ts";
import { stakeRole, type StakeRoleName } from "../protocol/onchain-enums.ts";
import type { ChainContext } from "./chain.ts";
import type { Logger } from "./log.ts";
import { contractCall, type TxSender } from "./tx.ts";

/** Stakes what is missing for the bonded stake in `role` to reach `target`; returns the amount staked. */
export async function topUpStake(
  chain: ChainContext,
  tx: Pick<TxSender, "send" | "sent">,
  role: StakeRoleName,
  target: bigint,
  log?: Logger,
): Promise<bigint> {
  if (target === 0n) return 0n;
  const { registry, token } = chain.contracts;
  const [free, locked] = await registry.read.accountOf([chain.address, stakeRole(role)]);
  const bonded = free + locked;
  if (bonded >= target) return 0n;
  const missing = target - bonded;
  const key = `${target}:${bonded}`;
  if (!tx.sent(`stake:${key}`)) {
    const balance = await token.read.balanceOf([chain.address]);
    if (balance < missing)
      throw new InsufficientFundsError(
        `staking ${missing} more token units (to reach the configured ${role} stake ${target}) needs a balance of ${missing}, but ${chain.address} holds ${balance}`,
      );
    const allowance = await token.read.allowance([chain.address, registry.address]);
    if (allowance < missing)
      await tx.send(
        `approve-stake:${key}`,
        "approve the stake registry",
        contractCall(token, "approve", [registry.address, missing]),
      );
  }
  await tx.send(
    `stake:${key}`,
    `stake ${missing} as ${role}`,
    contractCall(registry, "stake", [stakeRole(role), missing]),
  );
  log?.info({ staked: missing.toString(), target: target.toString() }, `${role} stake topped up`);
  return missing;
}
