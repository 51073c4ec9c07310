// Verifies the source of every contract of a deployment on a block explorer (Etherscan by
// default; ASSAY_VERIFY_PROVIDER=blockscout or sourcify for the others), from the plan
// deploy/deploy.ts wrote next to the deployment file:
//   ETHERSCAN_API_KEY=… npx hardhat run deploy/verify.ts --network sepolia
// Each contract is submitted in turn; one that fails is reported and the others still go.
// The contracts are verified against the `production` build profile, which hardhat.config.ts
// makes identical to the `default` one the deployment was built with.
import { network } from "hardhat";
import hre from "hardhat";
import { verifyContract } from "@nomicfoundation/hardhat-verify/verify";

import { planFileOf, readVerificationPlan } from "./verification.ts";

const connection = await network.getOrCreate();
const file = planFileOf(`deployments/${connection.networkName}.json`);
const plan = await readVerificationPlan(file);
const chainId = await (await connection.viem.getPublicClient()).getChainId();
if (chainId !== plan.chainId)
  throw new Error(`${file} is for chain ${plan.chainId}, but the network serves chain ${chainId}`);
const provider = (process.env.ASSAY_VERIFY_PROVIDER ?? "etherscan") as
  "etherscan" | "blockscout" | "sourcify";
const failed: string[] = [];
for (const entry of plan.contracts) {
  console.log(`verifying ${entry.name} at ${entry.address} on ${provider}`);
  try {
    await verifyContract(
      {
        address: entry.address,
        contract: entry.contract,
        constructorArgs: entry.constructorArgs,
        provider,
      },
      hre,
    );
  } catch (error) {
    failed.push(entry.name);
    console.error(`  ${entry.name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
if (failed.length > 0) {
  console.error(`not verified: ${failed.join(", ")}`);
  process.exitCode = 1;
} else console.log(`verified ${plan.contracts.length} contracts`);
