// `assay status <jobId>`: the job as the chain records it — status, submitter and provider, the
// current deadline in human time (against chain time, which a devnet may run fast), progress
// (checkpoints committed of n, from ProgressCommitted), the submission and disputes. With --watch
// it prints a new report whenever anything changes, until the job reaches a final status.
import { setTimeout as sleep } from "node:timers/promises";

import { cidFromDigest } from "../../protocol/cid.ts";
import { parseCommandArgs, parseJobId, type OptionSpec } from "../args.ts";
import { connect, type ChainContext } from "../chain.ts";
import type { Command, CommandIo } from "../command.ts";
import { CHAIN_HELP, CHAIN_OPTIONS, cliConfig } from "../config.ts";
import { UsageError } from "../errors.ts";
import { formatDeadline, formatToken } from "../format.ts";
import { statusName } from "../../node/onchain-job.ts";
import { NUMERICS_NAME } from "../../protocol/onchain-enums.ts";
import { isFinalJobStatus } from "../../protocol/onchain-enums.ts";
import { DEADLINE_MEANING, readJob, type JobStatusName } from "../jobs.ts";

const OPTIONS = {
  ...CHAIN_OPTIONS,
  watch: { type: "boolean", short: "w" },
  json: { type: "boolean" },
} as const satisfies OptionSpec;

const HELP = `usage: assay status <jobId> [--watch] [--json]

Shows a job: status, parties, the current deadline, training progress (checkpoints committed of n),
the submitted result and disputes. --watch refreshes until the job is Finalized, Cancelled, Expired
or Slashed (Ctrl-C stops it).

${CHAIN_HELP}`;

const ZERO = "0x0000000000000000000000000000000000000000";
const DISPUTE_OUTCOME = ["none", "provider won", "challenger won", "no verdict"] as const;

export interface JobReport {
  jobId: string;
  status: JobStatusName;
  submitter: string;
  provider: string | null;
  numerics: string;
  amount: string;
  collateral: string;
  checkpoints: number;
  progress: number;
  deadline: { meaning: string; at: string; timestamp: number } | null;
  result: { cid: string; finalDigest: string } | null;
  disputes: { id: string; segment: string; challenger: string; outcome: string | null }[];
  chainTime: number;
}

async function report(chain: ChainContext, jobId: bigint): Promise<JobReport> {
  const { market, disputeGame } = chain.contracts;
  const fromBlock = BigInt(chain.deployment.deployedAtBlock);
  const job = await readJob(chain, jobId);
  const status = statusName(job.status);
  const [latest, progressEvents, submitted, opened, resolved] = await Promise.all([
    chain.publicClient.getBlock(),
    market.getEvents.ProgressCommitted({ jobId }, { fromBlock }),
    market.getEvents.TraceSubmitted({ jobId }, { fromBlock }),
    disputeGame.getEvents.DisputeOpened({ jobId }, { fromBlock }),
    disputeGame.getEvents.DisputeResolved({ jobId }, { fromBlock }),
  ]);
  const progress = Math.max(
    job.progress,
    ...progressEvents.map((e) => Number(e.args.checkpoints ?? 0n)),
    submitted.length > 0 ? job.checkpoints : 0,
  );
  const meaning = DEADLINE_MEANING[status];
  const trace = submitted.at(-1);
  return {
    jobId: jobId.toString(),
    status,
    submitter: job.submitter,
    provider: job.provider === ZERO ? null : job.provider,
    numerics: NUMERICS_NAME[job.numerics] ?? String(job.numerics),
    amount: job.amount.toString(),
    collateral: job.collateral.toString(),
    checkpoints: job.checkpoints,
    progress,
    deadline:
      meaning === undefined
        ? null
        : {
            meaning,
            at: formatDeadline(BigInt(job.deadline), latest.timestamp),
            timestamp: Number(job.deadline),
          },
    result:
      trace === undefined
        ? null
        : { cid: cidFromDigest(trace.args.resultDigest!), finalDigest: job.finalDigest },
    disputes: opened.map((d) => {
      const end = resolved.find((r) => r.args.disputeId === d.args.disputeId);
      return {
        id: String(d.args.disputeId),
        segment: String(d.args.segment),
        challenger: d.args.challenger!,
        outcome: end === undefined ? null : (DISPUTE_OUTCOME[end.args.outcome!] ?? "?"),
      };
    }),
    chainTime: Number(latest.timestamp),
  };
}

function lines(r: JobReport): string[] {
  const out = [
    `job ${r.jobId}: ${r.status} (${r.numerics})`,
    `  submitter   ${r.submitter}`,
    `  provider    ${r.provider ?? "none yet"}`,
    `  escrow      ${formatToken(BigInt(r.amount))}, collateral ${formatToken(BigInt(r.collateral))}`,
    `  progress    ${r.progress}/${r.checkpoints} checkpoints committed`,
  ];
  if (r.deadline !== null) out.push(`  deadline    ${r.deadline.meaning} ${r.deadline.at}`);
  if (r.result !== null) out.push(`  result      ${r.result.cid}`);
  if (r.disputes.length === 0) out.push("  disputes    none");
  for (const d of r.disputes)
    out.push(`  dispute ${d.id}   segment ${d.segment} by ${d.challenger}: ${d.outcome ?? "open"}`);
  return out;
}

async function run(argv: readonly string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const jobId = parseJobId(positionals[0]);
  const chain = await connect(cliConfig(values, io.env), io);
  const print = (r: JobReport): void => {
    if (values.json === true) io.out(JSON.stringify(r));
    else for (const line of lines(r)) io.out(line);
  };
  let current = await report(chain, jobId);
  print(current);
  if (values.watch !== true) return;
  let shown = JSON.stringify({ ...current, chainTime: 0, deadline: current.deadline?.timestamp });
  while (!isFinalJobStatus(current.status)) {
    try {
      await sleep(chain.publicClient.pollingInterval, undefined, { signal: io.signal });
    } catch {
      return; // interrupted
    }
    current = await report(chain, jobId);
    const key = JSON.stringify({ ...current, chainTime: 0, deadline: current.deadline?.timestamp });
    if (key !== shown) {
      shown = key;
      print(current);
    }
  }
}

export const statusCommand: Command = {
  name: "status",
  summary: "show a job",
  help: HELP,
  run,
};
