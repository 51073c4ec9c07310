// The provider daemon's entry point:  node worker/main.ts [--config file.json] [--flags]
// Loads the config (flags > env > file > defaults), connects to the chain, tops the provider stake
// up to the configured amount, serves metrics if asked, and runs ProviderDaemon until SIGINT or
// SIGTERM. A start-up failure (bad config, unreachable RPC, wrong chain, short balance) prints one
// line and exits with code 1; ASSAY_DEBUG=1 prints the whole cause chain.
import { randomBytes } from "node:crypto";

import { connectChain } from "../src/node/chain.ts";
import { runDaemon } from "../src/node/daemon-main.ts";
import { Journal } from "../src/node/journal.ts";
import { bindJournal, chainIdentity } from "../src/node/journal-identity.ts";
import { createLogger } from "../src/node/log.ts";
import { createMetrics, startMetricsServer } from "../src/node/metrics.ts";
import { TxSender } from "../src/node/tx.ts";
import { FsBlobStore } from "../src/store/fs-store.ts";
import { startStoreServer } from "../src/store/http-server.ts";
import { assertCheatAllowed, loadWorkerConfig } from "./config.ts";
import { dataPaths, openProviderDaemon } from "./daemon.ts";
import { ensureStake } from "./stake.ts";

runDaemon("worker", process.argv.slice(2), async ({ file, flags }) => {
  const config = loadWorkerConfig({ file, env: process.env, flags });
  const log = createLogger({ name: "worker", level: config.logLevel });
  const chain = await connectChain(config);
  assertCheatAllowed(config, chain.chainId);
  const metrics = createMetrics("worker");
  const paths = dataPaths(config.dataDir);
  const journal = await Journal.open(paths.journal);
  await bindJournal(journal, await chainIdentity(chain));
  const tx = new TxSender(chain, journal, { log, metrics });
  await ensureStake(chain, tx, config.worker.stake, log);
  const local = new FsBlobStore({ root: paths.store });
  const daemon = await openProviderDaemon({ config, chain, journal, tx, local, log, metrics });
  if (config.metricsPort !== null) {
    const server = await startMetricsServer(metrics.registry, config.metricsPort);
    daemon.onClose("metrics server", () => server.close());
    log.info({ url: server.url }, "metrics served");
  }
  if (config.worker.servePort !== null) {
    // Read-only: writes need a token nobody is given.
    const server = await startStoreServer({
      store: local,
      port: config.worker.servePort,
      writeToken: randomBytes(24).toString("hex"),
    });
    daemon.onClose("checkpoint server", () => server.close());
    log.info({ url: server.url }, "serving local checkpoints (read-only)");
  }
  await daemon.start();
  return { log, close: () => daemon.close() };
});
