// Runs the `assay` CLI as a child process, as a user would (same Node, the repo's entry point),
// with a controlled environment: nothing from the test runner's ASSAY_* settings leaks in.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const MAIN = path.join(REPO, "src/cli/main.ts");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function childEnv(env: Record<string, string>): Record<string, string> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("ASSAY_") && k !== "REDIS_URL"),
  ) as Record<string, string>;
  return { ...base, ...env };
}

export interface RunningCli {
  child: ChildProcess;
  /** Resolves once stdout holds a line matching `pattern`. */
  waitForOutput(pattern: RegExp): Promise<void>;
  done: Promise<CliResult>;
}

export function startCli(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd: string = REPO,
): RunningCli {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd,
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString();
    for (const w of waiters.splice(0)) {
      if (w.pattern.test(stdout)) w.resolve();
      else waiters.push(w);
    }
  });
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
  return {
    child,
    done,
    waitForOutput: (pattern) =>
      pattern.test(stdout)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiters.push({ pattern, resolve })),
            done.then((r) => {
              throw new Error(`the CLI exited (${r.code}) before printing ${pattern}: ${r.stderr}`);
            }),
          ]),
  };
}

export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd: string = REPO,
): Promise<CliResult> {
  return startCli(args, env, cwd).done;
}

/** The lines starting with `assay:` — the CLI's error report. */
export function errorLines(result: CliResult): string[] {
  return result.stderr.split("\n").filter((l) => l.startsWith("assay:"));
}
