// What every write action shares: the client type they take, the account they send from, and one
// way to send (simulate first, so a revert is reported with the contract's decoded error before
// any gas is spent; then wait for the receipt and refuse a reverted one).
import type {
  Abi,
  Account,
  Address,
  Chain,
  Client,
  ContractFunctionArgs,
  ContractFunctionName,
  Hash,
  TransactionReceipt,
  Transport,
} from "viem";
import { BaseError, ContractFunctionRevertedError } from "viem";
import {
  getChainId,
  simulateContract,
  waitForTransactionReceipt,
  writeContract,
} from "viem/actions";

import { abis } from "../../generated/abis.js";
import type { AssayDeployment } from "../deployment.ts";
import { DeploymentError, MissingAccountError, SdkTransactionError } from "../errors.ts";

// A call reverts with the error of whichever contract refused it (the registry inside the market's
// accept, the token inside createJob's escrow): every public contract's errors, so viem decodes it.
const ALL_ERRORS = Object.values(abis).flatMap((abi) =>
  (abi as Abi).filter((item) => item.type === "error"),
);

/** A viem client: a public client for reads, a wallet client (with or without an account) for writes. */
export type AssayClient = Client<Transport, Chain | undefined, Account | undefined>;

/** Options every write action takes. */
export interface WriteOptions {
  /** The sender; defaults to the client's account. */
  account?: Account | Address;
}

/** The account to send from: the one passed, else the client's; neither is a MissingAccountError. */
export function senderOf(client: AssayClient, options: WriteOptions): Account | Address {
  const account = options.account ?? client.account;
  if (account === undefined)
    throw new MissingAccountError(
      "no account to send from: pass `account`, or use a wallet client created with one",
    );
  return account;
}

/** The address of `account` (an Account or an address). */
export function addressOf(account: Account | Address): Address {
  return typeof account === "string" ? account : account.address;
}

/**
 * Refuses a deployment for another chain than the client's: its addresses mean nothing there (or,
 * worse, something else). ATTACK: test/ts/sdk/attack-wrong-chain-deployment.test.ts.
 */
export async function assertDeploymentChain(
  client: AssayClient,
  deployment: Pick<AssayDeployment, "chainId">,
): Promise<void> {
  const chainId = client.chain?.id ?? (await getChainId(client));
  if (chainId !== deployment.chainId)
    throw new DeploymentError(
      `the deployment is for chain ${deployment.chainId}, but the client is on chain ${chainId}: pass chain ${chainId}'s deployment`,
    );
}

/** A sent and mined transaction. */
export interface Sent {
  hash: Hash;
  receipt: TransactionReceipt;
}

/** A failed call in one line: the contract's decoded error and its arguments, when there is one. */
function reasonOf(cause: unknown): string {
  if (!(cause instanceof BaseError)) return cause instanceof Error ? cause.message : String(cause);
  const reverted = cause.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return cause.shortMessage;
  if (reverted.data !== undefined)
    return `reverted with ${reverted.data.errorName}(${(reverted.data.args ?? []).map(String).join(", ")})`;
  return `reverted: ${reverted.reason ?? reverted.shortMessage}`;
}

/** Simulates, sends and waits for one contract call; a revert is an SdkTransactionError. */
export async function send<
  const abi extends Abi,
  name extends ContractFunctionName<abi, "nonpayable" | "payable">,
  const args extends ContractFunctionArgs<abi, "nonpayable" | "payable", name>,
>(
  client: AssayClient,
  options: WriteOptions & { deployment?: Pick<AssayDeployment, "chainId"> },
  call: { address: Address; abi: abi; functionName: name; args: args },
): Promise<Sent> {
  const action = `${call.functionName} on ${call.address}`;
  if (options.deployment !== undefined) await assertDeploymentChain(client, options.deployment);
  const account = senderOf(client, options);
  let hash: Hash;
  try {
    // viem's generic parameters do not narrow through a generic wrapper; the call is typed above.
    const { request } = await simulateContract(client, {
      ...call,
      abi: [...call.abi, ...ALL_ERRORS],
      account,
    } as unknown as Parameters<typeof simulateContract>[1]);
    hash = await writeContract(client, request as Parameters<typeof writeContract>[1]);
  } catch (cause) {
    throw new SdkTransactionError(action, reasonOf(cause), { cause });
  }
  const receipt = await waitForTransactionReceipt(client, { hash });
  if (receipt.status !== "success")
    throw new SdkTransactionError(action, `transaction ${hash} reverted on chain`);
  return { hash, receipt };
}
