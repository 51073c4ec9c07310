import { randomBytes } from "node:crypto";

import { expect } from "chai";
import type { Hex } from "viem";

import {
  traceRoot,
  publishTraceManifest,
  type CheckpointRecord,
} from "../../../src/checkpoint/trace.ts";
import {
  protocolBatches,
  openSamples,
  submitTrace,
  acceptJob,
  type ProviderRun,
} from "../../../src/demo/provider.ts";
import type { FetchedJob } from "../../../src/demo/jobs.ts";
import { postJob } from "../../../src/demo/submitter.ts";
import { canonicalJobSpecBytes, specHash } from "../../../src/protocol/job-spec.ts";
import { digestFromCid } from "../../../src/protocol/cid.ts";
import { getPreStateEnvelope } from "../../../src/checkpoint/prestate-envelope.ts";
import { JOB, OUTCOME, PHASE } from "../../../src/protocol/onchain-enums.ts";
import type { VerifierDaemon } from "../../../verifier/daemon.ts";
import type { VerifierEvent } from "../../../verifier/events.ts";
import { taskId } from "../../../verifier/tasks.ts";
import {
  BOND,
  TERMS,
  answerDisputes,
  disputesOf,
  jobStatus,
  postAndProvide,
  publishTinySpec,
  stakeProvider,
  startFixture,
  startVerifier,
  until,
  type Fixture,
} from "./fixture.ts";
import { deleteKeys } from "../../../src/devnet/redis.ts";
import { DEVNET_PARAMS } from "../../../deploy/deploy-assay.ts";

// The verifier daemon against the real parts: a devnet chain over JSON-RPC (chain time 20× wall
// time), the HTTP blob store, Redis (BullMQ) and ONNX Runtime. Jobs are tiny (synthetic data,
// 20-16-5 MLP, T = 48, k = 8: n = 6 segments, committee of 3). Account 6 is the auditing
// verifier (audit "all": it re-executes every segment); accounts 7–12 only sit on committees.
describe("verifier daemon", function () {
  this.timeout(240_000);
  let f: Fixture;
  let checker: VerifierDaemon;
  const events: VerifierEvent[] = [];
  let closeChecker = false;
  let checkerClosed: Promise<void> | undefined;

  const CHECKER = 6;
  const checkerEvents = (e: VerifierEvent): void => {
    events.push(e);
    if (closeChecker && e.type === "challenge-committed") {
      closeChecker = false;
      checkerClosed = checker.close();
    }
  };

  before(async function () {
    f = await startFixture();
    for (const provider of [2, 3, 4])
      await stakeProvider(f, f.actor(provider, `provider-${provider}`));
    for (let account = 7; account <= 12; account++)
      await startVerifier(f, account, { audit: "none" });
    checker = await startVerifier(f, CHECKER, { audit: "all" }, checkerEvents);
  });

  after(async function () {
    await f?.close();
  });

  it("checks every segment of an honest job, does not challenge it, and the keeper finalizes it", async function () {
    const honest = f.actor(2, "provider-honest");
    const spec = await publishTinySpec(f);
    const played = await postAndProvide(f, spec, honest);
    const started = performance.now();
    const done = (): number =>
      events.filter((e) => e.type === "segment-checked" && e.jobId === played.jobId).length;
    await until("six segments checked", async () => done() === 6);
    // A figure, not an assertion: 6 segment tasks of k = 8 steps (includes the event poll delay).
    console.log(
      `      verifier: ${(6 / ((performance.now() - started) / 1000)).toFixed(1)} segment tasks/s (tiny MLP, k = 8, concurrency 1)`,
    );
    await until("job finalized", async () => (await jobStatus(f, played.jobId)) === JOB.Finalized);
    const checked = events.filter(
      (e) => e.type === "segment-checked" && e.jobId === played.jobId,
    ) as Extract<VerifierEvent, { type: "segment-checked" }>[];
    expect(checked.map((e) => e.segment).sort()).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(checked.every((e) => e.ok)).to.equal(true);
    expect(await disputesOf(f, played.jobId)).to.deep.equal([]);
    // Paid verification: its receipt (digests of every step of the sampled segments) matched the
    // provider's probes, and it claimed the job's whole verification budget (docs/receipts.md).
    const budget = (TERMS.amount * BigInt(TERMS.verificationBps)) / 10_000n;
    const paid = await until("the receipt paid", async () =>
      events.find((e) => e.type === "receipt" && e.jobId === played.jobId && e.state === "paid"),
    );
    expect(paid).to.deep.include({ amount: budget });
    const states = events
      .filter((e) => e.type === "receipt" && e.jobId === played.jobId)
      .map((e) => (e as Extract<VerifierEvent, { type: "receipt" }>).state);
    expect(states).to.deep.equal(["committed", "revealed", "paid"]);
  });

  it("challenges a cheating provider once, narrows to the first bad step, and the committee slashes it", async function () {
    const cheater = f.actor(3, "provider-cheat");
    const spec = await publishTinySpec(f);
    const played = await postAndProvide(f, spec, cheater, 29);
    const stop = answerDisputes(f, cheater, played);
    try {
      await until("job slashed", async () => (await jobStatus(f, played.jobId)) === JOB.Slashed);
    } finally {
      stop();
    }
    const disputes = await disputesOf(f, played.jobId);
    expect(disputes).to.have.length(1);
    const game = f.devnet.deployment.disputeGame;
    const [ready] = await game.getEvents.ReadyForCommittee(
      { disputeId: disputes[0]! },
      { fromBlock: 0n },
    );
    // Segment 4 runs steps 24..31; the cheat began at step 29: offset 6 is the first bad post-state.
    const [opened] = await game.getEvents.DisputeOpened(
      { disputeId: disputes[0]! },
      { fromBlock: 0n },
    );
    expect(Number(opened!.args.segment)).to.equal(4);
    expect(Number(ready!.args.step)).to.equal(6);
    // The challenger published the agreed pre-state (offset 5) for the committee in its envelope,
    // named on chain once.
    const published = await game.getEvents.PreStatePublished(
      { disputeId: disputes[0]! },
      { fromBlock: 0n },
    );
    expect(published, "one PreStatePublished").to.have.length(1);
    const preDigest = ready!.args.preDigest!;
    const preState = await getPreStateEnvelope(f.store, published[0]!.args.envelopeDigest!, {
      disputeId: disputes[0]!,
      stateDigest: preDigest,
    });
    expect(preState.step).to.equal(29);
    const d = await game.read.getDispute([disputes[0]!]);
    expect(OUTCOME[d.outcome]).to.equal("ChallengerWon");
    const votes = await game.getEvents.VoteRevealed({ disputeId: disputes[0]! }, { fromBlock: 0n });
    expect(votes.length).to.be.at.least(2);
    for (const v of votes) expect(Number(v.args.vote)).to.equal(2); // Challenger
    // The challenger pulls its bond and share.
    await until("challenger credit claimed", async () => {
      const claimed = await game.getEvents.CreditClaimed(
        { account: checker.address },
        { fromBlock: 0n },
      );
      return claimed.length > 0 && (await game.read.creditOf([checker.address])) === 0n;
    });
  });

  it("challenges a provider that trained honestly but made up its probe digests, and the committee slashes it", async function () {
    const provider = f.actor(4, "provider-probes");
    const played = await postAndProvide(f, await publishTinySpec(f), provider, undefined, {
      falseProbes: true,
    });
    const stop = answerDisputes(f, provider, played);
    try {
      await until("job slashed", async () => (await jobStatus(f, played.jobId)) === JOB.Slashed);
    } finally {
      stop();
    }
    const game = f.devnet.deployment.disputeGame;
    const disputes = await disputesOf(f, played.jobId);
    expect(disputes).to.have.length(1);
    const [probe] = await game.getEvents.ProbeChallenged(
      { disputeId: disputes[0]! },
      { fromBlock: 0n },
    );
    expect(probe, "a probe challenge").to.not.equal(undefined);
    const d = await game.read.getDispute([disputes[0]!]);
    expect(OUTCOME[d.outcome]).to.equal("ChallengerWon");
    const receipt = events.filter((e) => e.type === "receipt" && e.jobId === played.jobId);
    expect(
      receipt.map((e) => (e as Extract<VerifierEvent, { type: "receipt" }>).state),
    ).to.deep.equal(["committed", "unmatched"]);
  });

  it("fails a poison task (a spec naming a malformed ONNX program) without retrying, and keeps serving other jobs", async function () {
    const provider = f.actor(2, "provider-honest");
    const good = await publishTinySpec(f, { hidden: [12] });
    const garbageCid = await f.store.put(randomBytes(300));
    const spec = { ...good.spec, program: { ...good.spec.program, cid: garbageCid } };
    await f.store.put(canonicalJobSpecBytes(spec));
    const jobId = await postJob(f.chain, f.submitter, spec, TERMS);
    await acceptJob(f.chain, provider, { jobId } as FetchedJob);
    // A trace of made-up checkpoints: nobody can train this program; the provider opens anyway.
    const initialCid = spec.program.initialStateCid;
    const records: CheckpointRecord[] = [
      {
        index: 0,
        step: 0,
        cid: initialCid,
        stateDigest: digestFromCid(initialCid) as Hex,
        lossBits: 0n,
        updateNorm: 0n,
      },
    ];
    for (let i = 1; i <= 6; i++) {
      const cid = await f.store.put(randomBytes(64));
      records.push({
        index: i,
        step: 8 * i,
        cid,
        stateDigest: digestFromCid(cid) as Hex,
        lossBits: 0n,
        updateNorm: BigInt(i),
      });
    }
    const root = traceRoot(jobId, records);
    const manifestCid = await publishTraceManifest(f.store, {
      jobId,
      specHash: specHash(spec),
      checkpointInterval: 8,
      records,
      root,
    });
    const run = {
      jobId,
      records,
      root,
      finalDigest: records[6]!.stateDigest,
      manifestCid,
      batches: protocolBatches,
    } as unknown as ProviderRun;
    await submitTrace(f.chain, provider, run);
    await openSamples(f.chain, provider, run, 1);
    // An honest job after it is still served.
    const honest = await postAndProvide(f, await publishTinySpec(f), provider);
    await until(
      "honest job finalized",
      async () => (await jobStatus(f, honest.jobId)) === JOB.Finalized,
    );
    await until("poison job decided", async () =>
      events.some((e) => e.type === "decided" && e.jobId === jobId && e.state === "unverifiable"),
    );
    for (let segment = 1; segment <= 6; segment++) {
      const task = await checker.reexecQueue.getJob(
        taskId({ kind: "segment", jobId: jobId.toString(), segment }),
      );
      expect(task, `task of segment ${segment}`).to.not.equal(undefined);
      expect(await task!.isFailed()).to.equal(true);
      expect(task!.attemptsMade).to.equal(1);
      expect(task!.failedReason).to.match(/the artefacts its spec names do not load/);
    }
    expect(await disputesOf(f, jobId)).to.deep.equal([]);
  });

  it("survives a Redis flush: tasks lost from Redis are enqueued again and the job is still decided", async function () {
    const provider = f.actor(2, "provider-honest");
    await checker.reexecQueue.pause();
    const played = await postAndProvide(f, await publishTinySpec(f), provider);
    await until("six tasks queued", async () => {
      const counts = await checker.reexecQueue.getJobCounts("wait", "waiting", "prioritized");
      return Object.values(counts).reduce((a, b) => a + b, 0) >= 6;
    });
    const deleted = await deleteKeys(f.devnet.redisUrl, `${checker.config.redisPrefix}:*`);
    expect(deleted).to.be.greaterThan(0);
    await until("job finalized", async () => (await jobStatus(f, played.jobId)) === JOB.Finalized);
    const checked = events.filter((e) => e.type === "segment-checked" && e.jobId === played.jobId);
    expect(new Set(checked.map((e) => (e as { segment: number }).segment)).size).to.equal(6);
    expect(await disputesOf(f, played.jobId)).to.deep.equal([]);
  });

  it("restarts between challenge commit and reveal, reveals the same commitment and opens exactly one dispute", async function () {
    const cheater = f.actor(4, "provider-cheat-2");
    const committedBefore = (
      await f.devnet.deployment.disputeGame.getEvents.ChallengeCommitted(
        { challenger: checker.address },
        { fromBlock: 0n },
      )
    ).length;
    closeChecker = true;
    const played = await postAndProvide(f, await publishTinySpec(f), cheater, 29);
    const stop = answerDisputes(f, cheater, played);
    try {
      await until("checker closed after committing", async () => checkerClosed !== undefined);
      await checkerClosed;
      expect(await disputesOf(f, played.jobId)).to.deep.equal([]);
      const dataDir = checker.config.dataDir;
      f.daemons.splice(f.daemons.indexOf(checker), 1);
      checker = await startVerifier(f, CHECKER, { audit: "all" }, checkerEvents, dataDir);
      await until("job slashed", async () => (await jobStatus(f, played.jobId)) === JOB.Slashed);
    } finally {
      stop();
    }
    const disputes = await disputesOf(f, played.jobId);
    expect(disputes).to.have.length(1);
    const d = await f.devnet.deployment.disputeGame.read.getDispute([disputes[0]!]);
    expect(OUTCOME[d.outcome]).to.equal("ChallengerWon");
    const commits = await f.devnet.deployment.disputeGame.getEvents.ChallengeCommitted(
      { challenger: checker.address },
      { fromBlock: 0n },
    );
    // One commitment for this job across the restart: never two.
    expect(commits).to.have.length(committedBefore + 1);
  });

  it("a dishonest challenger (devnet test mode) loses its bond to the provider and the referees", async function () {
    const provider = f.actor(2, "provider-honest");
    const liar = await startVerifier(f, 13, { audit: "opened", dishonest: true });
    const played = await postAndProvide(f, await publishTinySpec(f), provider);
    const stop = answerDisputes(f, provider, played);
    const game = f.devnet.deployment.disputeGame;
    let disputeId: bigint;
    try {
      disputeId = await until("dispute resolved", async () => {
        const [id] = await disputesOf(f, played.jobId);
        if (id === undefined) return undefined;
        return (await game.read.getDispute([id])).phase === PHASE.Resolved ? id : undefined;
      });
    } finally {
      stop();
    }
    const d = await game.read.getDispute([disputeId]);
    expect(d.challenger.toLowerCase()).to.equal(liar.address.toLowerCase());
    expect(OUTCOME[d.outcome]).to.equal("ProviderWon");
    const credited = await game.getEvents.Credited({}, { fromBlock: 0n });
    const resolvedBlock = (
      await game.getEvents.DisputeResolved({ disputeId }, { fromBlock: 0n })
    )[0]!.blockNumber;
    const here = credited.filter((e) => e.blockNumber === resolvedBlock);
    const pot = (BOND * BigInt(DEVNET_PARAMS.dispute.refereeShareBps)) / 10_000n;
    const toProvider = here.filter(
      (e) => e.args.account!.toLowerCase() === provider.address.toLowerCase(),
    );
    expect(toProvider.map((e) => e.args.amount)).to.deep.equal([BOND - pot]);
    const toReferees = here.filter(
      (e) => e.args.account!.toLowerCase() !== provider.address.toLowerCase(),
    );
    expect(toReferees.reduce((a, e) => a + e.args.amount!, 0n)).to.equal(pot);
    expect(await disputesOf(f, played.jobId)).to.have.length(1);
    await until(
      "job finalized after the failed dispute",
      async () => (await jobStatus(f, played.jobId)) === JOB.Finalized,
    );
  });
});
