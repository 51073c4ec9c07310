// Claiming what the credit ledgers owe a daemon's own account, at most one claim per credit, for
// the provider daemon and the verifier (the CLI claims once, by hand: src/cli/commands/balance.ts).
//
// A ledger exposes only what it owes now (`creditOf`), which a claim zeroes and a later credit
// raises again: no amount names a credit, and the chain keeps no claim counter or credited total.
// (`Credited` events name each credit, but finding an account's last one means scanning logs from
// the deployment on.) So a claim is keyed by the ledger and how many of this account's claims on
// it were settled before it: `claim:<ledger>:<n>`, with `claims:<ledger>` in the journal counting
// the settled ones. The counter moves only once the claim under the current key is settled —
// mined, paid or reverted — so a restart between broadcast and mining asks for the same key, and
// TxSender waits for the journaled transaction instead of sending a second claim. Before reading
// what a ledger owes, a claim an earlier run journaled under the current key is settled first:
// whatever the ledger owes after that is credit no claim of ours has taken, and gets the next key
// (a key chosen by the block it was seen in sent a second claim for the same credit after a restart
// at a later block; a counter moved only after a claim this run saw mined took a later credit for
// the claim a crashed run had sent, and left it unclaimed). Exact as long as this journal sends
// every claim of the account (one daemon per account and journal, as everywhere): a claim made
// elsewhere (`assay claim`) at worst makes ours revert, which settles its key.
import { parseEventLogs, type Hex, type TransactionReceipt } from "viem";

import type { ChainContext } from "./chain.ts";
import { claimCreditCall, CREDIT_LEDGERS, type CreditLedger } from "./credit.ts";
import type { Journal } from "./journal.ts";
import type { TxSender } from "./tx.ts";

/** The journal's name of each ledger in claim keys (the provider daemon's since its first claim). */
const LEDGER_KEY: Readonly<Record<CreditLedger, string>> = {
  market: "market",
  disputeGame: "dispute",
  fraudProofs: "fraudProofs",
};

/** A claim that paid: the ledger, the amount its CreditClaimed event says, the transaction. */
export interface PaidClaim {
  ledger: CreditLedger;
  amount: bigint;
  hash: Hex;
}

export interface CreditClaimContext {
  chain: Pick<ChainContext, "contracts" | "address">;
  journal: Journal;
  tx: Pick<TxSender, "send" | "sent" | "receiptOf">;
}

/**
 * Claims what `ledger` owes the account, once per credit (see above): settles a claim journaled
 * under the current key first, then claims what is owed, if anything. Returns the claims that paid
 * (a settled earlier one, this one, both or neither). Throws when a claim failed and is not settled
 * (rejected in simulation, or not mined yet): the same key is tried again on the next call.
 */
export async function claimLedgerCredit(
  ctx: CreditClaimContext,
  ledger: CreditLedger,
): Promise<PaidClaim[]> {
  const paid: PaidClaim[] = [];
  const counter = `claims:${LEDGER_KEY[ledger]}`;
  const keyAfter = (settled: number): string => `claim:${LEDGER_KEY[ledger]}:${settled + 1}`;
  let settled = ctx.journal.get<number>(counter) ?? 0;
  if (ctx.tx.sent(keyAfter(settled))) {
    const receipt = await settle(ctx, ledger, keyAfter(settled));
    if (receipt !== undefined) paid.push(paidBy(ctx, ledger, receipt));
    settled += 1;
    await ctx.journal.set(counter, settled);
  }
  const owed = await creditOn(ctx.chain, ledger);
  if (owed === 0n) return paid;
  const receipt = await settle(ctx, ledger, keyAfter(settled));
  if (receipt !== undefined) paid.push(paidBy(ctx, ledger, receipt));
  await ctx.journal.set(counter, settled + 1);
  return paid;
}

/** claimLedgerCredit on every ledger; a ledger that fails is reported and does not stop the rest. */
export async function claimAllCredit(
  ctx: CreditClaimContext,
  failed: (ledger: CreditLedger, error: unknown) => void,
): Promise<PaidClaim[]> {
  const paid: PaidClaim[] = [];
  for (const ledger of CREDIT_LEDGERS) {
    try {
      paid.push(...(await claimLedgerCredit(ctx, ledger)));
    } catch (error) {
      failed(ledger, error);
    }
  }
  return paid;
}

/**
 * Sends (or waits for) the claim under `key` until it is mined: its receipt when it paid,
 * undefined when it reverted (nothing was owed by then: someone else's claim took it).
 */
async function settle(
  ctx: CreditClaimContext,
  ledger: CreditLedger,
  key: string,
): Promise<TransactionReceipt | undefined> {
  try {
    return await ctx.tx.send(key, `claim ${ledger} credit`, claimCreditCall(ctx.chain, ledger));
  } catch (error) {
    // Mined and reverted is settled; anything else (rejected before sending, not mined yet, the
    // RPC down) may still need this key.
    const mined = await ctx.tx.receiptOf(key);
    if (mined === undefined || mined.status === "success") throw error;
    return undefined;
  }
}

async function creditOn(chain: CreditClaimContext["chain"], ledger: CreditLedger): Promise<bigint> {
  return chain.contracts[ledger].read.creditOf([chain.address]);
}

/** What a mined claim paid, from its ledger's CreditClaimed event. */
function paidBy(
  ctx: CreditClaimContext,
  ledger: CreditLedger,
  receipt: TransactionReceipt,
): PaidClaim {
  const contract = ctx.chain.contracts[ledger];
  const [event] = parseEventLogs({
    abi: contract.abi,
    eventName: "CreditClaimed",
    logs: receipt.logs.filter((l) => l.address.toLowerCase() === contract.address.toLowerCase()),
  });
  return { ledger, amount: event?.args.amount ?? 0n, hash: receipt.transactionHash };
}
