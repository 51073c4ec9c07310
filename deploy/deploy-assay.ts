// Deploys the Assay escrow contracts and wires their roles, running the plan in assay-plan.ts (the
// Ignition modules run the same plan). Used by deploy/deploy.ts (devnet and testnets), the demo,
// and every contract test fixture, so all of them run the same wiring.
import type { HardhatViemHelpers } from "@nomicfoundation/hardhat-viem/types";
import { getAddress, type Address } from "viem";
import { z } from "zod";

import {
  CONTRACTS,
  HANDOVER,
  NAME_OF,
  TEST_TOKEN,
  WIRING,
  roleId,
  type ContractKey,
  type DisputeField,
  type NumberParam,
  type Party,
  type PlanValue,
} from "./assay-plan.ts";

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "an 0x-prefixed 20-byte address")
  .transform((a) => getAddress(a));
const amount = z
  .union([
    z.string().regex(/^\d+$/, "a decimal integer string"),
    z.number().int().nonnegative(),
    z.bigint().nonnegative(),
  ])
  .transform((v) => BigInt(v));

const seconds = z
  .number()
  .int()
  .positive()
  .transform((v) => BigInt(v));
const bps = z
  .number()
  .int()
  .min(0)
  .max(10_000)
  .transform((v) => BigInt(v));

/** Deployment parameters, as written in deploy/params/<network>.json. */
export const DeployParamsSchema = z
  .object({
    /** The chain these parameters are meant for; deploying elsewhere is refused. */
    chainId: z.number().int().positive().optional(),
    /** Existing ERC-20 to stake and pay with; omitted on devnets, where a mintable TestToken is deployed. */
    token: address.optional(),
    /** Admin and governor of both contracts; defaults to the deployer. */
    governor: address.optional(),
    /** Receives the protocol's share of slashes; defaults to the governor. */
    treasury: address.optional(),
    minProviderStake: amount,
    minVerifierStake: amount,
    /** Seconds; must exceed twice the longest challenge window jobs will use. */
    unbondingDelay: z.number().int().positive(),
    /** Blocks between submission and the block whose hash seeds the sample. */
    randomnessDelayBlocks: z.number().int().min(1).max(128),
    minCollateralBps: z.number().int().min(0).max(100_000),
    /**
     * Seconds: the shortest receipt publish phase (a quarter of a job's challenge window) for which
     * jobs offer receipts; it must hold the probe randomness's delay with room to spare
     * (randomnessDelayBlocks + 1 blocks at the chain's block time, several times over).
     */
    receiptsMinPublishWindow: z.number().int().positive(),
    expirySubmitterBps: z.number().int().min(0).max(10_000),
    dispute: z
      .object({
        challengeBond: amount,
        /** Seconds each side has for all its dissection moves. */
        clockBudget: seconds,
        voteCommitWindow: seconds,
        voteRevealWindow: seconds,
        redrawDelay: seconds,
        challengerShareBps: bps,
        refereeShareBps: bps,
        refereePenalty: amount,
      })
      .strict(),
  })
  .strict();
export type DeployParams = z.input<typeof DeployParamsSchema>;

export { ROLES } from "./assay-plan.ts";

/** Devnet defaults: 18-decimal token units. */
export const DEVNET_PARAMS: DeployParams = {
  minProviderStake: (1_000n * 10n ** 18n).toString(),
  minVerifierStake: (100n * 10n ** 18n).toString(),
  unbondingDelay: 7 * 24 * 3600,
  randomnessDelayBlocks: 2,
  minCollateralBps: 5_000,
  expirySubmitterBps: 5_000,
  receiptsMinPublishWindow: 60,
  dispute: {
    challengeBond: (50n * 10n ** 18n).toString(),
    clockBudget: 6 * 3600,
    voteCommitWindow: 3600,
    voteRevealWindow: 3600,
    redrawDelay: 3600,
    challengerShareBps: 800,
    refereeShareBps: 200,
    refereePenalty: (10n * 10n ** 18n).toString(),
  },
};

/** A plan value as deployAssay passes it: addresses, bigints, the dispute struct, role ids. */
function resolver(
  params: z.output<typeof DeployParamsSchema>,
  parties: Record<Party, Address>,
  addresses: Partial<Record<ContractKey, Address>>,
): (value: PlanValue) => unknown {
  return (value) => {
    if ("contract" in value) {
      const at = addresses[value.contract];
      if (at === undefined) throw new Error(`the plan uses ${value.contract} before deploying it`);
      return at;
    }
    if ("party" in value) return parties[value.party];
    if ("role" in value) return roleId(value.role);
    if ("disputeParams" in value) return params.dispute;
    const [head, field] = value.param.split(".") as [string, DisputeField | undefined];
    const raw =
      field === undefined
        ? params[head as Exclude<NumberParam, `dispute.${string}`>]
        : params.dispute[field];
    return BigInt(raw);
  };
}

// eslint-disable-next-line @typescript-eslint/explicit-module-boundary-types
export async function deployAssay(viem: HardhatViemHelpers, input: DeployParams = DEVNET_PARAMS) {
  const params = DeployParamsSchema.parse(input);
  const publicClient = await viem.getPublicClient();
  const chainId = await publicClient.getChainId();
  if (params.chainId !== undefined && params.chainId !== chainId) {
    throw new Error(
      `these parameters are for chain ${params.chainId}, but the RPC serves chain ${chainId}`,
    );
  }
  const [deployer] = await viem.getWalletClients();
  if (deployer === undefined) throw new Error("no deployer account is configured for this network");
  // Everything is deployed with the deployer as admin, wired, then handed to the governor.
  const admin = deployer.account.address;
  const governor: Address = params.governor ?? admin;
  const treasury: Address = params.treasury ?? governor;
  const addresses: Partial<Record<ContractKey, Address>> = {};
  if (params.token !== undefined) addresses.token = params.token;
  const resolve = resolver(params, { deployer: admin, governor, treasury }, addresses);

  // What each contract was deployed with, for source verification (deploy/verification.ts).
  const constructorArgs: Record<string, readonly unknown[]> = {};
  // The plan names its contracts at run time, so the typed overloads of deployContract cannot
  // check the arguments here; each contract is fetched typed below.
  const deploy = viem.deployContract as (
    name: string,
    args: readonly unknown[],
  ) => Promise<{ address: Address }>;
  for (const planned of params.token === undefined ? [TEST_TOKEN, ...CONTRACTS] : CONTRACTS) {
    const args = planned.args.map(resolve);
    constructorArgs[planned.name] = args;
    addresses[planned.key] = (await deploy(planned.name, args)).address;
  }
  const wait = async (hash: `0x${string}`): Promise<void> => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`role setup transaction ${hash} reverted`);
  };
  const calls = governor === admin ? WIRING : [...WIRING, ...HANDOVER];
  for (const call of calls) {
    const target = await viem.getContractAt(
      NAME_OF[call.on],
      resolve({ contract: call.on }) as Address,
    );
    // Same reason as deploy above: the function is named by the plan, not by the code.
    const write = target.write as unknown as Record<
      string,
      (args: readonly unknown[]) => Promise<`0x${string}`>
    >;
    await wait(await write[call.functionName]!(call.args.map(resolve)));
  }

  const at = (key: ContractKey): Address => resolve({ contract: key }) as Address;
  return {
    registry: await viem.getContractAt("StakeRegistry", at("registry")),
    randomness: await viem.getContractAt("BlockhashRandomness", at("randomness")),
    market: await viem.getContractAt("JobMarket", at("market")),
    disputeGame: await viem.getContractAt("DisputeGame", at("disputeGame")),
    fraudProofs: await viem.getContractAt("FraudProofs", at("fraudProofs")),
    receipts: await viem.getContractAt("Receipts", at("receipts")),
    testToken:
      params.token === undefined ? await viem.getContractAt("TestToken", at("token")) : undefined,
    tokenAddress: at("token"),
    governor,
    treasury,
    params,
    constructorArgs,
  };
}

export type AssayDeployment = Awaited<ReturnType<typeof deployAssay>>;
