// Structured logs (pino): one JSON object per line, with the daemon's name and, by convention, the
// ids it acts on (jobId, disputeId, segment) as fields so that logs can be filtered by job. Errors
// are logged as one bounded line: viem's errors carry their ABI and calldata as properties, which
// pino's default serializer would copy into every line (24 KB a line for the JobMarket's ABI).
import { pino, type Logger } from "pino";

import { oneLine } from "../errors.ts";

export type { Logger } from "pino";

/** The longest error message a log line carries. */
export const MAX_ERROR_CHARS = 600;

export interface LoggerOptions {
  name: string;
  level?: string;
  /** A file to append to (created with its directories); default stdout. */
  destination?: string;
}

/** An error as a log field: its type, its message chain in one bounded line, and its code. */
export function serializeError(error: unknown): { type: string; message: string; code?: string } {
  const line = oneLine(error).replace(/\s+/g, " ");
  const message =
    line.length > MAX_ERROR_CHARS
      ? `${line.slice(0, MAX_ERROR_CHARS)}… (${line.length - MAX_ERROR_CHARS} more characters)`
      : line;
  const code = (error as { code?: unknown } | null)?.code;
  return {
    type: error instanceof Error ? error.name : typeof error,
    message,
    ...(typeof code === "string" ? { code } : {}),
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? "info";
  const base = { name: options.name, level, serializers: { err: serializeError } };
  if (options.destination === undefined) return pino(base);
  return pino(base, pino.destination({ dest: options.destination, mkdir: true, sync: true }));
}
