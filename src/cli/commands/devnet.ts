// `assay devnet`: a whole local network in one command, for running the protocol by hand. It builds
// the contracts (Hardhat prints its progress; nothing when they are up to date), then runs
// src/devnet/main.ts under Hardhat: the chain on 127.0.0.1:8545 mining a block every 250 ms with
// chain time ×20, the contracts deployed and written to deployments/localhost.json, a store server
// on 127.0.0.1:8700, Redis and the explorer on 127.0.0.1:8780 — the defaults of every other
// command and daemon. Ctrl-C stops it.
import { existsSync } from "node:fs";
import path from "node:path";

import { integerFlag, parseCommandArgs, stringFlag, type OptionSpec } from "../args.ts";
import { REPO_ROOT, runNode } from "../child.ts";
import type { Command, CommandIo } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { DEFAULT_EXPLORER_PORT } from "../../explorer/defaults.ts";

const HARDHAT = path.join(REPO_ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const ENTRY = path.join("src", "devnet", "main.ts");

const OPTIONS = {
  "rpc-port": { type: "string" },
  "store-port": { type: "string" },
  "explorer-port": { type: "string" },
  speed: { type: "string" },
  "tick-ms": { type: "string" },
  deployment: { type: "string" },
  keep: { type: "boolean" },
} as const satisfies OptionSpec;

async function devnet(argv: readonly string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const port = (name: string, fallback: number): string => {
    const value = integerFlag(values, name, fallback);
    if (value > 65_535) throw new UsageError(`--${name} ${value} is not a port number`);
    return String(value);
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...io.env,
    ASSAY_DEVNET_RPC_PORT: port("rpc-port", 8545),
    ASSAY_DEVNET_STORE_PORT: port("store-port", 8700),
    ASSAY_DEVNET_EXPLORER_PORT: port("explorer-port", DEFAULT_EXPLORER_PORT),
    ASSAY_DEVNET_SPEED: String(integerFlag(values, "speed", 20)),
    ASSAY_DEVNET_TICK_MS: String(integerFlag(values, "tick-ms", 250)),
    ASSAY_DEVNET_DEPLOYMENT: path.resolve(
      stringFlag(values, "deployment") ?? "deployments/localhost.json",
    ),
    ASSAY_DEVNET_KEEP: values.keep === true ? "1" : "0",
  };
  if (!existsSync(HARDHAT))
    throw new CliError(`Hardhat is not installed (${HARDHAT} is missing): run npm ci`);
  io.note("assay devnet: building the contracts (only what changed)");
  const built = await runNode([HARDHAT, "build", "--no-tests"], io, { cwd: REPO_ROOT, env });
  if (io.signal.aborted) return;
  if (built !== 0) throw new CliError(`building the contracts failed (exit ${built})`);
  io.note("assay devnet: starting the chain, the deployment, the store and Redis");
  const code = await runNode([HARDHAT, "run", "--no-compile", ENTRY], io, { cwd: REPO_ROOT, env });
  if (code !== 0 && !io.signal.aborted)
    throw new CliError(`the devnet exited with ${code === null ? "a signal" : `code ${code}`}`);
}

export const devnetCommand: Command = {
  name: "devnet",
  summary: "run a local network: chain, contracts, store and Redis",
  help: `usage: assay devnet [--rpc-port 8545] [--store-port 8700] [--explorer-port 8780]
                    [--speed 20] [--tick-ms 250] [--deployment deployments/localhost.json] [--keep]

Builds the contracts, then runs a local network until Ctrl-C: Hardhat's chain (chain id 31337,
20 accounts of the test mnemonic, 10 000 ether each) on 127.0.0.1, mining a block every --tick-ms
with chain time --speed times the wall clock; the Assay contracts deployed (the deployment file
written to --deployment); a blob store server; Redis (127.0.0.1:6379 or REDIS_URL; started if
nothing answers and redis-server is installed); the explorer web page (assay explorer) on
127.0.0.1:--explorer-port, its URL printed. The defaults are what every other command and
daemon uses, so they need no flags. Test tokens: assay faucet. README: "Run a network by hand".
  --keep    keep the devnet's temp dir (store blobs, logs) after it stops`,
  run: devnet,
};
