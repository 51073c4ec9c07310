// ATTACK (explorer, misleading page): after a dispute the provider wins, the job page still says the
// challenge window ended at its first end, though the chain extended it.
//
// src/explorer/state.ts takes `opening.challengeEnd` from SamplesOpened only (case
// "market.SamplesOpened") and never folds market.ChallengeWindowExtended, which JobMarket.endDispute
// emits when the last open dispute ends without a slash (the window does not run while disputes
// are open: the time disputed is added back). src/explorer/pages.ts (~line 303) prints
// "Challenges until <SamplesOpened.challengeEnd>" on the job page. So once a dispute ends in the
// provider's favour the page names a moment that is earlier than the real end (and, after a long
// dispute, already past) while the job is open to challenges again. Who is misled: a verifier who
// reads the page, sees the window closed and does not challenge a faulty segment, letting the
// provider be paid for it; a provider can make this likely by dragging a dispute on (a challenge
// by a sock puppet that it then wins) until the advertised end has passed.
//
// Expected once fixed: the job page's "Challenges until" is the chain's extended deadline
// (ChallengeWindowExtended.challengeEnd, equal to getJob().deadline while Opened).
import { expect } from "chai";

import { startDevnet, type Devnet } from "../../../src/devnet/index.ts";
import type { Explorer } from "../../../src/explorer/server.ts";
import { until } from "../../../src/devnet/poll.ts";
import { chainStory, explorerOn } from "./chain-story.ts";

describe("attack: the challenge window's end after a dispute the provider won", function () {
  this.timeout(240_000);
  let devnet: Devnet;
  let explorer: Explorer;

  before(async function () {
    devnet = await startDevnet({ speed: 20, tickMs: 100 });
  });

  after(async function () {
    await explorer?.close();
    await devnet?.close();
  });

  it("shows the extended end of the challenge window, as the chain has it", async function () {
    const story = await chainStory(devnet);
    await story.stakeParties();
    const jobId = await story.post("extended");
    await story.accept(jobId);
    await story.submit(jobId);
    await story.open(jobId);
    await story.challenge(jobId, 3);
    await story.judge(1n, "Provider");

    ({ explorer } = await explorerOn(devnet));
    const view = await until(
      "the dispute's resolution in the explorer",
      async () => {
        const j = explorer.current().jobs.find((x) => x.id === jobId);
        return j?.history.some((h) => h.event.name === "ChallengeWindowExtended") ? j : undefined;
      },
      30_000,
    );
    const extended = view.history.find((h) => h.event.name === "ChallengeWindowExtended")!;
    const realEnd = Number(extended.event.args.challengeEnd as bigint);
    expect(view.status).to.equal("Opened");
    expect(view.deadline, "the record's deadline is the extended end").to.equal(realEnd);

    const page = await (await fetch(`${explorer.url}/jobs/${jobId}`)).text();
    const shown = /Challenges until\s+([0-9T:-]+\.\d{3}Z)/.exec(page)?.[1];
    expect(shown, "the job page's end of the challenge window").to.equal(
      new Date(realEnd * 1000).toISOString(),
    );
  });
});
