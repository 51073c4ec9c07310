// The repository carries its own protocol description (docs/protocol.md): no tracked file may cite
// or link a document outside it — the design notes it was built from live elsewhere and may not
// be there for a reader of this repository.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

import { expect } from "chai";

const OUTSIDE = [
  /(?<![\w/])PROTOCOL\.md/,
  /TOOLCHAIN\.md/,
  /(?<![\w/])STYLE\.md/,
  /\.\.\/shared\//,
  // An absolute path on the machine the repository was written on.
  /(?<![\w.])\/work\//,
];

describe("the repository is self-contained", function () {
  it("no tracked file cites a document outside the repository", function () {
    const files = execFileSync("git", ["ls-files"], { encoding: "utf8" })
      .split("\n")
      .filter((f) => f !== "" && !f.endsWith(".json") && !f.startsWith("circuits/build/"));
    const offenders: string[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch {
        continue; // removed in the working tree
      }
      text.split("\n").forEach((line, i) => {
        if (OUTSIDE.some((re) => re.test(line))) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders, offenders.join("\n")).to.deep.equal([]);
  });
});
