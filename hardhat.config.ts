import { createRequire } from "node:module";
import path from "node:path";

import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatIgnitionViem from "@nomicfoundation/hardhat-ignition-viem";
import hardhatKeystore from "@nomicfoundation/hardhat-keystore";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatTypechain from "@nomicfoundation/hardhat-typechain";
import hardhatVerify from "@nomicfoundation/hardhat-verify";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import { configVariable, defineConfig } from "hardhat/config";

// Hardhat never downloads a compiler whose config entry names a `path`: we point it
// at the solc npm package (soljson.js), so builds work offline and are pinned by the
// lockfile. The version string is taken from the package itself.
const require = createRequire(import.meta.url);
const solcPackage = require("solc/package.json") as { version: string };
const soljson = path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js");

function compiler(runs: number) {
  return {
    version: solcPackage.version,
    path: soljson,
    settings: { optimizer: { enabled: true, runs }, evmVersion: "cancun", viaIR: true },
  };
}

// One set of settings for `default` (what build, run and deploy use) and `production` (what the
// verify plugin compiles with): Hardhat's production default would compile each file in isolation.
const CONTRACTS_PROFILE = {
  isolated: false,
  toolVersionsInBuildInfo: false,
  compilers: [compiler(10_000)],
  // DisputeGame is near EIP-170's 24,576-byte limit (about 23.4 kB at 200 runs, 29.4 kB at
  // 10,000, the runs its copy in the Solidity tests' build gets): optimized for size.
  overrides: { "contracts/DisputeGame.sol": compiler(200) },
};

export default defineConfig({
  plugins: [
    hardhatViem,
    hardhatEthers,
    hardhatTypechain,
    hardhatMocha,
    hardhatNetworkHelpers,
    // Testnet keys (SEPOLIA_PRIVATE_KEY, daemons' keys) live encrypted in Hardhat's keystore.
    hardhatKeystore,
    // Source verification of a deployment: deploy/verify.ts (docs/contracts.md, "Verify").
    hardhatVerify,
    // Hardhat Ignition with viem: ignition/modules/ (deploy/ignition-module.ts, docs/contracts.md).
    hardhatIgnitionViem,
  ],
  solidity: {
    profiles: {
      default: CONTRACTS_PROFILE,
      // The verify plugin compiles with `production`: the same settings, so the bytecode matches.
      production: CONTRACTS_PROFILE,
    },
  },
  paths: {
    tests: {
      mocha: "test/ts",
      solidity: "test/solidity",
    },
  },
  typechain: {
    // ethers-v6 bindings for dApp developers; our own TypeScript uses viem's typed ABIs.
    outDir: "types/ethers-contracts",
  },
  test: {
    solidity: {
      fuzz: { runs: 256 },
      invariant: { runs: 64, depth: 40, failOnRevert: false },
    },
    mocha: {
      timeout: 120_000,
    },
  },
  networks: {
    hardhatMainnet: {
      type: "edr-simulated",
      chainType: "l1",
    },
    localhost: {
      type: "http",
      chainType: "l1",
      // `assay devnet --rpc-port` or another local node: ASSAY_LOCALHOST_RPC_URL moves it.
      url: process.env.ASSAY_LOCALHOST_RPC_URL ?? "http://127.0.0.1:8545",
    },
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
  },
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
  },
});
