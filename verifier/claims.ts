// The claims duty: pull this account's credits (bonds back, shares, referee pay, the prover's share
// of a fraud proof) from the job market, the dispute game and the fraud proofs.
import { owedCredits } from "../src/node/credit.ts";
import type { DutyContext, Head } from "./duty.ts";

/** Claims whatever the market, the dispute game and the fraud proofs credit this account. */
export async function claimCredits(ctx: DutyContext, head: Head): Promise<void> {
  await ctx.guard("claim credits", async () => {
    for (const { ledger, amount, call } of await owedCredits(ctx.chain, ctx.address))
      await ctx.guard(`claim ${ledger}`, async () => {
        await ctx.tx.send(`claim:${ledger}:${head.number}`, `claim credit from ${ledger}`, call);
        ctx.emit({ type: "claimed", contract: ledger, amount });
      });
  });
}
