// Where the contracts are: the deployment file deploy/deploy.ts writes (deployments/<network>.json)
// and every daemon, the CLI and the SDK (packages/sdk) read. It names the chain, the block the
// contracts were deployed at (watchers scan events from there), every address, and the parameters
// they were deployed with. Pure: the schema only; src/node/deployment.ts reads and writes files.
import { getAddress } from "viem";
import { z } from "zod";

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
