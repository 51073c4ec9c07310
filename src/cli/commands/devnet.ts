// `assay devnet`: a whole local network in one command, for running the protocol by hand. It builds
// the contracts, then runs src/devnet/main.ts under Hardhat: the chain on 127.0.0.1:8545 (or an
// external node, --rpc-url) mining a block every 250 ms with chain time ×20, the contracts deployed
// and written to deployments/localhost.json, a store server on 127.0.0.1:8700, Redis and the
// explorer on 127.0.0.1:8780 — the defaults of every other command and daemon. Ctrl-C stops it.
import { isIP } from "node:net";
import path from "node:path";

import {
  httpUrlFlag,
  integerFlag,
  parseCommandArgs,
  stringFlag,
  type OptionSpec,
} from "../args.ts";
import type { Command, CommandIo } from "../command.ts";
import { DEFAULT_EXPLORER_PORT } from "../../explorer/defaults.ts";
import { UsageError } from "../errors.ts";
import { runHardhatScript } from "../hardhat-script.ts";

const OPTIONS = {
  "rpc-url": { type: "string" },
  "rpc-host": { type: "string" },
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
  const rpcUrl = httpUrlFlag(values, "rpc-url");
  for (const served of ["rpc-port", "rpc-host"])
    if (rpcUrl !== undefined && stringFlag(values, served) !== undefined)
      throw new UsageError(`--${served} serves Hardhat's own chain; it cannot go with --rpc-url`);
  const rpcHost = stringFlag(values, "rpc-host") ?? "127.0.0.1";
  if (isIP(rpcHost) === 0)
    throw new UsageError(
      `--rpc-host "${rpcHost}" is not an IP address (127.0.0.1: this machine only; 0.0.0.0: every interface, as inside a container)`,
    );
  await runHardhatScript(
    {
      name: "devnet",
      entry: path.join("src", "devnet", "main.ts"),
      starting:
        rpcUrl === undefined
          ? "starting the chain, the deployment, the store and Redis"
          : `deploying on ${rpcUrl}, starting the store and Redis`,
      env: {
        ASSAY_DEVNET_RPC_URL: rpcUrl ?? "",
        ASSAY_DEVNET_RPC_HOST: rpcHost,
        ASSAY_DEVNET_RPC_PORT: port("rpc-port", 8545),
        ASSAY_DEVNET_STORE_PORT: port("store-port", 8700),
        ASSAY_DEVNET_EXPLORER_PORT: port("explorer-port", DEFAULT_EXPLORER_PORT),
        ASSAY_DEVNET_SPEED: String(integerFlag(values, "speed", 20)),
        ASSAY_DEVNET_TICK_MS: String(integerFlag(values, "tick-ms", 250)),
        ASSAY_DEVNET_DEPLOYMENT: path.resolve(
          stringFlag(values, "deployment") ?? "deployments/localhost.json",
        ),
        ASSAY_DEVNET_KEEP: values.keep === true ? "1" : "0",
      },
    },
    io,
  );
}

export const devnetCommand: Command = {
  name: "devnet",
  summary: "run a local network: chain, contracts, store and Redis",
  help: `usage: assay devnet [--rpc-port 8545 | --rpc-url URL] [--store-port 8700]
                    [--explorer-port 8780] [--speed 20] [--tick-ms 250]
                    [--deployment deployments/localhost.json] [--keep] [--rpc-host 127.0.0.1]

Builds the contracts, then runs a local network until Ctrl-C: Hardhat's chain (chain id 31337,
20 accounts of the test mnemonic, 10 000 ether each) on 127.0.0.1, mining a block every --tick-ms
with chain time --speed times the wall clock; the Assay contracts deployed (the deployment file
written to --deployment); a blob store server; Redis (127.0.0.1:6379 or REDIS_URL; started if
nothing answers and redis-server is installed); the explorer web page (assay explorer) on
127.0.0.1:--explorer-port, its URL printed. The defaults are what every other command and
daemon uses, so they need no flags. Test tokens: assay faucet. README: "Run a network by hand".
  --rpc-url  run on an external development node instead (anvil: npx anvil), which must serve
             chain id 31337 or 1337 and take evm_mine; accounts 0..19 of the test mnemonic are
             used, and any holding under 10 000 ether is given that much
  --keep     keep the devnet's temp dir (store blobs, logs) after it stops
  --rpc-host interface the chain's JSON-RPC binds (default 127.0.0.1). Anything else lets whoever
             reaches it sign with the public test accounts: 0.0.0.0 is for a container whose port
             is published to the host's 127.0.0.1 only (compose.yaml). The devnet's own store
             stays on 127.0.0.1 (a shared one: assay store serve).`,
  run: devnet,
};
