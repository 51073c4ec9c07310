// Redis for a devnet: use the one that answers at the URL, or start a throwaway redis-server when
// nothing listens on a loopback URL and the binary is installed. Daemons need Redis for their
// queues (BullMQ); a devnet must not make the engineer start one by hand when it can, and must say
// exactly what to do when it cannot.
import { spawn, type ChildProcess } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";

import { Redis, ReplyError } from "ioredis";

import { RedisUnavailableError } from "../errors.ts";

export interface EnsureRedisOptions {
  /** How long a PING may take before Redis counts as absent. */
  timeoutMs?: number;
  /** The redis-server binary; default: the first on PATH. */
  redisServer?: string;
  /** How long a started redis-server has to answer PONG. */
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface EnsuredRedis {
  url: string;
  /** Whether ensureRedis started the server (stop() then stops it). */
  started: boolean;
  /** Stops the redis-server this call started; does nothing for one that was already running. */
  stop(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

const HOW_TO_GET_REDIS =
  "install it (apt-get install redis-server, or brew install redis) so the devnet can start one, " +
  "or start one yourself and set REDIS_URL";

/**
 * What a Redis at `url` answers a PING: `"pong"`; `{ refused }`, the error it replied with (one
 * that listens but refuses: protected mode, a password); undefined when nothing answers in time.
 * Never retries or queues.
 */
export async function probeRedis(
  url: string,
  timeoutMs = 1_000,
): Promise<"pong" | { refused: string } | undefined> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // The PING is the check: ioredis's own ready check (INFO) would close on a refusal and hide it.
    enableReadyCheck: false,
    retryStrategy: () => null,
  });
  // Connection failures also arrive as 'error' events; the awaited calls below report them.
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === "PONG" ? "pong" : undefined;
  } catch (error) {
    // A ReplyError is the server's own answer; anything else is a connection that failed.
    if (error instanceof ReplyError) return { refused: bounded((error as Error).message) };
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** True when Redis at `url` answers PONG within the timeout. */
export async function pingRedis(url: string, timeoutMs = 1_000): Promise<boolean> {
  return (await probeRedis(url, timeoutMs)) === "pong";
}

/** A server's reply cut to one line a log can carry (protected mode's runs to 1 kB). */
const bounded = (text: string): string => {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 240 ? `${line.slice(0, 240)}…` : line;
};

async function findOnPath(binary: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, binary);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = exitOf(child);
  child.kill("SIGTERM");
  const force = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(force);
}

/**
 * Returns a Redis that answers at `url`, starting `redis-server` on the URL's port when nothing
 * listens there, the host is loopback and the binary is installed. RedisUnavailableError, saying
 * how to get one, otherwise.
 */
export async function ensureRedis(
  url: string,
  options: EnsureRedisOptions = {},
): Promise<EnsuredRedis> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 1_000;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new RedisUnavailableError(`${JSON.stringify(url)} is not a Redis URL`, { cause: error });
  }
  const answer = await probeRedis(url, timeoutMs);
  if (answer === "pong") return { url, started: false, stop: () => Promise.resolve() };
  if (answer !== undefined) {
    throw new RedisUnavailableError(
      `Redis at ${url} refused: ${answer.refused} — let the devnet in (a Redis reached from ` +
        `another host needs protected mode off or a password in the URL), or set REDIS_URL to one ` +
        `that answers`,
    );
  }
  if (!LOOPBACK_HOSTS.has(parsed.hostname)) {
    throw new RedisUnavailableError(
      `cannot reach Redis at ${url} (no PONG within ${timeoutMs} ms); it is not on this machine, ` +
        `so the devnet will not start one: start it, or set REDIS_URL to a local one ` +
        `(e.g. redis://127.0.0.1:6379 — ${HOW_TO_GET_REDIS})`,
    );
  }
  const binary =
    options.redisServer === undefined
      ? await findOnPath("redis-server")
      : await access(options.redisServer, constants.X_OK).then(
          () => options.redisServer,
          () => undefined,
        );
  if (binary === undefined) {
    throw new RedisUnavailableError(
      `cannot reach Redis at ${url} and redis-server is not installed: ${HOW_TO_GET_REDIS}`,
    );
  }
  const port = parsed.port === "" ? 6379 : Number(parsed.port);
  log(`redis: nothing answers at ${url}; starting ${binary} on 127.0.0.1:${port}`);
  // No persistence: a devnet's queues die with it.
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer): void => {
    if (output.length < 8_000) output += chunk.toString("utf8");
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });

  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  while (true) {
    if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) {
      const last = output.trim().split("\n").slice(-3).join(" | ");
      throw new RedisUnavailableError(
        `cannot reach Redis at ${url}, and ${binary} failed to start on port ${port}` +
          (last === "" ? "" : `: ${last}`) +
          ` (is something else listening there?); ${HOW_TO_GET_REDIS}`,
        { cause: spawnError },
      );
    }
    if (await pingRedis(url, 500)) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new RedisUnavailableError(
        `started ${binary} on port ${port}, but it did not answer PING within ` +
          `${options.startTimeoutMs ?? 10_000} ms; ${HOW_TO_GET_REDIS}`,
      );
    }
    await sleep(50);
  }
  // Its output is no longer needed; keep the pipes drained so it never blocks on a full one.
  log(`redis: started (pid ${child.pid})`);
  let stopped: Promise<void> | undefined;
  return {
    url,
    started: true,
    stop: () => (stopped ??= stopChild(child)),
  };
}

/** Deletes the keys matching `pattern` (a test's or a demo's daemons); returns how many. */
export async function deleteKeys(redisUrl: string, pattern: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on("error", () => undefined);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return deleted;
}
