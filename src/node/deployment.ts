// Where the contracts are: the deployment file deploy/deploy.ts writes (deployments/<network>.json)
// and every daemon and the CLI read. It names the chain, the block the contracts were deployed at
// (watchers scan events from there), every address, and the parameters they were deployed with.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

import { getAddress } from "viem";
import { z } from "zod";

import { ConfigError } from "../errors.ts";

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "an 0x-prefixed 20-byte address")
  .transform((a) => getAddress(a));
const integerString = z.union([
  z.string().regex(/^\d+$/, "a decimal integer string"),
  z.number().int().nonnegative(),
]);

export const DeploymentFileSchema = z
  .object({
    chainId: z.number().int().positive(),
    /** The block of the first deployment transaction: event scans start here. */
    deployedAtBlock: z.number().int().nonnegative(),
    token: address,
    registry: address,
    randomness: address,
    market: address,
    disputeGame: address,
    fraudProofs: address,
    receipts: address,
    governor: address.optional(),
    treasury: address.optional(),
    /** The deployment parameters (deploy/deploy-assay.ts DeployParams), amounts as strings. */
    params: z
      .object({
        randomnessDelayBlocks: z.number().int().min(1),
        unbondingDelay: z.number().int().positive(),
        minProviderStake: integerString,
        minVerifierStake: integerString,
        dispute: z
          .object({
            challengeBond: integerString,
            clockBudget: integerString,
            voteCommitWindow: integerString,
            voteRevealWindow: integerString,
          })
          .loose(),
      })
      .loose(),
  })
  .loose();
export type DeploymentFile = z.output<typeof DeploymentFileSchema>;

/** Reads and checks a deployment file; a missing or malformed one is a ConfigError naming it. */
export async function readDeploymentFile(file: string): Promise<DeploymentFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ConfigError(
      `cannot read the deployment file ${file}: deploy first (npx hardhat run deploy/deploy.ts --network localhost) or set --deployment / ASSAY_DEPLOYMENT`,
      { cause },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`the deployment file ${file} is not JSON`, { cause });
  }
  const parsed = DeploymentFileSchema.safeParse(json);
  if (!parsed.success)
    throw new ConfigError(
      `the deployment file ${file} is invalid: ${parsed.error.issues
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ")}`,
    );
  return parsed.data;
}

/** Writes a deployment file atomically (a reader never sees half of it). */
export async function writeDeploymentFile(file: string, deployment: DeploymentFile): Promise<void> {
  const checked = DeploymentFileSchema.parse(deployment);
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(
    tmp,
    `${JSON.stringify(checked, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`,
  );
  await rename(tmp, file);
}
