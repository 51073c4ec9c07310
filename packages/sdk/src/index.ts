// @assay/sdk: what a dApp needs to use Assay from viem — the contracts' ABIs (typed `as const`),
// the deployments, typed actions, the on-chain enums and the job-spec helpers that compute every
// createJob argument. The protocol code is the repository's own (src/protocol), compiled in.
// ethers-v6 bindings are the separate entry point `@assay/sdk/ethers`.
export * from "../generated/abis.js";
export {
  deploymentFor,
  deployments,
  parseDeployment,
  type AssayDeployment,
  type DeployedContract,
} from "./deployment.ts";
export {
  DeploymentError,
  JobSettledError,
  MissingAccountError,
  SdkTransactionError,
} from "./errors.ts";
export { AssayError } from "../../../src/errors.ts";

export type { AssayClient, WriteOptions } from "./actions/client.ts";
export {
  cancelJob,
  createJob,
  finalizeJob,
  getJob,
  getJobCount,
  waitForJob,
  watchJob,
  type CreateJobOptions,
  type CreatedJob,
  type Job,
  type OnchainJobRecord,
  type WatchJobOptions,
} from "./actions/job.ts";
export { getStake, stake, unstake, withdrawStake, type StakeBalance } from "./actions/stake.ts";
export { approve, getAllowance, getTokenBalance, type Spender } from "./actions/token.ts";
export { claim, getCredits, type Claimed, type CreditLedger } from "./actions/credit.ts";

// The protocol's enums and spec helpers: one source (src/protocol), not copies.
export * from "../../../src/protocol/onchain-enums.ts";
export { CREDIT_LEDGERS, CREDIT_LEDGER_NAME } from "../../../src/protocol/credit-ledgers.ts";
export {
  createJobParams,
  type CreateJobParams,
  type JobTerms,
} from "../../../src/protocol/create-job.ts";
export {
  JOB_SPEC_VERSION,
  JobSpecError,
  TOLERANCE_DELTA_PPM,
  canonicalJobSpecBytes,
  canonicalJson,
  jobParamsFromSpec,
  jobSpecSchema,
  parseJobSpec,
  parseJobSpecBytes,
  specHash,
  type JobSpec,
  type SpecJobParams,
} from "../../../src/protocol/job-spec.ts";
export { cidOf, digestFromCid, cidFromDigest } from "../../../src/protocol/cid.ts";
