// `npm run demo`: the protocol end to end in one process on an in-process Hardhat chain — an
// honest job trained on MNIST, re-executed and paid; a cheating provider caught, narrowed down to
// one step, judged by a committee and slashed; an honest float job checked by distance. Prints
// what happens and why, then the verdicts, payouts and gas. Nothing external: the chain is
// in-process, the store listens on 127.0.0.1 only, MNIST comes from the `mnist` package.
// The core flow lives in src/demo/scenario.ts (test/ts/demo/ runs it at a tiny size).
import { network } from "hardhat";

import { causeChain } from "../src/demo/errors.ts";
import { formatGasTable, formatJobsTable, formatTokens, sumPayouts } from "../src/demo/report.ts";
import { DEMO_DEFAULTS, runDemo } from "../src/demo/scenario.ts";

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

try {
  log("Assay demo: verifiable training on an in-process devnet (nothing leaves this machine)");
  const connection = await network.create();
  const report = await runDemo({ viem: connection.viem, log }, DEMO_DEFAULTS);

  log("\n== Jobs (token amounts credited per job; the challenger's includes its returned bond)");
  log(formatJobsTable(report.jobs));
  for (const job of report.jobs) {
    const d = job.dispute;
    const line =
      `job ${job.label}: ${job.status}; model accuracy ${(100 * job.accuracy).toFixed(1)}% held out; ` +
      `sampled ${job.sampled.join(",")}, top-Q ${job.top.join(",") || "-"}` +
      (d
        ? `; dispute ${d.disputeId} on segment ${d.segment} narrowed in ${d.rounds} round(s) to step ${d.step}, ` +
          `committee ${d.committee.join("/")} voted ${d.votes.join("/")} → ${d.outcome}` +
          (d.providerEjected ? "; provider ejected" : "")
        : "");
    log(line);
  }
  const cheat = report.jobs.find((j) => j.label === "B");
  if (cheat)
    log(
      `slashed collateral ${formatTokens(cheat.slashed)} → challenger ${formatTokens(sumPayouts(cheat.payouts, "challenger"))} (incl. bond), ` +
        `referees ${formatTokens(sumPayouts(cheat.payouts, "referee"))}, treasury ${formatTokens(sumPayouts(cheat.payouts, "treasury"))}; ` +
        `submitter refunded ${formatTokens(sumPayouts(cheat.payouts, "submitter"))}`,
    );

  log("\n== Gas by actor and action");
  log(formatGasTable(report.gas));
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  log(
    `\nDone in ${s(report.timings.totalMs)} (training ${s(report.timings.trainMs)}, re-execution ${s(report.timings.verifyMs)}).`,
  );

  // The demo's claims, checked: an honest job paid, the cheater caught and slashed.
  const problems: string[] = [];
  for (const job of report.jobs) {
    if (job.label !== "B" && job.status !== "Finalized")
      problems.push(`honest job ${job.label} ended ${job.status}, not Finalized`);
  }
  if (cheat === undefined || cheat.status !== "Slashed")
    problems.push(`the cheating job ended ${cheat?.status ?? "missing"}, not Slashed`);
  if (problems.length > 0) {
    log(`\ndemo FAILED: ${problems.join("; ")}`);
    process.exitCode = 1;
  }
} catch (error) {
  // What failed and its root cause (e.g. the contract's custom error); with ASSAY_DEBUG=1 the
  // whole cause chain and the stack.
  const chain = causeChain(error);
  const debug = process.env.ASSAY_DEBUG !== undefined && process.env.ASSAY_DEBUG !== "";
  const [first, ...causes] = debug || chain.length < 2 ? chain : [chain[0], chain.at(-1)];
  process.stderr.write(
    `\ndemo FAILED: ${first}\n${causes.map((c) => `  caused by ${c}\n`).join("")}`,
  );
  if (debug) process.stderr.write(`${(error as Error).stack ?? ""}\n`);
  process.exitCode = 1;
}
