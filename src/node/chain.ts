// A daemon's or the CLI's connection to the chain: viem clients over the configured RPC, the signing
// account, and the Assay contracts at the addresses of the deployment file, with typed ABIs from
// Hardhat's artifacts. Connecting checks what an operator most often gets wrong — an RPC that does
// not answer, an RPC on another chain than the deployment, a stale deployment file — and says so in
// one sentence instead of failing later with a decoding error.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { ArtifactMap } from "hardhat/types/artifacts";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  getContract,
  http,
  type Abi,
  type Address,
  type Chain,
  type GetContractReturnType,
  type LocalAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";

import { ConfigError, RpcUnreachableError, WrongChainError } from "../errors.ts";
import type { AccountSource, NodeConfig } from "./config.ts";
import { readDeploymentFile, type DeploymentFile } from "./deployment.ts";

/** Hardhat's default devnet mnemonic: its keys are public, so it is refused off devnets. */
export const DEVNET_MNEMONIC = "test test test test test test test test test test test junk";
/** Chain ids of local devnets (Hardhat, Anvil). */
export const DEVNET_CHAIN_IDS: readonly number[] = [31337, 1337];

const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../artifacts");

type ContractName =
  | "JobMarket"
  | "DisputeGame"
  | "StakeRegistry"
  | "FraudProofs"
  | "Receipts"
  | "BlockhashRandomness"
  | "TestToken";
type AbiOf<N extends ContractName> = ArtifactMap[N]["abi"];

const abiCache = new Map<string, Abi>();

/** The ABI of a compiled contract, from Hardhat's artifacts (typed by artifacts.d.ts). */
export function abiOf<N extends ContractName>(name: N): AbiOf<N> {
  const cached = abiCache.get(name);
  if (cached !== undefined) return cached as AbiOf<N>;
  const sources: Record<ContractName, string> = {
    JobMarket: "JobMarket.sol",
    DisputeGame: "DisputeGame.sol",
    StakeRegistry: "StakeRegistry.sol",
    FraudProofs: "FraudProofs.sol",
    Receipts: "Receipts.sol",
    BlockhashRandomness: "randomness/BlockhashRandomness.sol",
    TestToken: "mocks/TestToken.sol",
  };
  const file = path.join(ARTIFACTS, "contracts", sources[name], `${name}.json`);
  let abi: Abi;
  try {
    abi = (JSON.parse(readFileSync(file, "utf8")) as { abi: Abi }).abi;
  } catch (cause) {
    throw new ConfigError(
      `the compiled contracts are missing (${path.relative(process.cwd(), file)}): run npx hardhat build`,
      { cause },
    );
  }
  abiCache.set(name, abi);
  return abi as AbiOf<N>;
}

export type WalletClientOf = WalletClient<Transport, Chain, LocalAccount>;
type Clients = { public: PublicClient; wallet: WalletClientOf };
export type ContractOf<N extends ContractName> = GetContractReturnType<AbiOf<N>, Clients>;

export interface AssayContracts {
  market: ContractOf<"JobMarket">;
  disputeGame: ContractOf<"DisputeGame">;
  registry: ContractOf<"StakeRegistry">;
  fraudProofs: ContractOf<"FraudProofs">;
  receipts: ContractOf<"Receipts">;
  randomness: ContractOf<"BlockhashRandomness">;
  /** The staking and payment token; the TestToken ABI covers ERC-20 (and `mint` on devnets). */
  token: ContractOf<"TestToken">;
}

/** The deployment parameters daemons act on, as numbers and bigints. */
export interface ChainParams {
  randomnessDelayBlocks: number;
  unbondingDelay: number;
  minProviderStake: bigint;
  minVerifierStake: bigint;
  challengeBond: bigint;
  clockBudget: bigint;
  voteCommitWindow: bigint;
  voteRevealWindow: bigint;
}

export interface ChainContext {
  publicClient: PublicClient;
  walletClient: WalletClientOf;
  account: LocalAccount;
  address: Address;
  chainId: number;
  rpcUrl: string;
  deployment: DeploymentFile;
  contracts: AssayContracts;
  params: ChainParams;
}

/** The signing account named by the config: a devnet mnemonic index, or a key from the env. */
export function accountOf(
  source: AccountSource,
  env: Record<string, string | undefined> = process.env,
): LocalAccount {
  if ("devnet" in source)
    return mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: source.devnet });
  const key = env[source.privateKeyEnv];
  if (key === undefined || key === "")
    throw new ConfigError(
      `the environment variable ${source.privateKeyEnv} (the signing key) is not set`,
    );
  if (!/^0x[0-9a-fA-F]{64}$/.test(key))
    throw new ConfigError(
      `${source.privateKeyEnv} must hold a 0x-prefixed 32-byte hex private key (its value is not shown)`,
    );
  return privateKeyToAccount(key as `0x${string}`);
}

function paramsOf(d: DeploymentFile): ChainParams {
  const p = d.params;
  return {
    randomnessDelayBlocks: p.randomnessDelayBlocks,
    unbondingDelay: p.unbondingDelay,
    minProviderStake: BigInt(p.minProviderStake),
    minVerifierStake: BigInt(p.minVerifierStake),
    challengeBond: BigInt(p.dispute.challengeBond),
    clockBudget: BigInt(p.dispute.clockBudget),
    voteCommitWindow: BigInt(p.dispute.voteCommitWindow),
    voteRevealWindow: BigInt(p.dispute.voteRevealWindow),
  };
}

export interface ConnectOptions {
  env?: Record<string, string | undefined>;
  /** Give up reaching the RPC after this long (default 5 s). */
  timeoutMs?: number;
  /**
   * Reads only (a verifier's re-execution worker): the config's account is ignored and the
   * context is bound to a throwaway key made up here, which holds nothing and signs nothing.
   */
  readOnly?: boolean;
}

/**
 * Connects to the chain the config names and checks it: the RPC answers, it serves the chain the
 * config and the deployment file are for, and the deployment's contracts have code there.
 */
export async function connectChain(
  config: Pick<NodeConfig, "rpcUrl" | "chainId" | "deployment" | "account" | "pollIntervalMs">,
  options: ConnectOptions = {},
): Promise<ChainContext> {
  const deployment = await readDeploymentFile(config.deployment);
  const account = options.readOnly
    ? privateKeyToAccount(generatePrivateKey())
    : accountOf(config.account, options.env);
  const transport = http(config.rpcUrl, {
    timeout: options.timeoutMs ?? 5_000,
    retryCount: 2,
    retryDelay: 200,
  });
  const probe = createPublicClient({ transport });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (cause) {
    throw new RpcUnreachableError(
      `cannot reach the RPC at ${config.rpcUrl}: is the node running? (set --rpc-url or ASSAY_RPC_URL)`,
      { cause },
    );
  }
  const expected = config.chainId ?? deployment.chainId;
  if (chainId !== expected)
    throw new WrongChainError(
      expected,
      chainId,
      `the RPC at ${config.rpcUrl} serves chain ${chainId}, but ${config.chainId !== undefined ? "the config expects" : `the deployment ${config.deployment} is for`} chain ${expected}`,
    );
  if (deployment.chainId !== chainId)
    throw new WrongChainError(
      deployment.chainId,
      chainId,
      `the deployment ${config.deployment} is for chain ${deployment.chainId}, but the RPC serves chain ${chainId}`,
    );
  if (!options.readOnly && "devnet" in config.account && !DEVNET_CHAIN_IDS.includes(chainId))
    throw new ConfigError(
      `devnet account ${config.account.devnet} uses Hardhat's public test mnemonic; refusing it on chain ${chainId} (set ASSAY_PRIVATE_KEY)`,
    );
  const chain = defineChain({
    id: chainId,
    name: chainId === 31337 ? "Hardhat devnet" : `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
  });
  const publicClient = createPublicClient({
    chain,
    transport,
    pollingInterval: config.pollIntervalMs,
  }) as PublicClient;
  const walletClient = createWalletClient({ chain, transport, account });
  const client = { public: publicClient, wallet: walletClient };
  const contracts: AssayContracts = {
    market: getContract({ address: deployment.market, abi: abiOf("JobMarket"), client }),
    disputeGame: getContract({
      address: deployment.disputeGame,
      abi: abiOf("DisputeGame"),
      client,
    }),
    registry: getContract({ address: deployment.registry, abi: abiOf("StakeRegistry"), client }),
    fraudProofs: getContract({
      address: deployment.fraudProofs,
      abi: abiOf("FraudProofs"),
      client,
    }),
    receipts: getContract({ address: deployment.receipts, abi: abiOf("Receipts"), client }),
    randomness: getContract({
      address: deployment.randomness,
      abi: abiOf("BlockhashRandomness"),
      client,
    }),
    token: getContract({ address: deployment.token, abi: abiOf("TestToken"), client }),
  };
  for (const [name, contract] of Object.entries(contracts)) {
    const code = await publicClient.getCode({
      address: (contract as { address: Address }).address,
    });
    if (code === undefined || code === "0x")
      throw new ConfigError(
        `no contract at the ${name} address of ${config.deployment} on chain ${chainId}: the deployment file is stale (redeploy, or point --deployment at the right file)`,
      );
  }
  return {
    publicClient,
    walletClient,
    account,
    address: account.address,
    chainId,
    rpcUrl: config.rpcUrl,
    deployment,
    contracts,
    params: paramsOf(deployment),
  };
}
