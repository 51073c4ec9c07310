// The project's one base error. Every failure a daemon, the CLI or a library can report is an
// AssayError (or wraps the foreign error it caught in `cause`), with a stable `code` and a
// `retryable` flag, so that queues retry only what a later attempt can fix (an unreachable RPC,
// Redis or store) and never a poison input (a malformed program, a blob whose bytes do not match
// its address, a transaction the contract rejects). Pure: no I/O.

export interface AssayErrorOptions {
  cause?: unknown;
}

export class AssayError extends Error {
  override name = "AssayError";
  /** A stable, machine-readable code. */
  readonly code: string = "assay_error";
  /** Whether the same operation may succeed if tried again later. */
  readonly retryable: boolean = false;
}

/**
 * Whether `error` is about the input at hand and will recur on every try: a non-retryable
 * AssayError, malformed JSON or a schema violation. A retryable failure, or anything else (a bug),
 * is not.
 */
export function isPoisonInput(error: unknown): boolean {
  if (error instanceof AssayError) return !error.retryable;
  return error instanceof SyntaxError || (error instanceof Error && error.name === "ZodError");
}

/** Configuration that is missing, malformed or contradicts itself. */
export class ConfigError extends AssayError {
  override name = "ConfigError";
  override readonly code = "invalid_config";
}

/** The JSON-RPC endpoint does not answer (refused, timed out, not JSON-RPC). */
export class RpcUnreachableError extends AssayError {
  override name = "RpcUnreachableError";
  override readonly code = "rpc_unreachable";
  override readonly retryable = true;
}

/** The RPC serves another chain than the one the configuration or deployment is for. */
export class WrongChainError extends AssayError {
  override name = "WrongChainError";
  override readonly code = "wrong_chain";
  readonly expected: number;
  readonly actual: number;

  constructor(expected: number, actual: number, message: string, options?: AssayErrorOptions) {
    super(message, options);
    this.expected = expected;
    this.actual = actual;
  }
}

/** A transaction the chain refused: in simulation (decoded custom error) or mined and reverted. */
export class TransactionError extends AssayError {
  override name = "TransactionError";
  override readonly code = "tx_failed";
  /** What was being done, e.g. `accept job 3`. */
  readonly action: string;
  /** The contract's custom error name, when it could be decoded (e.g. `JobWrongStatus`). */
  readonly revert: string | undefined;

  constructor(
    action: string,
    revert: string | undefined,
    message: string,
    options?: AssayErrorOptions,
  ) {
    super(message, options);
    this.action = action;
    this.revert = revert;
  }
}

/** Not enough ether for gas, or not enough tokens (balance or allowance) for a payment or stake. */
export class InsufficientFundsError extends AssayError {
  override name = "InsufficientFundsError";
  override readonly code = "insufficient_funds";
}

/** Redis does not answer at the configured URL. */
export class RedisUnavailableError extends AssayError {
  override name = "RedisUnavailableError";
  override readonly code = "redis_unavailable";
  override readonly retryable = true;
}

const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/**
 * Whether a later attempt may succeed: the outermost AssayError decides; otherwise a network
 * error anywhere in the cause chain makes it retryable.
 */
export function isRetryable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    if (current instanceof AssayError) return current.retryable;
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
    current = current.cause;
  }
  return false;
}

/** The messages of an error and its causes, outermost first, for a one-screen failure report. */
export function causeChain(error: unknown): string[] {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    if (current instanceof Error) {
      // viem errors carry a short, decoded message (the custom error and its arguments).
      const short = (current as { shortMessage?: unknown }).shortMessage;
      lines.push(
        `${current.name}: ${typeof short === "string" && short !== "" ? short : current.message}`,
      );
      current = current.cause;
    } else {
      lines.push(String(current));
      current = undefined;
    }
  }
  return lines;
}

/** One line for a terminal: the outermost message and the root cause. */
export function oneLine(error: unknown): string {
  const chain = causeChain(error);
  if (chain.length <= 1) return chain[0] ?? "unknown error";
  return `${chain[0]} (caused by ${chain.at(-1)})`;
}
