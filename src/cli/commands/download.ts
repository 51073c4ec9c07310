// `assay download <jobId> --out model.bin`: fetches the result the provider named on chain (the
// TraceSubmitted event's resultDigest, a CIDv1 digest) and accepts it only if its sha-256 equals the
// committed finalDigest — the state the trace commits to and verifiers check. The store client
// already refuses bytes that do not match their address; this also refuses a result address that
// is not the committed state. Nothing is written unless every check passes; the state is decoded
// (its canonical codec is strict) and summarized.
import { writeFile } from "node:fs/promises";

import { deserializeState } from "../../checkpoint/state-codec.ts";
import { elementCount } from "../../engine/program-info.ts";
import type { TrainingState } from "../../engine/training-state.ts";
import { cidFromDigest, sha256Hex } from "../../protocol/cid.ts";
import { parseCommandArgs, parseJobId, requireString, type OptionSpec } from "../args.ts";
import { connect } from "../chain.ts";
import type { Command, CommandIo } from "../command.ts";
import { CHAIN_HELP, CHAIN_OPTIONS, STORE_HELP, STORE_OPTIONS, cliConfig } from "../config.ts";
import { CliError, UsageError } from "../errors.ts";
import { statusName } from "../../node/onchain-job.ts";
import { readJob } from "../jobs.ts";
import { openStore } from "../store.ts";

const OPTIONS = {
  ...CHAIN_OPTIONS,
  ...STORE_OPTIONS,
  out: { type: "string", short: "o" },
  json: { type: "boolean" },
} as const satisfies OptionSpec;

const HELP = `usage: assay download <jobId> --out model.bin [--json]

Fetches a job's result (the final training state) by the content address the provider submitted,
checks its sha-256 against the finalDigest committed on chain, refuses (writing nothing) on any
mismatch, decodes it and writes the canonical state bytes (docs/commitments.md) to --out.

${CHAIN_HELP}

${STORE_HELP}`;

function summary(state: TrainingState): string[] {
  return state.specs.map(
    (s, i) =>
      `  ${s.name.padEnd(12)} ${s.role.padEnd(9)} ${s.dtype} [${s.shape.join(", ")}]${s.fracBits ? ` frac ${s.fracBits}` : ""} (${elementCount(s.shape)} = ${state.values[i]!.length} values)`,
  );
}

/** Statuses in which a submitted result can still be disputed. */
const PROVISIONAL: ReadonlySet<string> = new Set(["Submitted", "Opened", "Disputed"]);

async function run(argv: readonly string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const jobId = parseJobId(positionals[0]);
  const out = requireString(values, "out");
  const config = cliConfig(values, io.env);
  const chain = await connect(config, io);
  const { market } = chain.contracts;
  const job = await readJob(chain, jobId);
  const status = statusName(job.status);
  const [event] = (
    await market.getEvents.TraceSubmitted(
      { jobId },
      { fromBlock: BigInt(chain.deployment.deployedAtBlock) },
    )
  ).slice(-1);
  if (event === undefined)
    throw new CliError(`job ${jobId} has no result yet (status ${status}): nothing was submitted`);
  const finalDigest = job.finalDigest.toLowerCase();
  const resultDigest = event.args.resultDigest!.toLowerCase();
  const cid = cidFromDigest(resultDigest as `0x${string}`);
  if (resultDigest !== finalDigest)
    throw new CliError(
      `refused: job ${jobId}'s result ${cid} is not the committed final state (its digest ${resultDigest} ≠ finalDigest ${finalDigest}); nothing written`,
    );

  const { store, where, close } = await openStore(config);
  let bytes: Uint8Array;
  try {
    bytes = await store.get(cid);
  } catch (cause) {
    throw new CliError(
      `refused: cannot fetch an intact copy of job ${jobId}'s result ${cid} from ${where}: ${cause instanceof Error ? cause.message : String(cause)}; nothing written`,
      { cause },
    );
  } finally {
    await close();
  }
  // The store checked the bytes against the CID; check them against the chain's digest too.
  const digest = sha256Hex(bytes);
  if (digest !== finalDigest)
    throw new CliError(
      `refused: the bytes fetched for job ${jobId} hash to ${digest}, not the committed finalDigest ${finalDigest}; nothing written`,
    );
  let state: TrainingState;
  try {
    state = deserializeState(bytes, `job ${jobId} result`);
  } catch (cause) {
    throw new CliError(
      `refused: job ${jobId}'s result matches its digest but is not a valid training state: ${cause instanceof Error ? cause.message : String(cause)}; nothing written`,
      { cause },
    );
  }
  await writeFile(out, bytes);
  // Not final yet: the result may still be disputed, and a slash would refund the submitter.
  const provisional = PROVISIONAL.has(status);
  if (provisional)
    io.note(
      `warning: job ${jobId} is ${status}, still inside its challenge window: this result is the provider's claim and may yet be disputed and slashed (assay status ${jobId} shows when the window ends)`,
    );
  if (values.json === true) {
    io.out(
      JSON.stringify({
        jobId: jobId.toString(),
        status,
        cid,
        finalDigest,
        bytes: bytes.length,
        final: !provisional,
        step: state.step,
        tensors: state.specs.map((s) => ({
          name: s.name,
          role: s.role,
          dtype: s.dtype,
          shape: s.shape,
        })),
        out,
      }),
    );
    return;
  }
  io.out(
    `job ${jobId} (${status}): result ${cid}, ${bytes.length} bytes, verified against finalDigest ${finalDigest}`,
  );
  io.out(`state after ${state.step} steps, ${state.specs.length} tensors:`);
  for (const line of summary(state)) io.out(line);
  io.out(`wrote ${out}`);
}

export const downloadCommand: Command = {
  name: "download",
  summary: "fetch and verify a job's result",
  help: HELP,
  run,
};
