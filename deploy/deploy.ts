// Deploys Assay to the network Hardhat is pointed at and records the addresses.
//   npx hardhat run deploy/deploy.ts --network localhost
//   ASSAY_DEPLOY_PARAMS=deploy/params/sepolia.json npx hardhat run deploy/deploy.ts --network sepolia
// Parameters: ASSAY_DEPLOY_PARAMS, else deploy/params/<network>.json, else the devnet defaults.
// Output: deployments/<network>.json (src/node/deployment.ts), which daemons and the CLI read
// (their `deployment` setting, default deployments/localhost.json).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";

import { network } from "hardhat";

import { deploymentFileOf } from "./deployment-file.ts";
import { planFileOf, verificationPlan, writeVerificationPlan } from "./verification.ts";
import { writeDeploymentFile } from "../src/node/deployment.ts";
import {
  DEVNET_PARAMS,
  DeployParamsSchema,
  deployAssay,
  type DeployParams,
} from "./deploy-assay.ts";
import { formatIssues } from "../src/zod-issues.ts";

const connection = await network.getOrCreate();
const paramsPath =
  process.env.ASSAY_DEPLOY_PARAMS ?? `deploy/params/${connection.networkName}.json`;
let params: DeployParams = DEVNET_PARAMS;
if (existsSync(paramsPath)) {
  const raw: unknown = JSON.parse(await readFile(paramsPath, "utf8"));
  const parsed = DeployParamsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `invalid deployment parameters in ${paramsPath}: ${formatIssues(parsed.error, DeployParamsSchema)}`,
    );
  }
  // deployAssay parses again; it takes the input form.
  params = raw as DeployParams;
  console.log(`parameters: ${paramsPath}`);
} else if (process.env.ASSAY_DEPLOY_PARAMS !== undefined) {
  throw new Error(`ASSAY_DEPLOY_PARAMS names ${paramsPath}, which does not exist`);
} else {
  console.log("parameters: devnet defaults (deploy/deploy-assay.ts)");
}

const publicClient = await connection.viem.getPublicClient();
const chainId = await publicClient.getChainId();
// Watchers scan events from here: no Assay contract exists before the next block.
const firstBlock = (await publicClient.getBlockNumber()) + 1n;
const d = await deployAssay(connection.viem, params);
const out = `deployments/${connection.networkName}.json`;
const deployment = deploymentFileOf(d, chainId, firstBlock);
await writeDeploymentFile(out, deployment);
const verifyOut = planFileOf(out);
await writeVerificationPlan(verifyOut, chainId, verificationPlan(d));
console.log(deployment);
console.log(`wrote ${out} (chain ${chainId}) and ${verifyOut} (for deploy/verify.ts)`);
