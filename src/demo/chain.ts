// The demo's view of the chain: the deployed contracts, a public client to read and wait with, a
// test client to move time on the in-process devnet, and a gas ledger that records every
// transaction by actor and action. Actors send transactions through `send`, which waits for the
// receipt, refuses a reverted one and names the actor and action in any failure.
import type { PublicClient, TestClient, WalletClient } from "@nomicfoundation/hardhat-viem/types";
import type { Address, Hex, TransactionReceipt } from "viem";

import type { AssayDeployment } from "../../deploy/deploy-assay.ts";
import type { DisputeSource } from "../node/dispute-reads.ts";
import { DemoError } from "./errors.ts";

export type Deployment = AssayDeployment;

/** One party of the demo: a named account. */
export interface Actor {
  name: string;
  wallet: WalletClient;
  address: Address;
}

export interface GasEntry {
  actor: string;
  action: string;
  calls: number;
  gas: bigint;
}

export interface DemoChain {
  deployment: Deployment;
  publicClient: PublicClient;
  testClient: TestClient;
  /** Gas per `actor/action`, in the order first seen. */
  gas: Map<string, GasEntry>;
}

/** What a devnet offers to build a DemoChain from: its deployment and its Hardhat connection. */
export interface DemoChainSource {
  deployment: Deployment;
  connection: {
    viem: { getPublicClient(): Promise<PublicClient>; getTestClient(): Promise<TestClient> };
  };
}

/** The demo's view of a devnet (src/devnet/devnet.ts), with an empty gas ledger. */
export async function demoChainOf(devnet: DemoChainSource): Promise<DemoChain> {
  const { viem } = devnet.connection;
  return {
    deployment: devnet.deployment,
    publicClient: await viem.getPublicClient(),
    testClient: await viem.getTestClient(),
    gas: new Map(),
  };
}

/** Where the demo's parties read disputes (src/node/dispute-reads.ts): the whole devnet chain. */
export function disputeSourceOf(chain: DemoChain): DisputeSource {
  return { game: chain.deployment.disputeGame, fromBlock: 0n };
}

export function actorOf(name: string, wallet: WalletClient): Actor {
  return { name, wallet, address: wallet.account.address };
}

export function recordGas(chain: DemoChain, actor: string, action: string, gas: bigint): void {
  const key = `${actor}/${action}`;
  const entry = chain.gas.get(key) ?? { actor, action, calls: 0, gas: 0n };
  entry.calls += 1;
  entry.gas += gas;
  chain.gas.set(key, entry);
}

/**
 * Sends a transaction for `actor`, waits for it to be mined and records its gas. A revert (in
 * simulation or on chain) becomes a DemoError naming the actor and the action, with the decoded
 * custom error in its cause.
 */
export async function send(
  chain: DemoChain,
  actor: Actor,
  action: string,
  write: () => Promise<Hex>,
): Promise<TransactionReceipt> {
  let receipt: TransactionReceipt;
  try {
    const hash = await write();
    receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  } catch (cause) {
    throw new DemoError(`${actor.name}: ${action} failed`, { cause });
  }
  if (receipt.status !== "success")
    throw new DemoError(
      `${actor.name}: ${action} reverted (transaction ${receipt.transactionHash})`,
    );
  recordGas(chain, actor.name, action, receipt.gasUsed);
  return receipt;
}

/** Mines `blocks` empty blocks (the randomness source reads the hash of a future block). */
export async function mineBlocks(chain: DemoChain, blocks: number): Promise<void> {
  await chain.testClient.mine({ blocks });
}

/** Moves the devnet's clock past `timestamp` (deadlines are inclusive) and mines a block there. */
export async function timeTravelPast(chain: DemoChain, timestamp: bigint): Promise<void> {
  const latest = await chain.publicClient.getBlock();
  if (latest.timestamp > timestamp) return;
  await chain.testClient.setNextBlockTimestamp({ timestamp: timestamp + 1n });
  await chain.testClient.mine({ blocks: 1 });
}

export async function latestTimestamp(chain: DemoChain): Promise<bigint> {
  return (await chain.publicClient.getBlock()).timestamp;
}
