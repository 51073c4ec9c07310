import { expect } from "chai";
import { keccak256, toHex, type Address } from "viem";

import { send } from "../../../src/demo/chain.ts";
import { fetchJob } from "../../../src/demo/jobs.ts";
import { challengeSegment, readSubmission } from "../../../src/demo/verifier.ts";
import { planCheat } from "../../../src/provider/cheats.ts";
import { JOB } from "../../../src/protocol/onchain-enums.ts";
import type { VerifierDaemon } from "../../../verifier/daemon.ts";
import type { VerifierEvent } from "../../../verifier/events.ts";
import { startVerifier, until, type Fixture } from "../verifier/fixture.ts";
import type { RunningDaemon } from "../worker/helpers.ts";
import {
  EXPIRY_SUBMITTER_BPS,
  PROVIDER_STAKE,
  SHAPE,
  expectChallengerVotes,
  expectCollateralSlashed,
  expectSlashedByDispute,
  marketCredits,
  openedSegments,
  postSlotJob,
  providerStake,
  publishE2eSpec,
  stakeVerifier,
  startCheatCases,
  startE2e,
  startSlotWorker,
  type CheatCase,
  termsOf,
} from "./helpers.ts";

// Every cheat of src/provider/cheats.ts, played by a real provider daemon against real verifier
// daemons on one devnet (real EVM over JSON-RPC, real Redis/BullMQ, real ONNX Runtime), all jobs
// at once. The auditor re-executes every segment (audit "all"), so detection does not depend on
// the sample; one more job, audited by a verifier that checks only the opened samples, shows the
// protocol's own check catching a cheat. Each case asserts the outcome on chain.
//
// Accounts: 1 submitter; providers 2, 3, 4, 5, 14, 15, 16, 17 (+ 18 for the sampled case);
// 6 the auditor; 7–11 referee-and-keeper daemons; 12 a challenger the test drives itself (the
// refuse-dispute case); 13 the sampling auditor.
const AUDITOR = 6;
const REFEREES = [7, 8, 9, 10, 11];
const TEST_CHALLENGER = 12;
const SAMPLING_AUDITOR = 13;

const CASES = {
  honest: { name: "honest", account: 2, slot: 0, cheat: { kind: "none" } },
  fabricate: {
    name: "fabricate",
    account: 3,
    slot: 1,
    cheat: { kind: "fabricate", fraction: 0.2, seed: "e2e" },
  },
  skipSteps: {
    name: "skip-steps",
    account: 4,
    slot: 2,
    cheat: { kind: "skip-steps", fraction: 0.2, skip: 3, seed: "e2e-skip" },
  },
  wrongOrder: {
    name: "wrong-data-order",
    account: 5,
    slot: 3,
    cheat: { kind: "wrong-data-order", fromStep: 29 },
  },
  replay: { name: "replay", account: 14, slot: 4, cheat: { kind: "replay", segments: [3] } },
  tamper: { name: "tamper-blob", account: 15, slot: 5, cheat: { kind: "tamper-blob", segment: 4 } },
  refuseOpen: { name: "refuse-open", account: 16, slot: 6, cheat: { kind: "refuse-open" } },
  refuseDispute: {
    name: "refuse-dispute",
    account: 17,
    slot: 7,
    cheat: { kind: "refuse-dispute" },
  },
} as const satisfies Record<string, CheatCase>;
/** The sampled case: every segment runs short, so whichever segments are sampled are bad. */
const SAMPLED: CheatCase = {
  name: "skip-steps everywhere",
  account: 18,
  slot: 8,
  cheat: { kind: "skip-steps", fraction: 1, skip: 1, seed: "e2e-all" },
};
const DISPUTED = ["fabricate", "skipSteps", "wrongOrder", "replay", "tamper"] as const;

describe("end to end: every cheat on the real daemons", function () {
  this.timeout(300_000);
  let f: Fixture;
  let workers: RunningDaemon[] = [];
  let jobs = new Map<string, bigint>();
  let providers = new Map<string, Address>();
  let auditor: VerifierDaemon;
  const events: VerifierEvent[] = [];

  before(async function () {
    f = await startE2e();
    for (const account of REFEREES) await startVerifier(f, account, { audit: "none" });
    auditor = await startVerifier(f, AUDITOR, { audit: "all" }, (e) => events.push(e));
    // The refuse-dispute job needs time for the test's challenge; the honest job's window is
    // short so it finalizes within the run; refuse-open gets the shortest open window.
    const standard = await publishE2eSpec(f);
    const specs: Record<string, typeof standard> = {
      honest: await publishE2eSpec(f, { challenge: 600 }),
      refuseOpen: await publishE2eSpec(f, { open: 120 }),
      refuseDispute: await publishE2eSpec(f, { challenge: 3600 }),
    };
    ({ jobs, providers, workers } = await startCheatCases(
      f,
      CASES,
      (key) => specs[key] ?? standard,
    ));
  });

  after(async function () {
    for (const w of workers.splice(0)) await w.close().catch(() => undefined);
    await f?.close();
  });

  const jobOf = (key: string): bigint => jobs.get(key)!;
  const status = async (jobId: bigint): Promise<number> =>
    (await f.devnet.deployment.market.read.getJob([jobId])).status;

  for (const key of DISPUTED) {
    const c = CASES[key];
    it(`${c.name}: the auditor challenges the first bad segment and the committee slashes the provider`, async function () {
      const jobId = jobOf(key);
      await until(`${c.name} job slashed`, async () => (await status(jobId)) === JOB.Slashed);
      const result = await expectSlashedByDispute(
        f,
        jobId,
        c.slot,
        providers.get(key)!,
        auditor.address,
      );
      const plan = planCheat(c.cheat, SHAPE);
      expect(result.segment, "challenged segment").to.equal(plan.failing[0]);
      expect(result.byTimeout, "decided by the committee, not a clock").to.equal(false);
      await expectChallengerVotes(f, result.disputeId);
      if (c.cheat.kind === "tamper-blob") {
        // The shared store holds no intact bytes for the tampered checkpoints i − 1 and i.
        const job = await fetchJob(f.chain, f.store, jobId);
        const { manifest } = await readSubmission(f.chain, f.store, job);
        for (const i of [c.cheat.segment - 1, c.cheat.segment]) {
          const read = f.store.get(manifest.records[i]!.cid).then(
            () => "intact",
            () => "refused",
          );
          expect(await read, `checkpoint ${i}`).to.equal("refused");
        }
      }
    });
  }

  it("refuse-open: the job expires and the provider's collateral is slashed", async function () {
    const jobId = jobOf("refuseOpen");
    const terms = termsOf(CASES.refuseOpen.slot);
    await until("refuse-open job expired", async () => (await status(jobId)) === JOB.Expired);
    const market = f.devnet.deployment.market;
    const [expired] = await market.getEvents.JobExpired({ jobId }, { fromBlock: 0n });
    expect(Number(expired!.args.from)).to.equal(JOB.Submitted);
    expect(expired!.args.slashed).to.equal(terms.collateral);
    expect(await market.getEvents.SamplesOpened({ jobId }, { fromBlock: 0n })).to.have.length(0);
    await expectCollateralSlashed(f, providers.get("refuseOpen")!, terms.collateral);
    const toSubmitter = (terms.collateral * EXPIRY_SUBMITTER_BPS) / 10_000n;
    expect(await marketCredits(f, jobId, f.submitter.address)).to.deep.equal([
      terms.amount + toSubmitter,
    ]);
  });

  it("refuse-dispute: a provider that never answers a challenge loses on time and is slashed", async function () {
    const jobId = jobOf("refuseDispute");
    await until("refuse-dispute job opened", async () => (await status(jobId)) === JOB.Opened);
    await stakeVerifier(f, TEST_CHALLENGER, 1_000n * 10n ** 18n);
    const challenger = f.actor(TEST_CHALLENGER, "challenger");
    const job = await fetchJob(f.chain, f.store, jobId);
    const submission = await readSubmission(f.chain, f.store, job);
    // Any claim will do: the provider never posts a digest, so its clock runs out.
    const disputeId = await challengeSegment(
      f.chain,
      challenger,
      job,
      submission,
      2,
      keccak256(toHex("a claim nobody answers")),
    );
    await until("refuse-dispute job slashed", async () => (await status(jobId)) === JOB.Slashed);
    const result = await expectSlashedByDispute(
      f,
      jobId,
      CASES.refuseDispute.slot,
      providers.get("refuseDispute")!,
      challenger.address,
    );
    expect(result.disputeId).to.equal(disputeId);
    expect(result.byTimeout, "lost on its clock").to.equal(true);
    const points = await f.devnet.deployment.disputeGame.getEvents.PointsPosted(
      { disputeId },
      { fromBlock: 0n },
    );
    expect(points, "provider moves").to.have.length(0);
    // The test's challenger runs no referee daemon: it leaves the pool before the next committee.
    const { registry } = f.devnet.deployment;
    const [free] = await registry.read.accountOf([challenger.address, 2]);
    await send(f.chain, challenger, "requestUnstake", () =>
      registry.write.requestUnstake([2, free], { account: challenger.wallet.account }),
    );
  });

  it("the sampling auditor (audit opened) re-executes only the opened segments and catches a cheat there", async function () {
    // The "all" auditor would also challenge this job: once its disputes are settled it comes
    // back on the same journal as a referee and keeper only (an absent referee would stall a
    // committee until its vote windows close).
    for (const key of DISPUTED)
      await until(`${key} settled`, async () => (await status(jobOf(key))) === JOB.Slashed);
    f.daemons.splice(f.daemons.indexOf(auditor), 1);
    await auditor.close();
    await startVerifier(f, AUDITOR, { audit: "none" });
    const sampledEvents: VerifierEvent[] = [];
    const sampler = await startVerifier(f, SAMPLING_AUDITOR, { audit: "opened" }, (e) =>
      sampledEvents.push(e),
    );
    const worker = await startSlotWorker(f, SAMPLED.account, SAMPLED.slot, SAMPLED.cheat);
    workers.push(worker);
    const jobId = await postSlotJob(f, await publishE2eSpec(f), SAMPLED.slot);
    await until("sampled-case job slashed", async () => (await status(jobId)) === JOB.Slashed);
    const result = await expectSlashedByDispute(
      f,
      jobId,
      SAMPLED.slot,
      worker.daemon.chain.address,
      sampler.address,
    );
    const audited = await openedSegments(f, jobId);
    const checked = sampledEvents
      .filter((e) => e.type === "segment-checked" && e.jobId === jobId)
      .map((e) => (e as { segment: number }).segment);
    expect(new Set(checked)).to.deep.equal(audited);
    expect(audited.size).to.be.below(6);
    expect(result.segment).to.equal(Math.min(...audited));
  });

  it("honest: the job is finalized, the provider paid and unlocked, the auditor paid the verification budget for its receipt", async function () {
    const jobId = jobOf("honest");
    const provider = providers.get("honest")!;
    const terms = termsOf(CASES.honest.slot);
    await until("honest job finalized", async () => (await status(jobId)) === JOB.Finalized);
    const market = f.devnet.deployment.market;
    const budget = (terms.amount * BigInt(terms.verificationBps)) / 10_000n;
    const [finalized] = await market.getEvents.JobFinalized({ jobId }, { fromBlock: 0n });
    expect(finalized!.args.providerPayment).to.equal(terms.amount - budget);
    // The auditor's receipt matched the provider's probe digests: the budget paid it, and nothing
    // went back to the submitter (docs/receipts.md).
    expect(finalized!.args.budgetRefund).to.equal(0n);
    expect(await marketCredits(f, jobId, provider)).to.deep.equal([terms.amount - budget]);
    expect(await marketCredits(f, jobId, f.submitter.address)).to.deep.equal([]);
    const { receipts } = f.devnet.deployment;
    const [settled] = await receipts.getEvents.ReceiptsSettled({ jobId }, { fromBlock: 0n });
    expect(settled!.args.budget).to.equal(budget);
    const paid = await until("the auditor claimed its receipt pay", async () => {
      const events = await receipts.getEvents.ReceiptPaid({ jobId }, { fromBlock: 0n });
      return events.length > 0 ? events : undefined;
    });
    expect(paid.map((e) => e.args.amount)).to.deep.equal([budget]);
    expect(await providerStake(f, provider)).to.deep.equal({
      free: PROVIDER_STAKE,
      locked: 0n,
      ejected: false,
    });
    const disputes = await f.devnet.deployment.disputeGame.getEvents.DisputeOpened(
      { jobId },
      { fromBlock: 0n },
    );
    expect(disputes).to.have.length(0);
    // The auditor re-executed all six segments and found them good.
    const checked = events.filter(
      (e) => e.type === "segment-checked" && e.jobId === jobId,
    ) as Extract<VerifierEvent, { type: "segment-checked" }>[];
    expect([...new Set(checked.map((e) => e.segment))].sort()).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(checked.every((e) => e.ok)).to.equal(true);
  });
});
