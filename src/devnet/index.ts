// The local devnet harness: chain, contracts, store, Redis, clock and daemon processes.
// Only under Hardhat (`hardhat run`, `hardhat test`): devnet.ts imports `network` from "hardhat".
export { DevnetClock, type DevnetClockOptions, type RpcRequest } from "./clock.ts";
export {
  REPO_ROOT,
  daemonConfig,
  spawnDaemon,
  type DaemonConfigOptions,
  type DaemonHost,
  type DaemonKind,
  type DaemonProcess,
  type DevnetNodeConfig,
  type SpawnDaemonOptions,
} from "./daemon.ts";
export { DEVNET_ACCOUNTS, startDevnet, type Devnet, type StartDevnetOptions } from "./devnet.ts";
export {
  ensureRedis,
  pingRedis,
  probeRedis,
  type EnsureRedisOptions,
  type EnsuredRedis,
} from "./redis.ts";
