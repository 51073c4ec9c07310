// Pull payments (src/protocol/credit-ledgers.ts): one read of what the ledgers owe an account, the
// claim call of each ledger, and the two together — what is owed and how to pull it — for the
// daemons and the CLI. The daemons key and send their claims through src/node/credit-claims.ts.
import type { Address } from "viem";

import {
  CREDIT_LEDGERS,
  CREDIT_LEDGER_NAME,
  type CreditLedger,
} from "../protocol/credit-ledgers.ts";
import type { ChainContext } from "./chain.ts";
import { contractCall, type ContractCall } from "./tx.ts";

// The list of ledgers is protocol code (src/protocol/credit-ledgers.ts), shared with the SDK.
export { CREDIT_LEDGERS, CREDIT_LEDGER_NAME, type CreditLedger };

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

/** A ledger that owes an account credit: how much, and the call that pays it to the sender. */
export interface OwedCredit {
  ledger: CreditLedger;
  amount: bigint;
  call: ContractCall;
}

/** The ledgers that owe `account` anything, in CREDIT_LEDGERS order, each with its claim call. */
export async function owedCredits(
  chain: Pick<ChainContext, "contracts">,
  account: Address,
): Promise<OwedCredit[]> {
  const owed = await creditsOf(chain, account);
  return CREDIT_LEDGERS.filter((ledger) => owed[ledger] > 0n).map((ledger) => ({
    ledger,
    amount: owed[ledger],
    call: claimCreditCall(chain, ledger),
  }));
}
