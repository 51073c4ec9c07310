// npm run circuits:setup [-- --fresh]
//
// The reproducible DEVELOPMENT setup of the element circuit (docs/circuits.md): compile
// with circom2, then powers of tau `new → beacon → prepare phase2` and Groth16
// `setup → zkey beacon`. Every step is deterministic, so anyone re-running this gets
// byte-identical files, whose sha-256 digests go into circuits/manifest.json. The beacons
// are public: this is NOT a trusted setup, and anyone can forge proofs with it.
//
// The prepared phase-1 file is cached in circuits/build/ (not committed: verification
// does not need it); --fresh rebuilds it.
import { copyFile, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import path from "node:path";

import * as prettier from "prettier";
import { curves, powersOfTau, zKey, type Logger } from "snarkjs";

import {
  MAIN_CIRCUIT,
  circuitSourcesDigest,
  compileCircuit,
  parseMainParams,
  renderSolidityVerifier,
  renderVerificationKey,
  requiredPtauPower,
  toolchainVersions,
} from "../src/zk/circuit-build.ts";
import {
  ELEMENT_PUBLIC_SIGNALS,
  MANIFEST_PATH,
  REPO_ROOT,
  circuitManifestSchema,
  readManifest,
  sha256File,
  type CircuitManifest,
} from "../src/zk/element-circuit.ts";
import { releaseZkWorkers } from "../src/zk/element-prover.ts";

const root = REPO_ROOT;
const fresh = process.argv.includes("--fresh");
const buildDir = path.join(root, "circuits", "build");
const ARTIFACTS = {
  r1cs: "circuits/artifacts/element.r1cs",
  wasm: "circuits/artifacts/element.wasm",
  zkey: "circuits/artifacts/element.zkey",
  verificationKey: "circuits/artifacts/element.vkey.json",
  solidityVerifier: "contracts/verifiers/ElementGroth16Verifier.sol",
} as const;

// Public, fixed beacon values: their only job is to make the files reproducible.
const beaconHash = (label: string): string => createHash("sha256").update(label).digest("hex");
const PHASE1_BEACON = {
  hash: beaconHash("assay development powers of tau: a public beacon, not a ceremony"),
  iterationsExp: 10,
};
const PHASE2_BEACON = {
  hash: beaconHash("assay development element circuit: a public beacon, not a ceremony"),
  iterationsExp: 10,
};

const logger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (m) => console.warn(`  snarkjs: ${m}`),
  error: (m) => console.error(`  snarkjs: ${m}`),
};

async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  process.stdout.write(`${label} ... `);
  const result = await work();
  process.stdout.write(`${((performance.now() - start) / 1000).toFixed(1)} s\n`);
  return result;
}

async function digestOf(file: string): Promise<string> {
  return sha256File(await readFile(file));
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function previousManifest(): Promise<CircuitManifest | undefined> {
  try {
    return await readManifest(root);
  } catch {
    return undefined;
  }
}

async function preparedPtau(power: number, previous: CircuitManifest | undefined): Promise<string> {
  const dir = path.join(buildDir, "ptau");
  const prepared = path.join(dir, `pot${power}_dev_prepared.ptau`);
  if (!fresh && (await exists(prepared))) {
    const digest = await digestOf(prepared);
    const expected = previous?.setup.ptauPower === power ? previous.setup.ptauSha256 : undefined;
    if (expected === undefined || digest === expected) {
      console.log(`phase 1: reusing ${path.relative(root, prepared)} (sha256 ${digest})`);
      return prepared;
    }
    console.log(`phase 1: cached file digest ${digest} differs from the manifest; rebuilding`);
  }
  await mkdir(dir, { recursive: true });
  const initial = path.join(dir, `pot${power}_0000.ptau`);
  const beaconed = path.join(dir, `pot${power}_beacon.ptau`);
  const curve = await curves.getCurveFromName("bn128");
  await step(`phase 1: powersoftau new bn128 ${power}`, () =>
    powersOfTau.newAccumulator(curve, power, initial, logger),
  );
  await step("phase 1: powersoftau beacon", () =>
    powersOfTau.beacon(
      initial,
      beaconed,
      "assay development beacon",
      PHASE1_BEACON.hash,
      PHASE1_BEACON.iterationsExp,
      logger,
    ),
  );
  await step("phase 1: powersoftau prepare phase2 (the slow step)", () =>
    powersOfTau.preparePhase2(beaconed, prepared, logger),
  );
  await rm(initial);
  await rm(beaconed);
  return prepared;
}

async function artifactEntry(
  repoPath: string,
): Promise<{ path: string; sha256: string; bytes: number }> {
  const bytes = await readFile(path.join(root, repoPath));
  return { path: repoPath, sha256: sha256File(bytes), bytes: bytes.length };
}

async function main(): Promise<void> {
  const previous = await previousManifest();
  const params = parseMainParams(await readFile(path.join(root, MAIN_CIRCUIT), "utf8"));
  const compileDir = path.join(buildDir, "compile");
  await rm(compileDir, { recursive: true, force: true });
  await mkdir(compileDir, { recursive: true });
  const compiled = await step(`compile ${MAIN_CIRCUIT} (circom2 --O2)`, () =>
    compileCircuit(root, compileDir),
  );
  const power = requiredPtauPower(compiled);
  console.log(
    `  ${compiled.constraints} constraints, ${compiled.publicInputs} public inputs: power of tau ${power}`,
  );

  const ptau = await preparedPtau(power, previous);
  const zkey0 = path.join(buildDir, "element_0000.zkey");
  const zkey = path.join(root, ARTIFACTS.zkey);
  await mkdir(path.dirname(zkey), { recursive: true });
  await step("phase 2: groth16 setup", () => zKey.newZKey(compiled.r1csPath, ptau, zkey0, logger));
  await step("phase 2: zkey beacon", () =>
    zKey.beacon(
      zkey0,
      zkey,
      "assay development beacon",
      PHASE2_BEACON.hash,
      PHASE2_BEACON.iterationsExp,
      logger,
    ),
  );
  await rm(zkey0);
  const valid = await step("check: zkey verify (r1cs + ptau)", () =>
    zKey.verifyFromR1cs(compiled.r1csPath, ptau, zkey, logger),
  );
  if (!valid) throw new Error("snarkjs zkey verify rejected the zkey it just made");

  await copyFile(compiled.r1csPath, path.join(root, ARTIFACTS.r1cs));
  await copyFile(compiled.wasmPath, path.join(root, ARTIFACTS.wasm));
  await writeFile(path.join(root, ARTIFACTS.verificationKey), await renderVerificationKey(zkey));
  const verifierPath = path.join(root, ARTIFACTS.solidityVerifier);
  await mkdir(path.dirname(verifierPath), { recursive: true });
  await writeFile(verifierPath, await renderSolidityVerifier(root, zkey));

  const manifest: CircuitManifest = circuitManifestSchema.parse({
    version: 1,
    circuit: {
      main: MAIN_CIRCUIT,
      template: "ElementProof",
      params,
      publicSignals: [...ELEMENT_PUBLIC_SIGNALS],
      constraints: compiled.constraints,
      sourcesSha256: await circuitSourcesDigest(root),
    },
    toolchain: await toolchainVersions(root),
    setup: {
      kind: "development-beacon",
      ptauPower: power,
      ptauSha256: await digestOf(ptau),
      phase1Beacon: PHASE1_BEACON,
      phase2Beacon: PHASE2_BEACON,
    },
    artifacts: {
      r1cs: await artifactEntry(ARTIFACTS.r1cs),
      wasm: await artifactEntry(ARTIFACTS.wasm),
      zkey: await artifactEntry(ARTIFACTS.zkey),
      verificationKey: await artifactEntry(ARTIFACTS.verificationKey),
      solidityVerifier: await artifactEntry(ARTIFACTS.solidityVerifier),
    },
  });
  const json = await prettier.format(JSON.stringify(manifest), { parser: "json" });
  await writeFile(path.join(root, MANIFEST_PATH), json);
  console.log(`wrote ${MANIFEST_PATH}: zkey ${manifest.artifacts.zkey.sha256}`);
}

try {
  await main();
} finally {
  await releaseZkWorkers();
}
