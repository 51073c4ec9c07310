// The `assay` command line: `assay <command> [flags]`. Each command lives in its own file under
// commands/ and is imported only when run, so `assay params` starts without loading viem's chain
// code or ONNX Runtime. Every failure prints one line, `assay: <message>`, and exits 1 (with
// ASSAY_DEBUG=1 also the cause chain and stack); success exits 0.
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

import { causeChain } from "../errors.ts";
import type { Command, CommandIo } from "./command.ts";
import { UsageError } from "./errors.ts";

interface Entry {
  summary: string;
  load: () => Promise<Command>;
}

const COMMANDS: Record<string, Entry> = {
  params: {
    summary: "detection probability, samples needed and minimum collateral; a detection plot",
    load: async () => (await import("./commands/params.ts")).paramsCommand,
  },
  spec: {
    summary: "spec build: validate a program and dataset, build (and upload) a job spec",
    load: async () => (await import("./commands/spec.ts")).specCommand,
  },
  submit: {
    summary: "post a job for a spec, approving the token if the allowance is short",
    load: async () => (await import("./commands/submit.ts")).submitCommand,
  },
  status: {
    summary: "a job's status, provider, deadlines, progress and disputes (--watch)",
    load: async () => (await import("./commands/status.ts")).statusCommand,
  },
  download: {
    summary: "fetch a job's result, verify it against the committed digest, decode it",
    load: async () => (await import("./commands/download.ts")).downloadCommand,
  },
  stake: {
    summary: "deposit provider or verifier stake (approves the token if needed)",
    load: async () => (await import("./commands/stake.ts")).stakeCommand,
  },
  unstake: {
    summary: "start unbonding free stake (withdraw after the unbonding delay)",
    load: async () => (await import("./commands/stake.ts")).unstakeCommand,
  },
  withdraw: {
    summary: "pay out unbonded stake",
    load: async () => (await import("./commands/stake.ts")).withdrawCommand,
  },
  balance: {
    summary: "token balance, allowances, stakes and claimable credit of an account",
    load: async () => (await import("./commands/balance.ts")).balanceCommand,
  },
  claim: {
    summary: "pull credit owed by the job market, dispute game and fraud proofs",
    load: async () => (await import("./commands/balance.ts")).claimCommand,
  },
  demo: {
    summary: "the protocol end to end on a local devnet with the real daemons (npm run demo)",
    load: async () => (await import("./commands/demo.ts")).demoCommand,
  },
  devnet: {
    summary: "run a local network by hand: chain, contracts, store and Redis",
    load: async () => (await import("./commands/devnet.ts")).devnetCommand,
  },
  explorer: {
    summary: "serve the web explorer on 127.0.0.1: jobs, traces, disputes, stakes, live",
    load: async () => (await import("./commands/explorer.ts")).explorerCommand,
  },
  faucet: {
    summary: "mint test tokens on a devnet",
    load: async () => (await import("./commands/faucet.ts")).faucetCommand,
  },
  store: {
    summary: "serve a content-addressed blob store (assay store serve)",
    load: async () => (await import("./commands/store.ts")).storeCommand,
  },
  worker: {
    summary: "start the provider daemon (node worker/main.ts, arguments forwarded)",
    load: async () => (await import("./commands/daemon.ts")).workerCommand,
  },
  verifier: {
    summary: "start the verifier daemon (node verifier/main.ts, arguments forwarded)",
    load: async () => (await import("./commands/daemon.ts")).verifierCommand,
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    "usage: assay <command> [flags]",
    "",
    "commands:",
    ...Object.entries(COMMANDS).map(([name, e]) => `  ${name.padEnd(width)}  ${e.summary}`),
    "",
    "Every command takes --help, and --config <file.json>. Settings come from flags, then",
    "ASSAY_* environment variables, then the config file, then defaults (docs/cli.md).",
    "Amounts are token units with 18 decimals: 100, 0.5.",
  ].join("\n");
}

/** The one line printed for a failure (viem errors carry a short, decoded message). */
export function errorLine(error: unknown): string {
  let message = String(error);
  if (error instanceof Error) {
    const short = (error as { shortMessage?: unknown }).shortMessage;
    message = typeof short === "string" && short !== "" ? short : error.message;
  }
  return message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join("; ");
}

/** Runs one command line; returns the exit code. */
export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic !== undefined && COMMANDS[topic] !== undefined) {
      io.out((await COMMANDS[topic].load()).help);
      return 0;
    }
    io.out(usage());
    return name === undefined ? 1 : 0;
  }
  const entry = COMMANDS[name];
  try {
    if (entry === undefined)
      throw new UsageError(`unknown command "${name}"; run assay --help for the list`);
    const command = await entry.load();
    if (rest.includes("--help") || rest.includes("-h")) {
      io.out(command.help);
      return 0;
    }
    await command.run(rest, io);
    return 0;
  } catch (error) {
    const hint =
      error instanceof UsageError && entry !== undefined ? ` (see assay ${name} --help)` : "";
    io.note(`assay: ${errorLine(error)}${hint}`);
    if (io.env.ASSAY_DEBUG === "1" || io.env.ASSAY_DEBUG === "true") {
      for (const line of causeChain(error).slice(1)) io.note(`  caused by ${line}`);
      if (error instanceof Error && error.stack !== undefined) io.note(error.stack);
    }
    return 1;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  return script !== undefined && import.meta.url === pathToFileURL(realpathSync(script)).href;
}

if (isEntryPoint()) {
  const controller = new AbortController();
  const stop = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // A reader that went away (`assay status 1 | head -1`) ends the output, not with a stack trace.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  const code = await main(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    note: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    signal: controller.signal,
  });
  process.exitCode = code;
  // Clients (viem polling, ioredis) may hold handles open; the command is done.
  if (code !== 0 || !controller.signal.aborted) setImmediate(() => process.exit(code));
}
