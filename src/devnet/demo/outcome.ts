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
import { outcomeName } from "../../protocol/onchain-enums.ts";
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
    // DisputeGame credits name their dispute (ref), not the job: the settlement is the credits of
    // the transactions that resolved this job's disputes.
    const resolvedTxs = new Set(
      gameLogs
        .filter((e) => e.eventName === "DisputeResolved" && e.args.jobId === job.jobId)
        .map((e) => e.transactionHash),
    );
    const settleTxs = new Set([
      ...resolvedTxs,
      ...marketLogs
        .filter(
          (e) =>
            (e.eventName === "JobExpired" || e.eventName === "JobSlashed") &&
            e.args.jobId === job.jobId,
        )
        .map((e) => e.transactionHash),
    ]);
    for (const e of gameLogs)
      if (e.eventName === "Credited" && resolvedTxs.has(e.transactionHash))
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
    const slashed = registryLogs
      .filter(
        (e) =>
          e.eventName === "Slashed" &&
          settleTxs.has(e.transactionHash) &&
          e.args.account.toLowerCase() === provider,
      )
      .reduce((sum, e) => sum + (e.args as { amount: bigint }).amount, 0n);
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
