// ATTACK (SDK, watchJob/waitForJob): a job that settles in a status the dApp did not wait for leaves
// waitForJob pending forever.
//
// packages/sdk/src/actions/job.ts: watchJob stops by itself once the job reaches a settled status
// (`if (isFinalJobStatus(job.status)) stop();`), and waitForJob's onJob only resolves when the
// status is one of `until` (`if (!done(job)) return;`). A job that settles in another status
// (the submitter cancels it, it expires unaccepted, the provider is slashed) or passes through the
// awaited status between two polls (Accepted then Submitted within one polling interval) ends the
// watch with the promise neither resolved nor rejected. Who is misled: the dApp user waiting for
// "Accepted" (or "Finalized") sees a spinner forever, with no status reported for the settled job;
// the counterparty (a submitter cancelling, a provider getting itself slashed on a job a dApp waits
// to see Finalized) decides that. Expected once fixed: waitForJob rejects (or resolves) naming the
// settled status the job reached instead.
import { expect } from "chai";

import { SPEC, UNIT, networkHelpers, sdkFixture } from "./fixture.ts";
import { cancelJob, createJob, waitForJob } from "../../../packages/sdk/src/index.ts";

const TERMS = { amount: 100n * UNIT, collateral: 200n * UNIT, verificationBps: 1_000 };

describe("attack: waitForJob on a job that settles otherwise", function () {
  it("settles (rejects, naming the status) when the job is cancelled while waiting for Accepted", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const { jobId } = await createJob(f.submitter, {
      deployment: f.deployment,
      spec: SPEC,
      terms: TERMS,
    });
    const waiting = waitForJob(f.publicClient, {
      deployment: f.deployment,
      jobId,
      pollingInterval: 50,
      until: ["Accepted"],
    }).then(
      (job) => `resolved ${job.statusName}`,
      (error: unknown) => `rejected: ${String(error)}`,
    );
    await new Promise((r) => setTimeout(r, 300)); // the watch has read "Open"
    await cancelJob(f.submitter, { deployment: f.deployment, jobId });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      waiting,
      new Promise<string>((r) => {
        timer = setTimeout(() => r("still pending after 5 s"), 5_000);
      }),
    ]);
    clearTimeout(timer);
    expect(outcome).to.not.equal("still pending after 5 s");
    expect(outcome).to.match(/Cancelled/);
  });
});
