// The HTTP client of the store: a StreamingBlobStore over the store server's API (or,
// for reads, any IPFS gateway that serves raw blocks). The server is not trusted: every
// blob read is hashed and must match the CID asked for, so a lying or broken server
// yields IntegrityError, never wrong bytes.
//
// Failures are split as queues need them: network errors, timeouts, 408/429 and 5xx are
// retried with exponential backoff and end as StoreUnavailableError (retryable); 4xx
// answers are not retried (BlobNotFoundError, BlobTooLargeError, IntegrityError,
// InvalidCidError, StoreRequestError).
import { setTimeout as sleep } from "node:timers/promises";

import { z } from "zod";

import { maxBlobBytesOption, type PutOptions, type StreamingBlobStore } from "./blob-store.ts";
import { canonicalCid, cidOf, createCidHasher } from "../protocol/cid.ts";
import {
  BlobNotFoundError,
  BlobTooLargeError,
  IntegrityError,
  InvalidCidError,
  StoreError,
  StoreRequestError,
  StoreUnavailableError,
} from "./errors.ts";
import {
  ErrorBodySchema,
  MAX_BYTES_HEADER,
  PutResponseSchema,
  RAW_CONTENT_TYPE,
} from "./http-api.ts";
import { collectBytes, limitBytes, verifyChunks } from "./streams.ts";

export const HttpBlobStoreOptionsSchema = z.object({
  /** Base URL of the store server, e.g. http://127.0.0.1:8080 (a path prefix is kept). */
  url: z.url({ protocol: /^https?$/, error: "the store URL must be an http(s) URL" }),
  /** Bearer token sent with writes (the server's writeToken). */
  token: z.string().min(1).optional(),
  /**
   * Per attempt: the whole request for get/put/has/size; for getStream, until the
   * response headers arrive; for putStream, the longest pause between two chunks sent
   * (and before the answer), so a long upload that keeps moving is not cut.
   */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Extra attempts after a transient failure (so `retries + 1` attempts in all). */
  retries: z.number().int().min(0).max(10).default(3),
  /** First backoff delay; doubles each retry, with full jitter, up to maxBackoffMs. */
  backoffMs: z.number().int().nonnegative().default(100),
  maxBackoffMs: z.number().int().nonnegative().default(2_000),
  /** Largest blob this client sends or accepts, in bytes. */
  maxBytes: maxBlobBytesOption,
});
export type HttpBlobStoreOptions = z.input<typeof HttpBlobStoreOptionsSchema>;

const ContentLengthSchema = z.coerce.number().int().nonnegative();
/** Error answers are short; a server that sends more is not read further. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

interface Attempt {
  signal: AbortSignal;
  /** Stops the attempt's timeout (streams: once the response headers are in). */
  clearTimeout(): void;
  /** Restarts the attempt's timeout: progress was made (a chunk was sent). */
  touch(): void;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error && cause.message !== "" && cause.message !== error.message) {
    return `${error.message}: ${cause.message}`;
  }
  return error.message;
}

/** Failures a later attempt may not meet: the network, timeouts, an overloaded server. */
function isTransient(error: unknown): boolean {
  if (error instanceof StoreError) return error.retryable;
  if (error instanceof DOMException) return error.name === "TimeoutError";
  // undici reports connection failures and cut bodies as TypeError ("fetch failed",
  // "terminated") with the socket error as cause.
  return error instanceof TypeError;
}

export class HttpBlobStore implements StreamingBlobStore {
  readonly url: string;
  readonly maxBytes: number;
  private readonly options: z.output<typeof HttpBlobStoreOptionsSchema>;
  private readonly base: URL;

  constructor(options: HttpBlobStoreOptions) {
    this.options = HttpBlobStoreOptionsSchema.parse(options);
    this.base = new URL(this.options.url.endsWith("/") ? this.options.url : `${this.options.url}/`);
    this.url = this.base.toString();
    this.maxBytes = this.options.maxBytes;
  }

  async get(cid: string, options?: { signal?: AbortSignal }): Promise<Uint8Array> {
    const canonical = canonicalCid(cid);
    return this.withRetries(`get ${canonical}`, options?.signal, async ({ signal }) => {
      const res = await fetch(this.blobUrl(canonical), {
        headers: { accept: RAW_CONTENT_TYPE },
        signal,
      });
      if (!res.ok) throw await this.failure(res, canonical);
      await this.refuseOversized(res, canonical);
      return collectBytes(this.verified(res, canonical), this.maxBytes, `blob ${canonical}`);
    });
  }

  async getStream(
    cid: string,
    options?: { signal?: AbortSignal },
  ): Promise<AsyncIterable<Uint8Array>> {
    const canonical = canonicalCid(cid);
    return this.withRetries(`get ${canonical}`, options?.signal, async (attempt) => {
      const res = await fetch(this.blobUrl(canonical), {
        headers: { accept: RAW_CONTENT_TYPE },
        signal: attempt.signal,
      });
      attempt.clearTimeout();
      if (!res.ok) throw await this.failure(res, canonical);
      await this.refuseOversized(res, canonical);
      return this.verified(res, canonical);
    });
  }

  async has(cid: string): Promise<boolean> {
    return (await this.size(cid)) !== undefined;
  }

  /**
   * Nothing to do, and no request: the server serves every blob it holds to whoever reads it, and
   * a blob read through this client came from the server (BlobStore.serveOn).
   */
  async serveOn(cid: string): Promise<void> {
    canonicalCid(cid);
  }

  async size(cid: string): Promise<number | undefined> {
    const canonical = canonicalCid(cid);
    return this.withRetries(`head ${canonical}`, undefined, async ({ signal }) => {
      const res = await fetch(this.blobUrl(canonical), {
        method: "HEAD",
        headers: { accept: RAW_CONTENT_TYPE },
        signal,
      });
      if (res.status === 404) return undefined;
      if (!res.ok) throw await this.failure(res, canonical);
      const length = this.contentLength(res);
      if (length === undefined) {
        throw new StoreRequestError(
          res.status,
          "bad_response",
          `HEAD ${canonical} at ${this.url} answered without a valid Content-Length`,
        );
      }
      return length;
    });
  }

  async put(bytes: Uint8Array, options?: PutOptions): Promise<string> {
    if (bytes.byteLength > this.maxBytes) {
      throw this.tooLarge(`blob of ${bytes.byteLength} bytes`);
    }
    const cid = cidOf(bytes);
    const expected =
      options?.expectedCid === undefined ? undefined : canonicalCid(options.expectedCid);
    if (expected !== undefined && expected !== cid) {
      throw new IntegrityError(
        expected,
        cid,
        `refused to send ${bytes.byteLength} bytes under ${expected}: they hash to ${cid}`,
      );
    }
    // PUT to the address is idempotent, so every attempt may resend the whole body.
    return this.withRetries(`put ${cid}`, options?.signal, async ({ signal }) => {
      const res = await fetch(this.blobUrl(cid), {
        method: "PUT",
        headers: this.writeHeaders(),
        body: bytes,
        signal,
      });
      return this.stored(res, cid);
    });
  }

  async putStream(source: AsyncIterable<Uint8Array>, options?: PutOptions): Promise<string> {
    const expected =
      options?.expectedCid === undefined ? undefined : canonicalCid(options.expectedCid);
    const hasher = createCidHasher();
    let started = false;
    let localError: unknown;
    const maxBytes = this.maxBytes;
    async function* body(attempt: Attempt): AsyncGenerator<Uint8Array, void, undefined> {
      started = true;
      try {
        for await (const chunk of limitBytes(source, maxBytes, "blob stream")) {
          hasher.update(chunk);
          attempt.touch();
          yield chunk;
        }
        attempt.touch();
      } catch (error) {
        localError = error;
        throw error;
      }
    }
    const target = expected === undefined ? new URL("ipfs", this.base) : this.blobUrl(expected);
    // A stream can be sent once: an attempt is retried only if it failed before the
    // first chunk was pulled from the source (e.g. connection refused).
    return this.withRetries(
      `put stream`,
      options?.signal,
      async (attempt) => {
        let res: Response;
        try {
          res = await fetch(target, {
            method: expected === undefined ? "POST" : "PUT",
            headers: this.writeHeaders(),
            body: body(attempt),
            duplex: "half",
            signal: attempt.signal,
          });
        } catch (error) {
          if (localError !== undefined) throw localError;
          if (started) {
            throw new StoreUnavailableError(
              `sending a stream to ${this.url} failed part-way: ${describe(error)}`,
              1,
              { cause: error },
            );
          }
          throw error;
        }
        const cid = hasher.cid();
        return this.stored(res, expected ?? cid, cid);
      },
      () => !started,
    );
  }

  private blobUrl(cid: string): URL {
    return new URL(`ipfs/${cid}`, this.base);
  }

  private writeHeaders(): Record<string, string> {
    return {
      "content-type": RAW_CONTENT_TYPE,
      ...(this.options.token === undefined
        ? {}
        : { authorization: `Bearer ${this.options.token}` }),
    };
  }

  private contentLength(res: Response): number | undefined {
    const header = res.headers.get("content-length");
    if (header === null) return undefined;
    const parsed = ContentLengthSchema.safeParse(header);
    return parsed.success ? parsed.data : undefined;
  }

  /** A declared length over the limit is refused before any byte is read. */
  private async refuseOversized(res: Response, cid: string): Promise<void> {
    const length = this.contentLength(res);
    if (length !== undefined && length > this.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw this.tooLarge(`blob ${cid} has ${length} bytes`);
    }
  }

  private tooLarge(what: string): BlobTooLargeError {
    return new BlobTooLargeError(
      this.maxBytes,
      `${what}, over this client's limit of ${this.maxBytes} bytes`,
    );
  }

  private verified(res: Response, cid: string): AsyncIterable<Uint8Array> {
    const body: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = res.body ?? [];
    return verifyChunks(body, cid, this.maxBytes, `blob ${cid} from ${this.url}`);
  }

  /** Reads a PUT/POST answer; `localCid` is what the bytes sent hash to. */
  private async stored(res: Response, requested: string, localCid?: string): Promise<string> {
    if (!res.ok) throw await this.failure(res, requested);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(await this.readSmall(res)));
    } catch (cause) {
      throw new StoreRequestError(
        res.status,
        "bad_response",
        `unreadable answer from ${this.url}`,
        {
          cause,
        },
      );
    }
    const parsed = PutResponseSchema.safeParse(json);
    if (!parsed.success) {
      throw new StoreRequestError(
        res.status,
        "bad_response",
        `${this.url} answered a write without a CID`,
      );
    }
    const mine = localCid ?? requested;
    if (parsed.data.cid !== mine) {
      throw new IntegrityError(
        mine,
        parsed.data.cid,
        `${this.url} stored the bytes sent under ${parsed.data.cid}, but they hash to ${mine}`,
      );
    }
    return mine;
  }

  private async readSmall(res: Response): Promise<Uint8Array> {
    return collectBytes(res.body ?? [], MAX_ERROR_BODY_BYTES, "answer body");
  }

  /** The error for a non-2xx answer. */
  private async failure(res: Response, cid: string): Promise<StoreError> {
    let code = `http_${res.status}`;
    let message = `HTTP ${res.status} ${res.statusText}`.trim();
    try {
      const parsed = ErrorBodySchema.safeParse(
        JSON.parse(new TextDecoder().decode(await this.readSmall(res))),
      );
      if (parsed.success) ({ code, message } = parsed.data.error);
    } catch {
      await res.body?.cancel().catch(() => undefined);
    }
    const from = `${this.url} answered ${res.status}`;
    if (res.status === 404) return new BlobNotFoundError(cid, `blob ${cid} not found (${from})`);
    if (res.status === 413) {
      const limit = ContentLengthSchema.safeParse(res.headers.get(MAX_BYTES_HEADER) ?? "");
      return new BlobTooLargeError(limit.success ? limit.data : undefined, `${message} (${from})`);
    }
    if (res.status === 422) return new IntegrityError(cid, undefined, `${message} (${from})`);
    if (res.status === 400 && code === "invalid_cid") {
      return new InvalidCidError(`${message} (${from})`);
    }
    if (res.status >= 500 || res.status === 408 || res.status === 429) {
      return new StoreUnavailableError(`${message} (${from})`, 1);
    }
    return new StoreRequestError(res.status, code, `${message} (${from})`);
  }

  private async withRetries<T>(
    what: string,
    callerSignal: AbortSignal | undefined,
    op: (attempt: Attempt) => Promise<T>,
    canRetry: () => boolean = () => true,
  ): Promise<T> {
    const attempts = this.options.retries + 1;
    let last: unknown;
    for (let n = 1; n <= attempts; n++) {
      callerSignal?.throwIfAborted();
      const controller = new AbortController();
      const expire = (): void =>
        controller.abort(
          new DOMException(`no progress within ${this.options.timeoutMs} ms`, "TimeoutError"),
        );
      let timer = setTimeout(expire, this.options.timeoutMs);
      const signal =
        callerSignal === undefined
          ? controller.signal
          : AbortSignal.any([callerSignal, controller.signal]);
      try {
        return await op({
          signal,
          clearTimeout: () => clearTimeout(timer),
          touch: () => {
            clearTimeout(timer);
            timer = setTimeout(expire, this.options.timeoutMs);
          },
        });
      } catch (error) {
        // Tear down whatever the failed attempt left open (an unread body, a socket).
        controller.abort(error);
        if (callerSignal?.aborted) throw callerSignal.reason;
        if (!isTransient(error) || !canRetry()) throw error;
        last = error;
      } finally {
        clearTimeout(timer);
      }
      if (n < attempts) {
        const ceiling = Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** (n - 1));
        // Full jitter: clients that failed together do not retry together.
        await sleep(Math.random() * ceiling, undefined, { signal: callerSignal });
      }
    }
    throw new StoreUnavailableError(
      `${what}: the store at ${this.url} is unavailable after ${attempts} attempts (${describe(last)})`,
      attempts,
      { cause: last },
    );
  }
}
