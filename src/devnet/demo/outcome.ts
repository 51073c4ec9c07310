// The demo's outcome, read back from the chain once the jobs settled: for each job its status,
// the verdict of its disputes, every payout (JobMarket, DisputeGame and Receipts credits) and
// slash, and the accuracy of its final model on held-out data; and the gas of every transaction.
import { decodeFunctionData, parseEventLogs, type Abi, type Address } from "viem";

import { getState } from "../../checkpoint/checkpoint-store.ts";
import type { SampleSet } from "../../data/dataset.ts";
import type { DemoChain, GasEntry } from "../../demo/chain.ts";
import { fetchJob, readJob } from "../../demo/jobs.ts";
import type { DaemonJobRow, PayeeRole, Payout } from "../../demo/report.ts";
import { statusName } from "../../node/onchain-job.ts";
import { cidFromDigest } from "../../protocol/cid.ts";
import { outcomeName, STAKE_ROLE } from "../../protocol/onchain-enums.ts";
import type { BlobStore } from "../../store/blob-store.ts";
import { evaluateAccuracy } from "../../training/evaluate.ts";
import type { Names } from "./names.ts";
import type { ChainNarrator } from "./narrator.ts";
import type { PostedJob } from "./publish.ts";

export interface OutcomeSources {
  chain: DemoChain;
  store: BlobStore;
  narrator: ChainNarrator;
  names: Names;
  submitter: Address;
  checkpointInterval: number;
  /** Held-out samples the final models are evaluated on. */
  test: SampleSet;
}

/** One row per posted job: what the chain says happened to it. */
export async function jobRows(
  sources: OutcomeSources,
  posted: readonly PostedJob[],
): Promise<DaemonJobRow[]> {
  const { chain, store, narrator, names, submitter } = sources;
  const { market, disputeGame, receipts, registry } = chain.deployment;
  const k = sources.checkpointInterval;
  const data = { test: sources.test };
  const marketLogs = parseEventLogs({
    abi: market.abi,
    logs: narrator.allLogs.filter((l) => l.address.toLowerCase() === market.address.toLowerCase()),
  });
  const gameLogs = parseEventLogs({
    abi: disputeGame.abi,
    logs: narrator.allLogs.filter(
      (l) => l.address.toLowerCase() === disputeGame.address.toLowerCase(),
    ),
  });
  const receiptLogs = parseEventLogs({
    abi: receipts.abi,
    logs: narrator.allLogs.filter(
      (l) => l.address.toLowerCase() === receipts.address.toLowerCase(),
    ),
  });
  const registryLogs = parseEventLogs({
    abi: registry.abi,
    logs: narrator.allLogs.filter(
      (l) => l.address.toLowerCase() === registry.address.toLowerCase(),
    ),
  });
  const slashes = providerSlashesByJob(marketLogs, registryLogs);
  const treasury = chain.deployment.treasury.toLowerCase();
  const rows: DaemonJobRow[] = [];
  for (const job of posted) {
    const onchain = await readJob(chain, job.jobId);
    const provider = onchain.provider.toLowerCase();
    const jobDisputes = [...narrator.disputes.entries()].filter(([, d]) => d.jobId === job.jobId);
    const challengers = new Set(jobDisputes.map(([, d]) => d.challenger.toLowerCase()));
    const roleOf = (account: string): PayeeRole => {
      const a = account.toLowerCase();
      if (a === provider) return "provider";
      if (a === submitter.toLowerCase()) return "submitter";
      if (challengers.has(a)) return "challenger";
      if (a === treasury) return "treasury";
      return "referee";
    };
    const payouts: Payout[] = marketLogs
      .filter((e) => e.eventName === "Credited" && e.args.ref === job.jobId)
      .map((e) => {
        const account = (e.args as { account: Address }).account;
        return {
          actor: names.name(account),
          role: roleOf(account),
          amount: (e.args as { amount: bigint }).amount,
          from: "JobMarket" as const,
        };
      });
    // DisputeGame credits name their dispute (ref), not the job.
    const disputeIds = new Set(jobDisputes.map(([disputeId]) => disputeId));
    for (const e of gameLogs)
      if (e.eventName === "Credited" && disputeIds.has(e.args.ref))
        payouts.push({
          actor: names.name(e.args.account),
          role: roleOf(e.args.account),
          amount: e.args.amount,
          from: "DisputeGame",
        });
    // Paid verification: each matching receipt's share of the budget, as claimed.
    for (const e of receiptLogs)
      if (e.eventName === "ReceiptPaid" && e.args.jobId === job.jobId)
        payouts.push({
          actor: names.name(e.args.verifier),
          role: "verifier",
          amount: e.args.amount,
          from: "Receipts",
        });
    const slashed = slashes
      .filter((s) => s.jobId === job.jobId && s.account.toLowerCase() === provider)
      .reduce((sum, s) => sum + s.amount, 0n);
    const status = statusName(onchain.status);
    let verdict = status === "Finalized" ? "no dispute, paid" : status;
    for (const [disputeId] of jobDisputes) {
      const d = await disputeGame.read.getDispute([disputeId]);
      const ready = gameLogs.find(
        (e) => e.eventName === "ReadyForCommittee" && e.args.disputeId === disputeId,
      );
      const seg = narrator.disputes.get(disputeId)!.segment;
      const step =
        ready?.eventName === "ReadyForCommittee"
          ? ` at step ${(seg - 1) * k + Number(ready.args.step) - 1}`
          : "";
      verdict = `${outcomeName(d.outcome)}${step}`;
    }
    let accuracy: number | undefined;
    if (/^0x0+$/.test(onchain.finalDigest) === false) {
      const fetched = await fetchJob(chain, store, job.jobId);
      const info = fetched.loaded.job.program.info;
      const state = await getState(store, cidFromDigest(onchain.finalDigest), info);
      accuracy = (await evaluateAccuracy(info, state, data.test)).accuracy;
    }
    rows.push({
      label: job.label,
      jobId: job.jobId,
      provider: names.name(onchain.provider),
      numerics: job.numerics,
      status,
      verdict,
      payouts,
      slashed,
      ...(accuracy === undefined ? {} : { accuracy }),
    });
  }

  return rows;
}

/** Sums gasUsed of every transaction mined on the devnet by sender name and function name. */
export async function gasByActor(
  chain: DemoChain,
  nameOf: (address: Address) => string,
): Promise<GasEntry[]> {
  const d = chain.deployment;
  const contracts: [Address, Abi][] = [
    [d.market.address, d.market.abi],
    [d.disputeGame.address, d.disputeGame.abi],
    [d.registry.address, d.registry.abi],
    [d.fraudProofs.address, d.fraudProofs.abi],
    [d.receipts.address, d.receipts.abi],
    [d.randomness.address, d.randomness.abi],
    ...(d.testToken ? ([[d.testToken.address, d.testToken.abi]] as [Address, Abi][]) : []),
  ];
  const abiOf = new Map(contracts.map(([a, abi]) => [a.toLowerCase(), abi]));
  const latest = await chain.publicClient.getBlockNumber();
  const entries = new Map<string, GasEntry>();
  const CHUNK = 50n;
  for (let from = 0n; from <= latest; from += CHUNK) {
    const numbers: bigint[] = [];
    for (let b = from; b < from + CHUNK && b <= latest; b++) numbers.push(b);
    const blocks = await Promise.all(
      numbers.map((blockNumber) =>
        chain.publicClient.getBlock({ blockNumber, includeTransactions: true }),
      ),
    );
    const txs = blocks.flatMap((b) => b.transactions);
    const receipts = await Promise.all(
      txs.map((tx) => chain.publicClient.getTransactionReceipt({ hash: tx.hash })),
    );
    txs.forEach((tx, i) => {
      let action = "deploy";
      if (tx.to !== null) {
        const abi = abiOf.get(tx.to.toLowerCase());
        action = tx.input.slice(0, 10);
        if (abi !== undefined) {
          try {
            action = decodeFunctionData({ abi, data: tx.input }).functionName;
          } catch {
            // an unknown selector: keep it
          }
        }
      }
      const actor = nameOf(tx.from);
      // A keeper that lost a race to the same deadline pays for a revert: shown, not hidden.
      if (receipts[i]!.status !== "success") action += " (reverted)";
      const key = `${actor}/${action}`;
      const entry = entries.get(key) ?? { actor, action, calls: 0, gas: 0n };
      entry.calls += 1;
      entry.gas += receipts[i]!.gasUsed;
      entries.set(key, entry);
    });
  }
  return [...entries.values()];
}

/** A registry slash of a provider's collateral, and the job it was for. */
export interface JobSlash {
  jobId: bigint;
  account: Address;
  amount: bigint;
}

interface OrderedLog {
  transactionHash: string | null;
  logIndex: number | null;
  eventName: string;
  args: unknown;
}

/**
 * Which job each registry slash of provider stake was for. The registry's Slashed names no job,
 * and one transaction may settle several (a contract may resolve two disputes, or expire two jobs,
 * in one call), so a slash is not "of the job whose transaction it is in". Every path that takes a
 * provider's collateral has the market emit the job's event first (JobSlashed when a dispute or a
 * fraud proof ends against it, JobExpired on a missed deadline) and the registry slash right after,
 * in the same call: a slash belongs to the job of the market's last such event before it in its
 * transaction. A slash with none before it (a verifier's, a referee's penalty) belongs to no job.
 */
export function providerSlashesByJob(
  marketLogs: readonly OrderedLog[],
  registryLogs: readonly OrderedLog[],
): JobSlash[] {
  const byTx = new Map<string, OrderedLog[]>();
  for (const log of [...marketLogs, ...registryLogs]) {
    if (log.transactionHash === null || log.logIndex === null) continue;
    byTx.set(log.transactionHash, [...(byTx.get(log.transactionHash) ?? []), log]);
  }
  const out: JobSlash[] = [];
  for (const logs of byTx.values()) {
    let jobId: bigint | undefined;
    for (const log of logs.sort((a, b) => a.logIndex! - b.logIndex!)) {
      if (log.eventName === "JobSlashed" || log.eventName === "JobExpired")
        jobId = (log.args as { jobId: bigint }).jobId;
      else if (log.eventName === "Slashed" && jobId !== undefined) {
        const { account, role, amount } = log.args as {
          account: Address;
          role: number;
          amount: bigint;
        };
        if (role === STAKE_ROLE.Provider) out.push({ jobId, account, amount });
      }
    }
  }
  return out;
}
