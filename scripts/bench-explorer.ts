// The explorer's page weight and load time on a devnet: a chain with a handful of jobs (one of them
// submitted, opened, challenged and slashed by a committee's vote), the explorer on it, and headless chromium (the same launch as
// the page tests) loading each kind of page several times. Weight is the bytes the browser
// received for the page and everything it loaded (headers and bodies, from playwright's request
// sizes; the never-ending event stream excluded); load time is the Navigation Timing load event.
// Also the live-update latency: from a transaction's receipt to the open page showing its effect.
// Writes bench-results/explorer.json. Run: npm run bench:explorer
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";

import type { Page } from "playwright-core";

import { startDevnet } from "../src/devnet/index.ts";
import { startExplorer } from "../src/explorer/server.ts";
import { connectChain } from "../src/node/chain.ts";
import { launchChromium } from "../test/ts/helpers/browser.ts";
import { chainStory } from "../test/ts/explorer/chain-story.ts";
import { round } from "./bench-util.ts";
import { HttpBlobStore } from "../src/store/http-client.ts";

const RUNS = 7;
const JOBS = 8;
const POLL_MS = 500;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const devnet = await startDevnet({ speed: 20, tickMs: 250 });
const story = await chainStory(devnet);
await story.stakeParties();
const jobId = await story.post("bench-0");
await story.accept(jobId);
await story.submit(jobId);
await story.open(jobId);
await story.challenge(jobId, 3);
await story.judge(1n, "Challenger");
for (let i = 1; i < JOBS; i++) await story.post(`bench-${i}`);

const chain = await connectChain(
  {
    rpcUrl: devnet.rpcUrl,
    deployment: devnet.deploymentFile,
    account: { devnet: 0 },
    pollIntervalMs: POLL_MS,
  },
  { readOnly: true },
);
// With the devnet's store, as `assay devnet` runs it: the job page lists every checkpoint.
const explorer = await startExplorer({
  chain,
  store: new HttpBlobStore({ url: devnet.storeUrl }),
  port: 0,
  pollMs: POLL_MS,
});
const browser = await launchChromium();

/** One load of `path` in a fresh page: bytes received and Navigation Timing. */
async function load(
  path: string,
): Promise<{ bytes: number; requests: number; loadMs: number; domMs: number }> {
  const page: Page = await browser.context.newPage();
  const sizes: Promise<number>[] = [];
  page.on("requestfinished", (request) => {
    sizes.push(request.sizes().then((s) => s.responseHeadersSize + s.responseBodySize));
  });
  await page.goto(`${explorer.url}${path}`, { waitUntil: "load" });
  const timing = await page.evaluate<{ load: number; dom: number }>(
    `(() => { const n = performance.getEntriesByType("navigation")[0]; return { load: n.loadEventEnd - n.startTime, dom: n.domContentLoadedEventEnd - n.startTime }; })()`,
  );
  await page.close();
  const bytes = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
  return { bytes, requests: sizes.length, loadMs: timing.load, domMs: timing.dom };
}

const pages: Record<string, unknown> = {};
for (const [name, path] of [
  ["overview", "/"],
  ["job", `/jobs/${jobId}`],
  ["dispute", "/disputes/1"],
  ["accounts", "/accounts"],
] as const) {
  await load(path); // warm-up: the first load pays for the browser's own start-up
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await load(path));
  pages[name] = {
    path,
    bytes: median(runs.map((r) => r.bytes)),
    requests: runs[0]!.requests,
    loadMsMedian: round(median(runs.map((r) => r.loadMs)), 1),
    loadMsMax: round(Math.max(...runs.map((r) => r.loadMs)), 1),
    domContentLoadedMsMedian: round(median(runs.map((r) => r.domMs)), 1),
  };
  console.log(name, JSON.stringify(pages[name]));
}

// Live update: cancel open jobs one at a time with the overview open; time from the receipt to
// the row showing Cancelled (bounded below by nothing, above by the poll interval plus a refetch).
const page = await browser.context.newPage();
await page.goto(explorer.url);
const latencies: number[] = [];
for (let id = BigInt(jobId) + 1n; id <= BigInt(jobId) + 5n; id++) {
  await story.cancel(id);
  const start = performance.now();
  await page.locator(`#job-${id} [data-field="status"]`).getByText("Cancelled").waitFor();
  latencies.push(performance.now() - start);
}
await page.close();

const result = {
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}`,
  browser: "Debian chromium, headless, via playwright-core",
  chain: { jobs: JOBS, disputes: 1, pollMs: POLL_MS },
  runsPerPage: RUNS,
  pages,
  liveUpdateMs: {
    median: round(median(latencies), 1),
    max: round(Math.max(...latencies), 1),
    samples: latencies.length,
  },
};
await browser.close();
await explorer.close();
await devnet.close();
await mkdir("bench-results", { recursive: true });
await writeFile("bench-results/explorer.json", `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result.liveUpdateMs));
console.log("wrote bench-results/explorer.json");
