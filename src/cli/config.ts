// The CLI's configuration: NodeConfigSchema (src/node/config.ts) plus where the CLI reads and
// writes blobs. Precedence: flags > ASSAY_* environment > --config file > defaults. The flags that
// set config keys are the same for every command that talks to the chain or the store.
import { z } from "zod";

import { NodeConfigSchema, loadConfig } from "../node/config.ts";
import { parseInteger, stringFlag, type FlagValues, type OptionSpec } from "./args.ts";
import { UsageError } from "./errors.ts";

export const CliConfigSchema = NodeConfigSchema.extend({
  /** A local filesystem store (FsBlobStore) to use instead of the store server at storeUrl. */
  storeDir: z.string().min(1).optional(),
  /** Bearer token for writes to the store server (its writeToken). */
  storeToken: z.string().min(1).optional(),
});
export type CliConfig = z.output<typeof CliConfigSchema>;

/** Flags that set chain and account keys of the config. */
export const CHAIN_OPTIONS = {
  "rpc-url": { type: "string" },
  "chain-id": { type: "string" },
  deployment: { type: "string" },
  account: { type: "string" },
  "private-key-env": { type: "string" },
} as const satisfies OptionSpec;

/** Flags that set the store keys of the config. */
export const STORE_OPTIONS = {
  "store-url": { type: "string" },
  "store-dir": { type: "string" },
} as const satisfies OptionSpec;

export const CHAIN_HELP = `chain flags (or ASSAY_RPC_URL, ASSAY_CHAIN_ID, ASSAY_DEPLOYMENT, ASSAY_DEVNET_ACCOUNT,
ASSAY_PRIVATE_KEY, or the --config file's rpcUrl, chainId, deployment, account):
  --rpc-url URL            JSON-RPC endpoint            (default http://127.0.0.1:8545)
  --chain-id N             refuse any other chain       (default: the deployment's)
  --deployment FILE        deployment file              (default deployments/localhost.json)
  --account N              Hardhat devnet account N     (default 0; devnets only)
  --private-key-env NAME   read the signing key from env var NAME (default ASSAY_PRIVATE_KEY if set)`;

export const STORE_HELP = `store flags (or ASSAY_STORE_URL, ASSAY_STORE_DIR, ASSAY_STORE_TOKEN):
  --store-url URL          store server                 (default http://127.0.0.1:8700)
  --store-dir DIR          a local filesystem store instead of the server`;

/** Loads the config from --config, the environment and the command's flags. */
export function cliConfig(
  values: FlagValues,
  env: Readonly<Record<string, string | undefined>>,
): CliConfig {
  const flags: Record<string, unknown> = {};
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === "" ? undefined : v;
  };
  // The CLI's own keys from the environment sit between the file and the flags.
  if (get("ASSAY_STORE_DIR") !== undefined) flags.storeDir = get("ASSAY_STORE_DIR");
  if (get("ASSAY_STORE_TOKEN") !== undefined) flags.storeToken = get("ASSAY_STORE_TOKEN");
  const set = (key: string, value: unknown): void => {
    if (value !== undefined) flags[key] = value;
  };
  set("rpcUrl", stringFlag(values, "rpc-url"));
  const chainId = stringFlag(values, "chain-id");
  set(
    "chainId",
    chainId === undefined ? undefined : parseInteger(chainId, "--chain-id", { min: 1 }),
  );
  set("deployment", stringFlag(values, "deployment"));
  const account = stringFlag(values, "account");
  const keyEnv = stringFlag(values, "private-key-env");
  if (account !== undefined && keyEnv !== undefined)
    throw new UsageError("give --account or --private-key-env, not both");
  if (account !== undefined) flags.account = { devnet: parseInteger(account, "--account") };
  if (keyEnv !== undefined) flags.account = { privateKeyEnv: keyEnv };
  const storeUrl = stringFlag(values, "store-url");
  const storeDir = stringFlag(values, "store-dir");
  if (storeUrl !== undefined && storeDir !== undefined)
    throw new UsageError("give --store-url or --store-dir, not both");
  if (storeUrl !== undefined) flags.storeUrl = storeUrl;
  set("storeDir", storeDir);
  const file = stringFlag(values, "config");
  const config = loadConfig(CliConfigSchema, {
    ...(file === undefined ? {} : { file }),
    env,
    flags,
  });
  // --store-url on the command line beats a storeDir or an ipfs section from the environment or
  // the file.
  return storeUrl === undefined ? config : { ...config, storeDir: undefined, ipfs: undefined };
}
