// A deployment as a dApp uses it: the addresses of one chain's Assay contracts, from the map of
// known networks built into the package (generated from deploy/deploy.ts's deployment files) or
// from a deployment file the dApp reads itself (a devnet's, whose addresses change every run).
import { DeploymentFileSchema, type DeploymentFile } from "../../../src/protocol/deployment.ts";
import { deployments } from "../generated/deployments.ts";
import { DeploymentError } from "./errors.ts";

/** One chain's Assay deployment: chain id, first block, every contract's address, parameters. */
export type AssayDeployment = DeploymentFile;

/** The contracts of a deployment that take calls, by their deployment file key. */
export type DeployedContract =
  "market" | "registry" | "disputeGame" | "fraudProofs" | "receipts" | "randomness" | "token";

/**
 * Checks a deployment file's JSON (what deploy/deploy.ts writes to deployments/<network>.json);
 * `source` names it in the error, which lists every bad field.
 */
export function parseDeployment(json: unknown, source = "the deployment"): AssayDeployment {
  const parsed = DeploymentFileSchema.safeParse(json);
  if (!parsed.success)
    throw new DeploymentError(
      `${source} is not an Assay deployment file: ${parsed.error.issues
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ")}`,
    );
  return parsed.data;
}

/** The built-in deployment for `chainId`; a chain without one is a DeploymentError naming those known. */
export function deploymentFor(chainId: number): AssayDeployment {
  const known: Readonly<Record<number, AssayDeployment>> = deployments;
  const d = known[chainId];
  if (d === undefined) {
    const ids = Object.keys(known);
    throw new DeploymentError(
      `no Assay deployment is built in for chain ${chainId} (built in: ${ids.length === 0 ? "none" : ids.join(", ")}); for a devnet, read its deployment file and pass it through parseDeployment`,
    );
  }
  return d;
}

export { deployments };
