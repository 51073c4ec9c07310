// Daemons on a devnet run as real processes (`node worker/main.ts --config <file>`), exactly as an
// operator runs them, so the demo and the end-to-end tests exercise the same start-up, config
// loading, crash and restart paths; a crash test kills one with SIGKILL and starts it again.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { NodeConfigInput } from "../node/config.ts";
import { daemonNodeArgs } from "../node/daemon-flags.ts";

/** The repository root (daemon entry points and default paths are relative to it). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export type DaemonKind = "worker" | "verifier";

const ENTRY_POINTS: Record<DaemonKind, string> = {
  worker: "worker/main.ts",
  verifier: "verifier/main.ts",
};

/** What a daemon needs from the devnet it runs on. */
export interface DaemonHost {
  dir: string;
  rpcUrl: string;
  chainId: number;
  deploymentFile: string;
  storeUrl: string;
  redisUrl: string;
  redisPrefix: string;
}

/** The NodeConfig part of a daemon's config file (src/node/config.ts, input form), all set. */
export type DevnetNodeConfig = NodeConfigInput &
  Required<
    Pick<
      NodeConfigInput,
      | "rpcUrl"
      | "chainId"
      | "deployment"
      | "storeUrl"
      | "redisUrl"
      | "redisPrefix"
      | "account"
      | "dataDir"
    >
  >;

export interface DaemonConfigOptions {
  /** Index of the devnet account (Hardhat's mnemonic) the daemon signs with. */
  account: number;
  /** Its journal and local files; default `<dir>/<name or account>-data`. */
  dataDir?: string;
  /** Names the default data dir. */
  name?: string;
  logLevel?: DevnetNodeConfig["logLevel"];
  /** Devnets make blocks every few hundred ms; polling slower than that only adds latency. */
  pollIntervalMs?: number;
  metricsPort?: number | null;
}

/** The shared part of a daemon's config for this devnet; a daemon's own section is added to it. */
export function daemonConfig(devnet: DaemonHost, options: DaemonConfigOptions): DevnetNodeConfig {
  const config: DevnetNodeConfig = {
    rpcUrl: devnet.rpcUrl,
    chainId: devnet.chainId,
    deployment: devnet.deploymentFile,
    storeUrl: devnet.storeUrl,
    redisUrl: devnet.redisUrl,
    redisPrefix: devnet.redisPrefix,
    account: { devnet: options.account },
    dataDir:
      options.dataDir ??
      path.join(devnet.dir, `${options.name ?? `account-${options.account}`}-data`),
  };
  if (options.logLevel !== undefined) config.logLevel = options.logLevel;
  if (options.pollIntervalMs !== undefined) config.pollIntervalMs = options.pollIntervalMs;
  if (options.metricsPort !== undefined) config.metricsPort = options.metricsPort;
  return config;
}

export interface SpawnDaemonOptions {
  /** Script to run instead of worker/main.ts or verifier/main.ts (relative to the repo root). */
  entry?: string;
  /** Arguments after `--config <file>`. */
  args?: string[];
  /** Added to the environment. */
  env?: Record<string, string>;
}

export interface DaemonProcess {
  name: string;
  pid: number;
  configFile: string;
  logFile: string;
  /** Resolves with the exit code, or null when a signal ended it. */
  exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM) and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * The parent's environment without the variables src/node/config.ts reads: they take precedence
 * over the config file, so an engineer's shell (e.g. ASSAY_RPC_URL for a testnet) would otherwise
 * point a devnet daemon elsewhere.
 */
function daemonEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("ASSAY_") || key === "REDIS_URL") continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * Writes `config` to `<dir>/<name>.json` and starts the daemon with it; its stdout and stderr go
 * to `<dir>/<name>.log` (appended to, so a restarted daemon's log follows its predecessor's).
 */
export async function spawnDaemon(
  kind: DaemonKind,
  name: string,
  config: object,
  devnet: Pick<DaemonHost, "dir">,
  options: SpawnDaemonOptions = {},
): Promise<DaemonProcess> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new Error(`daemon name ${JSON.stringify(name)} must be a plain file name`);
  }
  await mkdir(devnet.dir, { recursive: true });
  const configFile = path.join(devnet.dir, `${name}.json`);
  const logFile = path.join(devnet.dir, `${name}.log`);
  await writeFile(configFile, JSON.stringify(config, null, 2) + "\n");

  const log = createWriteStream(logFile, { flags: "a" });
  await new Promise<void>((resolve, reject) => {
    log.once("open", () => resolve());
    log.once("error", reject);
  });
  const entry = options.entry ?? ENTRY_POINTS[kind];
  const child = spawn(
    process.execPath,
    daemonNodeArgs(entry, ["--config", configFile, ...(options.args ?? [])]),
    {
      cwd: REPO_ROOT,
      env: daemonEnv(options.env ?? {}),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });

  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    // 'close' (not 'exit'): the pipes are drained, so the log holds everything it wrote.
    child.once("close", (code) => {
      log.end(() => resolve(code));
    });
  });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once("spawn", () => resolve(child.pid!));
    child.once("error", reject);
  });
  // A failure to spawn is reported above; the promise must not also be an unhandled rejection.
  exited.catch(() => undefined);

  return {
    name,
    pid,
    configFile,
    logFile,
    exited,
    async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
