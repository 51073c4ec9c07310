// Redis connections for the daemons' queues (BullMQ on ioredis), checked up front: a daemon that
// cannot reach Redis says where it looked and how to fix it instead of retrying silently forever.
import { Redis } from "ioredis";

import { RedisUnavailableError } from "../errors.ts";

export interface RedisOptions {
  /** For BullMQ workers: commands wait for a reconnect instead of failing (maxRetriesPerRequest null). */
  worker?: boolean;
  /** How long the first PING may take (default 3 s). */
  timeoutMs?: number;
}

/** Connects to `url` and PINGs it; RedisUnavailableError (retryable) when nothing answers. */
export async function connectRedis(url: string, options: RedisOptions = {}): Promise<Redis> {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: options.worker ? null : 3,
    // After the first connection, keep reconnecting (a Redis restart is survived).
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5_000),
  });
  // Connection errors are reported through the promise below or by reconnects; an unhandled
  // 'error' event would crash the process.
  redis.on("error", () => undefined);
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs),
      ),
    ]);
  } catch (cause) {
    redis.disconnect();
    throw new RedisUnavailableError(
      `cannot reach Redis at ${url}: start one (redis-server, or apt-get install redis-server) or set REDIS_URL`,
      { cause },
    );
  }
  return redis;
}
