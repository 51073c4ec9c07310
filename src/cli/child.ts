// Commands that run another program with this Node (`assay worker`, `assay verifier`, `assay
// devnet`): its output passes through, and Ctrl-C / SIGTERM on the CLI is forwarded to it.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { CommandIo } from "./command.ts";

/** The repository root: daemon entry points and Hardhat are found from it. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Runs `node <args>`, output inherited, until it exits; the CLI's abort signal stops it with
 * SIGTERM. Resolves with its exit code, or null when a signal ended it.
 */
export function runNode(
  args: readonly string[],
  io: CommandIo,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<number | null> {
  const child = spawn(process.execPath, [...args], {
    stdio: "inherit",
    env: options.env ?? { ...process.env, ...io.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const forward = (): void => {
    child.kill("SIGTERM");
  };
  io.signal.addEventListener("abort", forward, { once: true });
  return new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(signal === null ? code : null));
  }).finally(() => io.signal.removeEventListener("abort", forward));
}
