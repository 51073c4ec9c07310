import { expect } from "chai";
import type { Address } from "viem";

import { DISPUTE_KIND } from "../../../src/protocol/onchain-enums.ts";
import { JOB, OUTCOME } from "../../../src/protocol/onchain-enums.ts";
import type { VerifierEvent } from "../../../verifier/events.ts";
import { startVerifier, until, type Fixture } from "../verifier/fixture.ts";
import type { RunningDaemon } from "../worker/helpers.ts";
import {
  PROVIDER_STAKE,
  expectChallengerVotes,
  expectCollateralSlashed,
  expectSlashedByDispute,
  marketCredits,
  providerStake,
  publishE2eSpec,
  startE2e,
  startCheatCases,
  termsOf,
  type CheatCase,
} from "./helpers.ts";

// Cheats that re-execution alone never sees — the states all reproduce — played by real provider
// daemons against a real sampling auditor (audit "opened": the protocol's own check) and referee
// daemons on one devnet: a withheld trace manifest, a false update norm on a segment the sample
// may not reach, a false top-Q claim. Before these checks each of them was paid: the manifest
// withholder because every verifier marked its job "unverifiable" and nobody challenged, the
// false norm and the false top-Q claim because nobody checked them.
//
// Accounts: 1 submitter; providers 2, 3, 4, 5; 6 the auditor; 7–11 referee-and-keeper daemons.
const AUDITOR = 6;
const REFEREES = [7, 8, 9, 10, 11];

const CASES = {
  withhold: {
    name: "withhold-manifest",
    account: 2,
    slot: 0,
    cheat: { kind: "withhold-manifest" },
  },
  withholdAnswers: {
    name: "withhold-manifest, answering",
    account: 3,
    slot: 1,
    cheat: { kind: "withhold-manifest", answers: true },
  },
  falseNorm: {
    name: "false-norm",
    account: 4,
    slot: 2,
    cheat: { kind: "false-norm", segment: 4, norm: "1" },
  },
  falseTopQ: { name: "false-top-q", account: 5, slot: 3, cheat: { kind: "false-top-q" } },
} as const satisfies Record<string, CheatCase>;

describe("end to end: withheld blobs and false leaf claims", function () {
  this.timeout(300_000);
  let f: Fixture;
  let workers: RunningDaemon[] = [];
  let jobs = new Map<string, bigint>();
  let providers = new Map<string, Address>();
  let auditor: Address;
  const events: VerifierEvent[] = [];

  before(async function () {
    f = await startE2e();
    for (const account of REFEREES) await startVerifier(f, account, { audit: "none" });
    auditor = (await startVerifier(f, AUDITOR, { audit: "opened" }, (e) => events.push(e))).address;
    const spec = await publishE2eSpec(f);
    // The answering withholder's job must finalize within the run.
    const short = await publishE2eSpec(f, { challenge: 900 });
    ({ jobs, providers, workers } = await startCheatCases(f, CASES, (key) =>
      key === "withholdAnswers" ? short : spec,
    ));
  });

  after(async function () {
    for (const w of workers.splice(0)) await w.close().catch(() => undefined);
    await f?.close();
  });

  const jobOf = (key: keyof typeof CASES): bigint => jobs.get(key)!;
  const status = async (jobId: bigint): Promise<number> =>
    (await f.devnet.deployment.market.read.getJob([jobId])).status;
  const disputesOf = (jobId: bigint) =>
    f.devnet.deployment.disputeGame.getEvents.DisputeOpened({ jobId }, { fromBlock: 0n });

  it("withhold-manifest: audited from the on-chain opening, challenged for availability, never answered: slashed on its clock, never paid", async function () {
    const jobId = jobOf("withhold");
    await until("withholder slashed", async () => (await status(jobId)) === JOB.Slashed);
    const result = await expectSlashedByDispute(
      f,
      jobId,
      CASES.withhold.slot,
      providers.get("withhold")!,
      auditor,
    );
    expect(result.byTimeout, "lost on its clock").to.equal(true);
    const [opened] = await disputesOf(jobId);
    expect(opened!.args.kind).to.equal(DISPUTE_KIND.Availability);
    // The sampled segments were re-executed although the manifest was gone.
    const checked = events.filter((e) => e.type === "segment-checked" && e.jobId === jobId);
    expect(checked.length).to.be.greaterThan(0);
    const finalized = await f.devnet.deployment.market.getEvents.JobFinalized(
      { jobId },
      { fromBlock: 0n },
    );
    expect(finalized, "never paid").to.have.length(0);
  });

  it("withhold-manifest, answering: the provider re-publishes, the auditor withdraws (bond back), re-audits and the job is paid", async function () {
    const jobId = jobOf("withholdAnswers");
    await until(
      "answering withholder finalized",
      async () => (await status(jobId)) === JOB.Finalized,
    );
    const [opened, ...more] = await disputesOf(jobId);
    expect(more).to.have.length(0);
    expect(opened!.args.kind).to.equal(DISPUTE_KIND.Availability);
    const disputeId = opened!.args.disputeId!;
    const game = f.devnet.deployment.disputeGame;
    expect(
      await game.getEvents.AvailabilityAnswered({ disputeId }, { fromBlock: 0n }),
    ).to.have.length(1);
    expect(
      await game.getEvents.ChallengeWithdrawn({ disputeId }, { fromBlock: 0n }),
    ).to.have.length(1);
    expect(OUTCOME[(await game.read.getDispute([disputeId])).outcome]).to.equal("NoVerdict");
    expect(events.some((e) => e.type === "challenge-withdrawn" && e.jobId === jobId)).to.equal(
      true,
    );
    const provider = providers.get("withholdAnswers")!;
    const terms = termsOf(CASES.withholdAnswers.slot);
    const budget = (terms.amount * BigInt(terms.verificationBps)) / 10_000n;
    expect(await marketCredits(f, jobId, provider)).to.deep.equal([terms.amount - budget]);
    expect(await providerStake(f, provider)).to.deep.equal({
      free: PROVIDER_STAKE,
      locked: 0n,
      ejected: false,
    });
  });

  it("false-norm: the auditor's norm check finds the false claim and a claims dispute slashes the provider", async function () {
    const jobId = jobOf("falseNorm");
    await until("false-norm job slashed", async () => (await status(jobId)) === JOB.Slashed);
    const result = await expectSlashedByDispute(
      f,
      jobId,
      CASES.falseNorm.slot,
      providers.get("falseNorm")!,
      auditor,
    );
    expect(result.segment).to.equal(CASES.falseNorm.cheat.segment);
    expect(result.byTimeout).to.equal(false);
    const [opened] = await disputesOf(jobId);
    expect(opened!.args.kind).to.equal(DISPUTE_KIND.Claims);
    await expectChallengerVotes(f, result.disputeId);
  });

  it("false-top-q: the auditor proves the fraud from the manifest and the provider is slashed at once", async function () {
    const jobId = jobOf("falseTopQ");
    await until("false-top-q job slashed", async () => (await status(jobId)) === JOB.Slashed);
    const [proven] = await f.devnet.deployment.fraudProofs.getEvents.FraudProven(
      { jobId },
      { fromBlock: 0n },
    );
    expect(proven, "a FraudProven event").to.not.equal(undefined);
    expect(proven!.args.prover!.toLowerCase()).to.equal(auditor.toLowerCase());
    expect(await disputesOf(jobId)).to.have.length(0);
    await expectCollateralSlashed(
      f,
      providers.get("falseTopQ")!,
      termsOf(CASES.falseTopQ.slot).collateral,
    );
    // The prover's share is credited by FraudProofs; the auditor's claims duty pulls it.
    await until("the prover's share claimed", async () =>
      events.some((e) => e.type === "claimed" && e.contract === "fraudProofs"),
    );
    expect(await f.devnet.deployment.fraudProofs.read.creditOf([auditor])).to.equal(0n);
  });
  it("every job's seed was recorded for good while its block hash was readable (a provider restarted days later can still open)", async function () {
    const { market, randomness } = f.devnet.deployment;
    for (const key of Object.keys(CASES) as (keyof typeof CASES)[]) {
      const request = (await market.read.getJob([jobOf(key)])).randomnessRequest;
      const recorded = await randomness.getEvents.RandomnessRecorded(
        { requestId: request },
        { fromBlock: 0n },
      );
      expect(recorded, `${key}: seed request ${request}`).to.have.length(1);
    }
  });
});
