// The explorer's view of the chain's history: every event the Assay contracts emitted since the
// deployment block, decoded with the contracts' ABIs, in chain order, collected block range by
// block range as the chain grows. The explorer folds this one list into what it shows
// (state.ts), so a page never needs an event scan of its own.
import type { Abi, Address, Hex, PublicClient } from "viem";

import type { ChainContext } from "../node/chain.ts";

/** The contracts whose events the explorer reads (the token's transfers are not shown). */
export const WATCHED = ["market", "disputeGame", "registry", "fraudProofs", "receipts"] as const;
export type WatchedContract = (typeof WATCHED)[number];

export interface ChainEvent {
  contract: WatchedContract;
  name: string;
  /** Decoded arguments by name, as viem returns them; state.ts checks each event's shape. */
  args: Readonly<Record<string, unknown>>;
  block: bigint;
  logIndex: number;
  tx: Hex;
}

/** Blocks per eth_getLogs request: public nodes refuse wide ranges; a devnet answers any. */
const CHUNK = 5_000n;

/** Appends the events of blocks after the last one collected; one instance per chain. */
export class EventCollector {
  readonly events: ChainEvent[] = [];
  /** The last block whose events are in `events`. */
  private scanned: bigint;

  private readonly chain: Pick<ChainContext, "publicClient" | "contracts" | "deployment">;

  constructor(chain: Pick<ChainContext, "publicClient" | "contracts" | "deployment">) {
    this.chain = chain;
    this.scanned = BigInt(chain.deployment.deployedAtBlock) - 1n;
  }

  get lastBlock(): bigint {
    return this.scanned;
  }

  /** Collects up to `head`; returns how many events were new. */
  async collectTo(head: bigint): Promise<number> {
    let added = 0;
    while (this.scanned < head) {
      const from = this.scanned + 1n;
      const to = head - from >= CHUNK ? from + CHUNK - 1n : head;
      const batches = await Promise.all(WATCHED.map((name) => this.read(name, from, to)));
      const batch = batches
        .flat()
        .sort((a, b) =>
          a.block === b.block ? a.logIndex - b.logIndex : a.block < b.block ? -1 : 1,
        );
      this.events.push(...batch);
      added += batch.length;
      this.scanned = to;
    }
    return added;
  }

  private async read(
    name: WatchedContract,
    fromBlock: bigint,
    toBlock: bigint,
  ): Promise<ChainEvent[]> {
    const contract = this.chain.contracts[name] as { address: Address; abi: Abi };
    const client = this.chain.publicClient as PublicClient;
    const logs = await client.getContractEvents({
      address: contract.address,
      abi: contract.abi,
      fromBlock,
      toBlock,
    });
    return logs.map((log) => {
      const named = log as unknown as { eventName: string; args: Record<string, unknown> };
      return {
        contract: name,
        name: named.eventName,
        args: named.args,
        block: log.blockNumber,
        logIndex: log.logIndex,
        tx: log.transactionHash,
      };
    });
  }
}
