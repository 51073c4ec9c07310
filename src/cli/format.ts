// Human-readable amounts and times for the CLI's output.
import { formatUnits } from "viem";

import { TOKEN_DECIMALS } from "./args.ts";

/** 100·10^18 → "100", 5·10^17 → "0.5". */
export function formatToken(amount: bigint): string {
  return formatUnits(amount, TOKEN_DECIMALS);
}

/** 3725 → "1h 2m 5s". */
export function formatDuration(seconds: number | bigint): string {
  let s = Math.max(0, Math.round(Number(seconds)));
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.join(" ");
}

/** A chain timestamp as UTC time plus how far it is from `now` (chain time). */
export function formatDeadline(timestamp: bigint, now: bigint): string {
  const at = new Date(Number(timestamp) * 1000).toISOString().replace(".000Z", "Z");
  const delta = Number(timestamp - now);
  return delta >= 0
    ? `${at} (in ${formatDuration(delta)})`
    : `${at} (${formatDuration(-delta)} ago)`;
}

export function formatPercent(p: number): string {
  return `${(p * 100).toFixed(p < 0.001 && p > 0 ? 4 : 1)}%`;
}

/** Left-aligned text table; the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join("  ")
      .trimEnd(),
  );
}
