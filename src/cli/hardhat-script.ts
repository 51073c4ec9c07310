// Commands that run a script under Hardhat (`assay devnet`, `assay demo`): the script imports
// `network` from "hardhat", so it runs as `hardhat run --no-compile <script>` after a build of the
// contracts alone (`--no-tests`: the Solidity tests would add minutes). Hardhat prints its own
// progress while compiling and nothing when the contracts are up to date. Settings travel to the
// script in environment variables, since `hardhat run` passes no arguments on.
import { existsSync } from "node:fs";
import path from "node:path";

import { REPO_ROOT, runNode } from "./child.ts";
import type { CommandIo } from "./command.ts";
import { CliError } from "./errors.ts";

const HARDHAT = path.join(REPO_ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");

export interface HardhatScript {
  /** The command's name, for its progress lines: `assay <name>: …`. */
  name: string;
  /** The script, relative to the repository root. */
  entry: string;
  /** What the script starts, for the line printed before it runs. */
  starting: string;
  /** Variables for the script, on top of the CLI's environment. */
  env: Record<string, string>;
}

/** Builds the contracts, then runs the script until it exits or the CLI is interrupted. */
export async function runHardhatScript(script: HardhatScript, io: CommandIo): Promise<void> {
  if (!existsSync(HARDHAT))
    throw new CliError(`Hardhat is not installed (${HARDHAT} is missing): run npm ci`);
  const env: NodeJS.ProcessEnv = { ...process.env, ...io.env, ...script.env };
  io.note(`assay ${script.name}: building the contracts (only what changed)`);
  const built = await runNode([HARDHAT, "build", "--no-tests"], io, { cwd: REPO_ROOT, env });
  if (io.signal.aborted) return;
  if (built !== 0) throw new CliError(`building the contracts failed (exit ${built})`);
  io.note(`assay ${script.name}: ${script.starting}`);
  const code = await runNode([HARDHAT, "run", "--no-compile", script.entry], io, {
    cwd: REPO_ROOT,
    env,
  });
  if (code !== 0 && !io.signal.aborted)
    throw new CliError(
      `the ${script.name} exited with ${code === null ? "a signal" : `code ${code}`}`,
    );
}
