// Claiming the credit JobMarket, DisputeGame and FraudProofs owe this provider (its payment, its
// collateral back, a won dispute's share): once at start, then on the tick after anything that may
// have made some owed (a job done or in its challenge window, a dispute resolved).
import { owedCredits, type CreditLedger } from "../src/node/credit.ts";
import type { WorkerContext } from "./context.ts";

/** The journal's name of each credit ledger (`claims:<name>` counts the claims made). */
const LEDGER_KEY: Readonly<Record<CreditLedger, string>> = {
  market: "market",
  disputeGame: "dispute",
  fraudProofs: "fraudProofs",
};

export class CreditClaims {
  private readonly ctx: WorkerContext;
  private due = true;

  constructor(ctx: WorkerContext) {
    this.ctx = ctx;
  }

  /** Something may now owe this account credit: claim on the next tick. */
  markDue(): void {
    this.due = true;
  }

  /** Pulls the credit owed, if something may have made some owed since the last claim. */
  async claimIfDue(): Promise<void> {
    if (!this.due) return;
    this.due = false;
    const { chain, journal } = this.ctx;
    for (const { ledger, amount, call } of await owedCredits(chain, chain.address)) {
      const name = LEDGER_KEY[ledger];
      // The counter moves only after the claim is mined, so an interrupted claim's key is reused
      // (TxSender then waits for the same transaction).
      const n = (journal.get<number>(`claims:${name}`) ?? 0) + 1;
      const key = `claim:${name}:${n}`;
      await this.ctx.tx.send(key, `claim ${name} credit`, call);
      await journal.set(`claims:${name}`, n);
      this.ctx.log.info({ contract: name, amount: amount.toString() }, "claimed credit");
    }
  }
}
