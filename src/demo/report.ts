// What the demo found, and how it is printed: per job the verdict and where the money went, per
// actor the gas of every action. Pure: no I/O.
import { detectionProbability } from "../protocol/sampler.ts";
import type { GasEntry } from "./chain.ts";
import type { JobStatusName } from "../protocol/onchain-enums.ts";

/** Who a payout went to, relative to the job. */
export type PayeeRole =
  "provider" | "submitter" | "verifier" | "challenger" | "referee" | "treasury";

export interface Payout {
  actor: string;
  role: PayeeRole;
  amount: bigint;
  /** Which contract credited it. */
  from: "JobMarket" | "DisputeGame" | "Receipts";
}

export const TOKEN_DECIMALS = 18;

/** A token amount rounded to two decimals (half up), e.g. 6.67 for 6.666…e18 base units. */
export function formatTokens(amount: bigint): string {
  const negative = amount < 0n;
  const centUnit = 10n ** BigInt(TOKEN_DECIMALS - 2);
  const totalCents = ((negative ? -amount : amount) + centUnit / 2n) / centUnit;
  const whole = totalCents / 100n;
  const cents = totalCents % 100n;
  const text = `${whole.toLocaleString("en-US")}.${cents.toString().padStart(2, "0")}`;
  return negative ? `-${text}` : text;
}

export function sumPayouts(payouts: readonly Payout[], role: PayeeRole): bigint {
  return payouts.filter((p) => p.role === role).reduce((a, p) => a + p.amount, 0n);
}

/**
 * Probability that q segments sampled without replacement (Floyd's algorithm, as on chain) hit
 * at least one of `fabricated` out of `n` segments: 1 − C(n − F, q) / C(n, q). docs/protocol.md's
 * bound 1 − (1 − f)^q is for sampling with replacement and is never larger.
 */
export function sampleDetectionProbability(n: number, fabricated: number, q: number): number {
  if (fabricated <= 0) return 0;
  let miss = 1;
  for (let j = 0; j < q; j++) miss *= Math.max(0, n - fabricated - j) / (n - j);
  return 1 - miss;
}

export { detectionProbability };

/** A plain-text table: columns padded to their widest cell; `right` marks right-aligned columns. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly boolean[] = [],
): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function amountCell(amount: bigint): string {
  return amount === 0n ? "-" : formatTokens(amount);
}

/** Gas per actor and action; referees are summed into one line per action. */
export function formatGasTable(gas: readonly GasEntry[]): string {
  const merged = new Map<string, GasEntry>();
  for (const e of gas) {
    const actor = e.actor.startsWith("referee-") ? "referees" : e.actor;
    const key = `${actor}/${e.action}`;
    const m = merged.get(key) ?? { actor, action: e.action, calls: 0, gas: 0n };
    m.calls += e.calls;
    m.gas += e.gas;
    merged.set(key, m);
  }
  const entries = [...merged.values()];
  const rows = entries.map((e) => [
    e.actor,
    e.action,
    String(e.calls),
    e.gas.toLocaleString("en-US"),
    (e.gas / BigInt(e.calls)).toLocaleString("en-US"),
  ]);
  const total = entries.reduce((a, e) => a + e.gas, 0n);
  rows.push([
    "total",
    "",
    String(entries.reduce((a, e) => a + e.calls, 0)),
    total.toLocaleString("en-US"),
    "",
  ]);
  return formatTable(["actor", "action", "calls", "gas", "gas/call"], rows, [
    false,
    false,
    true,
    true,
    true,
  ]);
}

/** A job of the daemons demo (src/devnet/demo.ts): what the chain says happened to it. */
export interface DaemonJobRow {
  label: string;
  jobId: bigint;
  /** The provider's name in the demo. */
  provider: string;
  numerics: "exact" | "tolerance";
  status: JobStatusName;
  /** "no dispute, paid", or the dispute's outcome and the step it was decided at. */
  verdict: string;
  payouts: Payout[];
  /** Provider collateral slashed over this job. */
  slashed: bigint;
  /** Held-out accuracy of the committed final model. */
  accuracy?: number;
}

export function formatDaemonJobsTable(jobs: readonly DaemonJobRow[]): string {
  const headers = [
    "job",
    "provider",
    "numerics",
    "status",
    "verdict",
    "provider paid",
    "submitter back",
    "verifiers",
    "challenger",
    "referees",
    "treasury",
    "slashed",
    "accuracy",
  ];
  const rows = jobs.map((j) => [
    `${j.label} (#${j.jobId})`,
    j.provider,
    j.numerics,
    j.status,
    j.verdict,
    amountCell(sumPayouts(j.payouts, "provider")),
    amountCell(sumPayouts(j.payouts, "submitter")),
    amountCell(sumPayouts(j.payouts, "verifier")),
    amountCell(sumPayouts(j.payouts, "challenger")),
    amountCell(sumPayouts(j.payouts, "referee")),
    amountCell(sumPayouts(j.payouts, "treasury")),
    amountCell(j.slashed),
    j.accuracy === undefined ? "-" : `${(100 * j.accuracy).toFixed(1)}%`,
  ]);
  return formatTable(
    headers,
    rows,
    headers.map((_, c) => c >= 5),
  );
}
