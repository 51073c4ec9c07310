// Configuration for the daemons and the CLI, from three sources: a JSON file, the environment and
// command-line flags (highest precedence first: flags, env, file, then the schema's defaults), all
// validated by one zod schema. A daemon extends NodeConfigSchema with a section of its own
// (`worker`, `verifier`). Every issue is reported at once, with its path; a key the schema does
// not know is an error naming the closest one it does (a misspelt section must not run on
// defaults).
import { readFileSync } from "node:fs";

import { z } from "zod";

import { ConfigError } from "../errors.ts";
import { formatIssues } from "../zod-issues.ts";
import { IpfsOptionsSchema } from "../store/ipfs-options.ts";

/** Where a daemon's signing key comes from. */
export const AccountSourceSchema = z.union([
  /** An account of Hardhat's default devnet mnemonic, by index (devnets only: the keys are public). */
  z.strictObject({ devnet: z.number().int().min(0).max(1_000) }),
  /** The name of an environment variable holding a 0x-prefixed 32-byte private key. */
  z.strictObject({ privateKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an env var name") }),
]);
export type AccountSource = z.output<typeof AccountSourceSchema>;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const NodeConfigSchema = z.strictObject({
  /** JSON-RPC endpoint of the chain. */
  rpcUrl: z.url({ protocol: /^(https?|wss?)$/ }).default("http://127.0.0.1:8545"),
  /** The chain the operator means to use; the RPC and the deployment must both be on it. */
  chainId: z.number().int().positive().optional(),
  /** Path of the deployment file (deploy/deploy.ts writes deployments/<network>.json). */
  deployment: z.string().min(1).default("deployments/localhost.json"),
  account: AccountSourceSchema.default({ devnet: 0 }),
  redisUrl: z.url({ protocol: /^rediss?$/ }).default("redis://127.0.0.1:6379"),
  /** Key prefix of every queue (two deployments can share one Redis). */
  redisPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, _ . -")
    .default("assay"),
  /** The content-addressed store (src/store/http-server.ts or any IPFS gateway for reads). */
  storeUrl: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:8700"),
  /**
   * When set, the shared store is an embedded IPFS node instead (src/store/ipfs-store.ts) and
   * storeUrl is not used; docs/store.md, "IPFS backend".
   */
  ipfs: IpfsOptionsSchema.optional(),
  /** Local state: the journal and local checkpoints. */
  dataDir: z.string().min(1).default(".assay"),
  /** Prometheus endpoint on 127.0.0.1; null: off; 0: any free port. */
  metricsPort: z.number().int().min(0).max(65_535).nullable().default(null),
  logLevel: z.enum(LOG_LEVELS).default("info"),
  /** How often watchers poll the chain. */
  pollIntervalMs: z.number().int().min(10).max(60_000).default(500),
});
export type NodeConfig = z.output<typeof NodeConfigSchema>;
export type NodeConfigInput = z.input<typeof NodeConfigSchema>;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep merge: objects merge key by key, anything else in `over` replaces `base`. */
function merge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? merge(current, value) : value;
  }
  return out;
}

const integer = (name: string, text: string): number => {
  if (!/^\d+$/.test(text))
    throw new ConfigError(`${name} must be a non-negative integer, not "${text}"`);
  return Number(text);
};

/** The NodeConfig keys the environment can set (ASSAY_*, and REDIS_URL as most tools read it). */
export function configFromEnv(env: Record<string, string | undefined>): Json {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === "" ? undefined : value;
  };
  const out: Json = {};
  const set = (key: string, value: unknown): void => {
    if (value !== undefined) out[key] = value;
  };
  set("rpcUrl", get("ASSAY_RPC_URL"));
  const chainId = get("ASSAY_CHAIN_ID");
  set("chainId", chainId === undefined ? undefined : integer("ASSAY_CHAIN_ID", chainId));
  set("deployment", get("ASSAY_DEPLOYMENT"));
  set("redisUrl", get("ASSAY_REDIS_URL") ?? get("REDIS_URL"));
  set("redisPrefix", get("ASSAY_REDIS_PREFIX"));
  set("storeUrl", get("ASSAY_STORE_URL"));
  set("dataDir", get("ASSAY_DATA_DIR"));
  const metrics = get("ASSAY_METRICS_PORT");
  set("metricsPort", metrics === undefined ? undefined : integer("ASSAY_METRICS_PORT", metrics));
  set("logLevel", get("ASSAY_LOG_LEVEL"));
  const poll = get("ASSAY_POLL_INTERVAL_MS");
  set("pollIntervalMs", poll === undefined ? undefined : integer("ASSAY_POLL_INTERVAL_MS", poll));
  const devnet = get("ASSAY_DEVNET_ACCOUNT");
  if (get("ASSAY_PRIVATE_KEY") !== undefined) out.account = { privateKeyEnv: "ASSAY_PRIVATE_KEY" };
  else if (devnet !== undefined) out.account = { devnet: integer("ASSAY_DEVNET_ACCOUNT", devnet) };
  return out;
}

export interface ConfigSources {
  /** A JSON file; naming one that does not exist is an error. */
  file?: string;
  env?: Record<string, string | undefined>;
  /** Parsed flags (parseFlags), highest precedence. */
  flags?: Record<string, unknown>;
}

function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new ConfigError(`cannot read the config file ${file}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`the config file ${file} is not valid JSON`, { cause });
  }
  if (!isObject(json)) throw new ConfigError(`the config file ${file} must hold a JSON object`);
  return json;
}

/** Loads a config: flags over env over file over the schema's defaults, validated at once. */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  sources: ConfigSources = {},
): z.output<S> {
  const fromFile = sources.file === undefined ? {} : readConfigFile(sources.file);
  const fromEnv = sources.env === undefined ? {} : configFromEnv(sources.env);
  const merged = merge(merge(fromFile, fromEnv), sources.flags ?? {});
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const where = sources.file === undefined ? "" : ` (file ${sources.file})`;
    throw new ConfigError(`invalid configuration${where}: ${formatIssues(parsed.error, schema)}`);
  }
  return parsed.data;
}

const camel = (name: string): string =>
  name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function flagValue(text: string): unknown {
  if (text === "true") return true;
  if (text === "false") return false;
  if (text === "null") return null;
  if (/^-?\d+(\.\d+)?$/.test(text) && Number.isSafeInteger(Math.trunc(Number(text))))
    return Number(text);
  if (/^[[{]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * Parses `--name value`, `--name=value` and bare `--flag` (true). Dashed names become camelCase and
 * dots nest: `--verifier.max-attempts 3` → { verifier: { maxAttempts: 3 } }. Values that look like
 * numbers, booleans, null or JSON are parsed; `--` ends the flags.
 */
export function parseFlags(argv: readonly string[]): {
  positionals: string[];
  flags: Record<string, unknown>;
} {
  const positionals: string[] = [];
  let flags: Json = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "--") {
      positionals.push(arg);
      continue;
    }
    let name = arg.slice(2);
    let value: unknown;
    const eq = name.indexOf("=");
    if (eq !== -1) {
      value = flagValue(name.slice(eq + 1));
      name = name.slice(0, eq);
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) {
      value = flagValue(argv[++i]!);
    } else {
      value = true;
    }
    if (name === "") throw new ConfigError(`malformed flag ${arg}`);
    const keys = name.split(".").map(camel);
    let nested: unknown = value;
    for (const key of keys.reverse()) nested = { [key]: nested };
    flags = merge(flags, nested as Json);
  }
  return { positionals, flags };
}
