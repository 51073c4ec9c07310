// A fresh chain with Assay deployed (deploy/deploy-assay.ts) and its deployment as the SDK reads it
// (the deployment file deploy/deploy.ts would write), for the SDK's tests.
import { readFileSync } from "node:fs";

import { network } from "hardhat";

import { DEVNET_PARAMS, deployAssay } from "../../../deploy/deploy-assay.ts";
import { deploymentFileOf } from "../../../deploy/deployment-file.ts";
import { parseDeployment } from "../../../packages/sdk/src/index.ts";
import { parseJobSpec } from "../../../src/protocol/job-spec.ts";

export const connection = await network.create();
export const { viem, networkHelpers } = connection;
export const UNIT = 10n ** 18n;

/** The example dApp's spec (examples/submit-job/spec.json): a valid exact job. */
export const SPEC = parseJobSpec(
  JSON.parse(
    readFileSync(new URL("../../../examples/submit-job/spec.json", import.meta.url), "utf8"),
  ),
);

export async function sdkFixture() {
  const [, submitter, provider, verifier, stranger] = await viem.getWalletClients();
  const publicClient = await viem.getPublicClient();
  const firstBlock = (await publicClient.getBlockNumber()) + 1n;
  const d = await deployAssay(viem, DEVNET_PARAMS);
  const deployment = parseDeployment(
    deploymentFileOf(d, await publicClient.getChainId(), firstBlock),
  );
  const token = d.testToken!;
  for (const w of [submitter!, provider!, verifier!])
    await token.write.mint([w.account.address, 10_000n * UNIT]);
  return {
    deployment,
    token,
    market: d.market,
    registry: d.registry,
    publicClient,
    submitter: submitter!,
    provider: provider!,
    verifier: verifier!,
    stranger: stranger!,
  };
}
