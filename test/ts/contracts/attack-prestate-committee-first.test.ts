// ATTACK (severity: medium — the pre-state envelope does not reach the committee it was made for;
// a provider that withholds its checkpoints gets back the re-derivation walk the envelope fixed).
//
// The challenger of an exact state dispute names its pre-state envelope (publishPreState) only
// after the dissection has ended (AwaitingCommittee), and only once its daemon has seen that phase,
// recomputed the pre-state (up to k − 1 steps from checkpoint segment − 1, in its main tick),
// stored the envelope and had the transaction mined. drawCommittee needs nothing from it: anyone
// may call it as soon as the round's randomness exists, randomnessDelayBlocks (2 by default) after
// the last narrowing. The provider's own daemon does so (worker/disputes.ts, tryAnyoneMay, on every
// pass in AwaitingCommittee), and so does every keeper (verifier/keeper.ts). Each referee's task
// reads its question (readStepQuestion: the latest PreStatePublished) when it starts, right after
// CommitteeDrawn, and never again (verifier/reexec-worker.ts). So the first committee of a dispute
// reads no envelope, and a referee that holds no copy of the pre-state walks back one fetch window
// per withheld checkpoint to checkpoint 0 and re-executes the job
// (attack-state-dispute-rederive.test.ts): past its vote deadline on a long job, the referees pay,
// the round is redrawn, and the cheating provider is not slashed in it. Nothing in the contract or
// the referee waits for the challenger.
//
// Here: the dissection ends, the provider draws the committee at the first block it can, and the
// question a referee reads at that moment names no envelope; the challenger's publication, during
// Voting, comes too late for it.
//
// Fixed on the referee's side: a referee that holds no copy of the pre-state and whose question
// names no envelope waits for the challenger's (src/node/dispute-reads.ts awaitPreStateEnvelope,
// through the first half of the round's commit window, chain time; verifier/reexec-worker.ts passes
// it to adjudicate) before it walks back. The draw itself stays open to anyone: a challenger that
// never publishes cannot hold the dispute. Here: the early draw happens, and the wait a referee
// starts at that moment ends with the envelope the challenger names afterwards; with none named,
// it ends once half the commit window has passed (test/ts/verifier/prestate-envelope.test.ts: the
// verdict then comes from the envelope, one step, instead of re-deriving).
import { expect } from "chai";
import { keccak256, parseEventLogs, toHex, type Hex } from "viem";

import {
  awaitPreStateEnvelope,
  readStepQuestion,
  type DisputeSource,
} from "../../../src/node/dispute-reads.ts";
import { networkHelpers } from "./fixtures.ts";
import {
  PHASE,
  disputeFixture,
  drawCommittee,
  openDispute,
  playDissection,
  tracedJob,
  type DisputeFixture,
} from "./dispute-fixtures.ts";

const ENVELOPE: Hex = keccak256(toHex("the challenger's pre-state envelope"));

/** An exact state dispute over segment 3 whose dissection has ended (AwaitingCommittee). */
async function dissected(): Promise<{ f: DisputeFixture; disputeId: bigint }> {
  const f = await networkHelpers.loadFixture(disputeFixture);
  const k = 16;
  const start = 2 * k;
  const job = await tracedJob(f, { k, cheatFromStep: start + 5 });
  const { disputeId, digests } = await openDispute(f, job, 3, f.verifier, job.honestDigest(3 * k));
  await playDissection(
    f,
    disputeId,
    digests,
    (o) => job.providerDigest(start + o),
    (o) => job.honestDigest(start + o),
    f.verifier,
  );
  return { f, disputeId };
}

describe("attack: a state dispute's committee is drawn before its challenger can name the pre-state envelope", () => {
  it("a referee that read its question at the early draw gets the envelope the challenger names afterwards", async () => {
    const { f, disputeId } = await dissected();
    expect((await f.disputeGame.read.getDispute([disputeId])).phase).to.equal(
      PHASE.AwaitingCommittee,
    );
    const source: DisputeSource = {
      game: f.disputeGame as unknown as DisputeSource["game"],
      fromBlock: 0n,
    };

    // The provider's daemon draws as soon as the randomness exists (a few blocks: its own
    // transactions and anyone's mine them); the challenger is still recomputing the pre-state.
    await networkHelpers.mine(4);
    let drawn = false;
    try {
      const hash = await f.disputeGame.write.drawCommittee([disputeId], {
        account: f.provider.account,
      });
      const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
      drawn =
        receipt.status === "success" &&
        parseEventLogs({
          abi: f.disputeGame.abi,
          logs: receipt.logs,
          eventName: "CommitteeDrawn",
        }).length > 0;
    } catch {
      // Refused: the committee waits for the challenger (the fixed behaviour).
    }
    if (!drawn) {
      await f.disputeGame.write.publishPreState([disputeId, ENVELOPE], {
        account: f.verifier.account,
      });
      await drawCommittee(f, disputeId);
    }
    expect((await f.disputeGame.read.getDispute([disputeId])).phase).to.equal(PHASE.Voting);

    // What each referee's task reads as it starts, right after CommitteeDrawn: no envelope yet.
    const question = await readStepQuestion(source, disputeId);
    expect(question.preStateEnvelope).to.equal(undefined);
    const drawnLog = (
      await f.disputeGame.getEvents.CommitteeDrawn({ disputeId }, { fromBlock: 0n })
    ).at(-1)!;
    const drawnAt = (await f.publicClient.getBlock({ blockNumber: drawnLog.blockNumber! }))
      .timestamp;
    const commitWindow = drawnLog.args.commitDeadline! - drawnAt;
    const wait = (): Promise<Hex | undefined> =>
      awaitPreStateEnvelope(source, disputeId, {
        now: async () => (await f.publicClient.getBlock()).timestamp,
        commitWindow,
        pollMs: 20,
      });

    // The referee waits (no copy); the challenger names its envelope while it does.
    const waiting = wait();
    await new Promise((r) => setTimeout(r, 100));
    await f.disputeGame.write.publishPreState([disputeId, ENVELOPE], {
      account: f.verifier.account,
    });
    expect(await waiting).to.equal(ENVELOPE);
  });

  it("a referee waits no longer than the first half of the commit window for an envelope that never comes", async () => {
    const { f, disputeId } = await dissected();
    await drawCommittee(f, disputeId);
    const source: DisputeSource = {
      game: f.disputeGame as unknown as DisputeSource["game"],
      fromBlock: 0n,
    };
    const drawnLog = (
      await f.disputeGame.getEvents.CommitteeDrawn({ disputeId }, { fromBlock: 0n })
    ).at(-1)!;
    const deadline = drawnLog.args.commitDeadline!;
    const drawnAt = (await f.publicClient.getBlock({ blockNumber: drawnLog.blockNumber! }))
      .timestamp;
    const commitWindow = deadline - drawnAt;
    let reads = 0;
    const waiting = awaitPreStateEnvelope(source, disputeId, {
      now: async () => {
        reads++;
        return (await f.publicClient.getBlock()).timestamp;
      },
      commitWindow,
      pollMs: 20,
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(reads, "still waiting early in the window").to.be.greaterThan(1);
    await networkHelpers.time.increaseTo(deadline - commitWindow / 2n);
    expect(await waiting).to.equal(undefined);
  });
});
