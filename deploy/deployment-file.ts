// The deployment file (src/node/deployment.ts) that describes a fresh deployAssay() result: what
// deploy/deploy.ts and the devnet write for the daemons and the CLI to read.
import type { AssayDeployment } from "./deploy-assay.ts";
import { DeploymentFileSchema, type DeploymentFile } from "../src/node/deployment.ts";

/** The deployment file of a fresh deployAssay() result. */
export function deploymentFileOf(
  d: AssayDeployment,
  chainId: number,
  deployedAtBlock: bigint,
): DeploymentFile {
  const p = d.params;
  const json = JSON.parse(
    JSON.stringify(p, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
  ) as unknown;
  return DeploymentFileSchema.parse({
    chainId,
    deployedAtBlock: Number(deployedAtBlock),
    token: d.tokenAddress,
    registry: d.registry.address,
    randomness: d.randomness.address,
    market: d.market.address,
    disputeGame: d.disputeGame.address,
    fraudProofs: d.fraudProofs.address,
    receipts: d.receipts.address,
    governor: d.governor,
    treasury: d.treasury,
    params: json,
  });
}
