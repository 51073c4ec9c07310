// `assay worker …` / `assay verifier …`: start the provider or verifier daemon in a child process
// (`node --single-threaded-gc worker/main.ts …` with this Node: src/node/daemon-flags.ts),
// forwarding every argument, the environment and SIGINT/SIGTERM, so the daemon's own flags and
// --help apply unchanged.
import { existsSync } from "node:fs";
import path from "node:path";

import { daemonNodeArgs } from "../../node/daemon-flags.ts";
import { REPO_ROOT, runNode } from "../child.ts";
import type { Command, CommandIo } from "../command.ts";
import { CliError } from "../errors.ts";

function daemon(kind: "worker" | "verifier", what: string): Command {
  const entry = path.join(REPO_ROOT, kind, "main.ts");
  return {
    name: kind,
    summary: `start the ${what} daemon`,
    help: `usage: assay ${kind} [daemon flags]

Runs the ${what} daemon, node --single-threaded-gc ${kind}/main.ts, with every argument
forwarded, e.g.
  assay ${kind} --config ${kind}.json
Its settings (config file, ASSAY_* environment, flags) are described in docs/${kind}.md. Stops it
on Ctrl-C / SIGTERM.${kind === "verifier" ? "\n--role coordinator|worker spreads re-execution over worker processes (docs/verifier.md)." : ""}`,
    async run(argv: readonly string[], io: CommandIo): Promise<void> {
      if (!existsSync(entry))
        throw new CliError(`the ${what} daemon is not installed (${entry} is missing)`);
      const code = await runNode(daemonNodeArgs(entry, argv), io);
      if (code !== 0 && !io.signal.aborted)
        throw new CliError(
          `the ${what} daemon exited with ${code === null ? "a signal" : `code ${code}`}`,
        );
    },
  };
}

export const workerCommand: Command = daemon("worker", "provider (worker)");
export const verifierCommand: Command = daemon("verifier", "verifier");
