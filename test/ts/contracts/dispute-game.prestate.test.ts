// The challenger's pre-state publication (DisputeGame.publishPreState, docs/protocol.md §6): once the
// dissection of an exact state dispute has fixed the step, its challenger names the envelope that
// carries the agreed pre-state, for the committee to find (PreStatePublished). Nothing is stored;
// only that dispute's challenger may name one, only for an exact state dispute, only between the
// end of the dissection and the verdict.
import { expect } from "chai";
import { keccak256, parseEventLogs, toHex, zeroHash, type Hex } from "viem";

import { networkHelpers } from "./fixtures.ts";
import {
  DISPUTE_KIND,
  PHASE,
  VOTE,
  disputeFixture,
  drawCommittee,
  expectRevertFrom,
  gasOf,
  openDispute,
  playDissection,
  tracedJob,
  vote,
  type DisputeFixture,
  type TracedJob,
} from "./dispute-fixtures.ts";
import { NUMERICS } from "../../../src/protocol/onchain-enums.ts";

const ENVELOPE: Hex = keccak256(toHex("pre-state envelope"));

/** An exact state dispute over segment 3 of a job that cheats from its 6th step, still dissecting. */
async function stateDispute(): Promise<{
  f: DisputeFixture;
  job: TracedJob;
  disputeId: bigint;
  dissect: () => Promise<unknown>;
}> {
  const f = await networkHelpers.loadFixture(disputeFixture);
  const k = 16;
  const start = 2 * k;
  const job = await tracedJob(f, { k, cheatFromStep: start + 5 });
  const { disputeId, digests } = await openDispute(f, job, 3, f.verifier, job.honestDigest(3 * k));
  const dissect = () =>
    playDissection(
      f,
      disputeId,
      digests,
      (o) => job.providerDigest(start + o),
      (o) => job.honestDigest(start + o),
      f.verifier,
    );
  return { f, job, disputeId, dissect };
}

function publish(f: DisputeFixture, disputeId: bigint, from = f.verifier, digest = ENVELOPE) {
  return f.disputeGame.write.publishPreState([disputeId, digest], { account: from.account });
}

describe("DisputeGame: the challenger's pre-state publication", () => {
  it("the challenger names its envelope once the dissection fixed the step and again while the committee votes; the event carries it, the dispute is unchanged", async () => {
    const { f, disputeId, dissect } = await stateDispute();
    await dissect();
    const before = await f.disputeGame.read.getDispute([disputeId]);
    expect(before.phase).to.equal(PHASE.AwaitingCommittee);

    const hash = await publish(f, disputeId);
    const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
    const events = parseEventLogs({
      abi: f.disputeGame.abi,
      logs: receipt.logs,
      eventName: "PreStatePublished",
    });
    expect(events.map((e) => e.args)).to.deep.equal([{ disputeId, envelopeDigest: ENVELOPE }]);
    // A figure, not an assertion beyond a bound: the call stores nothing.
    const gas = await gasOf(f, hash);
    console.log(`      publishPreState: ${gas} gas`);
    expect(gas < 40_000n, `${gas} gas`).to.equal(true);
    expect(await f.disputeGame.read.getDispute([disputeId])).to.deep.equal(before);

    const { members } = await drawCommittee(f, disputeId);
    expect((await f.disputeGame.read.getDispute([disputeId])).phase).to.equal(PHASE.Voting);
    const again: Hex = keccak256(toHex("a second envelope"));
    await publish(f, disputeId, f.verifier, again);
    const all = await f.disputeGame.getEvents.PreStatePublished({ disputeId }, { fromBlock: 0n });
    expect(all.map((e) => e.args.envelopeDigest)).to.deep.equal([ENVELOPE, again]);

    await vote(f, disputeId, members, () => VOTE.Challenger);
    expect((await f.disputeGame.read.getDispute([disputeId])).phase).to.equal(PHASE.Resolved);
    await expectRevertFrom(publish(f, disputeId), "DisputeWrongPhase", [disputeId, PHASE.Resolved]);
  });

  it("not during the dissection: the step, and so the pre-state, is not fixed yet", async () => {
    const { f, disputeId } = await stateDispute();
    await expectRevertFrom(publish(f, disputeId), "DisputeWrongPhase", [
      disputeId,
      PHASE.Dissection,
    ]);
  });

  it("nobody but the dispute's challenger: not the provider, another verifier, a referee or a stranger", async () => {
    const { f, disputeId, dissect } = await stateDispute();
    await dissect();
    for (const who of [f.provider, f.verifier2, f.referees[0]!, f.stranger])
      await expectRevertFrom(publish(f, disputeId, who), "DisputeNotYourTurn", [
        disputeId,
        who.account.address,
      ]);
    const events = await f.disputeGame.getEvents.PreStatePublished(
      { disputeId },
      { fromBlock: 0n },
    );
    expect(events).to.have.length(0);
  });

  it("only exact state disputes: claims, availability and tolerance state disputes revert DisputeWrongKind", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    const exact = await tracedJob(f, { k: 16 });
    const claims = await openDispute(f, exact, 2, f.verifier, exact.trace[1]!.stateDigest);
    const availability = await openDispute(f, exact, 3, f.verifier, zeroHash);
    const tolerance = await tracedJob(f, { k: 16, numerics: NUMERICS.Tolerance });
    const toleranceState = await openDispute(
      f,
      tolerance,
      2,
      f.verifier,
      keccak256(toHex("another end state")),
    );
    const cases = [
      [claims.disputeId, DISPUTE_KIND.Claims],
      [availability.disputeId, DISPUTE_KIND.Availability],
      [toleranceState.disputeId, DISPUTE_KIND.State],
    ] as const;
    for (const [disputeId, kind] of cases) {
      expect((await f.disputeGame.read.getDispute([disputeId])).kind).to.equal(kind);
      await expectRevertFrom(publish(f, disputeId), "DisputeWrongKind", [disputeId, kind]);
    }
  });

  it("a dispute that was never opened reverts DisputeNotFound", async () => {
    const f = await networkHelpers.loadFixture(disputeFixture);
    await expectRevertFrom(publish(f, 99n), "DisputeNotFound", [99n]);
  });
});
