import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { JOB, OUTCOMES } from "../../../verifier/chain-reads.ts";
import type { VerifierDaemon, VerifierEvent } from "../../../verifier/daemon.ts";
import { taskId } from "../../../verifier/tasks.ts";
import { digestFromCid } from "../../../src/store/cid.ts";
import {
  answerDisputes,
  deleteKeys,
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

  const CHECKER = 6;
  const checkerEvents = (e: VerifierEvent): void => {
    events.push(e);
    if (closeChecker && e.type === "challenge-committed") void checker.close();
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
    await until("job finalized", async () => (await jobStatus(f, played.jobId)) === JOB.Finalized);
    const checked = events.filter(
      (e) => e.type === "segment-checked" && e.jobId === played.jobId,
    ) as Extract<VerifierEvent, { type: "segment-checked" }>[];
    expect(checked.map((e) => e.segment).sort()).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(checked.every((e) => e.ok)).to.equal(true);
    expect(await disputesOf(f, played.jobId)).to.deep.equal([]);
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
    const d = await game.read.getDispute([disputes[0]!]);
    expect(OUTCOMES[d.outcome]).to.equal("ChallengerWon");
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
});

export { readdir, writeFile, path, taskId, digestFromCid, deleteKeys };
