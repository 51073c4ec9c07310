// NatSpec of the compiled contracts, read from the AST in Hardhat's build info. Hardhat 3 does not
// ask solc for devdoc/userdoc (and changing the compiler's output selection would rebuild every
// contract), but the AST it keeps carries every doc comment: this module parses them and resolves
// inheritance the way solc does (a function without docs, or with `@inheritdoc Base`, takes the
// docs of the function with the same selector in its bases, nearest first).
import { readFileSync } from "node:fs";
import path from "node:path";

import { z } from "zod";

/** One item's NatSpec: what solc's userdoc (notice) and devdoc (details, params, returns) hold. */
export interface NatSpec {
  title?: string;
  notice?: string;
  details?: string;
  params: Record<string, string>;
  returns: Record<string, string>;
}

/** A contract's NatSpec: its own, and each ABI item's by selector (4 bytes, or 32 for events). */
export interface ContractDocs {
  contract: NatSpec;
  /** Keyed by the AST's functionSelector / eventSelector / errorSelector (hex, no 0x). */
  items: Map<string, NatSpec>;
}

// The few AST fields read here; the rest of solc's AST passes through untouched.
interface AstNode {
  id?: number;
  nodeType?: string;
  name?: string;
  documentation?: { text?: string } | string | null;
  functionSelector?: string;
  eventSelector?: string;
  errorSelector?: string;
  linearizedBaseContracts?: number[];
  returnParameters?: { parameters?: { name?: string }[] };
  nodes?: AstNode[];
}

const BuildInfoOutputSchema = z.object({
  output: z.object({
    sources: z.record(z.string(), z.object({ ast: z.unknown() })),
  }),
});

const TAG = /^@(\w+)(?::\w+)?\s*/;

/**
 * Parses one doc comment's text (solc strips the `///` or `/** *\/` markers). The i-th `@return`
 * names its value when its first word is the i-th return variable's name, as solc reads it.
 */
export function parseNatSpec(
  text: string,
  returnNames: readonly string[] = [],
): { spec: NatSpec; inheritdoc?: string } {
  const spec: NatSpec = { params: {}, returns: {} };
  let inheritdoc: string | undefined;
  // Each tag runs until the next one; untagged text at the start is the notice (as solc reads it).
  const sections: { tag: string; body: string }[] = [{ tag: "notice", body: "" }];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const m = TAG.exec(line);
    if (m !== null) sections.push({ tag: m[1]!, body: line.slice(m[0].length) });
    else sections.at(-1)!.body += ` ${line}`;
  }
  const clean = (s: string): string => s.replace(/\s+/g, " ").trim();
  const named = (body: string): [string, string] => {
    const [name = "", ...rest] = clean(body).split(" ");
    return [name, rest.join(" ")];
  };
  for (const { tag, body } of sections) {
    const b = clean(body);
    if (b === "") continue;
    if (tag === "notice") spec.notice = spec.notice === undefined ? b : `${spec.notice} ${b}`;
    else if (tag === "dev") spec.details = spec.details === undefined ? b : `${spec.details} ${b}`;
    else if (tag === "title") spec.title = b;
    else if (tag === "param") {
      const [name, desc] = named(b);
      spec.params[name] = desc;
    } else if (tag === "return") {
      const i = Object.keys(spec.returns).length;
      const [name, desc] = named(b);
      if (returnNames[i] !== undefined && returnNames[i] !== "" && name === returnNames[i])
        spec.returns[name] = desc;
      else spec.returns[`_${i}`] = b;
    } else if (tag === "inheritdoc") inheritdoc = b;
  }
  return inheritdoc === undefined ? { spec } : { spec, inheritdoc };
}

function docText(node: AstNode): string | undefined {
  const d = node.documentation;
  if (d === undefined || d === null) return undefined;
  return typeof d === "string" ? d : d.text;
}

function isEmpty(spec: NatSpec): boolean {
  return (
    spec.notice === undefined &&
    spec.details === undefined &&
    Object.keys(spec.params).length === 0 &&
    Object.keys(spec.returns).length === 0
  );
}

function selectorOf(node: AstNode): string | undefined {
  return node.functionSelector ?? node.eventSelector ?? node.errorSelector;
}

/** Every ContractDefinition of a build info's ASTs, by AST id. */
function contractsById(buildInfoOutputFile: string): Map<number, AstNode> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(buildInfoOutputFile, "utf8"));
  } catch (cause) {
    throw new Error(
      `cannot read the build info ${buildInfoOutputFile}: run \`npm run build\` at the repository root first`,
      { cause },
    );
  }
  const parsed = BuildInfoOutputSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `${buildInfoOutputFile} is not a Hardhat build info output with ASTs (output.sources.*.ast)`,
    );
  const byId = new Map<number, AstNode>();
  for (const { ast } of Object.values(parsed.data.output.sources)) {
    for (const node of (ast as AstNode).nodes ?? []) {
      if (node.nodeType === "ContractDefinition" && node.id !== undefined) byId.set(node.id, node);
    }
  }
  return byId;
}

/** The NatSpec of `contractName` and of each of its ABI items, with inherited docs resolved. */
export function contractDocs(buildInfoOutputFile: string, contractName: string): ContractDocs {
  const byId = contractsById(buildInfoOutputFile);
  const byName = new Map([...byId.values()].map((c) => [c.name!, c]));
  const contract = byName.get(contractName);
  if (contract === undefined)
    throw new Error(`${buildInfoOutputFile} has no contract named ${contractName}`);
  const linearized = (contract.linearizedBaseContracts ?? [contract.id!]).map((id) =>
    byId.get(id)!,
  );

  // Docs of `selector`, searched in `bases` nearest first; `@inheritdoc X` jumps to X.
  const resolve = (selector: string, bases: AstNode[], depth: number): NatSpec | undefined => {
    if (depth > 16) return undefined;
    for (const base of bases) {
      const member = (base.nodes ?? []).find((n) => selectorOf(n) === selector);
      const text = member === undefined ? undefined : docText(member);
      if (text === undefined) continue;
      const returnNames = (member!.returnParameters?.parameters ?? []).map((p) => p.name ?? "");
      const { spec, inheritdoc } = parseNatSpec(text, returnNames);
      if (inheritdoc !== undefined) {
        const from = byName.get(inheritdoc);
        const inherited = from === undefined ? undefined : resolve(selector, [from], depth + 1);
        if (inherited !== undefined) return inherited;
      }
      if (!isEmpty(spec)) return spec;
    }
    return undefined;
  };

  const items = new Map<string, NatSpec>();
  for (const base of linearized) {
    for (const member of base.nodes ?? []) {
      const selector = selectorOf(member);
      if (selector === undefined || items.has(selector)) continue;
      const spec = resolve(selector, linearized, 0);
      if (spec !== undefined) items.set(selector, spec);
    }
  }
  const own = docText(contract);
  return {
    contract: own === undefined ? { params: {}, returns: {} } : parseNatSpec(own).spec,
    items,
  };
}

/** Where Hardhat 3 keeps an artifact's build info output: artifacts/build-info/<id>.output.json. */
export function buildInfoOutputPath(artifactsDir: string, buildInfoId: string): string {
  return path.join(artifactsDir, "build-info", `${buildInfoId}.output.json`);
}
