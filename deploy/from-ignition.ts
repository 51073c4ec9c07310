// Writes deployments/<network>.json, the file the daemons and the CLI read, for a finished Ignition
// deployment of an Assay module (deploy/deploy.ts writes it for its own deployments):
//   npx hardhat ignition deploy ignition/modules/Assay.ts --network sepolia \
//     --parameters ignition/parameters/sepolia.json
//   npx hardhat run --no-compile deploy/from-ignition.ts --network sepolia
// Parameters: ASSAY_DEPLOY_PARAMS, else deploy/params/<network>.json (the file the Ignition parameters
// were made from). Deployment: ignition/deployments/<ASSAY_IGNITION_DEPLOYMENT_ID>, else Ignition's
// default chain-<chain id>. No verification plan is written: `ignition deploy --verify` does that part.
// --no-compile: the contracts were built for the deployment; without it Hardhat builds the tests too.
import { readFile } from "node:fs/promises";
import path from "node:path";

import hre, { network } from "hardhat";

import { deploymentFileOfIgnition } from "./ignition-deployment.ts";
import { writeDeploymentFile } from "../src/node/deployment.ts";

const connection = await network.getOrCreate();
const publicClient = await connection.viem.getPublicClient();
const chainId = await publicClient.getChainId();
const paramsPath =
  process.env.ASSAY_DEPLOY_PARAMS ?? `deploy/params/${connection.networkName}.json`;
let params: unknown;
try {
  params = JSON.parse(await readFile(paramsPath, "utf8"));
} catch (cause) {
  throw new Error(
    `cannot read the deployment parameters ${paramsPath}: set ASSAY_DEPLOY_PARAMS to the file the Ignition parameters were made from`,
    { cause },
  );
}
const id = process.env.ASSAY_IGNITION_DEPLOYMENT_ID ?? `chain-${chainId}`;
const dir = path.join(hre.config.paths.ignition, "deployments", id);
const deployment = await deploymentFileOfIgnition(dir, params, paramsPath, publicClient);
const out = `deployments/${connection.networkName}.json`;
await writeDeploymentFile(out, deployment);
console.log(deployment);
console.log(`wrote ${out} (chain ${chainId}) from the Ignition deployment in ${dir}`);
