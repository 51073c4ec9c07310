// Staking on StakeRegistry: providers bond collateral for the jobs they accept, verifiers bond the
// stake that makes them eligible for committees. Unstaking is two steps: a request starts the
// unbonding delay, a withdrawal after it pays the tokens back.
import type { Address, Hash } from "viem";
import { readContract } from "viem/actions";

import { stakeRole, type StakeRoleName } from "../../../../src/protocol/onchain-enums.ts";
import { stakeRegistryAbi } from "../../generated/abis.js";
import type { AssayDeployment } from "../deployment.ts";
import { addressOf, send, senderOf, type AssayClient, type WriteOptions } from "./client.ts";
import { approve, getAllowance } from "./token.ts";

interface RoleOptions extends WriteOptions {
  deployment: AssayDeployment;
  role: StakeRoleName;
}

/** Bonds `amount` in `role`; approves the registry first when the allowance is short (default). */
export async function stake(
  client: AssayClient,
  options: RoleOptions & { amount: bigint; approve?: boolean },
): Promise<{ hash: Hash }> {
  const { deployment } = options;
  if (options.approve !== false) {
    const owner = addressOf(senderOf(client, options));
    const allowance = await getAllowance(client, { deployment, owner, spender: "registry" });
    if (allowance < options.amount)
      await approve(client, { ...options, spender: "registry", amount: options.amount });
  }
  const { hash } = await send(client, options, {
    address: deployment.registry,
    abi: stakeRegistryAbi,
    functionName: "stake",
    args: [stakeRole(options.role), options.amount],
  });
  return { hash };
}

/** Starts unbonding `amount` of free stake in `role`; `withdrawStake` pays it out after the delay. */
export async function unstake(
  client: AssayClient,
  options: RoleOptions & { amount: bigint },
): Promise<{ hash: Hash }> {
  const { hash } = await send(client, options, {
    address: options.deployment.registry,
    abi: stakeRegistryAbi,
    functionName: "requestUnstake",
    args: [stakeRole(options.role), options.amount],
  });
  return { hash };
}

/** Withdraws the stake in `role` whose unbonding delay has passed. */
export async function withdrawStake(
  client: AssayClient,
  options: RoleOptions,
): Promise<{ hash: Hash }> {
  const { hash } = await send(client, options, {
    address: options.deployment.registry,
    abi: stakeRegistryAbi,
    functionName: "withdraw",
    args: [stakeRole(options.role)],
  });
  return { hash };
}

/** An account's stake in one role (StakeRegistry.accountOf). */
export interface StakeBalance {
  /** Bonded and not locked: what jobs can lock and an unstake request can start unbonding. */
  free: bigint;
  /** Locked as collateral of accepted jobs. */
  locked: bigint;
  /** Requested out, withdrawable from `unlockAt` (unix seconds). */
  unbonding: bigint;
  unlockAt: bigint;
  /** Slashed out of the role: it may not stake in it again. */
  ejected: boolean;
}

export async function getStake(
  client: AssayClient,
  options: { deployment: AssayDeployment; account: Address; role: StakeRoleName },
): Promise<StakeBalance> {
  const [free, locked, unbonding, unlockAt, ejected] = await readContract(client, {
    address: options.deployment.registry,
    abi: stakeRegistryAbi,
    functionName: "accountOf",
    args: [options.account, stakeRole(options.role)],
  });
  return { free, locked, unbonding, unlockAt, ejected };
}
