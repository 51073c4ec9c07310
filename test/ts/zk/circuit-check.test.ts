// CI's reproducibility check of the committed circuit artifacts (the same check as
// `npm run circuits:check`): recompile, compare with the manifest, and make sure a
// changed circuit is reported with the command that fixes it.
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import {
  checkCircuit,
  fixVerifierPragma,
  parseMainParams,
  requiredPtauPower,
  type CompiledCircuit,
} from "../../../src/zk/circuit-build.ts";
import {
  MANIFEST_PATH,
  REPO_ROOT,
  loadElementCircuit,
  readManifest,
} from "../../../src/zk/element-circuit.ts";
import { CircuitArtifactError } from "../../../src/zk/errors.ts";
import { releaseZkWorkers } from "../../../src/zk/element-prover.ts";

/** A scratch copy of the circuit sources and manifest, sharing node_modules. */
async function scratchRepo(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "assay-circuit-repo-"));
  await cp(path.join(REPO_ROOT, "circuits"), path.join(root, "circuits"), {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}build`),
  });
  await symlink(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
  return root;
}

describe("zk: committed circuit artifacts", () => {
  after(releaseZkWorkers);

  it("are reproducible: recompiling gives the manifest's r1cs and wasm, and the key and verifier derive from the zkey", async () => {
    const report = await checkCircuit(REPO_ROOT);
    expect(report.problems).to.deep.equal([]);
    expect(report.constraints).to.equal(report.manifest.circuit.constraints);
  });

  it("the setup used the smallest power of tau that fits the circuit", async () => {
    const manifest = await readManifest();
    const c: CompiledCircuit = {
      r1csPath: "",
      wasmPath: "",
      symPath: "",
      constraints: manifest.circuit.constraints,
      publicInputs: 3,
      outputs: 0,
    };
    expect(manifest.setup.ptauPower).to.equal(requiredPtauPower(c));
    expect(2 ** (manifest.setup.ptauPower - 1)).to.be.lessThan(manifest.circuit.constraints + 4);
  });

  it("a changed circuit source is reported with the command that redoes the setup", async () => {
    const root = await scratchRepo();
    try {
      const file = path.join(root, "circuits", "lib", "fixed-point.circom");
      await writeFile(file, `${await readFile(file, "utf8")}\n// changed\n`);
      const report = await checkCircuit(root);
      expect(report.problems).to.have.length(1);
      expect(report.problems[0]).to.contain("circuit sources changed");
      expect(report.problems[0]).to.contain("npm run circuits:setup");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("loading refuses an artifact whose digest differs from the manifest", async () => {
    const root = await scratchRepo();
    try {
      const manifest = await readManifest(root);
      const wasm = path.join(root, manifest.artifacts.wasm.path);
      await writeFile(wasm, Buffer.concat([await readFile(wasm), Buffer.from([0])]));
      let caught: unknown;
      try {
        await loadElementCircuit(root);
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(CircuitArtifactError);
      expect((caught as Error).message).to.contain(manifest.artifacts.wasm.path);
      await mkdir(path.join(root, "empty"));
      let missing: unknown;
      try {
        await readManifest(path.join(root, "empty"));
      } catch (error) {
        missing = error;
      }
      expect(missing).to.be.instanceOf(CircuitArtifactError);
      expect((missing as Error).message).to.contain(MANIFEST_PATH);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("parses the main component's parameters and fixes only the verifier's pragma line", () => {
    expect(
      parseMainParams(
        "component main {public [commitA, commitB, commitOut]} = ElementProof(32, 7, 8, 6, 12);",
      ),
    ).to.deep.equal({ n: 32, aBits: 7, bBits: 8, shift: 6, outBits: 12 });
    expect(() => parseMainParams("component main = Other(1);")).to.throw(CircuitArtifactError);
    expect(() =>
      parseMainParams(
        "component main {public [commitA, commitB, commitOut]} = ElementProof(4096, 16, 16, 0, 16);",
      ),
    ).to.throw(CircuitArtifactError, "invalid ElementProof parameters");
    const generated = "// x\npragma solidity >=0.7.0 <0.9.0;\n\ncontract Groth16Verifier {}\n";
    expect(fixVerifierPragma(generated)).to.equal(
      "// x\npragma solidity 0.8.30;\n\ncontract Groth16Verifier {}\n",
    );
    expect(() => fixVerifierPragma("contract X {}")).to.throw(CircuitArtifactError);
  });
});
