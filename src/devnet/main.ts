// The `assay devnet` network, run under Hardhat (`hardhat run --no-compile src/devnet/main.ts`; the
// CLI command builds the contracts first and starts this): Hardhat's chain served on 127.0.0.1, or
// an external node (ASSAY_DEVNET_RPC_URL), mining on a clock, the contracts deployed, a store server
// and Redis — at the ports and paths every command and daemon defaults to, so a newcomer's commands
// need no flags. Settings come from ASSAY_DEVNET_* variables set by the CLI; it runs until SIGINT or
// SIGTERM.
import { mkdir, copyFile } from "node:fs/promises";
import path from "node:path";

import { oneLine } from "../errors.ts";
import { DEFAULT_EXPLORER_PORT } from "../explorer/defaults.ts";
import { startExplorer, type Explorer } from "../explorer/server.ts";
import { connectChain } from "../node/chain.ts";
import { HttpBlobStore } from "../store/http-client.ts";
import { DEVNET_ACCOUNTS } from "./devnet.ts";
import { startDevnet } from "./index.ts";

const env = process.env;
const int = (name: string, fallback: number): number => {
  const text = env[name];
  return text === undefined || text === "" ? fallback : Number(text);
};
const started = performance.now();
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const devnet = await startDevnet({
  // An external node (`assay devnet --rpc-url`), or Hardhat's chain served on the port.
  rpcUrl: env.ASSAY_DEVNET_RPC_URL || undefined,
  rpcHost: env.ASSAY_DEVNET_RPC_HOST || "127.0.0.1",
  rpcPort: int("ASSAY_DEVNET_RPC_PORT", 8545),
  storePort: int("ASSAY_DEVNET_STORE_PORT", 8700),
  speed: int("ASSAY_DEVNET_SPEED", 20),
  tickMs: int("ASSAY_DEVNET_TICK_MS", 250),
  redisPrefix: env.ASSAY_DEVNET_REDIS_PREFIX || "assay",
  keep: env.ASSAY_DEVNET_KEEP === "1",
  log: (line) => say(`  ${line}`),
});
const deploymentFile = path.resolve(env.ASSAY_DEVNET_DEPLOYMENT || "deployments/localhost.json");
await mkdir(path.dirname(deploymentFile), { recursive: true });
await copyFile(devnet.deploymentFile, deploymentFile);

// The explorer watches this chain like `assay explorer` would: read-only, over the served RPC. If
// it cannot start (its port is taken), the devnet stops too: what it started is cleaned up.
async function explore(): Promise<Explorer> {
  const chain = await connectChain(
    {
      rpcUrl: devnet.rpcUrl,
      deployment: devnet.deploymentFile,
      account: { devnet: 0 },
      pollIntervalMs: 500,
    },
    { readOnly: true },
  );
  return startExplorer({
    chain,
    store: new HttpBlobStore({ url: devnet.storeUrl }),
    port: int("ASSAY_DEVNET_EXPLORER_PORT", DEFAULT_EXPLORER_PORT),
    portFlag: "--explorer-port",
    log: (line) => say(`  ${line}`),
  });
}
let explorer: Explorer;
try {
  explorer = await explore();
} catch (error) {
  await devnet.close();
  // One line, as the CLI prints its own failures (no Hardhat stack for a taken port).
  process.stderr.write(`devnet: the explorer did not start: ${oneLine(error)}\n`);
  process.exit(1);
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
say(`devnet ready in ${seconds} s`);
say(
  `  rpc         ${devnet.rpcUrl} (chain ${devnet.chainId}, ${devnet.external ? "external node" : `bound to ${devnet.rpcHost}`})`,
);
say(`  deployment  ${deploymentFile}`);
say(`  store       ${devnet.storeUrl}`);
say(`  redis       ${devnet.redisUrl} (prefix ${devnet.redisPrefix})`);
say(`  explorer    ${explorer.url}`);
say(
  `  accounts    Hardhat's test mnemonic: submitter ${DEVNET_ACCOUNTS.submitter}, providers ${DEVNET_ACCOUNTS.providers.join(" ")}, verifiers ${DEVNET_ACCOUNTS.verifiers.slice(0, 4).join(" ")}…`,
);
if (!devnet.external && !/^127\.|^::1$/.test(devnet.rpcHost))
  say(
    `  warning     the JSON-RPC listens on ${devnet.rpcHost}: whoever reaches it can sign with the public test accounts; publish its port to 127.0.0.1 only`,
  );
say(`  clock       a block every ${devnet.clock.tickMs} ms, chain time ×${devnet.clock.speed}`);
say("next: assay faucet --account 1 --amount 1000   (README: Run a network by hand)");

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  say(`devnet stopping (${signal})`);
  explorer
    .close()
    .then(() => devnet.close())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`devnet close failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
