// Errors of the content-addressed store. One base class, so callers can catch every
// store failure at once, and a `retryable` flag, so queues and daemons retry only what a
// later attempt can fix (an unreachable server) and never a poison request (a blob whose
// bytes do not match its address will not match on the next try either).
// Pure: no I/O (it reads only the protocol's limits).

import { AssayError, type AssayErrorOptions } from "../errors.ts";
import { MAX_COMMITTED_BLOB_BYTES } from "../protocol/limits.ts";

export type StoreErrorOptions = AssayErrorOptions;

export class StoreError extends AssayError {
  override name = "StoreError";
  /** A stable, machine-readable code; also the `error.code` of the HTTP API's JSON errors. */
  override readonly code: string = "store_error";
  /** Whether the same operation may succeed if tried again later. */
  override readonly retryable: boolean = false;
}

/** Malformed addresses are the protocol's concern (src/protocol/cid.ts); stores throw the same. */
export { InvalidCidError } from "../protocol/cid.ts";

export class BlobNotFoundError extends StoreError {
  override name = "BlobNotFoundError";
  override readonly code = "not_found";
  readonly cid: string;

  constructor(cid: string, message = `blob ${cid} not found`, options?: StoreErrorOptions) {
    super(message, options);
    this.cid = cid;
  }
}

/** Bytes that do not hash to the address they were stored, sent or served under. */
export class IntegrityError extends StoreError {
  override name = "IntegrityError";
  override readonly code = "integrity";
  /** The address the bytes were supposed to have. */
  readonly expectedCid: string;
  /** The address of the bytes actually seen (undefined when they were not all read). */
  readonly actualCid: string | undefined;

  constructor(
    expectedCid: string,
    actualCid: string | undefined,
    message: string,
    options?: StoreErrorOptions,
  ) {
    super(message, options);
    this.expectedCid = expectedCid;
    this.actualCid = actualCid;
  }
}

export class BlobTooLargeError extends StoreError {
  override name = "BlobTooLargeError";
  override readonly code = "too_large";
  /** The limit that was hit (undefined when a remote server did not say). */
  readonly maxBytes: number | undefined;

  constructor(maxBytes: number | undefined, message: string, options?: StoreErrorOptions) {
    super(message, options);
    this.maxBytes = maxBytes;
  }
}

/**
 * Whether `error` is a blob refused for the reader's own size limit, one below the protocol's
 * MAX_COMMITTED_BLOB_BYTES: a blob the provider may commit to and this reader cannot take, which
 * says nothing about whether the provider serves it.
 */
export function isOverReaderLimit(error: unknown): boolean {
  return (
    error instanceof BlobTooLargeError &&
    error.maxBytes !== undefined &&
    error.maxBytes < MAX_COMMITTED_BLOB_BYTES
  );
}

/** The store could not be reached or failed transiently (network error, timeout, 5xx). */
export class StoreUnavailableError extends StoreError {
  override name = "StoreUnavailableError";
  override readonly code = "unavailable";
  override readonly retryable = true;
  /** How many attempts were made before giving up. */
  readonly attempts: number;

  constructor(message: string, attempts: number, options?: StoreErrorOptions) {
    super(message, options);
    this.attempts = attempts;
  }
}

/** The server refused a request for a reason a retry cannot fix (4xx other than 404/413/422). */
export class StoreRequestError extends StoreError {
  override name = "StoreRequestError";
  override readonly code: string;
  readonly status: number;

  constructor(status: number, code: string, message: string, options?: StoreErrorOptions) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}
