// What a verifier coordinator runs on, opened before its daemon starts and handed to it (as the
// provider's worker/main.ts does for ProviderDaemon): the checked chain connection, the journal
// bound to that chain, the transaction sender (journaled transactions recovered), the shared blob
// store behind the content-addressed cache, and the Redis connections of the queue and of the
// in-process worker. `close` releases them, store last.
import path from "node:path";

import type { Redis } from "ioredis";

import { oneLine } from "../src/errors.ts";
import { connectChain, type ChainContext } from "../src/node/chain.ts";
import { Journal } from "../src/node/journal.ts";
import { bindJournal, chainIdentity } from "../src/node/journal-identity.ts";
import type { Logger } from "../src/node/log.ts";
import type { NodeMetrics } from "../src/node/metrics.ts";
import { connectRedis } from "../src/node/redis.ts";
import { TxSender } from "../src/node/tx.ts";
import type { CachingBlobStore } from "../src/store/caching-store.ts";
import { assertConfigFitsChain, type VerifierConfig } from "./config.ts";
import { cachedStore } from "./job-cache.ts";

export interface VerifierConnections {
  chain: ChainContext;
  journal: Journal;
  tx: TxSender;
  store: CachingBlobStore;
  /** The queue's connection (the coordinator's). */
  queueRedis: Redis;
  /** The in-process worker's connection (role `all`), else undefined. */
  workerRedis: Redis | undefined;
  /** Releases every connection, the store last; runs every step even if one fails. */
  close(): Promise<void>;
}

/** Opens everything a coordinator needs; on a failure part-way, what was opened is closed. */
export async function connectVerifier(
  config: VerifierConfig,
  log: Logger,
  metrics: NodeMetrics,
): Promise<VerifierConnections> {
  const steps: [string, () => Promise<unknown>][] = [];
  const close = async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const [what, run] of steps.reverse()) {
      try {
        await run();
      } catch (error) {
        failures.push(error);
        log.warn({ err: oneLine(error) }, `close: ${what} failed`);
      }
    }
    steps.length = 0;
    if (failures.length > 0)
      throw new AggregateError(failures, `verifier close: ${failures.length} step(s) failed`);
  };
  // The in-process worker (BullMQ) may have closed its connection already: quitting a closed
  // connection throws, and there is nothing left to release then.
  const quit = (redis: Redis) => async (): Promise<void> => {
    if (redis.status === "end" || redis.status === "close") return;
    await redis.quit().catch(() => redis.disconnect());
  };
  try {
    const chain = await connectChain(config);
    assertConfigFitsChain(config, chain.chainId);
    const journal = await Journal.open(
      path.join(config.dataDir, `verifier-${chain.address.toLowerCase()}.json`),
    );
    await bindJournal(journal, await chainIdentity(chain));
    const tx = new TxSender(chain, journal, { log, metrics });
    await tx.recover();
    const { store, close: closeStore } = await cachedStore(config, log);
    steps.push(["store", closeStore]);
    const queueRedis = await connectRedis(config.redisUrl, { worker: true });
    steps.push(["redis", quit(queueRedis)]);
    let workerRedis: Redis | undefined;
    if (config.verifier.role === "all") {
      workerRedis = await connectRedis(config.redisUrl, { worker: true });
      steps.push(["redis", quit(workerRedis)]);
    }
    return { chain, journal, tx, store, queueRedis, workerRedis, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
