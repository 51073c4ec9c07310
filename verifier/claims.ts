// The claims duty: pull this account's credits (bonds back, shares, referee pay, the prover's share
// of a fraud proof) from the job market, the dispute game and the fraud proofs. Each claim is keyed
// by the credit, not by the block it was seen in (src/node/credit-claims.ts), so a restart never
// claims twice.
import { oneLine } from "../src/errors.ts";
import { claimAllCredit } from "../src/node/credit-claims.ts";
import type { DutyContext } from "./duty.ts";

/** Claims whatever the market, the dispute game and the fraud proofs credit this account. */
export async function claimCredits(ctx: DutyContext): Promise<void> {
  await ctx.guard("claim credits", async () => {
    const paid = await claimAllCredit(ctx, (ledger, error) =>
      ctx.log.warn(
        { what: `claim ${ledger}`, err: oneLine(error) },
        "step failed; retrying next poll",
      ),
    );
    for (const { ledger, amount } of paid) ctx.emit({ type: "claimed", contract: ledger, amount });
  });
}
