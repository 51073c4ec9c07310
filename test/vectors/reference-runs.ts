// Cross-machine evidence (docs/security.md): two reference runs made once, on one machine, and
// committed — the checkpoint digests of an exact job, and the checkpoints of a tolerance job with
// its calibrated thresholds. test/ts/engine/cross-machine.test.ts re-runs both on whatever machine
// runs the tests: exact digests must reproduce bit for bit, and every tolerance segment
// re-executed here from the reference's checkpoint i − 1 must land within the reference's
// thresholds of its checkpoint i — exactly the check a verifier on this machine would make of a
// provider on the reference machine. scripts/gen-reference-runs.ts rewrites the file.
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import * as prettier from "prettier";
import type { Hex } from "viem";
import { z } from "zod";

import { getState } from "../../src/checkpoint/checkpoint-store.ts";
import { deserializeState, serializeState, stateDigest } from "../../src/checkpoint/state-codec.ts";
import { openStepSession } from "../../src/engine/runtime.ts";
import { runSteps, train } from "../../src/training/trainer.ts";
import type { TrainingState } from "../../src/engine/training-state.ts";
import { toleranceSchema, type ToleranceSpec } from "../../src/protocol/job-spec.ts";
import { MemoryBlobStore } from "../../src/store/memory-store.ts";
import { smallJob, type SmallJob } from "../ts/engine/helpers/fixtures.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
export const REFERENCE_RUNS_PATH = path.join(here, "reference-runs.json");
export const REFERENCE_FORMAT = "assay.reference-runs/1";
/** The jobs' shape: small enough to run in seconds, long enough for honest noise to grow. */
export const REFERENCE_SHAPE = { totalSteps: 40, checkpointInterval: 10 } as const;

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);

/** What identifies a reference job: the same bytes must be built on every machine. */
const JobIdentitySchema = z.strictObject({
  programCid: z.string(),
  datasetRoot: hex32,
  initialStateCid: z.string(),
});

export const ReferenceRunsSchema = z.strictObject({
  format: z.literal(REFERENCE_FORMAT),
  /** Where the reference was made (informational). */
  machine: z.strictObject({ cpu: z.string(), platform: z.string(), node: z.string() }),
  exact: JobIdentitySchema.extend({
    /** h_0 .. h_n. */
    digests: z.array(hex32),
  }),
  tolerance: JobIdentitySchema.extend({
    /** The thresholds calibrated on the reference machine. */
    tolerance: toleranceSchema,
    /** Checkpoints 0 .. n, canonical state bytes in base64. */
    checkpoints: z.array(z.string()),
  }),
});
export type ReferenceRuns = z.output<typeof ReferenceRunsSchema>;

export function machineDescription(): ReferenceRuns["machine"] {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? "unknown CPU",
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
  };
}

/** The reference jobs, built from the test fixtures (deterministic bytes on every machine). */
export async function referenceJobs(): Promise<{ exact: SmallJob; tolerance: SmallJob }> {
  return {
    exact: await smallJob("exact", REFERENCE_SHAPE),
    tolerance: await smallJob("tolerance", REFERENCE_SHAPE),
  };
}

export function identityOf(small: SmallJob): z.output<typeof JobIdentitySchema> {
  return {
    programCid: small.spec.program.cid,
    datasetRoot: small.spec.dataset.root.toLowerCase() as Hex,
    initialStateCid: small.spec.program.initialStateCid,
  };
}

/** Trains a reference job from its initial state; every checkpoint's state, 0 .. n. */
export async function trainCheckpoints(small: SmallJob): Promise<TrainingState[]> {
  const store = new MemoryBlobStore();
  const { records } = await train(small.job, { store, start: small.initialState });
  const states: TrainingState[] = [];
  for (const record of records)
    states.push(await getState(store, record.cid, small.job.program.info));
  return states;
}

/** Re-executes one segment from `start` on this machine. */
export async function reexecuteSegment(
  small: SmallJob,
  start: TrainingState,
): Promise<TrainingState> {
  const session = await openStepSession(small.job.program);
  try {
    return (await runSteps(session, small.job, start, small.job.checkpointInterval)).state;
  } finally {
    await session.close();
  }
}

export async function buildReferenceRuns(): Promise<ReferenceRuns> {
  const jobs = await referenceJobs();
  const exact = await trainCheckpoints(jobs.exact);
  const tolerance = await trainCheckpoints(jobs.tolerance);
  return {
    format: REFERENCE_FORMAT,
    machine: machineDescription(),
    exact: { ...identityOf(jobs.exact), digests: exact.map(stateDigest) },
    tolerance: {
      ...identityOf(jobs.tolerance),
      tolerance: jobs.tolerance.spec.tolerance as ToleranceSpec,
      checkpoints: tolerance.map((s) => Buffer.from(serializeState(s)).toString("base64")),
    },
  };
}

export function decodeCheckpoint(base64: string, index: number): TrainingState {
  return deserializeState(
    new Uint8Array(Buffer.from(base64, "base64")),
    `reference checkpoint ${index}`,
  );
}

/** The file's text, in the repository's JSON style. */
export async function renderReferenceRuns(runs: ReferenceRuns): Promise<string> {
  const options = (await prettier.resolveConfig(REFERENCE_RUNS_PATH)) ?? {};
  return prettier.format(JSON.stringify(runs), { ...options, filepath: REFERENCE_RUNS_PATH });
}
