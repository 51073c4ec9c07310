// The SDK's errors: AssayErrors (src/errors.ts) with stable codes, so a dApp can tell a bad input
// (a deployment file, a chain the SDK has no addresses for) from a transaction the chain refused.
import { AssayError, type AssayErrorOptions } from "../../../src/errors.ts";

/** A deployment that is malformed, or missing for the chain asked about. */
export class DeploymentError extends AssayError {
  override name = "DeploymentError";
  override readonly code = "invalid_deployment";
}

/** A transaction that reverted in simulation or on chain; `cause` holds viem's decoded error. */
export class SdkTransactionError extends AssayError {
  override name = "SdkTransactionError";
  override readonly code = "tx_failed";
  /** What was being done, e.g. `createJob on JobMarket 0x…`. */
  readonly action: string;

  constructor(action: string, message: string, options?: AssayErrorOptions) {
    super(`${action}: ${message}`, options);
    this.action = action;
  }
}

/** The client has no account to send from, and none was passed. */
export class MissingAccountError extends AssayError {
  override name = "MissingAccountError";
  override readonly code = "missing_account";
}

/** A job that settled in another status than the one waited for (it can never reach it now). */
export class JobSettledError extends AssayError {
  override name = "JobSettledError";
  override readonly code = "job_settled";
}
