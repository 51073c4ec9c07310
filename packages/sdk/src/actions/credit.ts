// Pull payments: what JobMarket, DisputeGame and FraudProofs owe an account (provider payments,
// refunds, verifier budgets, slash shares) is credited there and claimed by the account itself.
import type { Address, Hash } from "viem";
import { readContract } from "viem/actions";

import { CREDIT_LEDGERS, type CreditLedger } from "../../../../src/protocol/credit-ledgers.ts";
import { disputeGameAbi, fraudProofsAbi, jobMarketAbi } from "../../generated/abis.js";
import type { AssayDeployment } from "../deployment.ts";
import { addressOf, send, senderOf, type AssayClient, type WriteOptions } from "./client.ts";

// Every ledger has CreditLedger's claimCredit and creditOf; each ABI is its contract's own.
const LEDGER_ABI = {
  market: jobMarketAbi,
  disputeGame: disputeGameAbi,
  fraudProofs: fraudProofsAbi,
} as const;

/** What each ledger owes `account`. */
export async function getCredits(
  client: AssayClient,
  options: { deployment: AssayDeployment; account: Address },
): Promise<Record<CreditLedger, bigint>> {
  const amounts = await Promise.all(
    CREDIT_LEDGERS.map((ledger) =>
      readContract(client, {
        address: options.deployment[ledger],
        abi: LEDGER_ABI[ledger] as typeof jobMarketAbi,
        functionName: "creditOf",
        args: [options.account],
      }),
    ),
  );
  return Object.fromEntries(CREDIT_LEDGERS.map((l, i) => [l, amounts[i]!])) as Record<
    CreditLedger,
    bigint
  >;
}

export interface Claimed {
  /** What each ledger paid (0 where nothing was owed: no transaction was sent there). */
  amounts: Record<CreditLedger, bigint>;
  hashes: Hash[];
}

/** Claims everything the ledgers (default all three) owe the sender; sends nothing where nothing is owed. */
export async function claim(
  client: AssayClient,
  options: WriteOptions & { deployment: AssayDeployment; from?: readonly CreditLedger[] },
): Promise<Claimed> {
  const account = addressOf(senderOf(client, options));
  const owed = await getCredits(client, { deployment: options.deployment, account });
  const amounts = Object.fromEntries(CREDIT_LEDGERS.map((l) => [l, 0n])) as Record<
    CreditLedger,
    bigint
  >;
  const hashes: Hash[] = [];
  for (const ledger of options.from ?? CREDIT_LEDGERS) {
    if (owed[ledger] === 0n) continue;
    const { hash } = await send(client, options, {
      address: options.deployment[ledger],
      abi: LEDGER_ABI[ledger] as typeof jobMarketAbi,
      functionName: "claimCredit",
      args: [],
    });
    amounts[ledger] = owed[ledger];
    hashes.push(hash);
  }
  return { amounts, hashes };
}

export type { CreditLedger };
