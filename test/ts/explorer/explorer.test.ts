// The explorer in a real browser against a running devnet: a job posted before the explorer
// starts shows as a row; then, with the page open and never reloaded, the job is accepted, makes
// progress, is submitted, opened and challenged, and the page shows each status as the chain's
// events arrive; keyboard focus reaches the job's details; the job page shows the trace, the
// opened segments with their update norms and the detection plot, and the dispute page the
// dispute's moves, the committee's votes, the verdict and the payouts, and the accounts page the
// slash. Screenshots go to test-artifacts/explorer/ (git-ignored).
import { mkdir } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { Page } from "playwright-core";

import { startDevnet, type Devnet } from "../../../src/devnet/index.ts";
import type { Explorer } from "../../../src/explorer/server.ts";
import { launchChromium, type LaunchedBrowser } from "../helpers/browser.ts";
import { chainStory, explorerOn } from "./chain-story.ts";
import { LOW_CONTRAST } from "./contrast.ts";

const SHOTS = path.join("test-artifacts", "explorer");

describe("explorer web page", function () {
  this.timeout(180_000);
  let devnet: Devnet;
  let explorer: Explorer;
  let browser: LaunchedBrowser;
  let page: Page;
  let story: Awaited<ReturnType<typeof chainStory>>;
  let jobId: bigint;

  before(async function () {
    await mkdir(SHOTS, { recursive: true });
    devnet = await startDevnet({ speed: 20, tickMs: 100 });
    story = await chainStory(devnet);
    await story.stakeParties();
    jobId = await story.post("first");
    ({ explorer } = await explorerOn(devnet));
    browser = await launchChromium();
    page = await browser.context.newPage();
  });

  after(async function () {
    await browser?.close();
    await explorer?.close();
    await devnet?.close();
  });

  /** The status cell of job `id`'s row, as the page shows it now. */
  const statusOf = (id: bigint) => page.locator(`#job-${id} [data-field="status"]`);

  it("lists the job with its status and progress, behind landmarks and a labelled table", async function () {
    const response = await page.goto(explorer.url);
    expect(response?.status()).to.equal(200);
    expect(await statusOf(jobId).innerText()).to.equal("Open");
    expect(await page.locator(`#job-${jobId} [data-field="progress"]`).innerText()).to.contain(
      "0 of 160 steps",
    );
    expect(await page.locator("main").count()).to.equal(1);
    expect(await page.locator("nav[aria-label]").count()).to.equal(1);
    expect(await page.locator("table#jobs caption").innerText()).to.match(/1 jobs/);
    await page.screenshot({ path: path.join(SHOTS, "overview-open.png"), fullPage: true });
  });

  it("updates the open page live as the job moves on chain, without a reload", async function () {
    // A reload would drop this marker: the updates must arrive through the page's own script.
    await page.evaluate("window.marker = 42");
    await story.accept(jobId);
    await statusOf(jobId).getByText("Accepted").waitFor({ timeout: 20_000 });
    await story.commitProgress(jobId, 8);
    await page
      .locator(`#job-${jobId} [data-field="progress"]`)
      .getByText("80 of 160 steps")
      .waitFor({ timeout: 20_000 });
    await story.submit(jobId);
    await statusOf(jobId).getByText("Submitted").waitFor({ timeout: 20_000 });
    await story.open(jobId);
    await statusOf(jobId).getByText("Opened").waitFor({ timeout: 20_000 });
    // A second job appears as a new row; the keyboard focus stays on the link that had it.
    await page.getByRole("link", { name: `Job ${jobId}`, exact: true }).focus();
    const second = await story.post("second");
    await page.locator(`#job-${second}`).waitFor({ timeout: 20_000 });
    expect(await page.evaluate<string>("document.activeElement.getAttribute('href')")).to.equal(
      `/jobs/${jobId}`,
    );
    expect(await statusOf(second).innerText()).to.equal("Open");
    expect(await page.evaluate("window.marker")).to.equal(42);
    await page.screenshot({ path: path.join(SHOTS, "overview-live.png"), fullPage: true });
  });

  it("keyboard: Tab reaches the job's link, Enter opens it, and Tab moves into its details", async function () {
    await page.goto(explorer.url);
    let focused = "";
    for (let i = 0; i < 40 && focused !== `Job ${jobId}`; i++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate<string>('document.activeElement?.textContent?.trim() ?? ""');
    }
    expect(focused).to.equal(`Job ${jobId}`);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${explorer.url}/jobs/${jobId}`);
    let inDetails = false;
    for (let i = 0; i < 10 && !inDetails; i++) {
      await page.keyboard.press("Tab");
      inDetails = await page.evaluate<boolean>(
        'document.activeElement?.closest("#job-details") != null',
      );
    }
    expect(inDetails, "focus never reached the job details").to.equal(true);
    await page.screenshot({ path: path.join(SHOTS, "job-focus.png") });
  });

  it("the job page shows the trace, the opened segments with update norms and the detection plot", async function () {
    await page.goto(`${explorer.url}/jobs/${jobId}`);
    const trace = await page.locator("section[aria-labelledby=trace-h]").innerText();
    expect(trace).to.match(/Trace root/);
    expect(trace).to.match(/Sampled segments \(q = 4/);
    const job = explorer.current().jobs.find((j) => j.id === jobId)!;
    expect(job.opening!.sampled).to.have.length(4);
    const rows = page.locator("#opened-leaves tbody tr");
    expect(await rows.count()).to.equal(job.opening!.leaves.length);
    expect(await page.locator("#opened-leaves meter").count()).to.equal(job.opening!.leaves.length);
    // Every checkpoint, from the trace manifest in the store: its n = 16 norms, the opened marked.
    const all = page.locator("#all-checkpoints tbody tr");
    expect(await all.count()).to.equal(job.checkpoints);
    const manifest = job.trace!.manifest!;
    expect(
      "checkpoints" in manifest && manifest.checkpoints.map((c) => c.updateNorm),
    ).to.deep.equal(story.trace(jobId).map((leaf) => leaf.updateNorm));
    const sampledRow = await all.nth(job.opening!.sampled[0]! - 1).innerText();
    expect(sampledRow).to.match(/sampled/);
    // 1 − (1 − 0.1)^4 = 34.4%
    expect(await page.locator("figure table").innerText()).to.contain("34.4%");
    expect(await page.locator("figure svg title").textContent()).to.equal(
      "Detection probability for q = 4",
    );
    await page.screenshot({ path: path.join(SHOTS, "job-trace.png"), fullPage: true });
  });

  it("a challenge shows live as a dispute, move by move, and the job as Disputed", async function () {
    await story.challenge(jobId, 3);
    await page
      .locator("section[aria-labelledby=disputes-h]")
      .getByRole("link", { name: "Dispute 1" })
      .waitFor({ timeout: 20_000 });
    expect(await page.locator("h1").innerText()).to.contain("Disputed");
    await page.getByRole("link", { name: "Dispute 1" }).click();
    const moves = await page.locator("section[aria-labelledby=moves-h]").innerText();
    expect(moves).to.match(/dispute 1 opened by .* on segment 3 \(State\), bond 50/);
    // A tolerance dispute is about the whole segment: no dissection, straight to a committee.
    expect(moves).to.match(/dispute 1: narrowed to step 10, awaiting a committee/);
    expect(await page.locator('[data-field="phase"]').innerText()).to.equal("AwaitingCommittee");
    await page.screenshot({ path: path.join(SHOTS, "dispute-open.png"), fullPage: true });
  });

  it("the committee's votes, the verdict, the slash and the payouts show live on the dispute page", async function () {
    const members = await story.judge(1n, "Challenger");
    await page.locator('[data-field="phase"]').getByText("Resolved").waitFor({ timeout: 20_000 });
    const votes = page.locator("section[aria-labelledby=votes-h] tbody tr");
    expect(await votes.count()).to.equal(members.length);
    for (let seat = 0; seat < members.length; seat++)
      expect(await votes.nth(seat).innerText()).to.match(/Challenger/);
    const moves = await page.locator("section[aria-labelledby=moves-h]").innerText();
    expect(moves).to.match(/committee of 3 drawn \(round 1\)/);
    expect(moves).to.match(/dispute 1 resolved: ChallengerWon/);
    // The registry's slash, in the resolving transaction, belongs to the dispute.
    expect(moves).to.match(/slashed 200 of its provider stake/);
    expect(await page.locator('[data-field="slashed"]').innerText()).to.match(/^200 from 0x/);
    // The challenger's credit (bond back plus its share of the slashed collateral) is listed.
    const payouts = await page.locator("section[aria-labelledby=dpay-h]").innerText();
    expect(payouts.toLowerCase()).to.contain(story.addresses.verifier.slice(0, 8).toLowerCase());
    await page.screenshot({ path: path.join(SHOTS, "dispute-resolved.png"), fullPage: true });

    await page.goto(`${explorer.url}/jobs/${jobId}`);
    expect(await page.locator("h1").innerText()).to.contain("Slashed");
  });

  it("lists providers and verifiers with their stake and what was slashed", async function () {
    await page.goto(`${explorer.url}/accounts`);
    const row = page.locator(`#acct-${story.addresses.provider.toLowerCase()}`);
    // 2000 staked, job 1's 200 collateral slashed; job 2 was never accepted.
    expect(await row.innerText()).to.match(/provider: 1800 free, 0 locked/);
    expect(await row.locator("td").nth(1).innerText()).to.equal("200");
    const v = page.locator(`#acct-${story.addresses.verifier.toLowerCase()}`);
    expect(await v.innerText()).to.match(/verifier: 200 free/);
    await page.screenshot({ path: path.join(SHOTS, "accounts.png"), fullPage: true });
  });

  it("every text on every page has a contrast of at least 4.5:1 against its background", async function () {
    for (const at of ["/", `/jobs/${jobId}`, "/disputes/1", "/accounts"]) {
      await page.goto(`${explorer.url}${at}`);
      expect(await page.evaluate<string[]>(LOW_CONTRAST(4.5)), at).to.deep.equal([]);
    }
    // The check itself can fail: light grey text on white is 1.9:1.
    await page.evaluate(
      "(() => { const p = document.createElement('p'); p.textContent = 'faint'; p.style.color = '#bbbbbb'; document.querySelector('main').append(p); })()",
    );
    expect(await page.evaluate<string[]>(LOW_CONTRAST(4.5))).to.have.length(1);
  });

  it("answers a missing job with 404 and refuses writes", async function () {
    const missing = await fetch(`${explorer.url}/jobs/999`);
    expect(missing.status).to.equal(404);
    expect(await missing.text()).to.contain("There is no job 999.");
    const post = await fetch(explorer.url, { method: "POST" });
    expect(post.status).to.equal(405);
  });

  it("a manifest that is not the job's committed trace is named as such, not shown as its checkpoints", async function () {
    const liar = await story.post("manifest of another job");
    await story.accept(liar);
    await story.submit(liar, { manifestOf: jobId });
    await page.goto(`${explorer.url}/jobs/${liar}`);
    await page
      .getByText("the trace manifest is not this job's committed trace")
      .waitFor({ timeout: 20_000 });
    expect(await page.locator("#all-checkpoints").count()).to.equal(0);
    const view = explorer.current().jobs.find((j) => j.id === liar)!.trace!.manifest!;
    expect(view).to.deep.equal({ invalid: `it is job ${jobId}'s` });
  });
});
