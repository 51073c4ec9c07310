// The contracts a dApp talks to: what deploy/deploy-assay.ts deploys (TestToken only on devnets,
// so the token is exported as the plain ERC-20 interface), each with its artifact's source name and
// the name of its ABI export.
export interface PublicContract {
  /** The artifact's contract name. */
  name: string;
  /** The artifact's source name (artifacts/<sourceName>/<name>.json). */
  sourceName: string;
  /** The ABI's export name in the package. */
  abiExport: string;
}

export const PUBLIC_CONTRACTS: readonly PublicContract[] = [
  { name: "JobMarket", sourceName: "contracts/JobMarket.sol", abiExport: "jobMarketAbi" },
  {
    name: "StakeRegistry",
    sourceName: "contracts/StakeRegistry.sol",
    abiExport: "stakeRegistryAbi",
  },
  { name: "DisputeGame", sourceName: "contracts/DisputeGame.sol", abiExport: "disputeGameAbi" },
  { name: "FraudProofs", sourceName: "contracts/FraudProofs.sol", abiExport: "fraudProofsAbi" },
  { name: "Receipts", sourceName: "contracts/Receipts.sol", abiExport: "receiptsAbi" },
  {
    name: "BlockhashRandomness",
    sourceName: "contracts/randomness/BlockhashRandomness.sol",
    abiExport: "blockhashRandomnessAbi",
  },
  {
    name: "IERC20",
    sourceName: "@openzeppelin/contracts/token/ERC20/IERC20.sol",
    abiExport: "erc20Abi",
  },
  {
    // OpenZeppelin 5's ERC-20 custom errors (ERC20InsufficientBalance…): the test token's, and most
    // tokens' since OpenZeppelin 5, so a failed escrow or stake transfer decodes.
    name: "IERC20Errors",
    sourceName: "@openzeppelin/contracts/interfaces/draft-IERC6093.sol",
    abiExport: "erc20ErrorsAbi",
  },
];
