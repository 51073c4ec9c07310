// Jobs on JobMarket from a submitter's dApp: post one from its spec, read it, follow it until it
// settles, cancel or finalize it. createJob computes every argument from the spec
// (src/protocol/create-job.ts), so the on-chain record cannot drift from the spec it names.
import {
  parseEventLogs,
  type Hash,
  type ReadContractReturnType,
  type TransactionReceipt,
} from "viem";
import { readContract, watchBlockNumber } from "viem/actions";

import {
  createJobParams,
  type CreateJobParams,
  type JobTerms,
} from "../../../../src/protocol/create-job.ts";
import { parseJobSpec, type JobSpec } from "../../../../src/protocol/job-spec.ts";
import {
  JOB_STATUS,
  isFinalJobStatus,
  type JobStatusName,
} from "../../../../src/protocol/onchain-enums.ts";
import { jobMarketAbi } from "../../generated/abis.js";
import type { AssayDeployment } from "../deployment.ts";
import { DeploymentError, JobSettledError, SdkTransactionError } from "../errors.ts";
import {
  addressOf,
  assertDeploymentChain,
  send,
  senderOf,
  type AssayClient,
  type WriteOptions,
} from "./client.ts";
import { approve, getAllowance } from "./token.ts";

/** JobMarket.getJob's record, as viem decodes it. */
export type OnchainJobRecord = ReadContractReturnType<typeof jobMarketAbi, "getJob">;

/** A job's on-chain record with its id and its status by name. */
export type Job = OnchainJobRecord & { id: bigint; statusName: JobStatusName };

export interface CreateJobOptions extends WriteOptions {
  deployment: AssayDeployment;
  /** The job spec (checked: an invalid one throws JobSpecError listing every problem). */
  spec: JobSpec | unknown;
  /** What the submitter pays, the collateral it asks for, the verifiers' share. */
  terms: JobTerms;
  /** Approve the market for `terms.amount` first when the allowance is short (default true). */
  approve?: boolean;
}

export interface CreatedJob {
  jobId: bigint;
  hash: Hash;
  receipt: TransactionReceipt;
  /** The createJob arguments sent, as computed from the spec and terms. */
  params: CreateJobParams;
}

/** Posts a job: escrows `terms.amount` and returns the new job's id (from its JobCreated event). */
export async function createJob(
  client: AssayClient,
  options: CreateJobOptions,
): Promise<CreatedJob> {
  const { deployment } = options;
  const spec = parseJobSpec(options.spec);
  const params = createJobParams(spec, options.terms);
  await assertDeploymentChain(client, deployment);
  // Nothing is approved to an address that is not the deployment's JobMarket escrowing the
  // deployment's token (ATTACK: test/ts/sdk/attack-approve-before-check.test.ts).
  const escrowed = await readContract(client, {
    address: deployment.market,
    abi: jobMarketAbi,
    functionName: "token",
  }).catch(() => undefined);
  if (escrowed === undefined || escrowed.toLowerCase() !== deployment.token.toLowerCase())
    throw new DeploymentError(
      `${deployment.market} is not a JobMarket escrowing the deployment's token ${deployment.token}: check the deployment file`,
    );
  if (options.approve !== false) {
    const owner = addressOf(senderOf(client, options));
    const allowance = await getAllowance(client, { deployment, owner, spender: deployment.market });
    if (allowance < params.amount)
      await approve(client, { ...options, spender: deployment.market, amount: params.amount });
  }
  const { hash, receipt } = await send(client, options, {
    address: deployment.market,
    abi: jobMarketAbi,
    functionName: "createJob",
    args: [params],
  });
  const [created] = parseEventLogs({
    abi: jobMarketAbi,
    eventName: "JobCreated",
    logs: receipt.logs.filter((l) => l.address.toLowerCase() === deployment.market.toLowerCase()),
  });
  if (created === undefined)
    throw new SdkTransactionError(
      `createJob on ${deployment.market}`,
      `transaction ${hash} emitted no JobCreated event: is ${deployment.market} the JobMarket?`,
    );
  return { jobId: created.args.jobId, hash, receipt, params };
}

/** Reads a job; an id the market never issued has status None. */
export async function getJob(
  client: AssayClient,
  options: { deployment: AssayDeployment; jobId: bigint },
): Promise<Job> {
  await assertDeploymentChain(client, options.deployment);
  const record = await readContract(client, {
    address: options.deployment.market,
    abi: jobMarketAbi,
    functionName: "getJob",
    args: [options.jobId],
  });
  const statusName = JOB_STATUS[record.status];
  if (statusName === undefined)
    throw new RangeError(
      `job ${options.jobId} has status ${record.status}, which this SDK does not know`,
    );
  return { ...record, id: options.jobId, statusName };
}

export interface WatchJobOptions {
  deployment: AssayDeployment;
  jobId: bigint;
  /** Called with the job now, then at every change of status (new blocks are polled). */
  onJob: (job: Job) => void;
  onError?: (error: Error) => void;
  /** Milliseconds between polls; defaults to the client's pollingInterval. */
  pollingInterval?: number;
}

/**
 * Follows a job block by block, calling `onJob` whenever its status changes, and stops by itself
 * once the job is settled for good (Finalized, Cancelled, Expired, Slashed). Returns `unwatch`.
 */
export function watchJob(client: AssayClient, options: WatchJobOptions): () => void {
  let last: number | undefined;
  let stopped = false;
  let reading = false;
  const unwatch = watchBlockNumber(client, {
    emitOnBegin: true,
    poll: true,
    ...(options.pollingInterval === undefined ? {} : { pollingInterval: options.pollingInterval }),
    onError: (error) => options.onError?.(error),
    onBlockNumber: async () => {
      if (stopped || reading) return;
      reading = true;
      try {
        const job = await getJob(client, options);
        if (stopped || job.status === last) return;
        last = job.status;
        if (isFinalJobStatus(job.status)) stop();
        options.onJob(job);
      } catch (error) {
        options.onError?.(error instanceof Error ? error : new Error(String(error)));
      } finally {
        reading = false;
      }
    },
  });
  const stop = (): void => {
    stopped = true;
    unwatch();
  };
  return stop;
}

/**
 * Resolves with the job once its status is one of `until` (default: any settled status); rejects
 * with JobSettledError when the job settles in another status, which it can never leave.
 */
export function waitForJob(
  client: AssayClient,
  options: Omit<WatchJobOptions, "onJob" | "onError"> & { until?: readonly JobStatusName[] },
): Promise<Job> {
  return new Promise((resolve, reject) => {
    const done = (job: Job): boolean =>
      options.until === undefined
        ? isFinalJobStatus(job.status)
        : options.until.includes(job.statusName);
    const unwatch = watchJob(client, {
      ...options,
      onJob: (job) => {
        if (done(job)) {
          unwatch();
          resolve(job);
        } else if (isFinalJobStatus(job.status)) {
          unwatch();
          reject(
            new JobSettledError(
              `job ${job.id} settled as ${job.statusName}, so it will never be ${options.until!.join(" or ")}`,
            ),
          );
        }
      },
      onError: (error) => {
        unwatch();
        reject(error);
      },
    });
  });
}

type JobCallOptions = WriteOptions & { deployment: AssayDeployment; jobId: bigint };

/** A JobMarket call that takes the job id alone. */
async function jobCall(
  client: AssayClient,
  options: JobCallOptions,
  functionName: "cancel" | "finalize",
): Promise<{ hash: Hash }> {
  const { hash } = await send(client, options, {
    address: options.deployment.market,
    abi: jobMarketAbi,
    functionName,
    args: [options.jobId],
  });
  return { hash };
}

/** The submitter withdraws an Open job; its escrow is refunded. */
export function cancelJob(client: AssayClient, options: JobCallOptions): Promise<{ hash: Hash }> {
  return jobCall(client, options, "cancel");
}

/** Anyone settles a job whose challenge window passed without a dispute: the provider is paid. */
export function finalizeJob(client: AssayClient, options: JobCallOptions): Promise<{ hash: Hash }> {
  return jobCall(client, options, "finalize");
}

/** The number of jobs ever posted on this market (ids run from 1). */
export async function getJobCount(
  client: AssayClient,
  options: { deployment: AssayDeployment },
): Promise<bigint> {
  return readContract(client, {
    address: options.deployment.market,
    abi: jobMarketAbi,
    functionName: "jobCount",
  });
}
