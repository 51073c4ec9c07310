// Build-side tooling of the element circuit, shared by `npm run circuits:setup`,
// `npm run circuits:check` and the mocha check: compiling with circom2, the digest of the
// circuit sources, the Solidity verifier rendering, and the reproducibility check of the
// committed artifacts against circuits/manifest.json.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { r1cs, zKey } from "snarkjs";

import { readManifest, sha256File, type CircuitManifest } from "./element-circuit.ts";
import { elementParamsSchema, type ElementParams } from "./element-params.ts";
import { CircuitArtifactError } from "./errors.ts";

export const CIRCUITS_DIR = "circuits";
export const MAIN_CIRCUIT = "circuits/element.circom";
/** Folders under circuits/ that hold outputs, not sources. */
const NON_SOURCE_DIRS = new Set(["build", "artifacts"]);
/** The pragma every Solidity file of the project uses (solhint `compiler-version`). */
export const SOLIDITY_PRAGMA = "pragma solidity 0.8.30;";

export interface ToolchainVersions {
  circom2: string;
  circomlib: string;
  snarkjs: string;
}

export interface CompiledCircuit {
  r1csPath: string;
  wasmPath: string;
  symPath: string;
  constraints: number;
  publicInputs: number;
  outputs: number;
}

async function packageVersion(root: string, name: string): Promise<string> {
  const file = path.join(root, "node_modules", name, "package.json");
  const json = JSON.parse(await readFile(file, "utf8")) as { version?: unknown };
  if (typeof json.version !== "string")
    throw new CircuitArtifactError(`${file} has no version string`);
  return json.version;
}

/** Versions of the tools whose output the manifest's digests depend on. */
export async function toolchainVersions(root: string): Promise<ToolchainVersions> {
  return {
    circom2: await packageVersion(root, "circom2"),
    circomlib: await packageVersion(root, "circomlib"),
    snarkjs: await packageVersion(root, "snarkjs"),
  };
}

/** Every .circom file under circuits/ (outputs excluded), as sorted repository paths. */
export async function circuitSources(root: string): Promise<string[]> {
  const entries = await readdir(path.join(root, CIRCUITS_DIR), {
    recursive: true,
    withFileTypes: true,
  });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".circom"))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .filter((p) => !NON_SOURCE_DIRS.has(p.split("/")[1] ?? ""))
    .sort();
}

/**
 * sha-256 of the `sha256sum`-style listing (`<hex>  <path>\n`, sorted by path) of the
 * circuit sources: `cd <repo> && sha256sum $(list) | sha256sum` reproduces it.
 */
export async function circuitSourcesDigest(root: string): Promise<string> {
  let listing = "";
  for (const file of await circuitSources(root))
    listing += `${sha256File(await readFile(path.join(root, file)))}  ${file}\n`;
  return createHash("sha256").update(listing).digest("hex");
}

const MAIN_LINE =
  /component\s+main\s*\{\s*public\s*\[\s*commitA\s*,\s*commitB\s*,\s*commitOut\s*\]\s*\}\s*=\s*ElementProof\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)\s*;/;

/** The ElementProof(N, Ba, Bb, s, Bo) parameters of the main component. */
export function parseMainParams(source: string): ElementParams {
  const m = MAIN_LINE.exec(source);
  if (!m)
    throw new CircuitArtifactError(
      `${MAIN_CIRCUIT} must declare \`component main {public [commitA, commitB, commitOut]} = ElementProof(N, Ba, Bb, s, Bo);\``,
    );
  const [n, aBits, bBits, shift, outBits] = m.slice(1, 6).map(Number);
  const parsed = elementParamsSchema.safeParse({ n, aBits, bBits, shift, outBits });
  if (!parsed.success)
    throw new CircuitArtifactError(`invalid ElementProof parameters in ${MAIN_CIRCUIT}`, {
      cause: parsed.error,
    });
  return parsed.data;
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", (err) => resolve({ code: 127, output: output + String(err) }));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * `circom2 <main> --r1cs --wasm --sym --O2 -l node_modules -o <outDir>`, run from the
 * repository root (circom2's WASI sandbox resolves paths from there). `main` defaults to
 * the committed instance; the repository root is an include path too, so a test can
 * compile other instances of the templates (`include "circuits/lib/element.circom"`).
 */
export async function compileCircuit(
  root: string,
  outDir: string,
  main: string = MAIN_CIRCUIT,
): Promise<CompiledCircuit> {
  const cli = path.join(root, "node_modules", "circom2", "cli.js");
  const args = [cli, main, "--r1cs", "--wasm", "--sym", "--O2", "-l", "node_modules", "-l", "."];
  const { code, output } = await run(process.execPath, [...args, "-o", outDir], root);
  if (code !== 0)
    throw new CircuitArtifactError(`circom2 failed on ${main} (exit ${code}):\n${output.trim()}`);
  const base = path.basename(main, ".circom");
  const r1csPath = path.join(outDir, `${base}.r1cs`);
  const info = await r1cs.info(r1csPath);
  return {
    r1csPath,
    wasmPath: path.join(outDir, `${base}_js`, `${base}.wasm`),
    symPath: path.join(outDir, `${base}.sym`),
    constraints: info.nConstraints,
    publicInputs: info.nPubInputs,
    outputs: info.nOutputs,
  };
}

/** Smallest power of tau whose domain fits the circuit (snarkjs `groth16 setup`'s rule). */
export function requiredPtauPower(c: CompiledCircuit): number {
  return Math.ceil(Math.log2(c.constraints + c.publicInputs + c.outputs + 1));
}

/** Replaces the generated verifier's pragma range by the project's exact version. */
export function fixVerifierPragma(source: string): string {
  const pragmas = source.match(/^pragma solidity [^;]+;$/gm) ?? [];
  if (pragmas.length !== 1)
    throw new CircuitArtifactError(
      `expected one pragma solidity line in the generated verifier, found ${pragmas.length}`,
    );
  return source.replace(/^pragma solidity [^;]+;$/m, SOLIDITY_PRAGMA);
}

/** snarkjs's Groth16 Solidity verifier for `zkeyPath`, pragma fixed (never edited otherwise). */
export async function renderSolidityVerifier(root: string, zkeyPath: string): Promise<string> {
  const template = await readFile(
    path.join(root, "node_modules", "snarkjs", "templates", "verifier_groth16.sol.ejs"),
    "utf8",
  );
  return fixVerifierPragma(await zKey.exportSolidityVerifier(zkeyPath, { groth16: template }));
}

/** The verification key JSON as committed: snarkjs's export, two-space indented. */
export async function renderVerificationKey(zkeyPath: string): Promise<string> {
  return `${JSON.stringify(await zKey.exportVerificationKey(zkeyPath), null, 2)}\n`;
}

export interface CheckReport {
  /** Everything that does not match; empty when the committed artifacts are reproducible. */
  problems: string[];
  constraints: number | undefined;
  manifest: CircuitManifest;
}

const RERUN = "run `npm run circuits:setup` and commit its outputs";

/**
 * Recompiles the circuit and checks the committed artifacts against the manifest:
 * sources digest, toolchain, parameters, r1cs/wasm digests (circom2 is deterministic),
 * artifact digests, and that the verification key and Solidity verifier are exactly
 * what snarkjs derives from the committed zkey.
 */
export async function checkCircuit(root: string): Promise<CheckReport> {
  const manifest = await readManifest(root);
  const problems: string[] = [];
  const tools = await toolchainVersions(root);
  for (const key of Object.keys(tools) as (keyof ToolchainVersions)[])
    if (tools[key] !== manifest.toolchain[key])
      problems.push(
        `${key} is ${tools[key]} but the artifacts were made with ${manifest.toolchain[key]}: ${RERUN}`,
      );

  const sources = await circuitSourcesDigest(root);
  if (sources !== manifest.circuit.sourcesSha256) {
    problems.push(
      `the circuit sources changed since the last setup (sha256 ${sources}, manifest ` +
        `${manifest.circuit.sourcesSha256}): ${RERUN}`,
    );
    // Every digest below would differ too; the one actionable message is enough.
    return { problems, constraints: undefined, manifest };
  }

  const params = parseMainParams(await readFile(path.join(root, MAIN_CIRCUIT), "utf8"));
  if (JSON.stringify(params) !== JSON.stringify(manifest.circuit.params))
    problems.push(
      `${MAIN_CIRCUIT} has parameters ${JSON.stringify(params)}, the manifest ` +
        `${JSON.stringify(manifest.circuit.params)}: ${RERUN}`,
    );

  const { artifacts } = manifest;
  for (const [name, artifact] of Object.entries(artifacts)) {
    let digest: string;
    try {
      digest = sha256File(await readFile(path.join(root, artifact.path)));
    } catch {
      problems.push(`${name} artifact ${artifact.path} is missing: ${RERUN}`);
      continue;
    }
    if (digest !== artifact.sha256)
      problems.push(`${artifact.path} has sha256 ${digest}, the manifest ${artifact.sha256}`);
  }

  const scratch = await mkdtemp(path.join(tmpdir(), "assay-circuit-check-"));
  let constraints: number | undefined;
  try {
    const compiled = await compileCircuit(root, scratch);
    constraints = compiled.constraints;
    if (constraints !== manifest.circuit.constraints)
      problems.push(
        `the circuit compiles to ${constraints} constraints, the manifest says ${manifest.circuit.constraints}`,
      );
    for (const [name, file] of [
      ["r1cs", compiled.r1csPath],
      ["wasm", compiled.wasmPath],
    ] as const) {
      const digest = sha256File(await readFile(file));
      if (digest !== artifacts[name].sha256)
        problems.push(
          `recompiled ${name} has sha256 ${digest}, the manifest ${artifacts[name].sha256} ` +
            "(circom2 output is deterministic, so the committed artifact is stale)",
        );
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  const zkeyPath = path.join(root, artifacts.zkey.path);
  const committedVkey = await readFile(path.join(root, artifacts.verificationKey.path), "utf8");
  if ((await renderVerificationKey(zkeyPath)) !== committedVkey)
    problems.push(`${artifacts.verificationKey.path} is not the verification key of the zkey`);
  const committedVerifier = await readFile(
    path.join(root, artifacts.solidityVerifier.path),
    "utf8",
  );
  if ((await renderSolidityVerifier(root, zkeyPath)) !== committedVerifier)
    problems.push(
      `${artifacts.solidityVerifier.path} is not snarkjs's verifier of the zkey (generated files are never edited)`,
    );
  return { problems, constraints, manifest };
}
