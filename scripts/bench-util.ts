// What the end-to-end benchmarks share: polling, rounding and reading a daemon's log.
import { readFile } from "node:fs/promises";

export { until } from "../src/devnet/poll.ts";

export const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

export interface LogLine {
  time: number;
  msg: string;
  [field: string]: unknown;
}

/** A daemon's pino log, one JSON object per line (other lines and a line cut by a crash skipped). */
export async function readLog(file: string): Promise<LogLine[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  const lines: LogLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut by a crash
    }
  }
  return lines;
}
