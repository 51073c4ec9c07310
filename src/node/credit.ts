// Pull payments: JobMarket, DisputeGame and FraudProofs each keep a credit per account
// (contracts/base/CreditLedger.sol) that only the account itself claims. One list of those
// ledgers, one read of what they owe and one claim call, for the daemons and the CLI.
import type { Address } from "viem";

import type { ChainContext } from "./chain.ts";
import { contractCall, type ContractCall } from "./tx.ts";

export const CREDIT_LEDGERS = ["market", "disputeGame", "fraudProofs"] as const;
export type CreditLedger = (typeof CREDIT_LEDGERS)[number];

/** Each ledger as people call it. */
export const CREDIT_LEDGER_NAME: Readonly<Record<CreditLedger, string>> = {
  market: "job market",
  disputeGame: "dispute game",
  fraudProofs: "fraud proofs",
};

/** What each ledger owes `account`. */
export async function creditsOf(
  chain: Pick<ChainContext, "contracts">,
  account: Address,
): Promise<Record<CreditLedger, bigint>> {
  const c = chain.contracts;
  const [market, disputeGame, fraudProofs] = await Promise.all([
    c.market.read.creditOf([account]),
    c.disputeGame.read.creditOf([account]),
    c.fraudProofs.read.creditOf([account]),
  ]);
  return { market, disputeGame, fraudProofs };
}

/** The call that pays the sender everything `ledger` owes it. */
export function claimCreditCall(
  chain: Pick<ChainContext, "contracts">,
  ledger: CreditLedger,
): ContractCall {
  const c = chain.contracts;
  switch (ledger) {
    case "market":
      return contractCall(c.market, "claimCredit");
    case "disputeGame":
      return contractCall(c.disputeGame, "claimCredit");
    case "fraudProofs":
      return contractCall(c.fraudProofs, "claimCredit");
  }
}
