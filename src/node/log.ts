// Structured logs (pino): one JSON object per line, with the daemon's name and, by convention, the
// ids it acts on (jobId, disputeId, segment) as fields so that logs can be filtered by job.
import { pino, type Logger } from "pino";

export type { Logger } from "pino";

export interface LoggerOptions {
  name: string;
  level?: string;
  /** A file to append to (created with its directories); default stdout. */
  destination?: string;
}

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? "info";
  const base = { name: options.name, level };
  if (options.destination === undefined) return pino(base);
  return pino(base, pino.destination({ dest: options.destination, mkdir: true, sync: true }));
}
