// A public contract's ABI and NatSpec from Hardhat's build output: the artifact
// (artifacts/<sourceName>/<name>.json) for our contracts, and for a dependency's contract that has
// no artifact of its own (OpenZeppelin's IERC20), the compiler output in the build info that
// compiled it. The ABI is checked, so a changed artifact format fails here and not in a dApp.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";

import type { Abi } from "viem";
import { z } from "zod";

import type { PublicContract } from "./contracts.ts";
import { buildInfoOutputPath, contractDocs, type ContractDocs } from "./natspec.ts";

const ArtifactSchema = z.object({
  contractName: z.string(),
  sourceName: z.string(),
  abi: z.array(z.looseObject({ type: z.string() })),
  buildInfoId: z.string(),
});

const BuildInfoContractsSchema = z.object({
  output: z.object({
    contracts: z.record(
      z.string(),
      z.record(z.string(), z.object({ abi: z.array(z.looseObject({ type: z.string() })) })),
    ),
  }),
});

export interface LoadedContract {
  contract: PublicContract;
  abi: Abi;
  docs: ContractDocs;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new Error(
      `cannot read ${file}: compile the contracts first (\`npm run build\` at the repository root)`,
      { cause },
    );
  }
}

/** Any build info output that compiled a source whose name ends with `sourceName`. */
function buildInfoWith(artifactsDir: string, sourceName: string): { file: string; key: string } {
  const dir = path.join(artifactsDir, "build-info");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".output.json")) : [];
  for (const f of files) {
    const file = path.join(dir, f);
    const parsed = BuildInfoContractsSchema.safeParse(readJson(file));
    if (!parsed.success) continue;
    // Hardhat 3 names a dependency's source `npm/<package>@<version>/<path>`.
    const parts = sourceName.split("/");
    const pkg = parts.slice(0, 2).join("/");
    const inner = parts.slice(2).join("/");
    const key = Object.keys(parsed.data.output.contracts).find(
      (k) => k.startsWith(`npm/${pkg}@`) && k.endsWith(`/${inner}`),
    );
    if (key !== undefined) return { file, key };
  }
  throw new Error(`no build info in ${dir} compiled ${sourceName}: run \`npm run build\` first`);
}

export function loadContract(artifactsDir: string, contract: PublicContract): LoadedContract {
  const artifactFile = path.join(artifactsDir, contract.sourceName, `${contract.name}.json`);
  if (existsSync(artifactFile)) {
    const parsed = ArtifactSchema.safeParse(readJson(artifactFile));
    if (!parsed.success)
      throw new Error(`${artifactFile} is not a Hardhat artifact: ${parsed.error.message}`);
    if (parsed.data.contractName !== contract.name)
      throw new Error(`${artifactFile} holds ${parsed.data.contractName}, not ${contract.name}`);
    const docs = contractDocs(
      buildInfoOutputPath(artifactsDir, parsed.data.buildInfoId),
      contract.name,
    );
    return { contract, abi: parsed.data.abi as unknown as Abi, docs };
  }
  if (!contract.sourceName.startsWith("@"))
    throw new Error(`${artifactFile} is missing: run \`npm run build\` at the repository root`);
  // A dependency's contract: Hardhat writes no artifact for it, the build info has its ABI.
  const { file, key } = buildInfoWith(artifactsDir, contract.sourceName);
  const parsed = BuildInfoContractsSchema.parse(readJson(file));
  const entry = parsed.output.contracts[key]![contract.name];
  if (entry === undefined) throw new Error(`${file} compiled ${key} but has no ${contract.name}`);
  return { contract, abi: entry.abi as unknown as Abi, docs: contractDocs(file, contract.name) };
}
