// Ties a daemon's journal to the chain and deployment it was written for. After a devnet reset the
// same chain id, contract addresses and job ids come back, but the jobs are new: a verifier that
// kept its old cursor and its journaled verdicts skipped auditing them, and a worker waited for a
// transaction that no longer existed. The identity is the chain id, the market's address and the
// hash of the block the deployment was made in (a reset chain mines a different one).
import type { Address, Hex } from "viem";

import { ConfigError } from "../errors.ts";
import type { ChainContext } from "./chain.ts";
import type { Journal } from "./journal.ts";

export interface JournalIdentity {
  chainId: number;
  market: Address;
  deployedAtBlock: bigint;
  deploymentBlockHash: Hex;
}

/** The identity of the chain and deployment `chain` is connected to. */
export async function chainIdentity(chain: ChainContext): Promise<JournalIdentity> {
  const deployedAtBlock = BigInt(chain.deployment.deployedAtBlock);
  const block = await chain.publicClient.getBlock({ blockNumber: deployedAtBlock });
  return {
    chainId: chain.chainId,
    market: chain.contracts.market.address.toLowerCase() as Address,
    deployedAtBlock,
    deploymentBlockHash: block.hash,
  };
}

/**
 * Records the identity in a journal that has none; refuses a journal written for another chain or
 * deployment, saying what to do.
 */
export async function bindJournal(journal: Journal, identity: JournalIdentity): Promise<void> {
  const stored = journal.get<JournalIdentity>("identity");
  if (stored === undefined) {
    await journal.set("identity", identity);
    return;
  }
  const same =
    stored.chainId === identity.chainId &&
    stored.market.toLowerCase() === identity.market.toLowerCase() &&
    stored.deployedAtBlock === identity.deployedAtBlock &&
    stored.deploymentBlockHash === identity.deploymentBlockHash;
  if (same) return;
  const describe = (i: JournalIdentity): string =>
    `chain ${i.chainId}, market ${i.market} deployed in block ${i.deployedAtBlock} (${i.deploymentBlockHash.slice(0, 10)}…)`;
  throw new ConfigError(
    `the journal ${journal.file} was written for ${describe(stored)}, but the node now serves ` +
      `${describe(identity)}: the chain was reset or redeployed. Its cursor, salts and records ` +
      `belong to the old chain: move the file aside (or use another dataDir) to start afresh.`,
  );
}
