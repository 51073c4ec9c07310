import { expect } from "chai";
import { network } from "hardhat";

import { DEVNET_PARAMS } from "../../../deploy/deploy-assay.ts";
import { fabricatedSegments } from "../../../src/demo/cheating-provider.ts";
import { sumPayouts, type DemoReport, type JobSummary } from "../../../src/demo/report.ts";
import { runDemo, type DemoConfig } from "../../../src/demo/scenario.ts";

// The demo's core flow (src/demo/scenario.ts, what `npm run demo` runs on MNIST) at a tiny size:
// synthetic data, a 20-16-5 MLP, T = 48, k = 8 (n = 6). The cheater deviates from step 29 on, so
// segments 4..6 are fabricated and the dissection must end at step 29.
const TINY: DemoConfig = {
  data: "synthetic",
  hidden: [16],
  batchSize: 8,
  totalSteps: 48,
  checkpointInterval: 8,
  samples: 2,
  topQ: 1,
  committeeSize: 3,
  cheatFromStep: 29,
  audit: "all",
  tolerance: true,
  // Enough that the contract's bounded draw (4 attempts per seat) seats all 3 referees except
  // about once in 130 000 runs.
  referees: 10,
};

const UNIT = 10n ** 18n;
const AMOUNT = 100n * UNIT;
const COLLATERAL = 200n * UNIT;
const BOND = BigInt(DEVNET_PARAMS.dispute.challengeBond);

function job(report: DemoReport, label: string): JobSummary {
  const found = report.jobs.find((j) => j.label === label);
  if (found === undefined) expect.fail(`no job ${label} in the report`);
  return found;
}

describe("demo (tiny run of the npm run demo flow)", function () {
  let report: DemoReport;
  const lines: string[] = [];

  before(async function () {
    const { viem } = await network.create();
    report = await runDemo({ viem, log: (line) => lines.push(line) }, TINY);
  });

  it("pays the honest exact job: Finalized, payment to the provider, the unspent budget back", function () {
    const a = job(report, "A");
    expect(a.status).to.equal("Finalized");
    expect(a.provider).to.equal("provider-honest");
    expect(a.checked).to.have.length(6);
    expect(a.failing).to.deep.equal([]);
    // verificationBps 1 000: 10% of the escrow is the verification budget, returned unspent.
    expect(sumPayouts(a.payouts, "provider")).to.equal((AMOUNT * 9n) / 10n);
    expect(sumPayouts(a.payouts, "submitter")).to.equal(AMOUNT / 10n);
    expect(a.slashed).to.equal(0n);
    expect(a.dispute).to.equal(undefined);
  });

  it("finds exactly the fabricated segments by re-execution", function () {
    const b = job(report, "B");
    expect(b.fabricated).to.deep.equal([4, 5, 6]);
    expect(b.failing).to.deep.equal(b.fabricated);
    expect(b.checked).to.have.length(6);
  });

  it("narrows the dispute to the first step the cheater faked and the committee votes it down", function () {
    const d = job(report, "B").dispute;
    if (d === undefined) expect.fail("job B was not disputed");
    expect(d.segment).to.equal(4);
    expect(d.step).to.equal(TINY.cheatFromStep);
    expect(d.rounds).to.be.at.least(1);
    expect(d.committee).to.have.length(3);
    for (const member of d.committee) expect(member).to.match(/^referee-\d+$/);
    expect(d.votes).to.deep.equal(["Challenger", "Challenger", "Challenger"]);
    expect(d.outcome).to.equal("ChallengerWon");
    expect(d.providerEjected).to.equal(true);
  });

  it("slashes the cheater's collateral and splits it as the dispute parameters say", function () {
    const b = job(report, "B");
    expect(b.status).to.equal("Slashed");
    expect(b.slashed).to.equal(COLLATERAL);
    const challengerShare =
      (COLLATERAL * BigInt(DEVNET_PARAMS.dispute.challengerShareBps)) / 10_000n;
    const refereePot = (COLLATERAL * BigInt(DEVNET_PARAMS.dispute.refereeShareBps)) / 10_000n;
    const perReferee = refereePot / 3n;
    expect(sumPayouts(b.payouts, "provider")).to.equal(0n);
    expect(sumPayouts(b.payouts, "submitter")).to.equal(AMOUNT);
    expect(sumPayouts(b.payouts, "challenger")).to.equal(BOND + challengerShare);
    const toReferees = b.payouts.filter((p) => p.role === "referee");
    expect(toReferees).to.have.length(3);
    for (const p of toReferees) expect(p.amount).to.equal(perReferee);
    // The rounding remainder of the referee pot goes to the treasury with the rest.
    expect(sumPayouts(b.payouts, "treasury")).to.equal(
      COLLATERAL - challengerShare - perReferee * 3n,
    );
  });

  it("checks the tolerance job by distance and pays it", function () {
    const c = job(report, "C");
    expect(c.numerics).to.equal("tolerance");
    expect(c.status).to.equal("Finalized");
    expect(c.failing).to.deep.equal([]);
    expect(sumPayouts(c.payouts, "provider")).to.equal((AMOUNT * 9n) / 10n);
    expect(c.maxDistance).to.be.a("number").within(0, 0.01);
    expect(lines.join("\n")).to.match(
      /segment +\d+ \(sampled[^)]*\): reproduces — distance .* ≤ δ = 0\.01/,
    );
  });

  it("records the gas of every protocol action by actor", function () {
    const gasOf = (actor: string, action: string): bigint =>
      report.gas
        .filter((e) => e.actor.startsWith(actor) && e.action === action)
        .reduce((a, e) => a + e.gas, 0n);
    for (const [actor, action] of [
      ["submitter", "createJob"],
      ["provider-honest", "finalize"],
      ["provider-cheat", "openSamples"],
      ["provider-cheat", "postPoints"],
      ["verifier", "revealChallenge"],
      ["verifier", "narrow"],
      ["referee-", "commitVote"],
      ["referee-", "revealVote"],
      ["verifier", "resolve"],
    ])
      expect(Number(gasOf(actor!, action!)), `${actor}/${action}`).to.be.greaterThan(20_000);
  });

  it("fabricatedSegments names the segments whose checkpoints a deviation from step t changes", function () {
    expect(fabricatedSegments(29, 48, 8)).to.deep.equal([4, 5, 6]);
    // Step 31 is the last of segment 4: only checkpoint 4's state (step 32) and later differ.
    expect(fabricatedSegments(31, 48, 8)).to.deep.equal([4, 5, 6]);
    expect(fabricatedSegments(32, 48, 8)).to.deep.equal([5, 6]);
    expect(fabricatedSegments(0, 48, 8)).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it("rejects a configuration that contradicts itself", async function () {
    const { viem } = await network.create();
    await runDemo({ viem }, { ...TINY, checkpointInterval: 7 }).then(
      () => expect.fail("accepted"),
      (e: unknown) =>
        expect((e as Error).message).to.match(/checkpointInterval 7 must divide totalSteps 48/),
    );
    await runDemo({ viem }, { ...TINY, cheatFromStep: 48 }).then(
      () => expect.fail("accepted"),
      (e: unknown) => expect((e as Error).message).to.match(/cheatFromStep 48 must be below/),
    );
  });
});
