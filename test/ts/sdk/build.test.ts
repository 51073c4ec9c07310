// The SDK's generated sources (packages/sdk/scripts): the ABIs are the artifacts', the NatSpec of
// the contracts reaches the ABI declarations and the ethers bindings, and the deployments map
// holds what the deployment files say. npm test runs the generation before the tests
// (scripts/test.ts, "sdk generate").
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { writeDeployments } from "../../../packages/sdk/scripts/generate-deployments.ts";
import { parseNatSpec } from "../../../packages/sdk/scripts/natspec.ts";
import { abis, jobMarketAbi } from "../../../packages/sdk/src/index.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const GENERATED = path.join(ROOT, "packages/sdk/generated");

async function json(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, "utf8")) as unknown;
}

const DEPLOYMENT = {
  chainId: 11155111,
  deployedAtBlock: 7,
  token: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
  registry: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  randomness: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
  market: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
  disputeGame: "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
  fraudProofs: "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
  receipts: "0x0165878A594ca255338adfa4d48449f69242Eb8F",
  params: {
    randomnessDelayBlocks: 2,
    unbondingDelay: 604800,
    minProviderStake: "1000",
    minVerifierStake: "100",
    dispute: {
      challengeBond: "50",
      clockBudget: "21600",
      voteCommitWindow: "3600",
      voteRevealWindow: "3600",
    },
  },
};

describe("@assay/sdk generated sources", function () {
  it("each ABI is its artifact's, as JSON and as the typed export", async function () {
    for (const [name, source] of [
      ["JobMarket", "contracts/JobMarket.sol"],
      ["StakeRegistry", "contracts/StakeRegistry.sol"],
      ["DisputeGame", "contracts/DisputeGame.sol"],
    ] as const) {
      const artifact = (await json(path.join(ROOT, "artifacts", source, `${name}.json`))) as {
        abi: unknown;
      };
      expect(await json(path.join(GENERATED, "abis", `${name}.json`)), name).to.deep.equal(
        artifact.abi,
      );
      expect(abis[name], name).to.deep.equal(artifact.abi);
    }
    expect(abis.JobMarket).to.equal(jobMarketAbi);
    const erc20 = abis.IERC20.map((i) => i.name);
    expect(erc20).to.include.members([
      "approve",
      "allowance",
      "balanceOf",
      "transferFrom",
      "Transfer",
    ]);
  });

  it("NatSpec reaches the ABI declarations, inherited docs included", async function () {
    const dts = await readFile(path.join(GENERATED, "abis.d.ts"), "utf8");
    // JobMarket.createJob says only `@inheritdoc IJobMarket`: the interface's docs are used.
    const createJob = dts.indexOf('readonly "name": "createJob"');
    const docStart = dts.lastIndexOf("/**", createJob);
    const doc = dts.slice(docStart, dts.indexOf("*/", docStart));
    expect(doc).to.contain("Posts a job and escrows `params.amount` from the caller");
    expect(doc).to.contain("@remarks Fee-on-transfer tokens are rejected.");
    // The contract's own title block heads its export.
    expect(dts).to.match(
      /ABI of JobMarket \(contracts\/JobMarket\.sol\)\.\n \* Escrow and lifecycle/,
    );
  });

  it("NatSpec reaches the ethers bindings' doc comments", async function () {
    const binding = await readFile(path.join(GENERATED, "ethers/JobMarket.ts"), "utf8");
    const at = binding.indexOf("createJob: TypedContractMethod");
    const doc = binding.slice(binding.lastIndexOf("/**", at), at);
    expect(doc).to.contain("Posts a job and escrows `params.amount` from the caller");
    // The root build's TypeChain output, from Hardhat's artifacts, has none: the reason for ours.
    const plain = await readFile(path.join(ROOT, "types/ethers-contracts/JobMarket.ts"), "utf8");
    expect(plain).to.not.contain("Posts a job and escrows");
  });

  it("parseNatSpec reads notices, tags, named and unnamed returns and @inheritdoc", function () {
    expect(
      parseNatSpec(
        "Untagged is the notice\n continued.\n@dev Detail.\n@param a The a.\n@return total The sum.\n@return Second value.",
        ["total", ""],
      ),
    ).to.deep.equal({
      spec: {
        notice: "Untagged is the notice continued.",
        details: "Detail.",
        params: { a: "The a." },
        returns: { total: "The sum.", _1: "Second value." },
      },
    });
    expect(parseNatSpec("@inheritdoc IJobMarket")).to.deep.equal({
      spec: { params: {}, returns: {} },
      inheritdoc: "IJobMarket",
    });
  });

  describe("deployments map", function () {
    let dir: string;
    beforeEach(async function () {
      dir = await mkdtemp(path.join(tmpdir(), "assay-sdk-deployments-"));
    });
    afterEach(async function () {
      await rm(dir, { recursive: true, force: true });
    });

    it("holds every deployment file by chain id, checksummed, and leaves out Hardhat's chain", async function () {
      await writeFile(path.join(dir, "sepolia.json"), JSON.stringify(DEPLOYMENT));
      await writeFile(path.join(dir, "sepolia.verify.json"), "{}");
      await writeFile(
        path.join(dir, "localhost.json"),
        JSON.stringify({ ...DEPLOYMENT, chainId: 31337 }),
      );
      expect(writeDeployments(dir, dir)).to.deep.equal([11155111]);
      const text = await readFile(path.join(dir, "deployments.ts"), "utf8");
      expect(text).to.contain("// sepolia.json\n  11155111: {");
      // Addresses are checked and checksummed on the way in (the schema of src/protocol/deployment.ts).
      expect(text).to.contain('"token": "0x5FbDB2315678afecb367f032d93F642f64180aa3"');
      expect(text).to.not.contain("31337");
    });

    it("refuses a malformed file and two files for one chain, naming them", async function () {
      await writeFile(path.join(dir, "a.json"), JSON.stringify({ ...DEPLOYMENT, market: "0x12" }));
      expect(() => writeDeployments(dir, dir)).to.throw(
        /a\.json is not a deployment file .*market: an 0x-prefixed 20-byte address/,
      );
      await writeFile(path.join(dir, "a.json"), JSON.stringify(DEPLOYMENT));
      await writeFile(path.join(dir, "b.json"), JSON.stringify(DEPLOYMENT));
      expect(() => writeDeployments(dir, dir)).to.throw(
        /a\.json and .*b\.json both deploy to chain 11155111/,
      );
    });
  });
});
