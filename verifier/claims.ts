// The claims duty: pull this account's credits (bonds back, shares, referee pay, the prover's share
// of a fraud proof) from the job market, the dispute game and the fraud proofs.
import { claimCreditCall, CREDIT_LEDGERS, creditsOf } from "../src/node/credit.ts";
import type { DutyContext, Head } from "./duty.ts";

/** Claims whatever the market, the dispute game and the fraud proofs credit this account. */
export async function claimCredits(ctx: DutyContext, head: Head): Promise<void> {
  await ctx.guard("claim credits", async () => {
    const owed = await creditsOf(ctx.chain, ctx.address);
    for (const ledger of CREDIT_LEDGERS) {
      if (owed[ledger] === 0n) continue;
      await ctx.guard(`claim ${ledger}`, async () => {
        await ctx.tx.send(
          `claim:${ledger}:${head.number}`,
          `claim credit from ${ledger}`,
          claimCreditCall(ctx.chain, ledger),
        );
        ctx.emit({ type: "claimed", contract: ledger, amount: owed[ledger] });
      });
    }
  });
}
