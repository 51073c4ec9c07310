// The deployment file (src/node/deployment.ts) that describes a fresh deployment: what
// deploy/deploy.ts and the devnet write from a deployAssay() result, and deploy/from-ignition.ts from
// an Ignition deployment, for the daemons and the CLI to read.
import type { Address } from "viem";
import type { z } from "zod";

import type { ContractKey } from "./assay-plan.ts";
import type { AssayDeployment, DeployParamsSchema } from "./deploy-assay.ts";
import { DeploymentFileSchema, type DeploymentFile } from "../src/node/deployment.ts";

/** What a deployment file records, however the contracts were deployed. */
export interface DeployedAssay {
  addresses: Record<ContractKey, Address>;
  governor: Address;
  treasury: Address;
  params: z.output<typeof DeployParamsSchema>;
}

/** The deployment file of a deployment, with the block of its first transaction. */
export function deploymentFileFrom(
  d: DeployedAssay,
  chainId: number,
  deployedAtBlock: bigint,
): DeploymentFile {
  const json = JSON.parse(
    JSON.stringify(d.params, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
  ) as unknown;
  return DeploymentFileSchema.parse({
    chainId,
    deployedAtBlock: Number(deployedAtBlock),
    ...d.addresses,
    governor: d.governor,
    treasury: d.treasury,
    params: json,
  });
}

/** The deployment file of a fresh deployAssay() result. */
export function deploymentFileOf(
  d: AssayDeployment,
  chainId: number,
  deployedAtBlock: bigint,
): DeploymentFile {
  const addresses: Record<ContractKey, Address> = {
    token: d.tokenAddress,
    registry: d.registry.address,
    randomness: d.randomness.address,
    market: d.market.address,
    disputeGame: d.disputeGame.address,
    fraudProofs: d.fraudProofs.address,
    receipts: d.receipts.address,
  };
  return deploymentFileFrom({ ...d, addresses }, chainId, deployedAtBlock);
}
