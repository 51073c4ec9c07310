// The submitter's side: build the train-step program, publish everything a run needs to the
// content-addressed store (program, initial state, dataset shards, and the canonical spec
// itself), then post the job on chain with the spec's hash and escrow the payment.
import { parseEventLogs } from "viem";

import { buildExactMlpProgram } from "../engine/exact-mlp-program.ts";
import { buildFloatMlpProgram } from "../engine/float-mlp-program.ts";
import { publishJob, type PublishJobInput } from "../training/job.ts";
import type { OptimizerSpec } from "../engine/program-info.ts";
import { initialState } from "../engine/training-state.ts";
import type { SampleSet } from "../data/dataset.ts";
import { canonicalJobSpecBytes, specHash, type JobSpec } from "../protocol/job-spec.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { digestFromCid } from "../protocol/cid.ts";
import { send, type Actor, type DemoChain } from "./chain.ts";
import { DemoError } from "./errors.ts";
import { createJobParams, type JobTerms } from "../protocol/create-job.ts";

export interface PublishSpecInput {
  numerics: "exact" | "tolerance";
  layers: readonly number[];
  batchSize: number;
  optimizer: OptimizerSpec;
  samples: SampleSet;
  shardSize: number;
  /** Seeds the initial parameters (any string; the state itself is content-addressed). */
  initSeed: string;
  /** Every spec field that is neither a content address nor the model/optimizer shape. */
  rest: Omit<JobSpec, "program" | "dataset" | "hyperParameters" | "numerics">;
  /** Tolerance jobs: calibration settings (src/training/calibration.ts). */
  calibration?: PublishJobInput["calibration"];
}

export interface PublishedSpec {
  spec: JobSpec;
  /** CID of the canonical spec bytes; its digest is the on-chain specHash. */
  specCid: string;
  programBytes: number;
}

export async function publishSpec(
  store: BlobStore,
  input: PublishSpecInput,
): Promise<PublishedSpec> {
  const shape = { layers: input.layers, batchSize: input.batchSize };
  let program: ReturnType<typeof buildExactMlpProgram>;
  if (input.numerics === "exact") {
    if (input.optimizer.kind !== "sgd")
      throw new DemoError("exact numerics train with SGD (with momentum) only");
    program = buildExactMlpProgram({ ...shape, optimizer: input.optimizer });
  } else {
    program = buildFloatMlpProgram({ ...shape, optimizer: input.optimizer });
  }
  const spec = await publishJob(store, {
    programBytes: program.bytes,
    initialState: initialState(program.info, input.initSeed),
    samples: input.samples,
    shardSize: input.shardSize,
    ...(input.calibration === undefined ? {} : { calibration: input.calibration }),
    rest: {
      ...input.rest,
      numerics: input.numerics,
      hyperParameters: {
        model: { kind: "mlp", layers: [...input.layers] },
        batchSize: input.batchSize,
        optimizer: input.optimizer,
      },
    },
  });
  const specCid = await store.put(canonicalJobSpecBytes(spec));
  if (digestFromCid(specCid) !== specHash(spec))
    throw new DemoError(`the store returned ${specCid} for the job spec`);
  return { spec, specCid, programBytes: program.bytes.length };
}

/** Posts the job and escrows `terms.amount` (the submitter approved the market beforehand). */
export async function postJob(
  chain: DemoChain,
  submitter: Actor,
  spec: JobSpec,
  terms: JobTerms,
): Promise<bigint> {
  const { market } = chain.deployment;
  const receipt = await send(chain, submitter, "createJob", () =>
    market.write.createJob([createJobParams(spec, terms)], { account: submitter.wallet.account }),
  );
  const [event] = parseEventLogs({ abi: market.abi, logs: receipt.logs, eventName: "JobCreated" });
  if (event === undefined)
    throw new DemoError("createJob succeeded but emitted no JobCreated event");
  return event.args.jobId;
}
