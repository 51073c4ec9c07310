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

/** Out of gas spends the whole limit; a revert inside a call that ran out leaves at most 1/64 (EIP-150). */
function outOfGas(used: bigint, limit: bigint): boolean {
  return used * 64n >= limit * 63n;
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
   * sending another. A transaction that reverts in its block although its simulation passed (the
   * state moved in between: its gas estimate fell short, say) is sent once more, under the same key,
   * when the call passes now; it did nothing. Throws TransactionError when the contract rejects the
   * call (in simulation, or mined and reverted, with the custom error it fails with now) and
   * InsufficientFundsError when gas or tokens are short.
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
    let receipt = await this.#mined(journalKey, action, call, tx);
    if (receipt.status !== "success") {
      // A call that passed simulation reverted on chain: transactions mined before it moved the
      // state (its gas estimate fell short, say: what it costs depends on state others change). A
      // reverted transaction did nothing, so when the call passes now it is sent once more.
      const reverted = receipt;
      this.#count(action, reverted);
      await this.#passesNow(action, call, reverted);
      const limit = (
        await this.#chain.publicClient.getTransaction({ hash: reverted.transactionHash })
      ).gas;
      await this.#journal.delete(journalKey);
      this.#options.log?.warn(
        {
          key,
          hash: reverted.transactionHash,
          gasUsed: reverted.gasUsed.toString(),
          gasLimit: limit.toString(),
        },
        `${action}: the transaction reverted in its block (${outOfGas(reverted.gasUsed, limit) ? "out of gas" : "the state changed"}) but the call passes now; sending again`,
      );
      tx = await this.#exclusive(() => this.#signAndBroadcast(journalKey, action, call));
      receipt = await this.#mined(journalKey, action, call, tx);
      if (receipt.status !== "success") {
        this.#count(action, receipt);
        await this.#passesNow(action, call, receipt);
        throw new TransactionError(
          action,
          undefined,
          `${action}: transactions ${reverted.transactionHash} and ${receipt.transactionHash} reverted in their blocks, though the call passes in simulation (used ${receipt.gasUsed} gas)`,
        );
      }
    }
    this.#count(action, receipt);
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

  /** The receipt of `tx`, sent again (same key) if the node dropped it. */
  async #mined(
    journalKey: string,
    action: string,
    call: ContractCall,
    tx: JournaledTx,
  ): Promise<TransactionReceipt> {
    const receipt = await this.#receipt(tx);
    if (receipt !== undefined) return receipt;
    // The signed transaction is gone and its nonce was used by another: its effect never
    // happened, so sending it again is not a duplicate.
    await this.#journal.delete(journalKey);
    this.#options.log?.warn(
      { key: journalKey, hash: tx.hash },
      `${action}: the journaled transaction was dropped; sending again`,
    );
    const again = await this.#exclusive(() => this.#signAndBroadcast(journalKey, action, call));
    const second = await this.#receipt(again);
    if (second === undefined)
      throw new TransactionError(
        action,
        undefined,
        `${action}: transaction ${again.hash} was dropped twice`,
      );
    return second;
  }

  #count(action: string, receipt: TransactionReceipt): void {
    const metrics = this.#options.metrics;
    metrics?.gasSpent.inc({ action: action.split(" ")[0] }, Number(receipt.gasUsed));
    metrics?.transactions.inc({ action: action.split(" ")[0], status: receipt.status });
  }

  /**
   * Returns when the call of the reverted `receipt` passes now; else throws why it fails: the
   * custom error it reverts with now.
   */
  async #passesNow(action: string, call: ContractCall, receipt: TransactionReceipt): Promise<void> {
    try {
      await this.#simulate(call);
    } catch (cause) {
      const why = this.#explain(action, cause);
      throw new TransactionError(
        action,
        why instanceof TransactionError ? why.revert : undefined,
        `${action}: transaction ${receipt.transactionHash} reverted (the state changed after its simulation): ${why.message}`,
        { cause },
      );
    }
  }

  /** Runs `call` from this account against the latest state; throws what the node answers. */
  async #simulate(call: ContractCall): Promise<void> {
    const { publicClient, account } = this.#chain;
    await publicClient.simulateContract({ ...call, args: call.args ?? [], account } as never);
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
      await this.#simulate(call);
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
