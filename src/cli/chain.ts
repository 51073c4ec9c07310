// The CLI's chain actions: connect with the checks of src/node/chain.ts (reachable RPC, right
// chain, live deployment), send one transaction at a time — simulated first, so a revert is
// reported with the contract's decoded custom error and costs no gas — and make sure the token
// balance and allowance cover a payment before asking for it.
import {
  BaseError,
  ContractFunctionRevertedError,
  InsufficientFundsError as ViemInsufficientFundsError,
  type Abi,
  type Address,
  type TransactionReceipt,
} from "viem";

import { InsufficientFundsError, TransactionError } from "../errors.ts";
import { connectChain, type ChainContext } from "../node/chain.ts";
import type { CommandIo } from "./command.ts";
import type { CliConfig } from "./config.ts";
import { formatToken } from "./format.ts";

export type { ChainContext };

export async function connect(config: CliConfig, io: CommandIo): Promise<ChainContext> {
  return connectChain(config, { env: { ...io.env } });
}

export interface Call {
  address: Address;
  abi: Abi;
  functionName: string;
  args?: readonly unknown[];
}

function revertOf(error: unknown): { name: string; args: readonly unknown[] } | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError && reverted.data !== undefined)
    return { name: reverted.data.errorName, args: reverted.data.args ?? [] };
  return undefined;
}

/** Custom-error arguments for people: bytes32 names (`"samples"` as bytes32) read as text. */
function describeArgs(args: readonly unknown[]): string {
  return args
    .map((a) => {
      if (typeof a === "string" && /^0x[0-9a-f]{64}$/i.test(a)) {
        const text = Buffer.from(a.slice(2), "hex").toString("latin1").replace(/\0+$/, "");
        if (/^[A-Za-z][A-Za-z0-9_]*$/.test(text)) return text;
      }
      return String(a);
    })
    .join(", ");
}

/** Simulates, sends and waits for `call`; a revert or a failed transaction throws TransactionError. */
export async function sendTx(
  chain: ChainContext,
  action: string,
  call: Call,
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
    if (cause instanceof BaseError && cause.walk((e) => e instanceof ViemInsufficientFundsError))
      throw new InsufficientFundsError(
        `${action}: ${chain.address} has not enough ether to pay for gas`,
        { cause },
      );
    const revert = revertOf(cause);
    if (revert !== undefined)
      throw new TransactionError(
        action,
        revert.name,
        `${action} was refused by the contract: ${revert.name}(${describeArgs(revert.args)})`,
        { cause },
      );
    throw new TransactionError(action, undefined, `${action} failed`, { cause });
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
    { address: token.address, abi: token.abi, functionName: "approve", args: [spender, amount] },
    io,
  );
}
