// The CLI's chain actions: connect with the checks of src/node/chain.ts (reachable RPC, right
// chain, live deployment), send one transaction at a time — simulated first, so a revert is
// reported with the contract's decoded custom error and costs no gas — and make sure the token
// balance and allowance cover a payment before asking for it.
import type { Address, TransactionReceipt } from "viem";

import { InsufficientFundsError, TransactionError } from "../errors.ts";
import { connectChain, type ChainContext } from "../node/chain.ts";
import { explainCallFailure } from "../node/revert.ts";
import { type ContractCall, contractCall } from "../node/tx.ts";
import type { CommandIo } from "./command.ts";
import type { CliConfig } from "./config.ts";
import { formatToken } from "./format.ts";

export type { ChainContext };

export async function connect(config: CliConfig, io: CommandIo): Promise<ChainContext> {
  return connectChain(config, { env: { ...io.env } });
}

/** Simulates, sends and waits for `call`; a revert or a failed transaction throws TransactionError. */
export async function sendTx(
  chain: ChainContext,
  action: string,
  call: ContractCall,
  io: CommandIo,
): Promise<TransactionReceipt> {
  let hash: `0x${string}`;
  try {
    const { request } = await chain.publicClient.simulateContract({
      address: call.address,
      abi: call.abi,
      functionName: call.functionName,
      args: call.args ?? [],
      account: chain.account,
    });
    hash = await chain.walletClient.writeContract(
      request as Parameters<typeof chain.walletClient.writeContract>[0],
    );
  } catch (cause) {
    throw explainCallFailure(action, cause, chain.address, [chain.contracts.token.abi]);
  }
  io.note(`${action}: sent ${hash}`);
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success")
    throw new TransactionError(
      action,
      undefined,
      `${action} reverted on chain (transaction ${hash})`,
    );
  return receipt;
}

/**
 * Checks the account holds `amount` tokens and lets `spender` take them, approving exactly
 * `amount` when the allowance is short (and saying so).
 */
export async function ensureAllowance(
  chain: ChainContext,
  spender: Address,
  spenderName: string,
  amount: bigint,
  io: CommandIo,
): Promise<void> {
  const { token } = chain.contracts;
  const balance = await token.read.balanceOf([chain.address]);
  if (balance < amount)
    throw new InsufficientFundsError(
      `${chain.address} holds ${formatToken(balance)} tokens, ${formatToken(amount)} are needed`,
    );
  const allowance = await token.read.allowance([chain.address, spender]);
  if (allowance >= amount) return;
  io.note(
    `the ${spenderName}'s allowance is ${formatToken(allowance)}, below ${formatToken(amount)}: approving ${formatToken(amount)}`,
  );
  await sendTx(
    chain,
    `approve ${formatToken(amount)} tokens to the ${spenderName}`,
    contractCall(token, "approve", [spender, amount]),
    io,
  );
}
