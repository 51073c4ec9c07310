// Every guard in the production contracts says what it protects, as a `// INVARIANT: …` comment
// (docs/contracts.md, "Guards"). A `revert` or `require` with no INVARIANT comment on its line or
// in the three lines above its condition fails here, and so does a function guarded by an access
// modifier (`onlyRole`, or one the contracts declare) with none above its `function` line.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";

/** Production contracts: mocks/ are test doubles, verifiers/ is generated and never edited,
 * interfaces/ and types/ hold no code. */
const PRODUCTION_DIRS = [
  "contracts",
  "contracts/base",
  "contracts/libraries",
  "contracts/randomness",
  "contracts/zk",
];

/** How far above a guard's condition its INVARIANT comment may start. */
const WINDOW = 3;

/** `// INVARIANT: …`, or with a tag: `// INVARIANT (D2): …`. */
const INVARIANT = /\/\/\s*INVARIANT(\s*\([^)]*\))?:/;

export interface UnmarkedGuard {
  line: number;
  code: string;
}

/** A line without its `//` comment (the contracts have no `/* *\/` comments and no `//` in strings). */
function codeOf(line: string): string {
  const at = line.indexOf("//");
  return at < 0 ? line : line.slice(0, at);
}

function isComment(line: string): boolean {
  return line.trimStart().startsWith("//");
}

/** The line a guard starts on: the `if` whose condition spans down to the `revert`, or the revert
 * itself when it stands alone (an `else` branch, after a loop). */
function guardStart(lines: string[], at: number): number {
  if (/\bif\s*\(/.test(codeOf(lines[at] ?? ""))) return at;
  for (let i = at - 1; i >= 0 && i >= at - 6; --i) {
    const code = codeOf(lines[i] ?? "").trim();
    if (/\bif\s*\(/.test(code)) return i;
    // Anything that ends a statement or opens a block other than an `if` ends the search.
    if (
      code === "" ||
      /[;}]$/.test(code) ||
      /\belse\s*\{$/.test(code) ||
      /\b(for|while|function)\b/.test(code)
    ) {
      return at;
    }
  }
  return at;
}

/** Whether an INVARIANT comment sits on lines `from`…`to`, or in a comment block that reaches them. */
function marked(lines: string[], from: number, to: number): boolean {
  let top = Math.max(0, from);
  while (top > 0 && isComment(lines[top - 1] ?? "") && isComment(lines[top] ?? "")) --top;
  for (let i = top; i <= to; ++i) if (INVARIANT.test(lines[i] ?? "")) return true;
  return false;
}

/** The guards of one Solidity source that carry no INVARIANT comment (1-based lines). */
export function unmarkedGuards(source: string): UnmarkedGuard[] {
  const lines = source.split("\n");
  const modifiers = new Set(["onlyRole"]);
  for (const line of lines) {
    const declared = /^\s*modifier\s+(\w+)/.exec(codeOf(line));
    if (declared?.[1] !== undefined) modifiers.add(declared[1]);
  }
  const access = new RegExp(`\\b(${[...modifiers].join("|")})\\b`);
  const found: UnmarkedGuard[] = [];
  lines.forEach((line, i) => {
    const code = codeOf(line);
    if (isComment(line) || /^\s*modifier\s/.test(code)) return;
    let start: number | undefined;
    if (/\brevert\b|\brequire\s*\(/.test(code)) {
      start = guardStart(lines, i);
    } else if (access.test(code)) {
      // The modifier guards the whole function: its comment goes above the `function` line.
      start = i;
      while (start > 0 && !/\bfunction\b/.test(codeOf(lines[start] ?? ""))) --start;
    }
    if (start !== undefined && !marked(lines, start - WINDOW, i))
      found.push({ line: i + 1, code: line.trim() });
  });
  return found;
}

function productionSources(): string[] {
  return PRODUCTION_DIRS.flatMap((dir) =>
    readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith(".sol"))
      .map((entry) => path.join(dir, entry.name)),
  );
}

describe("every guard in the production contracts names its invariant", function () {
  it("finds unmarked guards of every kind, and accepts marked ones", function () {
    const source = [
      "contract C {",
      "    modifier onlyOwner() {",
      "        // INVARIANT: only the owner acts.",
      "        if (msg.sender != owner) revert NotOwner();",
      "        _;",
      "    }",
      "    function a(uint256 x) external onlyRole(ADMIN) {",
      "        if (x == 0) revert Zero();",
      "        require(x < 10, 'big');",
      "        if (",
      "            x == 3 ||",
      "            x == 4",
      "        ) {",
      "            revert Odd(x);",
      "        }",
      "    }",
      "    // INVARIANT: only the owner sets x.",
      "    function b(uint256 x) external onlyOwner {",
      "        // INVARIANT: x is never zero, and never",
      "        // three or more.",
      "        if (x == 0) revert Zero();",
      "        if (x >= 3) revert Big(x);",
      "        _x = x;",
      "        if (x == 1) revert One();",
      "    }",
      "}",
    ].join("\n");
    expect(unmarkedGuards(source).map((g) => g.line)).to.deep.equal([7, 8, 9, 14, 24]);
  });

  it("no revert, require or access modifier in contracts/ lacks an INVARIANT comment", function () {
    const files = productionSources();
    expect(files).to.include("contracts/JobMarket.sol");
    let guards = 0;
    const offenders: string[] = [];
    for (const file of files) {
      const source = readFileSync(file, "utf8");
      guards += source
        .split("\n")
        .filter((l) => !isComment(l) && /\brevert\b|\brequire\s*\(/.test(codeOf(l))).length;
      for (const g of unmarkedGuards(source)) offenders.push(`${file}:${g.line}: ${g.code}`);
    }
    // A scan that found nothing would pass vacuously.
    expect(guards).to.be.greaterThan(100);
    expect(
      offenders,
      `${offenders.length} guards without an INVARIANT comment:\n${offenders.join("\n")}`,
    ).to.deep.equal([]);
  });
});
