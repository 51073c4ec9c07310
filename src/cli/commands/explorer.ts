// `assay explorer`: the web explorer (src/explorer/) on 127.0.0.1 — jobs, traces, disputes,
// stakes and the detection plot of each job, updated live from the chain's events. It only reads:
// no account signs anything, so it connects read-only and needs no key. Runs until Ctrl-C.
import { DEFAULT_EXPLORER_PORT } from "../../explorer/defaults.ts";
import { integerFlag, parseCommandArgs, type OptionSpec } from "../args.ts";
import type { Command, CommandIo } from "../command.ts";
import { CHAIN_OPTIONS, STORE_HELP, STORE_OPTIONS, cliConfig } from "../config.ts";
import { UsageError } from "../errors.ts";

const OPTIONS = {
  "rpc-url": CHAIN_OPTIONS["rpc-url"],
  "chain-id": CHAIN_OPTIONS["chain-id"],
  deployment: CHAIN_OPTIONS.deployment,
  ...STORE_OPTIONS,
  port: { type: "string" },
} as const satisfies OptionSpec;

const HELP = `usage: assay explorer [--port ${DEFAULT_EXPLORER_PORT}] [--rpc-url URL] [--deployment FILE] [--chain-id N]
                      [--store-url URL | --store-dir DIR]

Serves the explorer web page on http://127.0.0.1:PORT (loopback only) until Ctrl-C: every job with
its status and progress, each job's trace (checkpoints, sampled and opened segments, update norms)
and detection-probability plot, disputes move by move with committee votes, slashes and payouts,
and the staked providers and verifiers. Pages update live as the chain's events arrive.
Every checkpoint's loss and update norm come from the trace manifest in the store, checked against
the committed trace root (without the store, the opened checkpoints only).
--port 0 picks a free port. It only reads; no account or key is used. docs/explorer.md.

  --rpc-url URL      JSON-RPC endpoint      (default http://127.0.0.1:8545, or ASSAY_RPC_URL)
  --deployment FILE  deployment file        (default deployments/localhost.json, or ASSAY_DEPLOYMENT)
  --chain-id N       refuse any other chain (default: the deployment's)
${STORE_HELP}`;

async function run(argv: readonly string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const port = integerFlag(values, "port", DEFAULT_EXPLORER_PORT, { max: 65_535 });
  const config = cliConfig(values, io.env);
  // Loaded here, not at the top: \`assay devnet\` reads DEFAULT_EXPLORER_PORT from this file and
  // should not load viem's chain code for it.
  const { connectChain } = await import("../../node/chain.ts");
  const { startExplorer } = await import("../../explorer/server.ts");
  const chain = await connectChain(config, { env: { ...io.env }, readOnly: true });
  const { openStore } = await import("../store.ts");
  const shared = await openStore(config);
  const explorer = await startExplorer({
    chain,
    store: shared.store,
    port,
    pollMs: config.pollIntervalMs,
    log: (line) => io.note(line),
  });
  io.out(`explorer serving chain ${chain.chainId} at ${explorer.url}`);
  if (!io.signal.aborted)
    await new Promise<void>((resolve) =>
      io.signal.addEventListener("abort", () => resolve(), { once: true }),
    );
  await explorer.close();
  await shared.close();
  io.note("explorer stopped");
}

export const explorerCommand: Command = {
  name: "explorer",
  summary: "serve the web explorer: jobs, traces, disputes and stakes, live",
  help: HELP,
  run,
};
