// The verifier daemon's entry point:  node verifier/main.ts [--config file.json] [--role R] [--flags]
// Loads the config (flags > env > file > defaults), connects to the chain (one clear line for an
// unreachable RPC or Redis, a wrong chain id, a stale deployment), and runs until SIGINT or
// SIGTERM. `--role` (verifier.role): `all` (the default) and `coordinator` top the verifier stake up
// to the configured amount and run VerifierDaemon; `worker` runs a stateless re-execution worker of
// the coordinator whose redisPrefix it shares (docs/verifier.md, "Scale-out"). ASSAY_DEBUG=1 prints
// the whole cause chain of a start-up failure.
import { loadConfig } from "../src/node/config.ts";
import { runDaemon } from "../src/node/daemon-main.ts";
import { createLogger } from "../src/node/log.ts";
import { VerifierConfigSchema } from "./config.ts";
import { openVerifierDaemon } from "./daemon.ts";
import { startWorkerNode } from "./reexec-worker.ts";

runDaemon("verifier", process.argv.slice(2), async ({ file, flags }) => {
  // `--role R` is short for `--verifier.role R`.
  const { role, ...rest } = flags;
  const merged =
    role === undefined
      ? rest
      : { ...rest, verifier: { ...(rest.verifier as object | undefined), role } };
  const config = loadConfig(VerifierConfigSchema, { file, env: process.env, flags: merged });
  const log = createLogger({ name: "verifier", level: config.logLevel });
  if (config.verifier.role === "worker") {
    const node = await startWorkerNode(config, log);
    if (node.metricsUrl !== undefined) log.info({ url: node.metricsUrl }, "metrics served");
    return { log, close: () => node.close() };
  }
  const daemon = await openVerifierDaemon(config, { log });
  await daemon.start();
  if (daemon.metricsUrl !== undefined) log.info({ url: daemon.metricsUrl }, "metrics served");
  return { log, close: () => daemon.close() };
});
