// Why a contract call failed, in words: the custom error it reverted with (decoded against the
// called contract's ABI, then against the ABIs of the contracts it calls into), with its arguments
// readable, or the shortage of ether or tokens that stopped it. One reading for the daemons'
// TxSender and the CLI, so an operator sees the same message from both.
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  InsufficientFundsError as ViemInsufficientFundsError,
  type Abi,
  type Address,
} from "viem";

import { InsufficientFundsError, TransactionError } from "../errors.ts";

export interface DecodedRevert {
  name: string;
  args: readonly unknown[];
}

const TOKEN_SHORTFALLS = new Set(["ERC20InsufficientBalance", "ERC20InsufficientAllowance"]);

/**
 * The custom error a failed call reverted with, and its arguments. Errors raised by a contract the
 * call went through (the token inside `stake`, say) are not in the called contract's ABI: they are
 * decoded with `extraAbis`.
 */
export function decodedRevert(
  error: unknown,
  extraAbis: readonly Abi[] = [],
): DecodedRevert | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  const name = reverted.data?.errorName ?? reverted.reason;
  if (name !== undefined) return { name, args: reverted.data?.args ?? [] };
  if (reverted.raw === undefined) return undefined;
  for (const abi of extraAbis) {
    try {
      const decoded = decodeErrorResult({ abi, data: reverted.raw });
      return { name: decoded.errorName, args: decoded.args ?? [] };
    } catch {
      // not this ABI's error
    }
  }
  return undefined;
}

/** Custom-error arguments for people: bigints in decimal, bytes32 names (`"samples"`) as text. */
export function describeRevertArgs(args: readonly unknown[]): string {
  return args
    .map((a) => {
      if (typeof a === "string" && /^0x[0-9a-f]{64}$/i.test(a)) {
        const text = Buffer.from(a.slice(2), "hex").toString("latin1").replace(/\0+$/, "");
        if (/^[A-Za-z][A-Za-z0-9_]*$/.test(text)) return text;
      }
      return typeof a === "bigint" ? a.toString() : String(a);
    })
    .join(", ");
}

/**
 * The error to throw for a call that failed before it was mined: TransactionError naming the
 * decoded custom error, InsufficientFundsError when the account lacks ether for gas or the tokens
 * the call moves, else TransactionError with viem's short message.
 */
export function explainCallFailure(
  action: string,
  cause: unknown,
  account: Address,
  extraAbis: readonly Abi[] = [],
): Error {
  const revert = decodedRevert(cause, extraAbis);
  if (revert !== undefined) {
    const message = `${action} was rejected by the contract: ${revert.name}(${describeRevertArgs(revert.args)})`;
    if (TOKEN_SHORTFALLS.has(revert.name))
      return new InsufficientFundsError(`${message}: not enough tokens approved or held`, {
        cause,
      });
    return new TransactionError(action, revert.name, message, { cause });
  }
  if (cause instanceof BaseError && cause.walk(isEtherShortfall))
    return new InsufficientFundsError(`${action}: ${account} has not enough ether to pay for gas`, {
      cause,
    });
  const short = cause instanceof BaseError ? cause.shortMessage : String(cause);
  return new TransactionError(action, undefined, `${action} failed: ${short}`, { cause });
}

/**
 * Whether a viem error says the account cannot pay for gas. A signed transaction the node refuses
 * at broadcast (eth_sendRawTransaction) is not classified by viem: anvil's refusal reaches us as
 * "Transaction creation failed" (-32003) with the reason only in its details.
 */
function isEtherShortfall(error: unknown): boolean {
  if (error instanceof ViemInsufficientFundsError) return true;
  const details = error instanceof BaseError ? error.details : undefined;
  return typeof details === "string" && INSUFFICIENT_FUNDS.test(details);
}

/** How nodes word it: geth "insufficient funds for gas * price + value", anvil likewise. */
const INSUFFICIENT_FUNDS = /insufficient funds/i;

/** The custom error named by the first TransactionError in `error`'s cause chain, if any. */
export function revertNameOf(error: unknown): string | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause)
    if (e instanceof TransactionError && e.revert !== undefined) return e.revert;
  return undefined;
}
