// Pull payments: JobMarket, DisputeGame and FraudProofs each keep a credit per account
// (contracts/base/CreditLedger.sol) that only the account itself claims. The list of those
// ledgers, by their deployment file keys, for the daemons, the CLI and the SDK. Pure: no I/O.

export const CREDIT_LEDGERS = ["market", "disputeGame", "fraudProofs"] as const;
export type CreditLedger = (typeof CREDIT_LEDGERS)[number];

/** Each ledger as people call it. */
export const CREDIT_LEDGER_NAME: Readonly<Record<CreditLedger, string>> = {
  market: "job market",
  disputeGame: "dispute game",
  fraudProofs: "fraud proofs",
};
