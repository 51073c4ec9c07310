// The deployment's ERC-20: JobMarket escrows it (createJob) and StakeRegistry bonds it (stake),
// each pulling with transferFrom, so the sender approves them first.
import type { Address, Hash } from "viem";
import { readContract } from "viem/actions";

import { erc20Abi } from "../../generated/abis.js";
import type { AssayDeployment } from "../deployment.ts";
import { send, type AssayClient, type WriteOptions } from "./client.ts";

/** Who pulls tokens: the market (escrow), the registry (stake), or any address. */
export type Spender = "market" | "registry" | Address;

function spenderAddress(deployment: AssayDeployment, spender: Spender): Address {
  if (spender === "market") return deployment.market;
  if (spender === "registry") return deployment.registry;
  return spender;
}

/** Lets `spender` pull `amount` of the deployment's token from the sender. */
export async function approve(
  client: AssayClient,
  options: WriteOptions & { deployment: AssayDeployment; spender: Spender; amount: bigint },
): Promise<{ hash: Hash }> {
  const { hash } = await send(client, options, {
    address: options.deployment.token,
    abi: erc20Abi,
    functionName: "approve",
    args: [spenderAddress(options.deployment, options.spender), options.amount],
  });
  return { hash };
}

/** How much `spender` may still pull from `owner`. */
export async function getAllowance(
  client: AssayClient,
  options: { deployment: AssayDeployment; owner: Address; spender: Spender },
): Promise<bigint> {
  return readContract(client, {
    address: options.deployment.token,
    abi: erc20Abi,
    functionName: "allowance",
    args: [options.owner, spenderAddress(options.deployment, options.spender)],
  });
}

/** `account`'s balance of the deployment's token. */
export async function getTokenBalance(
  client: AssayClient,
  options: { deployment: AssayDeployment; account: Address },
): Promise<bigint> {
  return readContract(client, {
    address: options.deployment.token,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [options.account],
  });
}
