import { expect } from "chai";

import { JOB_STATUS, networkHelpers } from "./fixtures.ts";
import {
  OUTCOME,
  PHASE,
  VOTE,
  disputeFixture,
  drawCommittee,
  openDispute,
  playDissection,
  tracedJob,
  vote,
} from "./dispute-fixtures.ts";

describe("DisputeGame (smoke)", () => {
  it("an exact dispute against a cheating provider ends with the provider slashed", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const k = 16;
    // The provider fabricates every state after step 2·16 + 5 (inside segment 3).
    const job = await tracedJob(f, { k, cheatFromStep: 2 * k + 5 });
    const segmentStart = 2 * k;
    const { disputeId, digests } = await openDispute(
      f,
      job,
      3,
      f.verifier,
      job.honestDigest(3 * k),
    );
    await playDissection(
      f,
      disputeId,
      digests,
      (o) => job.providerDigest(segmentStart + o),
      (o) => job.honestDigest(segmentStart + o),
      f.verifier,
    );
    const d = await f.disputeGame.read.getDispute([disputeId]);
    expect(d.phase).to.equal(PHASE.AwaitingCommittee);
    expect([d.lo, d.hi]).to.deep.equal([5, 6]);
    const { members } = await drawCommittee(f, disputeId);
    expect(members.length).to.equal(3);
    await vote(f, disputeId, members, () => VOTE.Challenger);
    const resolved = await f.disputeGame.read.getDispute([disputeId]);
    expect(resolved.outcome).to.equal(OUTCOME.ChallengerWon);
    expect((await f.market.read.getJob([job.jobId])).status).to.equal(JOB_STATUS.Slashed);
  });
});
