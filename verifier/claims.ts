// The claims duty: pull this account's credits (bonds back, shares, referee pay) from the job
// market and the dispute game.
import type { DutyContext, Head } from "./duty.ts";

/** Claims whatever the market and the dispute game credit this account. */
export async function claimCredits(ctx: DutyContext, head: Head): Promise<void> {
  const { market, disputeGame } = ctx.chain.contracts;
  for (const [name, contract] of [
    ["market", market],
    ["disputeGame", disputeGame],
  ] as const) {
    await ctx.guard(`claim ${name}`, async () => {
      const credit = await contract.read.creditOf([ctx.address]);
      if (credit === 0n) return;
      await ctx.tx.send(`claim:${name}:${head.number}`, `claim credit from ${name}`, {
        address: contract.address,
        abi: contract.abi,
        functionName: "claimCredit",
        args: [],
      });
      ctx.emit({ type: "claimed", contract: name, amount: credit });
    });
  }
}
