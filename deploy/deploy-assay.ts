// Deploys the Assay escrow contracts and wires their roles. Used by deploy/deploy.ts (devnet and
// testnets), the demo, and every contract test fixture, so all of them run the same wiring.
import type { HardhatViemHelpers } from "@nomicfoundation/hardhat-viem/types";
import { getAddress, keccak256, toHex, type Address } from "viem";
import { z } from "zod";

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

export const ROLES = {
  GOVERNOR: keccak256(toHex("GOVERNOR_ROLE")),
  LOCKER: keccak256(toHex("LOCKER_ROLE")),
  SLASHER: keccak256(toHex("SLASHER_ROLE")),
  DISPUTE: keccak256(toHex("DISPUTE_ROLE")),
} as const;

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
  const governor: Address = params.governor ?? deployer.account.address;
  const treasury: Address = params.treasury ?? governor;

  // What each contract was deployed with, for source verification (deploy/verification.ts).
  const constructorArgs: Record<string, readonly unknown[]> = {};
  const testToken = params.token === undefined ? await viem.deployContract("TestToken") : undefined;
  if (testToken !== undefined) constructorArgs.TestToken = [];
  const tokenAddress = params.token ?? testToken!.address;
  const registryArgs = [
    tokenAddress,
    deployer.account.address,
    params.minProviderStake,
    params.minVerifierStake,
    BigInt(params.unbondingDelay),
  ] as const;
  constructorArgs.StakeRegistry = registryArgs;
  const registry = await viem.deployContract("StakeRegistry", registryArgs);
  const randomnessArgs = [BigInt(params.randomnessDelayBlocks)] as const;
  constructorArgs.BlockhashRandomness = randomnessArgs;
  const randomness = await viem.deployContract("BlockhashRandomness", randomnessArgs);
  // Everything is deployed with the deployer as admin, wired, then handed to the governor.
  const admin = deployer.account.address;
  const marketArgs = [
    registry.address,
    randomness.address,
    admin,
    treasury,
    BigInt(params.minCollateralBps),
    BigInt(params.expirySubmitterBps),
  ] as const;
  constructorArgs.JobMarket = marketArgs;
  const market = await viem.deployContract("JobMarket", marketArgs);
  const disputeGameArgs = [
    market.address,
    registry.address,
    randomness.address,
    admin,
    params.dispute,
  ] as const;
  constructorArgs.DisputeGame = disputeGameArgs;
  const disputeGame = await viem.deployContract("DisputeGame", disputeGameArgs);

  const wait = async (hash: `0x${string}`): Promise<void> => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`role setup transaction ${hash} reverted`);
  };
  const fraudProofsArgs = [
    market.address,
    registry.address,
    admin,
    BigInt(params.dispute.challengerShareBps),
  ] as const;
  constructorArgs.FraudProofs = fraudProofsArgs;
  const fraudProofs = await viem.deployContract("FraudProofs", fraudProofsArgs);
  const receiptsArgs = [
    market.address,
    registry.address,
    randomness.address,
    BigInt(params.receiptsMinPublishWindow),
  ] as const;
  constructorArgs.Receipts = receiptsArgs;
  const receipts = await viem.deployContract("Receipts", receiptsArgs);
  await wait(await market.write.setReceipts([receipts.address]));
  await wait(await registry.write.grantRole([ROLES.LOCKER, market.address]));
  await wait(await registry.write.grantRole([ROLES.SLASHER, market.address]));
  await wait(await registry.write.grantRole([ROLES.SLASHER, disputeGame.address]));
  await wait(await market.write.grantRole([ROLES.DISPUTE, disputeGame.address]));
  await wait(await registry.write.grantRole([ROLES.SLASHER, fraudProofs.address]));
  await wait(await market.write.grantRole([ROLES.DISPUTE, fraudProofs.address]));
  // The registry keeps the unbonding delay long enough for every dispute (D2, both sides).
  await wait(await registry.write.addUnbondingConsumer([disputeGame.address]));
  if (governor !== admin) {
    const adminRole = await registry.read.DEFAULT_ADMIN_ROLE();
    for (const target of [
      registry.address,
      market.address,
      disputeGame.address,
      fraudProofs.address,
    ]) {
      // All three are OpenZeppelin AccessControl: the registry's ABI has the same role functions.
      const contract = await viem.getContractAt("StakeRegistry", target);
      await wait(await contract.write.grantRole([ROLES.GOVERNOR, governor]));
      await wait(await contract.write.grantRole([adminRole, governor]));
      await wait(await contract.write.renounceRole([ROLES.GOVERNOR, admin]));
      await wait(await contract.write.renounceRole([adminRole, admin]));
    }
  }
  return {
    registry,
    randomness,
    market,
    disputeGame,
    fraudProofs,
    receipts,
    testToken,
    tokenAddress,
    governor,
    treasury,
    params,
    constructorArgs,
  };
}

export type AssayDeployment = Awaited<ReturnType<typeof deployAssay>>;
