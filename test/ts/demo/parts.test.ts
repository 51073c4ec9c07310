import { expect } from "chai";

import { divergentBatches } from "../../../src/demo/cheating-provider.ts";
import { DemoError, causeChain } from "../../../src/demo/errors.ts";
import { assertJobMatchesSpec } from "../../../src/node/onchain-job.ts";
import { protocolBatches, trainByRule, trainHonestly } from "../../../src/demo/provider.ts";
import {
  detectionProbability,
  formatTable,
  formatTokens,
  sampleDetectionProbability,
} from "../../../src/demo/report.ts";
import { reexecute } from "../../../src/training/reexecute.ts";
import { smallJob } from "../engine/helpers/fixtures.ts";
import { onchainFor } from "../helpers/onchain-job.ts";

// The pieces the demo adds on top of the engine and the contracts: the rule-driven trainer the
// cheating provider uses, the spec-vs-chain check every party runs, and the report's arithmetic.

describe("demo parts", function () {
  it("trainByRule with the protocol's batches commits exactly what the engine's train commits", async function () {
    const { job, initialState, store } = await smallJob("exact");
    const engine = await trainHonestly(job, initialState, store);
    const byRule = await trainByRule(job, initialState, store, protocolBatches);
    expect(byRule.records).to.deep.equal(engine.records);
    expect(byRule.root).to.equal(engine.root);
    expect(byRule.manifestCid).to.equal(engine.manifestCid);
  });

  it("a provider that switches data order mid-segment keeps earlier checkpoints and fails re-execution after", async function () {
    const { job, initialState, store } = await smallJob("exact"); // T = 24, k = 4
    const honest = await trainHonestly(job, initialState, store);
    const cheat = await trainByRule(
      job,
      initialState,
      store,
      divergentBatches(9, `0x${"ab".repeat(32)}`),
    );
    // Steps 0..8 are honest: checkpoints 0..2 (steps 0, 4, 8) are identical, 3.. differ.
    expect(cheat.records.slice(0, 3)).to.deep.equal(honest.records.slice(0, 3));
    for (const i of [3, 4, 5, 6])
      expect(cheat.records[i]!.stateDigest).to.not.equal(honest.records[i]!.stateDigest);
    const verdicts: boolean[] = [];
    for (let i = 1; i <= 6; i++) {
      const report = await reexecute(
        job,
        { index: i, start: cheat.records[i - 1]!, end: cheat.records[i]! },
        { store },
      );
      verdicts.push(report.ok);
    }
    expect(verdicts).to.deep.equal([true, true, false, false, false, false]);
  });

  it("assertJobMatchesSpec accepts the job its spec determines and names every field that differs", async function () {
    const { spec } = await smallJob("exact");
    expect(() => assertJobMatchesSpec(1n, onchainFor(spec), spec)).to.not.throw();
    const forged = { ...onchainFor(spec), samples: 1, challengeWindow: 60 };
    expect(() => assertJobMatchesSpec(1n, forged, spec)).to.throw(
      /samples is 1 on chain, 2 in the spec; challengeWindow is 60 on chain, 7200 in the spec/,
    );
  });

  it("sampleDetectionProbability is the hypergeometric catch rate, never below the protocol's bound", function () {
    // n = 20, F = 8, q = 4: 1 − C(12,4)/C(20,4) = 1 − 495/4845.
    expect(sampleDetectionProbability(20, 8, 4)).to.be.closeTo(1 - 495 / 4845, 1e-12);
    for (const [n, f, q] of [
      [20, 8, 4],
      [6, 3, 2],
      [100, 1, 8],
      [16, 16, 1],
    ] as const)
      expect(sampleDetectionProbability(n, f, q)).to.be.at.least(
        detectionProbability(f / n, q) - 1e-12,
      );
    expect(sampleDetectionProbability(20, 0, 4)).to.equal(0);
    expect(sampleDetectionProbability(20, 17, 4)).to.equal(1);
  });

  it("formatTokens rounds 18-decimal amounts to cents", function () {
    const unit = 10n ** 18n;
    expect(formatTokens((20n * unit) / 3n)).to.equal("6.67");
    expect(formatTokens(80n * unit + 2n)).to.equal("80.00");
    expect(formatTokens(-180n * unit)).to.equal("-180.00");
    expect(formatTokens(1234n * unit + unit / 2n)).to.equal("1,234.50");
    expect(formatTokens(0n)).to.equal("0.00");
  });

  it("causeChain lists an error and its causes, preferring viem's short messages", function () {
    const root = new Error("VM Exception: reverted with custom error 'JobNotFound(9)'");
    const viemLike = Object.assign(new Error("long text\n\nwith details", { cause: root }), {
      name: "ContractFunctionExecutionError",
      shortMessage: 'The contract function "finalize" reverted.',
    });
    const error = new DemoError("provider-honest: finalize failed", { cause: viemLike });
    expect(causeChain(error)).to.deep.equal([
      "DemoError: provider-honest: finalize failed",
      'ContractFunctionExecutionError: The contract function "finalize" reverted.',
      "Error: VM Exception: reverted with custom error 'JobNotFound(9)'",
    ]);
    expect(causeChain("plain")).to.deep.equal(["plain"]);
  });

  it("formatTable pads columns and right-aligns the ones asked for", function () {
    const table = formatTable(
      ["actor", "gas"],
      [
        ["verifier", "224,836"],
        ["referees", "58"],
      ],
      [false, true],
    );
    expect(table.split("\n")).to.deep.equal([
      "actor         gas",
      "--------  -------",
      "verifier  224,836",
      "referees       58",
    ]);
  });
});
