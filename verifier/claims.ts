// The claims duty: pull this account's credits (bonds back, shares, referee pay, the prover's share
// of a fraud proof) from the job market, the dispute game and the fraud proofs.
import type { DutyContext, Head } from "./duty.ts";

/** Claims whatever the market, the dispute game and the fraud proofs credit this account. */
export async function claimCredits(ctx: DutyContext, head: Head): Promise<void> {
  const { market, disputeGame, fraudProofs } = ctx.chain.contracts;
  for (const [name, contract] of [
    ["market", market],
    ["disputeGame", disputeGame],
    ["fraudProofs", fraudProofs],
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
