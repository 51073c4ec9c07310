// The verifier daemon's entry point:  node verifier/main.ts [--config file.json] [--flags]
// Loads the config (flags > env > file > defaults), connects to the chain (one clear line for an
// unreachable RPC or Redis, a wrong chain id, a stale deployment), tops the verifier stake up to
// the configured amount, and runs VerifierDaemon until SIGINT or SIGTERM. ASSAY_DEBUG=1 prints
// the whole cause chain of a start-up failure.
import { loadConfig } from "../src/node/config.ts";
import { runDaemon } from "../src/node/daemon-main.ts";
import { createLogger } from "../src/node/log.ts";
import { VerifierConfigSchema } from "./config.ts";
import { VerifierDaemon } from "./daemon.ts";

runDaemon("verifier", process.argv.slice(2), async ({ file, flags }) => {
  const config = loadConfig(VerifierConfigSchema, { file, env: process.env, flags });
  const log = createLogger({ name: "verifier", level: config.logLevel });
  const daemon = new VerifierDaemon(config, { log });
  await daemon.start();
  if (daemon.metricsUrl !== undefined) log.info({ url: daemon.metricsUrl }, "metrics served");
  return { log, close: () => daemon.close() };
});
