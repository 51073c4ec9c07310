// The verifier daemon's entry point:  node verifier/main.ts [--config file.json] [--flags]
// Loads the config (flags > env > file > defaults), connects to the chain (one clear line for an
// unreachable RPC or Redis, a wrong chain id, a stale deployment), tops the verifier stake up to
// the configured amount, and runs VerifierDaemon until SIGINT or SIGTERM. ASSAY_DEBUG=1 prints
// the whole cause chain of a start-up failure.
import { ConfigError, causeChain } from "../src/errors.ts";
import { loadConfig, parseFlags } from "../src/node/config.ts";
import { createLogger } from "../src/node/log.ts";
import { VerifierConfigSchema } from "./config.ts";
import { VerifierDaemon } from "./daemon.ts";

async function main(argv: string[]): Promise<void> {
  const { positionals, flags } = parseFlags(argv);
  if (positionals.length > 0)
    throw new ConfigError(`unexpected arguments: ${positionals.join(" ")}`);
  const file = typeof flags.config === "string" ? flags.config : undefined;
  delete flags.config;
  const config = loadConfig(VerifierConfigSchema, { file, env: process.env, flags });
  const log = createLogger({ name: "verifier", level: config.logLevel });
  const daemon = new VerifierDaemon(config, { log });
  await daemon.start();
  if (daemon.metricsUrl !== undefined) log.info({ url: daemon.metricsUrl }, "metrics served");
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    daemon.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "close failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const chain = causeChain(error);
  console.error(
    `verifier: ${process.env.ASSAY_DEBUG === "1" ? chain.join("\n  caused by: ") : chain[0]}`,
  );
  if (process.env.ASSAY_DEBUG === "1" && error instanceof Error) console.error(error.stack);
  process.exit(1);
});
