// `assay submit`: posts a job for a spec file. Before spending anything it checks that every blob
// the spec names is in the store (a provider could not start otherwise), puts the spec itself if it
// is missing, checks the token balance and approves the market if the allowance is short; then
// createJob escrows the amount and the new job id is printed.
import { readFile } from "node:fs/promises";

import { parseEventLogs } from "viem";

import { createJobParams } from "../../protocol/create-job.ts";
import { canonicalJobSpecBytes, parseJobSpecBytes, type JobSpec } from "../../protocol/job-spec.ts";
import { cidOf } from "../../protocol/cid.ts";
import {
  integerFlag,
  parseCommandArgs,
  parseTokenAmount,
  requireString,
  type OptionSpec,
} from "../args.ts";
import { connect, ensureAllowance, sendTx } from "../chain.ts";
import type { Command, CommandIo } from "../command.ts";
import { CHAIN_HELP, CHAIN_OPTIONS, STORE_HELP, STORE_OPTIONS, cliConfig } from "../config.ts";
import { CliError, UsageError } from "../errors.ts";
import { formatToken } from "../format.ts";
import { openStore } from "../store.ts";
import { contractCall } from "../../node/tx.ts";

const OPTIONS = {
  ...CHAIN_OPTIONS,
  ...STORE_OPTIONS,
  spec: { type: "string" },
  amount: { type: "string" },
  collateral: { type: "string" },
  "verification-bps": { type: "string" },
  json: { type: "boolean" },
} as const satisfies OptionSpec;

const HELP = `usage: assay submit --spec spec.json --amount 100 --collateral 200 [--verification-bps 1000]

Posts a job for the spec and escrows --amount tokens (the provider's payment plus the verification
budget). Checks first that the store holds every blob the spec names (run spec build --upload) and
uploads the spec itself if missing; approves the job market for --amount if the allowance is short.
Prints the new job id.

  --spec FILE              the job spec (from assay spec build)
  --amount X               escrow, in tokens (18 decimals: 100, 0.5)
  --collateral X           provider stake locked while the job runs (at least the market's minimum share of --amount)
  --verification-bps N     share of --amount for verification, basis points   (default 1000)
  --json                   print the result as JSON

${CHAIN_HELP}

${STORE_HELP}`;

async function readSpec(file: string): Promise<JobSpec> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (cause) {
    throw new CliError(`cannot read the spec ${file}`, { cause });
  }
  try {
    return parseJobSpecBytes(bytes);
  } catch (cause) {
    throw new CliError(`${file}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

async function run(argv: readonly string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const specFile = requireString(values, "spec");
  const amount = parseTokenAmount(requireString(values, "amount"), "--amount");
  const collateral = parseTokenAmount(requireString(values, "collateral"), "--collateral");
  if (amount === 0n) throw new UsageError("--amount must be positive");
  const verificationBps = integerFlag(values, "verification-bps", 1_000, { min: 0, max: 10_000 });
  const config = cliConfig(values, io.env);
  const spec = await readSpec(specFile);

  // Every blob a provider will fetch must be there before money moves.
  const { store, where, close } = await openStore(config);
  const named = [spec.program.cid, spec.program.initialStateCid, ...spec.dataset.shards];
  const specBytes = canonicalJobSpecBytes(spec);
  const specCid = cidOf(specBytes);
  try {
    const missing: string[] = [];
    for (const cid of named) if (!(await store.has(cid))) missing.push(cid);
    if (missing.length > 0)
      throw new CliError(
        `the store at ${where} lacks ${missing.length} of the ${named.length} blobs ${specFile} names (first: ${missing[0]}); run assay spec build --upload with the same store`,
      );
    if (!(await store.has(specCid))) {
      io.note(`the spec is not in the store yet: uploading ${specCid}`);
      await store.put(specBytes);
    }
  } finally {
    await close();
  }

  const chain = await connect(config, io);
  const { market } = chain.contracts;
  const minBps = await market.read.minCollateralBps();
  const minCollateral = (amount * minBps) / 10_000n;
  if (collateral < minCollateral)
    throw new UsageError(
      `--collateral ${formatToken(collateral)} is below the market's minimum of ${formatToken(minCollateral)} (${minBps} bps of the amount)`,
    );
  await ensureAllowance(chain, market.address, "job market", amount, io);
  const params = createJobParams(spec, { amount, collateral, verificationBps });
  const receipt = await sendTx(chain, "createJob", contractCall(market, "createJob", [params]), io);
  const [event] = parseEventLogs({ abi: market.abi, logs: receipt.logs, eventName: "JobCreated" });
  if (event === undefined)
    throw new CliError("createJob succeeded but emitted no JobCreated event");
  const jobId = event.args.jobId;
  if (values.json === true) {
    io.out(
      JSON.stringify({
        jobId: jobId.toString(),
        specHash: params.specHash,
        specCid,
        amount: amount.toString(),
        collateral: collateral.toString(),
        transaction: receipt.transactionHash,
      }),
    );
    return;
  }
  io.out(
    `job ${jobId} created: ${formatToken(amount)} escrowed, collateral ${formatToken(collateral)}, spec ${specCid}`,
  );
  io.out(`jobId ${jobId}`);
}

export const submitCommand: Command = {
  name: "submit",
  summary: "post a job for a spec",
  help: HELP,
  run,
};
