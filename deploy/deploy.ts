// Deploys Assay to the network Hardhat is pointed at and records the addresses.
//   npx hardhat run deploy/deploy.ts --network localhost
//   ASSAY_DEPLOY_PARAMS=deploy/params/sepolia.json npx hardhat run deploy/deploy.ts --network sepolia
// Parameters: ASSAY_DEPLOY_PARAMS, else deploy/params/<network>.json, else the devnet defaults.
// Output: deployments/<network>-<chainId>.json.
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";

import { network } from "hardhat";

import {
  DEVNET_PARAMS,
  DeployParamsSchema,
  deployAssay,
  type DeployParams,
} from "./deploy-assay.ts";

const connection = await network.getOrCreate();
const paramsPath =
  process.env.ASSAY_DEPLOY_PARAMS ?? `deploy/params/${connection.networkName}.json`;
let params: DeployParams = DEVNET_PARAMS;
if (existsSync(paramsPath)) {
  const parsed = DeployParamsSchema.safeParse(JSON.parse(await readFile(paramsPath, "utf8")));
  if (!parsed.success) {
    throw new Error(
      `invalid deployment parameters in ${paramsPath}:\n${parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`,
    );
  }
  params = DeployParamsSchema.parse(
    JSON.parse(await readFile(paramsPath, "utf8")),
  ) as unknown as DeployParams;
  console.log(`parameters: ${paramsPath}`);
} else if (process.env.ASSAY_DEPLOY_PARAMS !== undefined) {
  throw new Error(`ASSAY_DEPLOY_PARAMS names ${paramsPath}, which does not exist`);
} else {
  console.log("parameters: devnet defaults (deploy/deploy-assay.ts)");
}

const publicClient = await connection.viem.getPublicClient();
const chainId = await publicClient.getChainId();
const d = await deployAssay(connection.viem, params);
const record = {
  network: connection.networkName,
  chainId,
  deployedAt: new Date().toISOString(),
  token: d.tokenAddress,
  stakeRegistry: d.registry.address,
  randomness: d.randomness.address,
  jobMarket: d.market.address,
  disputeGame: d.disputeGame.address,
  fraudProofs: d.fraudProofs.address,
  governor: d.governor,
  treasury: d.treasury,
  params: d.params,
};
await mkdir("deployments", { recursive: true });
const out = `deployments/${connection.networkName}-${chainId}.json`;
await writeFile(
  out,
  JSON.stringify(record, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n",
);
console.log(record);
console.log(`wrote ${out}`);
