// `npm run demo`: the protocol end to end on the real daemons. A devnet (Hardhat's chain on
// 127.0.0.1, the contracts, the blob store, Redis), an honest and a cheating provider and the
// verifiers as child processes, MNIST jobs in both numerics posted by a submitter in this process.
// Prints one line per chain event, then the jobs, payouts, slashes and gas. Exits 1 with a
// one-line reason when an honest job was not finalized or the cheater was not slashed. Every child
// process and the devnet are shut down on every exit path, Ctrl-C included.
// The flow lives in src/devnet/demo.ts (test/ts/demo/daemons-demo.test.ts runs it tiny).
import { causeChain, oneLine } from "../src/errors.ts";
import {
  formatDaemonJobsTable,
  formatGasTable,
  formatTokens,
  sumPayouts,
} from "../src/demo/report.ts";
import { DAEMONS_DEMO_DEFAULTS, runDaemonsDemo } from "../src/devnet/demo.ts";

const started = performance.now();
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
/** Indented lines are events and steps: each gets the wall time since the start. */
const log = (line: string): void => {
  const stamp = line.startsWith("  ")
    ? `[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] `
    : "";
  process.stdout.write(`${stamp}${line}\n`);
};

const abort = new AbortController();
let interrupts = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  interrupts += 1;
  if (interrupts > 1) process.exit(130); // a second Ctrl-C: don't wait for the clean-up
  log(`\n${signal}: stopping the daemons and the devnet…`);
  abort.abort();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

try {
  log("Assay demo: verifiable training on a local devnet with the real daemons (all on 127.0.0.1)");
  // `assay demo --rpc-url` (npm run demo -- --rpc-url …) runs on an external node.
  const rpcUrl = process.env.ASSAY_DEMO_RPC_URL || undefined;
  const report = await runDaemonsDemo(
    { log, signal: abort.signal },
    { ...DAEMONS_DEMO_DEFAULTS, rpcUrl },
  );

  log("\n== Jobs (token amounts credited per job; the challenger's includes its returned bond)");
  log(formatDaemonJobsTable(report.jobs));
  const cheat = report.jobs.find((j) => j.label === "B");
  if (cheat !== undefined && cheat.slashed > 0n)
    log(
      `\njob B: collateral ${formatTokens(cheat.slashed)} slashed → challenger ${formatTokens(sumPayouts(cheat.payouts, "challenger"))} (incl. its bond), ` +
        `referees ${formatTokens(sumPayouts(cheat.payouts, "referee"))}, treasury ${formatTokens(sumPayouts(cheat.payouts, "treasury"))}; ` +
        `submitter refunded ${formatTokens(sumPayouts(cheat.payouts, "submitter"))}`,
    );
  const d = report.detection;
  log(
    `detection: the cheat changed ${d.failing} of ${d.segments} segments; q = ${d.q} samples alone catch it with probability ` +
      `1 − (1 − f)^q = ${(100 * d.bound).toFixed(1)}% (${(100 * d.sampled).toFixed(1)}% without replacement); the demo's verifier audits every segment`,
  );

  log("\n== Gas by actor and action (every transaction on the devnet, from its receipt)");
  log(formatGasTable(report.gas));
  log(`\ndaemon logs: ${report.logDir}/`);
  log(
    `Done in ${seconds(performance.now() - started)} (set-up ${seconds(report.timings.setupMs)}, jobs ${seconds(report.timings.jobsMs)}).`,
  );

  // The demo's claims, checked: the honest jobs paid, the cheater caught and slashed.
  const problems: string[] = [];
  for (const job of report.jobs)
    if (job.label !== "B" && job.status !== "Finalized")
      problems.push(`honest job ${job.label} ended ${job.status}, not Finalized`);
  if (cheat === undefined || cheat.status !== "Slashed" || cheat.slashed === 0n)
    problems.push(`the cheater was not slashed (job B ended ${cheat?.status ?? "missing"})`);
  if (problems.length > 0) {
    log(`\ndemo FAILED: ${problems.join("; ")}`);
    process.exitCode = 1;
  }
} catch (error) {
  // One line: what failed and its root cause; ASSAY_DEBUG=1 prints the whole chain and the stack.
  const chain = causeChain(error);
  const debug = process.env.ASSAY_DEBUG !== undefined && process.env.ASSAY_DEBUG !== "";
  process.stderr.write(`\ndemo FAILED: ${abort.signal.aborted ? "interrupted" : oneLine(error)}\n`);
  if (debug) process.stderr.write(`${chain.join("\n  caused by ")}\n${(error as Error).stack}\n`);
  process.exitCode = abort.signal.aborted ? 130 : 1;
}
