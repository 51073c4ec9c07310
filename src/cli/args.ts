// Flag parsing shared by the commands: node:util parseArgs (strict, so a misspelt flag is an
// error, not a silent default) plus typed readers for the values the CLI takes — token amounts
// with 18 decimals, positive integers, comma-separated lists, bytes32.
import { parseArgs, type ParseArgsConfig } from "node:util";

import { parseUnits, type Hex } from "viem";

import { UsageError } from "./errors.ts";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;
export type FlagValues = Record<string, string | boolean | undefined>;

/** Flags every command takes (chain and store commands read them into their config). */
export const COMMON_OPTIONS = {
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionSpec;

export interface ParsedArgs {
  values: FlagValues;
  positionals: string[];
}

export function parseCommandArgs(argv: readonly string[], options: OptionSpec): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as FlagValues, positionals };
  } catch (cause) {
    // parseArgs' messages are already specific ("Unknown option '--fo'"); keep the first line.
    const message = cause instanceof Error ? cause.message.split("\n")[0]! : String(cause);
    throw new UsageError(message.replace(/\. To specify a positional.*$/, ""), { cause });
  }
}

export function stringFlag(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

export function requireString(values: FlagValues, name: string): string {
  const v = stringFlag(values, name);
  if (v === undefined || v === "") throw new UsageError(`--${name} is required`);
  return v;
}

/** An http(s) URL flag (a JSON-RPC endpoint), or undefined when absent. */
export function httpUrlFlag(values: FlagValues, name: string): string | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--${name} "${text}" is not a URL (e.g. http://127.0.0.1:8545)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`--${name} "${text}" must be an http:// or https:// URL`);
  return text;
}

export const TOKEN_DECIMALS = 18;

/** "100" → 100·10^18, "0.5" → 5·10^17; refuses negatives, garbage and more than 18 decimals. */
export function parseTokenAmount(text: string, what = "amount"): bigint {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed))
    throw new UsageError(`${what} "${text}" is not a token amount (e.g. 100 or 0.5)`);
  const decimals = trimmed.split(".")[1]?.length ?? 0;
  if (decimals > TOKEN_DECIMALS)
    throw new UsageError(`${what} "${text}" has more than ${TOKEN_DECIMALS} decimals`);
  return parseUnits(trimmed, TOKEN_DECIMALS);
}

export function parseInteger(
  text: string,
  what: string,
  { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${what} "${text}" is not an integer`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${what} must be within [${min}, ${max}], got ${n}`);
  return n;
}

export function integerFlag(
  values: FlagValues,
  name: string,
  fallback: number,
  range?: { min?: number; max?: number },
): number {
  const v = stringFlag(values, name);
  return v === undefined ? fallback : parseInteger(v, `--${name}`, range);
}

export function parseNumber(text: string, what: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n))
    throw new UsageError(`${what} "${text}" is not a number`);
  return n;
}

export function numberFlag(values: FlagValues, name: string, fallback: number): number {
  const v = stringFlag(values, name);
  return v === undefined ? fallback : parseNumber(v, `--${name}`);
}

/** "0.1,0.25" → [0.1, 0.25]. */
export function parseNumberList(text: string, what: string): number[] {
  const parts = text.split(",").map((s) => s.trim());
  if (parts.some((p) => p === "")) throw new UsageError(`${what} "${text}" has an empty entry`);
  return parts.map((p) => parseNumber(p, what));
}

export function parseJobId(text: string | undefined): bigint {
  if (text === undefined) throw new UsageError("a job id is required");
  if (!/^\d+$/.test(text)) throw new UsageError(`job id "${text}" is not a positive integer`);
  const id = BigInt(text);
  if (id === 0n) throw new UsageError("job ids start at 1");
  return id;
}

export function isBytes32(text: string): text is Hex {
  return /^0x[0-9a-fA-F]{64}$/.test(text);
}

/** "90", "90s", "30m", "6h", "2d" → seconds. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim());
  if (m === null)
    throw new UsageError(`${what} "${text}" is not a duration (e.g. 3600, 30m, 6h, 2d)`);
  const unit = { s: 1, m: 60, h: 3_600, d: 86_400 }[(m[2] ?? "s") as "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}

export function durationFlag(values: FlagValues, name: string, fallback: number): number {
  const v = stringFlag(values, name);
  return v === undefined ? fallback : parseDuration(v, `--${name}`);
}
