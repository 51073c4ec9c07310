// The deployment file (deployment-file.ts) of a finished Ignition deployment of an Assay module:
// the addresses and the first transaction's block from Ignition's journal (its deployment
// directory, ignition/deployments/<id>/), the parameters from the deploy/params file the module's
// parameters were made from. deploy/from-ignition.ts writes it; the daemons and the CLI read it.
import { listTransactions, status, TransactionStatus } from "@nomicfoundation/ignition-core";
import { getAddress, type Address, type Hex, type PublicClient } from "viem";

import { CONTRACTS, HANDOVER, TEST_TOKEN, WIRING, type ContractKey } from "./assay-plan.ts";
import { DeployParamsSchema } from "./deploy-assay.ts";
import { deploymentFileFrom } from "./deployment-file.ts";
import { ASSAY_MODULES } from "./ignition-module.ts";
import { ignitionParametersOf } from "./ignition-parameters.ts";
import type { DeploymentFile } from "../src/node/deployment.ts";

/**
 * Reads the Ignition deployment in `deploymentDir`, deployed with the parameters made from
 * `params` (the parsed JSON of the deploy/params file named `source`), and checks it on the chain
 * `publicClient` reads: every transaction of the module's plan succeeded.
 */
export async function deploymentFileOfIgnition(
  deploymentDir: string,
  params: unknown,
  source: string,
  publicClient: Pick<PublicClient, "getChainId" | "getTransactionReceipt">,
): Promise<DeploymentFile> {
  const { moduleId } = ignitionParametersOf(params, source);
  const p = DeployParamsSchema.parse(params);
  const shape = ASSAY_MODULES[moduleId];
  const state = await status(deploymentDir);
  const planned =
    (shape.testToken ? 1 : 0) +
    CONTRACTS.length +
    WIRING.length +
    (shape.handover ? HANDOVER.length : 0);
  const modules = [...new Set(state.successful.map((id) => id.split("#")[0]))];
  if (modules.some((m) => m !== moduleId))
    throw new Error(
      `the Ignition deployment in ${deploymentDir} is of ${modules.join(", ")}, but the parameters in ${source} are for ${moduleId}`,
    );
  const unfinished = [...state.started, ...state.timedOut, ...state.held, ...state.failed];
  if (unfinished.length > 0 || state.successful.length !== planned)
    throw new Error(
      `the Ignition deployment in ${deploymentDir} is not finished (${state.successful.length} of ${planned} steps done): run its ignition deploy command again, then this`,
    );
  const chainId = await publicClient.getChainId();
  if (state.chainId !== chainId)
    throw new Error(
      `the Ignition deployment in ${deploymentDir} is on chain ${state.chainId}, but the RPC serves chain ${chainId}`,
    );
  const addresses: Partial<Record<ContractKey, Address>> = {};
  if (p.token !== undefined) addresses.token = p.token;
  for (const { key, name } of shape.testToken ? [TEST_TOKEN, ...CONTRACTS] : CONTRACTS) {
    const contract = state.contracts[`${moduleId}#${name}`];
    if (contract === undefined)
      throw new Error(`the Ignition deployment in ${deploymentDir} has no ${moduleId}#${name}`);
    addresses[key] = getAddress(contract.address);
  }
  // Watchers scan from the first block that holds one of the deployment's transactions.
  // listTransactions reads only the journal: its artifact resolver argument is unused (ignition-core
  // 3.1.9 names it _artifactResolver), so none is built for it.
  const sent = (await listTransactions(deploymentDir, undefined as never)).filter(
    (tx) => tx.status === TransactionStatus.SUCCESS,
  );
  const first = sent[0];
  if (first === undefined)
    throw new Error(`the Ignition deployment in ${deploymentDir} records no transaction`);
  let deployedAtBlock: bigint | undefined;
  for (const tx of sent) {
    const { blockNumber } = await publicClient.getTransactionReceipt({ hash: tx.txHash as Hex });
    if (deployedAtBlock === undefined || blockNumber < deployedAtBlock)
      deployedAtBlock = blockNumber;
  }
  // As the modules do: the first account deploys and, without a handover, governs.
  const deployer = getAddress(first.from);
  const governor = p.governor ?? deployer;
  return deploymentFileFrom(
    {
      addresses: addresses as Record<ContractKey, Address>,
      governor,
      treasury: p.treasury ?? governor,
      params: p,
    },
    chainId,
    deployedAtBlock!,
  );
}
