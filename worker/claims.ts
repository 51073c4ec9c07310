// Claiming the credit JobMarket, DisputeGame and FraudProofs owe this provider (its payment, its
// collateral back, a won dispute's share): once at start, then on the tick after anything that may
// have made some owed (a job done or in its challenge window, a dispute resolved). Each claim is
// keyed by the credit, not by when it was seen (src/node/credit-claims.ts), so a restart never
// claims twice.
import { oneLine } from "../src/errors.ts";
import { claimAllCredit } from "../src/node/credit-claims.ts";
import type { WorkerContext } from "./context.ts";

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
    const { log } = this.ctx;
    const paid = await claimAllCredit(this.ctx, (ledger, error) => {
      // Not settled: its key is tried again on the next tick.
      this.due = true;
      log.warn({ contract: ledger, err: oneLine(error) }, "claiming credit failed; retrying");
    });
    for (const { ledger, amount, hash } of paid)
      log.info({ contract: ledger, amount: amount.toString(), hash }, "claimed credit");
  }
}
