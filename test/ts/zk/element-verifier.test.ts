// On-chain verification: the snarkjs-generated verifier behind the ElementProofVerifier
// adapter accepts a proof made by ElementProver and rejects tampered inputs and proofs.
import { expect } from "chai";
import hre, { network } from "hardhat";
import { decodeErrorResult, encodeDeployData, zeroAddress, type Hex } from "viem";

import { readManifest } from "../../../src/zk/element-circuit.ts";
import {
  ElementProver,
  toSolidityProof,
  type ElementProofResult,
  type SolidityProof,
} from "../../../src/zk/element-prover.ts";
import { SNARK_SCALAR_FIELD, randomFieldElement } from "../../../src/zk/field.ts";
import { expectRevert } from "../helpers/expect-revert.ts";
import { randomVector, seededRandom } from "./fixtures.ts";

const { viem } = await network.create();

/** The revert data somewhere down an error's cause chain (viem does not decode deployments). */
function revertData(error: unknown): Hex | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && /^0x[0-9a-f]{8}/i.test(data)) return data as Hex;
    if (typeof data === "object" && data !== null) {
      const nested = (data as { data?: unknown }).data;
      if (typeof nested === "string" && /^0x[0-9a-f]{8}/i.test(nested)) return nested as Hex;
    }
  }
  return undefined;
}

/** The custom error a deployment of the adapter reverts with, or "(no revert)". */
async function deploymentRevert(args: readonly unknown[]): Promise<string> {
  const artifact = await hre.artifacts.readArtifact("ElementProofVerifier");
  const data = encodeDeployData({
    abi: artifact.abi,
    bytecode: artifact.bytecode as Hex,
    args: args as never,
  });
  const client = await viem.getPublicClient();
  try {
    await client.call({ data });
  } catch (error) {
    const reverted = revertData(error);
    if (reverted === undefined) throw error;
    return decodeErrorResult({ abi: artifact.abi, data: reverted }).errorName;
  }
  return "(no revert)";
}

async function deployFixture() {
  const manifest = await readManifest();
  const groth16 = await viem.deployContract(
    "contracts/verifiers/ElementGroth16Verifier.sol:Groth16Verifier",
  );
  const params = manifest.circuit.params;
  const adapter = await viem.deployContract("ElementProofVerifier", [groth16.address, params]);
  return { groth16, adapter, params };
}

type Fixture = Awaited<ReturnType<typeof deployFixture>>;

describe("zk: ElementProofVerifier on chain", () => {
  let fx: Fixture;
  let proven: ElementProofResult;
  let proof: SolidityProof;
  let commits: readonly [bigint, bigint, bigint];

  before(async () => {
    fx = await deployFixture();
    const prover = await ElementProver.open();
    try {
      const next = seededRandom(17);
      proven = await prover.prove({
        a: randomVector(next, prover.params.n, prover.params.aBits),
        b: randomVector(next, prover.params.n, prover.params.bBits),
        saltA: randomFieldElement(),
        saltB: randomFieldElement(),
        saltOut: randomFieldElement(),
      });
    } finally {
      await prover.close();
    }
    proof = toSolidityProof(proven.proof);
    const { commitA, commitB, commitOut } = proven.commitments;
    commits = [commitA, commitB, commitOut];
  });

  it("accepts a valid proof, through the adapter and the generated verifier alike", async () => {
    expect(await fx.adapter.read.verifyElement([...commits, proof])).to.equal(true);
    await fx.adapter.read.requireValidElement([...commits, proof]);
    expect(await fx.groth16.read.verifyProof([proof.a, proof.b, proof.c, [...commits]])).to.equal(
      true,
    );
  });

  it("rejects the proof for a tampered public input", async () => {
    for (let i = 0; i < 3; i++) {
      const tampered = commits.map((c, j) => (i === j ? c + 1n : c)) as [bigint, bigint, bigint];
      expect(await fx.adapter.read.verifyElement([...tampered, proof]), `input ${i}`).to.equal(
        false,
      );
      await expectRevert(
        fx.adapter.read.requireValidElement([...tampered, proof]),
        "ElementProofInvalid",
        tampered,
      );
    }
  });

  it("rejects tampered proofs", async () => {
    const tampered: SolidityProof[] = [
      { ...proof, a: [proof.a[0], proof.a[1] + 1n] }, // off the curve
      { ...proof, a: proof.c, c: proof.a },
      { ...proof, b: [proof.b[1], proof.b[0]] },
      // The G2 coordinates in snarkjs order, not the EVM's: a classic integration bug.
      { ...proof, b: proven.proof.b },
    ];
    for (const [i, t] of tampered.entries()) {
      expect(await fx.adapter.read.verifyElement([...commits, t]), `tampering #${i}`).to.equal(
        false,
      );
      await expectRevert(
        fx.adapter.read.requireValidElement([...commits, t]),
        "ElementProofInvalid",
      );
    }
  });

  it("refuses commitments outside the scalar field (no aliasing mod r)", async () => {
    const aliased = commits[0] + SNARK_SCALAR_FIELD;
    expect(await fx.adapter.read.verifyElement([aliased, commits[1], commits[2], proof])).to.equal(
      false,
    );
    await expectRevert(
      fx.adapter.read.requireValidElement([aliased, commits[1], commits[2], proof]),
      "ElementCommitmentNotInField",
      [aliased],
    );
  });

  it("reports the verifier and the circuit parameters of circuits/manifest.json", async () => {
    expect((await fx.adapter.read.verifier()).toLowerCase()).to.equal(
      fx.groth16.address.toLowerCase(),
    );
    expect(await fx.adapter.read.elementParams()).to.deep.equal(fx.params);
  });

  it("the constructor refuses a zero verifier address and impossible parameters", async () => {
    expect(await deploymentRevert([zeroAddress, fx.params])).to.equal("ElementVerifierZeroAddress");
    expect(await deploymentRevert([fx.groth16.address, { ...fx.params, n: 0 }])).to.equal(
      "ElementParamsInvalid",
    );
    expect(await deploymentRevert([fx.groth16.address, fx.params])).to.equal("(no revert)");
  });
});
