import { expect } from "chai";
import { maxUint256 } from "viem";

import { actorOf, type DemoChain, demoChainOf, disputeSourceOf } from "../../../src/demo/chain.ts";
import { fetchJob } from "../../../src/demo/jobs.ts";
import {
  challengeSegment,
  narrowDissection,
  readSubmission,
  verifierSegmentDigests,
} from "../../../src/demo/verifier.ts";
import { startDevnet, type Devnet } from "../../../src/devnet/index.ts";
import { readDissection, readStepQuestion } from "../../../src/node/dispute-reads.ts";
import { PHASE } from "../../../src/protocol/onchain-enums.ts";
import { HttpBlobStore } from "../../../src/store/http-client.ts";
import {
  postTinyJob,
  startWorker,
  tinySpec,
  waitFor,
  workerConfigInput,
  type RunningDaemon,
} from "./helpers.ts";

// A provider that replays a checkpoint (cheat `replay`, segment 2) is challenged on that segment by
// a verifier (driven here with the demo's verifier functions): the daemon answers the dissection
// with its own digests, and the game narrows to the last step of the segment, where the cheat is.
const PROVIDER = 5;
const VERIFIER = 6;

describe("provider daemon in a dispute (in-process, devnet)", function () {
  this.timeout(120_000);
  let devnet: Devnet;
  let worker: RunningDaemon | undefined;

  before(async function () {
    devnet = await startDevnet();
  });
  after(async function () {
    await worker?.close();
    await devnet?.close();
  });

  it("answers the dissection of a challenged segment with its own digests until one step remains", async function () {
    worker = await startWorker(
      devnet,
      workerConfigInput(devnet, PROVIDER, { cheat: { kind: "replay", segments: [2] } }),
    );
    const viem = devnet.connection.viem;
    const wallets = await viem.getWalletClients();
    const verifier = actorOf("verifier", wallets[VERIFIER]!);
    const chain: DemoChain = await demoChainOf(devnet);
    const { registry, disputeGame, testToken } = devnet.deployment;
    const { minVerifierStake, dispute } = devnet.deployment.params;
    await devnet.fund(verifier.address, minVerifierStake + dispute.challengeBond);
    for (const spender of [registry.address, disputeGame.address])
      await chain.publicClient.waitForTransactionReceipt({
        hash: await testToken!.write.approve([spender, maxUint256], {
          account: verifier.wallet.account,
        }),
      });
    await chain.publicClient.waitForTransactionReceipt({
      hash: await registry.write.stake([2, minVerifierStake], { account: verifier.wallet.account }),
    });

    // The job offers receipts: its dissection is held back until their commit phase (C/2) ends.
    const spec = await tinySpec(devnet, { challenge: 600 });
    const jobId = await postTinyJob(devnet, spec);
    await waitFor(
      "the samples to be opened",
      async () => worker!.daemon.jobEntry(jobId)?.state === "challenge-window",
    );
    const store = new HttpBlobStore({ url: devnet.storeUrl });
    const job = await fetchJob(chain, store, jobId);
    const submission = await readSubmission(chain, store, job);
    const own = await verifierSegmentDigests(job, store, submission.manifest.records, 2);
    const disputeId = await challengeSegment(chain, verifier, job, submission, 2, own[8]!);
    for (let round = 0; ; round++) {
      expect(round, "dissection rounds").to.be.below(4);
      const view = await waitFor("the provider's move", async () => {
        const v = await readDissection(disputeSourceOf(chain), disputeId);
        return v.phase !== PHASE.Dissection || !v.providerTurn ? v : undefined;
      });
      if (view.phase !== PHASE.Dissection) break;
      await narrowDissection(chain, verifier, disputeId, own);
    }
    expect(worker.daemon.journal.has(`tx:points:${disputeId}:0`)).to.equal(true);
    expect(worker.daemon.jobEntry(jobId)?.state).to.equal("disputed");
    // The replayed segment's states are honest up to offset 7; offset 8 is the copied start state.
    const question = await readStepQuestion(disputeSourceOf(chain), disputeId);
    expect(question.step).to.equal(8);
    expect(question.preDigest).to.equal(own[7]);
    expect(question.challengerDigest).to.equal(own[8]);
    expect(question.providerDigest).to.equal(submission.manifest.records[2]!.stateDigest);
  });
});
