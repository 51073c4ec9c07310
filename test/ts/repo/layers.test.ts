// Layers point one way (README "Layout"): a module imports only modules of a lower layer, or of its
// own directory. Read from the tracked sources' relative imports, so a new upward import fails here
// with the file, the line and the two layers named.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";

/** Each production directory's layer, lowest first. */
const LAYER: Record<string, number> = {
  "src/errors.ts": 0,
  "src/zod-issues.ts": 0,
  "src/protocol": 1,
  "src/store": 2,
  "src/zk": 2,
  // The SDK for dApps (packages/sdk) ships the protocol code it imports: nothing above layer 1.
  "packages/sdk": 2,
  "src/engine": 3,
  "src/checkpoint": 4,
  "src/data": 4,
  "src/training": 5,
  "src/node": 6,
  "src/provider": 6,
  deploy: 7,
  worker: 7,
  verifier: 7,
  // The explorer reads the chain through src/node like the daemons and, like them, is started by
  // the CLI and the devnet above it; it imports no daemon and no daemon imports it.
  "src/explorer": 7,
  "src/demo": 8,
  // Hardhat Ignition's module files: entry points over deploy/ (its plan), imported by nothing.
  ignition: 8,
  "src/devnet": 9,
  "src/cli": 9,
};

/** The directory (or file) of `file` that LAYER names, or undefined outside production code. */
function unitOf(file: string): string | undefined {
  const parts = file.split("/");
  const unit =
    parts[0] === "src"
      ? parts.length === 2
        ? file
        : `src/${parts[1]}`
      : parts[0] === "packages"
        ? `packages/${parts[1]}`
        : parts[0]!;
  return unit in LAYER ? unit : undefined;
}

const IMPORT =
  /(?:^|\s)(?:import|export)\b[^;]*?\sfrom\s+"(\.{1,2}\/[^"]+)"|import\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g;

describe("layers point one way", function () {
  const sources = execFileSync("git", ["ls-files", "*.ts"], { encoding: "utf8" })
    .split("\n")
    .filter((f) => f !== "" && unitOf(f) !== undefined);

  it("knows every production directory", function () {
    const dirs = new Set(
      execFileSync("git", ["ls-files", "src/*.ts", "src/**/*.ts"], { encoding: "utf8" })
        .split("\n")
        .filter((f) => f !== "")
        .map((f) => (f.split("/").length === 2 ? f : f.split("/").slice(0, 2).join("/"))),
    );
    const unknown = [...dirs].filter((d) => !(d in LAYER));
    expect(unknown, "directories under src/ with no layer").to.deep.equal([]);
  });

  it("no module imports a module of a higher layer, or of another directory in its own", function () {
    const offenders: string[] = [];
    for (const file of sources) {
      const from = unitOf(file)!;
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2]!;
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        const to = unitOf(target);
        if (to === undefined || to === from) continue;
        if (LAYER[to]! < LAYER[from]!) continue;
        const line = text.slice(0, m.index).split("\n").length;
        offenders.push(
          `${file}:${line} (${from}, layer ${LAYER[from]}) imports ${target} (${to}, layer ${LAYER[to]})`,
        );
      }
    }
    expect(offenders, offenders.join("\n")).to.deep.equal([]);
  });

  it("catches an upward import (the check itself can fail)", function () {
    const text = 'import { loadJob } from "../training/job.ts";';
    const [m] = [...text.matchAll(IMPORT)];
    const target = path.posix.normalize(path.posix.join("src/engine", m![1]!));
    expect(unitOf(target)).to.equal("src/training");
    expect(LAYER[unitOf(target)!]!).to.be.greaterThan(LAYER["src/engine"]!);
    // The SDK is a unit of its own, below everything but the protocol.
    expect(unitOf("packages/sdk/src/actions/job.ts")).to.equal("packages/sdk");
    expect(LAYER[unitOf("src/node/deployment.ts")!]!).to.be.greaterThan(LAYER["packages/sdk"]!);
  });
});
