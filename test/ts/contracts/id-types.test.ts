// Job and dispute ids are distinct value types (contracts/types/Ids.sol, docs/contracts.md "Ids"):
// passing one where the other is expected must not compile. These snippets are compiled against
// the real interfaces with the solc the build uses (the `solc` package hardhat.config.ts points at),
// so a change that made the types interchangeable again, or dropped them from a signature, fails here.
import { readFileSync } from "node:fs";

import { expect } from "chai";
import solc from "solc";

interface CompilerError {
  severity: "error" | "warning" | "info";
  message: string;
}

/** Type-checks `body` as a contract beside the real interfaces; returns the compiler's errors. */
function compileErrors(body: string): string[] {
  const snippet = [
    "// SPDX-License-Identifier: Apache-2.0",
    "pragma solidity 0.8.30;",
    'import {IDisputeGame} from "contracts/interfaces/IDisputeGame.sol";',
    'import {IJobMarket} from "contracts/interfaces/IJobMarket.sol";',
    'import {DisputeId, JobId} from "contracts/types/Ids.sol";',
    "contract Snippet {",
    body,
    "}",
  ].join("\n");
  const input = {
    language: "Solidity",
    sources: { "Snippet.sol": { content: snippet } },
    // The AST only: type checking runs, code generation does not.
    settings: { outputSelection: { "*": { "": ["ast"] } } },
  };
  // Imports are source unit names relative to the repository root (the tests run from there).
  const read = (file: string) => {
    try {
      return { contents: readFileSync(file, "utf8") };
    } catch {
      return { error: `not found: ${file}` };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: read })) as {
    errors?: CompilerError[];
  };
  return (output.errors ?? []).filter((e) => e.severity === "error").map((e) => e.message);
}

describe("job and dispute ids are distinct types", function () {
  it("compiles the snippets with the build's compiler", function () {
    expect(solc.version()).to.match(/^0\.8\.30\+/);
  });

  it("accepts each id where its own kind is expected", function () {
    const errors = compileErrors(
      [
        "function job(IJobMarket market, JobId jobId) external view { market.getJob(jobId); }",
        "function dispute(IDisputeGame game, DisputeId id) external view { game.getDispute(id); }",
      ].join("\n"),
    );
    expect(errors).to.deep.equal([]);
  });

  it("rejects a dispute id where a job id is expected", function () {
    const errors = compileErrors(
      "function mixUp(IJobMarket market, DisputeId id) external view { market.getJob(id); }",
    );
    expect(errors).to.have.length(1);
    expect(errors[0]).to.contain("Invalid implicit conversion from DisputeId to JobId");
  });

  it("rejects a job id where a dispute id is expected", function () {
    const errors = compileErrors(
      "function mixUp(IDisputeGame game, JobId jobId) external view { game.getDispute(jobId); }",
    );
    expect(errors).to.have.length(1);
    expect(errors[0]).to.contain("Invalid implicit conversion from JobId to DisputeId");
  });

  it("rejects a bare uint256 where either id is expected", function () {
    const errors = compileErrors(
      [
        "function job(IJobMarket market, uint256 n) external view { market.getJob(n); }",
        "function dispute(IDisputeGame game, uint256 n) external view { game.getDispute(n); }",
      ].join("\n"),
    );
    expect(errors).to.have.length(2);
    expect(errors[0]).to.contain("Invalid implicit conversion from uint256 to JobId");
    expect(errors[1]).to.contain("Invalid implicit conversion from uint256 to DisputeId");
  });
});
