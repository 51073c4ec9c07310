// The demo's cast: an honest and a cheating provider and the verifiers (one auditor and keeper,
// the rest referees only) as real daemon processes, each with its account funded for its stake;
// their logs in one directory. A party that dies ends the demo with its last log line.
import { readFile } from "node:fs/promises";
import path from "node:path";

import type { Address } from "viem";

import { DemoError } from "../../demo/errors.ts";
import { formatTokens } from "../../demo/report.ts";
import { STAKE_ROLE } from "../../protocol/onchain-enums.ts";
import { daemonConfig, spawnDaemon, type DaemonKind, type DaemonProcess } from "../daemon.ts";
import { DEVNET_ACCOUNTS, type Devnet } from "../devnet.ts";
import { until } from "../poll.ts";
import { CHEAT_SEED, CHEAT_TERMS, HONEST_TERMS, type DemoSettings } from "./config.ts";
import type { Names } from "./names.ts";

/** One spawned daemon and its part in the demo. */
export interface Party {
  name: string;
  kind: DaemonKind;
  address: Address;
  process: DaemonProcess;
  exitCode?: number | null;
}

export interface Cast {
  parties: Party[];
  /** Throws naming the first party that exited (and its last log line), unless stopping. */
  assertAlive(): Promise<void>;
  /** Stops every party (SIGTERM, SIGKILL after 5 s); idempotent. */
  stop(): Promise<void>;
}

export interface CastOptions {
  say: (line: string) => void;
  names: Names;
  logDir: string;
  /** Throws when the run was interrupted. */
  checkAbort: () => void;
}

/** Plans, funds and spawns the daemons; returns once every process has started. */
export async function startCast(
  devnet: Devnet,
  config: DemoSettings,
  options: CastOptions,
): Promise<Cast> {
  const { say, names, logDir, checkAbort } = options;
  const wallets = await devnet.connection.viem.getWalletClients();
  const addressOf = (account: number): Address => wallets[account]!.account.address;
  const { minProviderStake, minVerifierStake, dispute } = devnet.deployment.params;
  const honestAccount = DEVNET_ACCOUNTS.providers[0];
  const cheatAccount = DEVNET_ACCOUNTS.providers[1];
  const auditorAccount = DEVNET_ACCOUNTS.verifiers[0];
  const refereeAccounts = DEVNET_ACCOUNTS.verifiers.slice(1, 1 + config.referees);
  const host = { ...devnet, dir: logDir };
  const dataDir = (n: string): string => path.join(devnet.dir, `${n}-data`);
  const common = (account: number, n: string): ReturnType<typeof daemonConfig> => ({
    ...daemonConfig(devnet, {
      account,
      name: n,
      dataDir: dataDir(n),
      pollIntervalMs: 250,
      logLevel: config.daemonLogLevel,
    }),
  });

  const plans: { name: string; kind: DaemonKind; account: number; config: object }[] = [
    {
      name: "provider-honest",
      kind: "worker",
      account: honestAccount,
      config: {
        ...common(honestAccount, "provider-honest"),
        worker: {
          stake: minProviderStake.toString(),
          filters: { maxCollateral: HONEST_TERMS.collateral.toString() },
          progressEvery: config.progressEvery,
          maxConcurrentJobs: 2,
        },
      },
    },
    {
      name: "provider-cheat",
      kind: "worker",
      account: cheatAccount,
      config: {
        ...common(cheatAccount, "provider-cheat"),
        worker: {
          stake: minProviderStake.toString(),
          filters: { numerics: ["exact"], minAmount: CHEAT_TERMS.amount.toString() },
          progressEvery: config.progressEvery,
          cheat: { kind: "wrong-data-order", fromStep: config.cheatFromStep, seed: CHEAT_SEED },
        },
      },
    },
    {
      name: "verifier",
      kind: "verifier",
      account: auditorAccount,
      config: {
        ...common(auditorAccount, "verifier"),
        redisPrefix: `${devnet.redisPrefix}-verifier`,
        verifier: { audit: "all", referee: true, keeper: true, backoffMs: 200 },
      },
    },
    ...refereeAccounts.map((account, i) => ({
      name: `referee-${i + 1}`,
      kind: "verifier" as const,
      account,
      config: {
        ...common(account, `referee-${i + 1}`),
        redisPrefix: `${devnet.redisPrefix}-referee-${i + 1}`,
        // One keeper is enough; more would race each other for the same deadlines.
        verifier: { audit: "none", referee: true, keeper: false, backoffMs: 200 },
      },
    })),
  ];

  // Tokens for the stakes (and the auditor's challenge bonds); the daemons stake themselves.
  for (const plan of plans) {
    const address = addressOf(plan.account);
    names.set(address, plan.name);
    const tokens =
      plan.kind === "worker"
        ? minProviderStake
        : minVerifierStake + (plan.account === auditorAccount ? 2n * dispute.challengeBond : 0n);
    await devnet.fund(address, tokens);
  }
  say(
    `funded ${plans.length} daemon accounts: providers ${formatTokens(minProviderStake)} tokens each (the minimum stake), verifiers ${formatTokens(minVerifierStake)} (+ bonds for the auditor)`,
  );

  const parties: Party[] = [];
  let stopping = false;
  const cast: Cast = {
    parties,
    async assertAlive(): Promise<void> {
      checkAbort();
      if (stopping) return;
      for (const p of parties)
        if (p.exitCode !== undefined)
          throw new DemoError(
            `${p.name} ${p.exitCode === null ? "was killed by a signal" : `exited with code ${p.exitCode}`} (${await lastLogLine(p.process.logFile)}); see ${p.process.logFile}`,
          );
    },
    async stop(): Promise<void> {
      stopping = true;
      await Promise.all(
        parties.map(async (p) => {
          const force = setTimeout(() => void p.process.kill("SIGKILL"), 5_000);
          try {
            await p.process.kill("SIGTERM");
          } finally {
            clearTimeout(force);
          }
        }),
      );
    },
  };
  try {
    for (const plan of plans) {
      checkAbort();
      const proc = await spawnDaemon(plan.kind, plan.name, plan.config, host);
      const party: Party = {
        name: plan.name,
        kind: plan.kind,
        address: addressOf(plan.account),
        process: proc,
      };
      parties.push(party);
      void proc.exited.then(
        (code) => {
          party.exitCode = code;
        },
        () => {
          party.exitCode = -1;
        },
      );
    }
  } catch (error) {
    await cast.stop();
    throw error;
  }
  say(`daemon logs (tail -f them while it runs): ${logDir}/`);
  for (const p of parties)
    say(
      `  ${p.name.padEnd(16)} ${p.kind === "worker" ? "node worker/main.ts  " : "node verifier/main.ts"} pid ${String(p.process.pid).padEnd(7)} ${path.basename(p.process.logFile)}`,
    );
  return cast;
}

/** Waits until every party has staked at least its role's minimum (60 s at most). */
export async function waitForStakes(
  devnet: Devnet,
  cast: Cast,
  logDir: string,
  onPoll: () => Promise<void>,
): Promise<void> {
  const { registry } = devnet.deployment;
  const { minProviderStake, minVerifierStake } = devnet.deployment.params;
  const missing = async (): Promise<Party[]> => {
    await cast.assertAlive();
    await onPoll();
    const stakes = await Promise.all(
      cast.parties.map(async (p) => {
        const role = p.kind === "worker" ? STAKE_ROLE.Provider : STAKE_ROLE.Verifier;
        const [free, locked] = await registry.read.accountOf([p.address, role]);
        return free + locked;
      }),
    );
    return cast.parties.filter(
      (p, i) => stakes[i]! < (p.kind === "worker" ? minProviderStake : minVerifierStake),
    );
  };
  let last: Party[] = [];
  try {
    await until(
      "every daemon staked",
      async () => {
        last = await missing();
        return last.length === 0 ? true : undefined;
      },
      60_000,
      250,
    );
  } catch (error) {
    if (error instanceof DemoError) throw error;
    throw new DemoError(
      `${last.map((p) => p.name).join(", ")} did not stake within 60 s; see their logs in ${logDir}`,
      { cause: error },
    );
  }
}

async function lastLogLine(file: string): Promise<string> {
  try {
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    const last = lines.at(-1) ?? "";
    if (last === "") return "nothing in its log yet";
    // pino lines are JSON: show the message.
    try {
      const parsed = JSON.parse(last) as { msg?: unknown; err?: { message?: unknown } };
      const msg = typeof parsed.msg === "string" ? parsed.msg : last;
      return typeof parsed.err?.message === "string" ? `${msg}: ${parsed.err.message}` : msg;
    } catch {
      return last;
    }
  } catch {
    return "(no log)";
  }
}
