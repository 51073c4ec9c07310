// The store's HTTP server: a small gateway-like API over a StreamingBlobStore (node:http,
// no framework). Reads follow the IPFS trustless gateway's raw-block responses, so a
// client written for this server also reads from any IPFS gateway and the other way round:
//   GET  /ipfs/<cid>   the bytes (application/vnd.ipld.raw), ETag "<cid>"; 404 when absent
//   HEAD /ipfs/<cid>   the same headers, with Content-Length
//   PUT  /ipfs/<cid>   stores the body if it hashes to <cid> (else 422, nothing stored)
//   POST /ipfs         stores the body and returns its CID
//   GET  /health       liveness
// Errors are JSON `{ "error": { "code", "message" } }`. Writes may require a bearer
// token. Sizes are checked while the body streams, never after buffering it.
import { createHash, timingSafeEqual } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { pipeline } from "node:stream/promises";

import { z } from "zod";

import { maxBlobBytesOption, type StreamingBlobStore } from "./blob-store.ts";
import { canonicalCid } from "../protocol/cid.ts";
import {
  BlobNotFoundError,
  BlobTooLargeError,
  IntegrityError,
  InvalidCidError,
  StoreError,
} from "./errors.ts";
import {
  MAX_BYTES_HEADER,
  RAW_CONTENT_TYPE,
  type ErrorBody,
  type PutResponse,
} from "./http-api.ts";
import { limitBytes } from "./streams.ts";

export const StoreServerConfigSchema = z.object({
  /** Interface to bind; loopback unless the operator deliberately exposes the store. */
  host: z.string().min(1).default("127.0.0.1"),
  /** 0 lets the OS pick a free port (the returned url names it). */
  port: z.number().int().min(0).max(65_535).default(0),
  /** Largest blob accepted by PUT/POST, in bytes. */
  maxBytes: maxBlobBytesOption,
  /** When set, PUT and POST need `Authorization: Bearer <writeToken>`; reads stay open. */
  writeToken: z
    .string()
    .min(16, "a write token needs at least 16 characters")
    .regex(/^[\x21-\x7e]+$/, "a write token is printable ASCII without spaces")
    .optional(),
  /** How long close() lets requests in flight finish before cutting their connections. */
  closeTimeoutMs: z.number().int().nonnegative().default(5_000),
  /** Longest time a client may take to send one whole request (slow uploads are cut). */
  requestTimeoutMs: z.number().int().positive().default(300_000),
});
export type StoreServerConfig = z.input<typeof StoreServerConfigSchema>;

export type StoreServerOptions = StoreServerConfig & {
  store: StreamingBlobStore;
  /** Called with failures that are the server's own (500s, broken reads); default: console.error. */
  onError?: (error: unknown) => void;
};

export interface StoreServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  /** Stops accepting, lets requests in flight finish (up to closeTimeoutMs), then cuts the rest. */
  close(): Promise<void>;
}

/** The path parameter: any spelling of a raw sha2-256 CIDv1, turned into its canonical form. */
const CidParamSchema = z
  .string()
  .min(1, "missing CID")
  .max(256, "CID too long")
  .transform((value, ctx) => {
    try {
      return canonicalCid(value);
    } catch (error) {
      ctx.addIssue({
        code: "custom",
        message: error instanceof Error ? error.message : `invalid CID ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
  });

/** Gateways accept `?format=raw`; we serve raw blocks only, so nothing else is valid. */
const QuerySchema = z.object({
  format: z.literal("raw", { error: "only format=raw is served (raw blocks)" }).optional(),
});

const ContentLengthSchema = z.coerce.number().int().nonnegative();

/** After answering early (before reading the whole body), read and discard at most this much. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;
const DRAIN_TIMEOUT_MS = 2_000;

class HttpError extends StoreError {
  override name = "HttpError";
  override readonly code: string;
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;

  constructor(status: number, code: string, message: string, headers: OutgoingHttpHeaders = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

function firstIssue(error: z.ZodError): string {
  return error.issues[0]?.message ?? "invalid request";
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

export async function startStoreServer(options: StoreServerOptions): Promise<StoreServer> {
  const { store, onError, ...rest } = options;
  const config = StoreServerConfigSchema.parse(rest);
  const reportError = onError ?? ((error: unknown) => console.error("store server:", error));
  const tokenDigest =
    config.writeToken === undefined
      ? undefined
      : createHash("sha256").update(config.writeToken).digest();
  let closing = false;

  const server = createServer({
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: Math.min(60_000, config.requestTimeoutMs),
  });

  function authorized(req: IncomingMessage): boolean {
    if (tokenDigest === undefined) return true;
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(req.headers.authorization ?? "");
    if (match === null) return false;
    // Compare digests of equal length, in constant time: the token never leaks by timing.
    return timingSafeEqual(createHash("sha256").update(match[1]!).digest(), tokenDigest);
  }

  function send(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: OutgoingHttpHeaders = {},
  ): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const json = req.method === "HEAD" || status === 304 ? "" : JSON.stringify(body);
    const unreadBody = !req.complete;
    res.writeHead(status, {
      ...headers,
      ...(json === "" ? {} : { "content-type": "application/json; charset=utf-8" }),
      "content-length": Buffer.byteLength(json),
      // A request whose body we did not read cannot be followed by another on this
      // connection: the rest of its body would be parsed as the next request.
      ...(unreadBody || closing ? { connection: "close" } : {}),
    });
    res.end(json);
    if (unreadBody) drain(req);
  }

  function sendError(req: IncomingMessage, res: ServerResponse, error: HttpError): void {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    send(req, res, error.status, body, error.headers);
  }

  /**
   * Discards the rest of a request body we answered early (401, 413), so the client
   * reads our answer instead of a reset connection; a client that keeps sending past a
   * bound is cut off.
   */
  function drain(req: IncomingMessage): void {
    let drained = 0;
    const timer = setTimeout(() => req.destroy(), DRAIN_TIMEOUT_MS);
    timer.unref();
    req.on("data", (chunk: Buffer) => {
      drained += chunk.byteLength;
      if (drained > DRAIN_LIMIT_BYTES) req.destroy();
    });
    req.once("close", () => clearTimeout(timer));
    req.once("error", () => undefined);
    req.resume();
  }

  /** Maps a failure to its HTTP answer; `write` says whether bytes were being stored. */
  function toHttpError(error: unknown, write: boolean): HttpError {
    if (error instanceof HttpError) return error;
    if (error instanceof InvalidCidError) return new HttpError(400, error.code, error.message);
    if (error instanceof BlobNotFoundError) return new HttpError(404, error.code, error.message);
    if (error instanceof BlobTooLargeError) {
      return new HttpError(413, error.code, error.message, {
        [MAX_BYTES_HEADER]: String(error.maxBytes ?? config.maxBytes),
      });
    }
    if (error instanceof IntegrityError && write) {
      return new HttpError(422, error.code, error.message);
    }
    reportError(error);
    if (error instanceof StoreError && error.retryable) {
      return new HttpError(503, "unavailable", "the backing store is unavailable", {
        "retry-after": "1",
      });
    }
    // Internal details (file paths, causes) stay in the server's log.
    return new HttpError(500, "internal", "internal error");
  }

  function parseCid(raw: string): string {
    const parsed = CidParamSchema.safeParse(raw);
    if (!parsed.success) throw new HttpError(400, "invalid_cid", firstIssue(parsed.error));
    return parsed.data;
  }

  function checkWrite(req: IncomingMessage): void {
    if (!authorized(req)) {
      throw new HttpError(401, "unauthorized", "writes need a valid bearer token", {
        "www-authenticate": 'Bearer realm="assay-store"',
      });
    }
    const declared = req.headers["content-length"];
    if (declared !== undefined) {
      const length = ContentLengthSchema.safeParse(declared);
      if (!length.success) throw new HttpError(400, "bad_request", "invalid Content-Length");
      if (length.data > config.maxBytes) {
        throw new HttpError(
          413,
          "too_large",
          `a body of ${length.data} bytes exceeds the limit of ${config.maxBytes} bytes`,
          { [MAX_BYTES_HEADER]: String(config.maxBytes) },
        );
      }
    }
  }

  async function handleRead(req: IncomingMessage, res: ServerResponse, cid: string): Promise<void> {
    const size = await store.size(cid);
    if (size === undefined) throw new BlobNotFoundError(cid);
    const etag = `"${cid}"`;
    const headers: OutgoingHttpHeaders = {
      "content-type": RAW_CONTENT_TYPE,
      "content-length": size,
      etag,
      // A CID names its bytes forever: caches may keep them as long as they like.
      "cache-control": "public, max-age=29030400, immutable",
      "x-content-type-options": "nosniff",
      "x-ipfs-path": `/ipfs/${cid}`,
      "accept-ranges": "none",
      ...(closing ? { connection: "close" } : {}),
    };
    const ifNoneMatch = req.headers["if-none-match"];
    if (ifNoneMatch !== undefined) {
      const tags = ifNoneMatch.split(",").map((tag) => tag.trim().replace(/^W\//, ""));
      if (tags.includes(etag) || tags.includes("*")) {
        res.writeHead(304, { etag, "cache-control": headers["cache-control"] }).end();
        return;
      }
    }
    if (req.method === "HEAD") {
      res.writeHead(200, headers).end();
      return;
    }
    const body = await store.getStream(cid);
    res.writeHead(200, headers);
    try {
      await pipeline(body, res);
    } catch (error) {
      // Headers are gone: the only honest signal left is a cut connection, so the
      // client sees a truncated body rather than bytes that failed verification.
      res.destroy();
      if (!req.destroyed && !res.writableFinished) reportError(error);
    }
  }

  async function handleWrite(
    req: IncomingMessage,
    res: ServerResponse,
    expectedCid: string | undefined,
  ): Promise<void> {
    checkWrite(req);
    const existed = expectedCid === undefined ? false : await store.has(expectedCid);
    // Iterating must not destroy the request when the store stops early (size limit,
    // failure): that would take the socket, and with it our answer, away.
    const body: AsyncIterable<unknown> = {
      [Symbol.asyncIterator]: () => req.iterator({ destroyOnReturn: false }),
    };
    const upload = limitBytes(body, config.maxBytes, "request body");
    const cid = await store.putStream(upload, expectedCid === undefined ? {} : { expectedCid });
    const answer: PutResponse = { cid };
    send(req, res, existed ? 200 : 201, answer, { location: `/ipfs/${cid}` });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "";
    let url: URL;
    try {
      url = new URL(req.url ?? "", "http://store.invalid");
    } catch {
      throw new HttpError(400, "bad_request", "malformed request target");
    }
    const path = url.pathname;
    if (path === "/health") {
      if (method !== "GET" && method !== "HEAD") {
        throw new HttpError(405, "method_not_allowed", `${method} /health`, { allow: "GET, HEAD" });
      }
      send(req, res, 200, { ok: true });
      return;
    }
    if (path === "/ipfs" || path === "/ipfs/") {
      if (method !== "POST") {
        throw new HttpError(405, "method_not_allowed", `${method} ${path}: use POST`, {
          allow: "POST",
        });
      }
      await handleWrite(req, res, undefined);
      return;
    }
    if (!path.startsWith("/ipfs/")) {
      throw new HttpError(404, "no_route", `no route ${path}; blobs live under /ipfs/<cid>`);
    }
    const segment = path.slice("/ipfs/".length);
    if (segment.includes("/")) {
      throw new HttpError(400, "invalid_path", "raw blocks have no sub-paths: use /ipfs/<cid>");
    }
    const cid = parseCid(segment);
    const query = QuerySchema.safeParse(Object.fromEntries(url.searchParams));
    if (!query.success) throw new HttpError(400, "bad_request", firstIssue(query.error));
    if (method === "GET" || method === "HEAD") {
      await handleRead(req, res, cid);
    } else if (method === "PUT") {
      await handleWrite(req, res, cid);
    } else {
      throw new HttpError(405, "method_not_allowed", `${method} ${path}`, {
        allow: "GET, HEAD, PUT",
      });
    }
  }

  // Requests in flight per connection. Node's closeIdleConnections() does not count a
  // connection on which no request has arrived yet (clients open spares) as idle, so
  // close() would wait for the client to drop it; we track them to let them go at once.
  const inFlight = new Map<Socket, number>();
  server.on("connection", (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once("close", () => inFlight.delete(socket));
  });
  function releaseIdle(): void {
    // end(), not destroy(): the last response may still sit in the socket's write queue.
    for (const [socket, requests] of inFlight) if (requests === 0) socket.end();
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    // A client that hangs up mid-response must not surface as an unhandled error.
    res.on("error", () => undefined);
    req.on("error", () => undefined);
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once("close", () => {
      if (inFlight.has(socket)) inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1);
      // While closing, a connection is let go as soon as its last response is done.
      if (closing) setImmediate(releaseIdle);
    });
    const write = req.method === "PUT" || req.method === "POST";
    route(req, res).catch((error: unknown) => {
      if (req.destroyed && !req.complete) return; // the client is gone; nobody to answer
      sendError(req, res, toHttpError(error, write));
    });
  });

  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason] =
      error.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request Header Fields Too Large"]
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? [408, "Request Timeout"]
          : [400, "Bad Request"];
    const body = JSON.stringify({
      error: { code: "bad_request", message: `malformed HTTP request (${error.code ?? "?"})` },
    });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${hostForUrl(config.host)}:${address.port}`;

  let closed: Promise<void> | undefined;
  function close(): Promise<void> {
    closed ??= new Promise<void>((resolve) => {
      closing = true;
      const force = setTimeout(() => server.closeAllConnections(), config.closeTimeoutMs);
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      releaseIdle();
    });
    return closed;
  }

  return { url, close };
}
