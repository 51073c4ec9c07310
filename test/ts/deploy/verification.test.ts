// Source verification, as far as it can be tested offline: the verify plugin is loaded with its
// task, the `production` profile it compiles with is the one the contracts are built with, and the
// plan deploy/deploy.ts writes names, for every contract, the constructor arguments it was really
// deployed with — read back from the plan file and ABI-encoded as the plugin encodes them (ethers'
// coder, decimal strings for integers), they complete the contract's creation bytecode to exactly
// the input of its creation transaction on chain. Submitting to an explorer needs the network.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Interface } from "ethers";
import hre, { network } from "hardhat";

import { DEVNET_PARAMS, deployAssay } from "../../../deploy/deploy-assay.ts";
import {
  readVerificationPlan,
  verificationPlan,
  writeVerificationPlan,
} from "../../../deploy/verification.ts";

describe("contract verification (offline part)", function () {
  it("the verify plugin's task is there, and it compiles with the settings the deployment uses", function () {
    expect(hre.tasks.getTask("verify")).to.not.equal(undefined);
    const profiles = hre.config.solidity.profiles;
    expect(profiles.production, "a production profile").to.not.equal(undefined);
    expect(JSON.stringify(profiles.production)).to.equal(JSON.stringify(profiles.default));
  });

  it("the plan names every deployed contract with the constructor arguments of its creation transaction", async function () {
    const connection = await network.create();
    const dir = await mkdtemp(path.join(tmpdir(), "assay-verify-"));
    try {
      const { viem } = connection;
      const publicClient = await viem.getPublicClient();
      const from = (await publicClient.getBlockNumber()) + 1n;
      const d = await deployAssay(viem, DEVNET_PARAMS);
      const file = path.join(dir, "localhost.verify.json");
      await writeVerificationPlan(file, await publicClient.getChainId(), verificationPlan(d));
      const plan = await readVerificationPlan(file);
      expect(plan.contracts.map((c) => c.name)).to.deep.equal([
        "TestToken",
        "StakeRegistry",
        "BlockhashRandomness",
        "JobMarket",
        "DisputeGame",
        "FraudProofs",
        "Receipts",
      ]);
      // Every creation transaction since the deployment started, by the address it created.
      const created = new Map<string, string>();
      const latest = await publicClient.getBlockNumber();
      for (let b = from; b <= latest; b++) {
        const block = await publicClient.getBlock({ blockNumber: b, includeTransactions: true });
        for (const tx of block.transactions) {
          if (tx.to !== null) continue;
          const receipt = await publicClient.getTransactionReceipt({ hash: tx.hash });
          created.set(receipt.contractAddress!.toLowerCase(), tx.input);
        }
      }
      for (const entry of plan.contracts) {
        const name = entry.contract.split(":")[1]!;
        const artifact = await hre.artifacts.readArtifact(name);
        const input = new Interface(artifact.abi as never).encodeDeploy(entry.constructorArgs);
        expect(created.get(entry.address.toLowerCase()), `${entry.name}'s creation input`).to.equal(
          artifact.bytecode + input.slice(2),
        );
      }
      // A plan whose arguments were altered no longer completes the creation input.
      const market = plan.contracts.find((c) => c.name === "JobMarket")!;
      const altered = [...market.constructorArgs];
      altered[4] = "1";
      const artifact = await hre.artifacts.readArtifact("JobMarket");
      expect(
        artifact.bytecode + new Interface(artifact.abi as never).encodeDeploy(altered).slice(2),
      ).to.not.equal(created.get(market.address.toLowerCase()));
    } finally {
      await connection.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
