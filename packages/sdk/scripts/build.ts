// Builds @assay/sdk (`npm run build -w @assay/sdk`, after the contracts: `npm run build` at the
// root): generates the ABIs, the deployments map and the ethers bindings from Hardhat's output into
// generated/, then compiles the package, with the protocol code it imports from src/protocol, into
// dist/. `--generate-only` stops after generated/ (what the repository's own tests and typecheck
// read). Environment: ASSAY_ARTIFACTS_DIR (default <root>/artifacts), ASSAY_SDK_DEPLOYMENTS
// (default <root>/deployments).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { PUBLIC_CONTRACTS } from "./contracts.ts";
import { writeAbis } from "./generate-abis.ts";
import { writeBindings } from "./generate-bindings.ts";
import { writeDeployments } from "./generate-deployments.ts";
import { loadContract } from "./load-contract.ts";

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const root = path.resolve(pkg, "../..");
const artifacts = process.env.ASSAY_ARTIFACTS_DIR ?? path.join(root, "artifacts");
const deploymentsDir = process.env.ASSAY_SDK_DEPLOYMENTS ?? path.join(root, "deployments");
const generated = path.join(pkg, "generated");
const dist = path.join(pkg, "dist");

rmSync(generated, { recursive: true, force: true });
mkdirSync(generated, { recursive: true });
const contracts = PUBLIC_CONTRACTS.map((c) => loadContract(artifacts, c));
writeAbis(generated, contracts);
const chains = writeDeployments(generated, deploymentsDir);
await writeBindings(path.join(generated, "ethers"), contracts);
console.log(
  `generated ${contracts.length} ABIs (${contracts.map((c) => c.contract.name).join(", ")}), ethers bindings, deployments for chains [${chains.join(", ")}]`,
);

if (!process.argv.includes("--generate-only")) {
  rmSync(dist, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", path.join(pkg, "tsconfig.build.json")], {
    stdio: "inherit",
  });
  // The ABI module is JavaScript with a hand-written declaration file (generate-abis.ts): tsc
  // leaves both where they are, so they are copied next to the modules that import them.
  const out = path.join(dist, "packages", "sdk", "generated");
  mkdirSync(out, { recursive: true });
  for (const f of ["abis.js", "abis.d.ts"])
    copyFileSync(path.join(generated, f), path.join(out, f));
  console.log(`compiled into ${path.relative(root, dist)}`);
}
