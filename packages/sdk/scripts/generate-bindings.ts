// The ethers-v6 bindings: TypeChain run over the public contracts' ABIs. TypeChain turns an
// artifact's devdoc/userdoc into doc comments, but Hardhat 3's artifacts carry none (and so the
// bindings the root build writes to types/ethers-contracts have no docs): we hand TypeChain
// artifacts with the devdoc/userdoc rebuilt from the AST's NatSpec (natspec.ts). No bytecode: the
// factories connect to deployed contracts, they do not deploy.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { runTypeChain } from "typechain";
import { outputTransformers } from "typechain/dist/codegen/outputTransformers/index.js";
import { toFunctionSelector, type AbiFunction } from "viem";

import type { LoadedContract } from "./load-contract.ts";

interface MethodDoc {
  details?: string;
  notice?: string;
  params?: Record<string, string>;
  return?: string;
}

/** TypeChain's key for a function's docs: the name and the raw ABI types (typechain's abiParser). */
function typechainDocKey(fn: AbiFunction): string {
  return `${fn.name}(${fn.inputs.map((i) => i.type).join(",")})`;
}

function artifactWithDocs({ contract, abi, docs }: LoadedContract): unknown {
  const methods: Record<string, MethodDoc> = {};
  for (const item of abi) {
    if (item.type !== "function") continue;
    const spec = docs.items.get(toFunctionSelector(item).slice(2));
    if (spec === undefined) continue;
    const doc: MethodDoc = {};
    if (spec.notice !== undefined) doc.notice = spec.notice;
    if (spec.details !== undefined) doc.details = spec.details;
    if (Object.keys(spec.params).length > 0) doc.params = spec.params;
    const returns = Object.entries(spec.returns);
    if (returns.length > 0)
      doc.return = returns.map(([n, d]) => (n.startsWith("_") ? d : `${n}: ${d}`)).join("; ");
    methods[typechainDocKey(item)] = doc;
  }
  return {
    contractName: contract.name,
    sourceName: contract.sourceName,
    abi,
    devdoc: { title: docs.contract.title, details: docs.contract.details, methods },
    userdoc: { notice: docs.contract.notice },
  };
}

/** Writes TypeChain's ethers-v6 bindings (TypeScript sources) for `contracts` into `outDir`. */
export async function writeBindings(
  outDir: string,
  contracts: readonly LoadedContract[],
): Promise<void> {
  // TypeChain 8 formats with Prettier's synchronous API, which Prettier 3 no longer has (Hardhat's
  // typechain plugin removes the same transformer); the output is compiled, not read.
  const prettier = outputTransformers.findIndex((t) => t.name === "prettierOutputTransformer");
  if (prettier !== -1) outputTransformers.splice(prettier, 1);
  const work = mkdtempSync(path.join(tmpdir(), "assay-sdk-typechain-"));
  try {
    const files = contracts.map((c) => {
      const file = path.join(work, `${c.contract.name}.json`);
      writeFileSync(file, JSON.stringify(artifactWithDocs(c)));
      return file;
    });
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    await runTypeChain({
      cwd: work,
      filesToProcess: files,
      allFiles: files,
      outDir,
      target: "ethers-v6",
      // Relative imports with `.js`, as Node's ES modules and `moduleResolution: NodeNext` need.
      flags: {
        alwaysGenerateOverloads: false,
        discriminateTypes: false,
        node16Modules: true,
        // Not "hardhat": the bindings are for dApps, without Hardhat's module augmentation.
        environment: undefined,
      },
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
