// Transactions that are sent at most once. Every transaction a daemon sends has a stable key that
// names its effect (`accept:7`, `challenge-commit:7:3`); before it is broadcast, the signed bytes
// are journaled under that key. After a crash, asking for the same key finds the journaled
// transaction and waits for it (rebroadcasting the same bytes, same nonce, if the node lost it), so
// a restart never produces a second accept, submit or challenge. A call the contract would reject
// is caught in simulation and reported with its decoded custom error, without spending gas.
import {
  encodeFunctionData,
  keccak256,
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type TransactionReceipt,
} from "viem";

import { TransactionError } from "../errors.ts";
import type { ChainContext } from "./chain.ts";
import type { Journal } from "./journal.ts";
import type { Logger } from "./log.ts";
import type { NodeMetrics } from "./metrics.ts";
import { explainCallFailure } from "./revert.ts";

/**
 * A contract call, as TxSender and the CLI send it. Build one with `contractCall`, which checks the
 * function name and the arguments against the contract's ABI at compile time.
 */
export interface ContractCall {
  address: Address;
  abi: Abi;
  functionName: string;
  args?: readonly unknown[];
}

type Writable = "nonpayable" | "payable";

/** A call of `functionName` on `contract`, type-checked against its ABI. */
export function contractCall<
  const abi extends Abi,
  name extends ContractFunctionName<abi, Writable>,
>(
  contract: { address: Address; abi: abi },
  functionName: name,
  ...args: ContractFunctionArgs<abi, Writable, name> extends readonly []
    ? []
    : [args: ContractFunctionArgs<abi, Writable, name>]
): ContractCall {
  return {
    address: contract.address,
    abi: contract.abi,
    functionName,
    args: (args[0] ?? []) as readonly unknown[],
  };
}

interface JournaledTx {
  hash: Hex;
  raw: Hex;
  nonce: number;
  action: string;
}

export interface TxSenderOptions {
  log?: Logger;
  metrics?: NodeMetrics;
  /** Multiplier on the gas estimate, in percent (default 125). */
  gasMarginPercent?: number;
  /** How long to wait for a receipt before checking whether the transaction was dropped. */
  receiptTimeoutMs?: number;
}

export class TxSender {
  readonly #chain: ChainContext;
  readonly #journal: Journal;
  readonly #options: TxSenderOptions;
  /** Nonce assignment and broadcast happen one transaction at a time. */
  #lock: Promise<void> = Promise.resolve();

  constructor(chain: ChainContext, journal: Journal, options: TxSenderOptions = {}) {
    this.#chain = chain;
    this.#journal = journal;
    this.#options = options;
  }

  /** Whether a transaction for `key` was ever signed (it may still be pending). */
  sent(key: string): boolean {
    return this.#journal.has(`tx:${key}`);
  }

  /**
   * The receipt of the transaction journaled under `key` once it is mined, whether it succeeded or
   * reverted; undefined while none is journaled or it is not mined. What `send` cannot say when it
   * throws: whether the key's effect is settled (mined) or may still happen.
   */
  async receiptOf(key: string): Promise<TransactionReceipt | undefined> {
    const tx = this.#journal.get<JournaledTx>(`tx:${key}`);
    if (tx === undefined) return undefined;
    return this.#chain.publicClient.getTransactionReceipt({ hash: tx.hash }).catch(() => undefined);
  }

  /**
   * Sends `call` under `key` at most once and resolves with its successful receipt. A journaled
   * transaction for `key` is waited for (and rebroadcast if the node does not know it) instead of
   * sending another. Throws TransactionError when the contract rejects the call (in simulation, or
   * mined and reverted) and InsufficientFundsError when gas or tokens are short.
   */
  async send(key: string, action: string, call: ContractCall): Promise<TransactionReceipt> {
    const journalKey = `tx:${key}`;
    let tx = this.#journal.get<JournaledTx>(journalKey);
    if (tx === undefined) {
      tx = await this.#exclusive(() => this.#signAndBroadcast(journalKey, action, call));
    } else {
      this.#options.log?.info(
        { key, hash: tx.hash },
        `${action}: waiting for the journaled transaction`,
      );
    }
    let receipt = await this.#receipt(tx);
    if (receipt === undefined) {
      // The signed transaction is gone and its nonce was used by another: its effect never
      // happened, so sending it again is not a duplicate.
      await this.#journal.delete(journalKey);
      this.#options.log?.warn(
        { key, hash: tx.hash },
        `${action}: the journaled transaction was dropped; sending again`,
      );
      tx = await this.#exclusive(() => this.#signAndBroadcast(journalKey, action, call));
      receipt = await this.#receipt(tx);
      if (receipt === undefined)
        throw new TransactionError(
          action,
          undefined,
          `${action}: transaction ${tx.hash} was dropped twice`,
        );
    }
    const metrics = this.#options.metrics;
    metrics?.gasSpent.inc({ action: action.split(" ")[0] }, Number(receipt.gasUsed));
    metrics?.transactions.inc({ action: action.split(" ")[0], status: receipt.status });
    if (receipt.status !== "success")
      throw new TransactionError(
        action,
        undefined,
        `${action}: transaction ${receipt.transactionHash} reverted`,
      );
    this.#options.log?.debug(
      { key, hash: receipt.transactionHash, gas: receipt.gasUsed.toString() },
      action,
    );
    return receipt;
  }

  /** Rebroadcasts every journaled transaction the node does not know (call once at start). */
  async recover(): Promise<number> {
    let rebroadcast = 0;
    for (const key of this.#journal.keys("tx:")) {
      const tx = this.#journal.get<JournaledTx>(key)!;
      const known = await this.#chain.publicClient
        .getTransaction({ hash: tx.hash })
        .then(() => true)
        .catch(() => false);
      if (known) continue;
      const nonce = await this.#chain.publicClient.getTransactionCount({
        address: this.#chain.address,
      });
      if (nonce > tx.nonce) continue; // mined earlier and pruned, or replaced: send() sorts it out
      await this.#broadcast(tx);
      rebroadcast += 1;
    }
    return rebroadcast;
  }

  async #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.#lock;
    let release!: () => void;
    this.#lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }

  async #signAndBroadcast(
    journalKey: string,
    action: string,
    call: ContractCall,
  ): Promise<JournaledTx> {
    const { publicClient, walletClient, account } = this.#chain;
    let gas: bigint;
    try {
      await publicClient.simulateContract({ ...call, args: call.args ?? [], account } as never);
      gas = await publicClient.estimateContractGas({
        ...call,
        args: call.args ?? [],
        account,
      } as never);
    } catch (cause) {
      this.#options.metrics?.transactions.inc({ action: action.split(" ")[0], status: "rejected" });
      throw this.#explain(action, cause);
    }
    const nonce = await publicClient.getTransactionCount({
      address: account.address,
      blockTag: "pending",
    });
    const margin = BigInt(this.#options.gasMarginPercent ?? 125);
    const request = await walletClient.prepareTransactionRequest({
      account,
      chain: walletClient.chain,
      to: call.address,
      data: encodeFunctionData({
        abi: call.abi,
        functionName: call.functionName,
        args: call.args ?? [],
      } as never),
      nonce,
      gas: (gas * margin) / 100n,
    });
    const raw = await walletClient.signTransaction(request as never);
    const tx: JournaledTx = { hash: keccak256(raw), raw, nonce, action };
    // INVARIANT: journaled before broadcast, so no crash can lose a transaction that was sent.
    await this.#journal.set(journalKey, tx);
    await this.#broadcast(tx).catch((cause: unknown) => {
      throw this.#explain(action, cause);
    });
    this.#options.log?.info({ hash: tx.hash, nonce }, `${action}: sent`);
    return tx;
  }

  async #broadcast(tx: JournaledTx): Promise<void> {
    try {
      await this.#chain.publicClient.sendRawTransaction({ serializedTransaction: tx.raw });
    } catch (error) {
      const text = String((error as Error).message ?? error).toLowerCase();
      // The node has it already (or mined it): nothing to do.
      if (
        text.includes("already known") ||
        text.includes("nonce too low") ||
        text.includes("already imported")
      )
        return;
      throw error;
    }
  }

  /** The receipt of `tx`, or undefined when it was dropped (not known and its nonce is used). */
  async #receipt(tx: JournaledTx): Promise<TransactionReceipt | undefined> {
    const { publicClient, address } = this.#chain;
    const timeout = this.#options.receiptTimeoutMs ?? 60_000;
    for (;;) {
      try {
        return await publicClient.waitForTransactionReceipt({
          hash: tx.hash,
          timeout,
          pollingInterval: publicClient.pollingInterval,
        });
      } catch (error) {
        const known = await publicClient
          .getTransaction({ hash: tx.hash })
          .then(() => true)
          .catch(() => false);
        if (known) continue;
        const nonce = await publicClient.getTransactionCount({ address });
        if (nonce > tx.nonce) {
          // One last look: mined between the two calls?
          const receipt = await publicClient
            .getTransactionReceipt({ hash: tx.hash })
            .catch(() => undefined);
          return receipt;
        }
        // Unknown and its nonce still free: the node lost it; send the same bytes again.
        await this.#broadcast(tx).catch(() => undefined);
        this.#options.log?.warn(
          { hash: tx.hash, error: String(error) },
          "rebroadcast a lost transaction",
        );
      }
    }
  }

  #explain(action: string, cause: unknown): Error {
    const c = this.#chain.contracts;
    return explainCallFailure(action, cause, this.#chain.address, [
      c.token.abi,
      c.market.abi,
      c.registry.abi,
      c.disputeGame.abi,
      c.fraudProofs.abi,
    ]);
  }
}
