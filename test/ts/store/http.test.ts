import { connect } from "node:net";
import path from "node:path";

import { expect } from "chai";

import {
  BlobNotFoundError,
  BlobTooLargeError,
  IntegrityError,
  StoreError,
  StoreRequestError,
  StoreUnavailableError,
} from "../../../src/store/errors.ts";
import { FsBlobStore } from "../../../src/store/fs-store.ts";
import { HttpBlobStore } from "../../../src/store/http-client.ts";
import { startStoreServer, type StoreServer } from "../../../src/store/http-server.ts";
import { describeStoreContract, rejection } from "./contract.ts";
import {
  blob,
  cidOf,
  cidOfGenerated,
  closedPortUrl,
  filesUnder,
  generated,
  refusedCids,
  serve,
  tempRoot,
} from "./fixtures.ts";

const LIMIT = 512 * 1024;
const TOKEN = "a-write-token-for-tests-0123456789";

/** A server over a fresh filesystem store, and a client for it. */
async function fixture(
  options: { maxBytes?: number; writeToken?: string; clientToken?: string } = {},
): Promise<{
  root: string;
  fs: FsBlobStore;
  server: StoreServer;
  client: HttpBlobStore;
  errors: unknown[];
  teardown(): Promise<void>;
}> {
  const { root, remove } = await tempRoot();
  const fs = new FsBlobStore({ root });
  const errors: unknown[] = [];
  const server = await startStoreServer({
    store: fs,
    maxBytes: options.maxBytes ?? LIMIT,
    writeToken: options.writeToken,
    onError: (error) => errors.push(error),
  });
  const client = new HttpBlobStore({
    url: server.url,
    token: options.clientToken ?? options.writeToken,
    retries: 1,
    backoffMs: 5,
  });
  return {
    root,
    fs,
    server,
    client,
    errors,
    teardown: async () => {
      await server.close();
      await remove();
    },
  };
}

describeStoreContract("HttpBlobStore against the store server", async () => {
  const f = await fixture();
  return {
    store: f.client,
    maxBytes: LIMIT,
    serveOnAbsent: "ignored",
    teardown: async () => {
      expect(await filesUnder(path.join(f.root, "tmp"))).to.deep.equal([]);
      expect(f.errors).to.deep.equal([]);
      await f.teardown();
    },
  };
});

describe("store server (HTTP API)", () => {
  let f: Awaited<ReturnType<typeof fixture>>;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.teardown();
  });

  async function errorOf(res: Response): Promise<{ code: string; message: string }> {
    expect(res.headers.get("content-type")).to.match(/^application\/json/);
    const body = (await res.json()) as { error: { code: string; message: string } };
    return body.error;
  }

  it("serves a blob like a trustless gateway: raw type, ETag, immutable caching", async () => {
    const bytes = blob(5000, "served");
    const cid = await f.fs.put(bytes);
    const res = await fetch(`${f.server.url}/ipfs/${cid}`);
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.equal("application/vnd.ipld.raw");
    expect(res.headers.get("etag")).to.equal(`"${cid}"`);
    expect(res.headers.get("content-length")).to.equal("5000");
    expect(res.headers.get("cache-control")).to.match(/immutable/);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes))).to.equal(true);

    const again = await fetch(`${f.server.url}/ipfs/${cid}?format=raw`, {
      headers: { "if-none-match": `"${cid}"` },
    });
    expect(again.status).to.equal(304);
  });

  it("answers HEAD with the size and no body, and 404 for an absent blob", async () => {
    const cid = await f.fs.put(blob(1234));
    const head = await fetch(`${f.server.url}/ipfs/${cid}`, { method: "HEAD" });
    expect(head.status).to.equal(200);
    expect(head.headers.get("content-length")).to.equal("1234");
    expect((await head.arrayBuffer()).byteLength).to.equal(0);

    const absent = cidOf(blob(1, "absent"));
    expect((await fetch(`${f.server.url}/ipfs/${absent}`, { method: "HEAD" })).status).to.equal(
      404,
    );
    const res = await fetch(`${f.server.url}/ipfs/${absent}`);
    expect(res.status).to.equal(404);
    expect((await errorOf(res)).code).to.equal("not_found");
  });

  it("answers 400 with a clear message for malformed, non-raw and non-sha256 CIDs", async () => {
    for (const { cid, why } of refusedCids().filter(({ cid }) => cid !== "")) {
      for (const method of ["GET", "PUT"]) {
        const res = await fetch(`${f.server.url}/ipfs/${encodeURIComponent(cid)}`, {
          method,
          ...(method === "PUT" ? { body: "x" } : {}),
        });
        expect(res.status, `${method} ${cid}`).to.equal(400);
        const error = await errorOf(res);
        expect(error.code).to.equal("invalid_cid");
        expect(error.message).to.match(why);
      }
    }
  });

  it("refuses a PUT whose body does not hash to the CID (422) and stores nothing", async () => {
    const claimed = cidOf(blob(100, "claimed"));
    const res = await fetch(`${f.server.url}/ipfs/${claimed}`, {
      method: "PUT",
      body: blob(100, "other bytes"),
    });
    expect(res.status).to.equal(422);
    const error = await errorOf(res);
    expect(error.code).to.equal("integrity");
    expect(error.message).to.contain(claimed);
    expect(await f.fs.has(claimed)).to.equal(false);
    expect(await filesUnder(f.root)).to.deep.equal([]);
  });

  it("stores a PUT body under its CID (201, then 200 when already there)", async () => {
    const bytes = blob(100, "put");
    const cid = cidOf(bytes);
    const first = await fetch(`${f.server.url}/ipfs/${cid}`, { method: "PUT", body: bytes });
    expect(first.status).to.equal(201);
    expect(first.headers.get("location")).to.equal(`/ipfs/${cid}`);
    expect(await first.json()).to.deep.equal({ cid });
    const second = await fetch(`${f.server.url}/ipfs/${cid}`, { method: "PUT", body: bytes });
    expect(second.status).to.equal(200);
    expect(await f.fs.has(cid)).to.equal(true);
  });

  it("stores a POST body and returns its CID", async () => {
    const bytes = blob(777, "posted");
    const res = await fetch(`${f.server.url}/ipfs`, { method: "POST", body: bytes });
    expect(res.status).to.equal(201);
    expect(await res.json()).to.deep.equal({ cid: cidOf(bytes) });
    expect(await f.fs.size(cidOf(bytes))).to.equal(777);
  });

  it("answers 413 to a declared body over the limit, without reading it", async () => {
    const res = await fetch(`${f.server.url}/ipfs`, {
      method: "POST",
      body: new Uint8Array(LIMIT + 1),
    });
    expect(res.status).to.equal(413);
    expect(res.headers.get("x-store-max-bytes")).to.equal(String(LIMIT));
    expect((await errorOf(res)).code).to.equal("too_large");
  });

  it("answers 413 to an undeclared (chunked) body while it streams, not after it ends", async () => {
    // The body would be 1 GiB: only a check made while streaming answers in time.
    const res = await fetch(`${f.server.url}/ipfs`, {
      method: "POST",
      body: generated(1024 * 1024 * 1024, 64 * 1024),
      duplex: "half",
    } as RequestInit);
    expect(res.status).to.equal(413);
    expect((await errorOf(res)).message).to.match(/exceeds the limit of 524288 bytes/);
    expect(await filesUnder(f.root)).to.deep.equal([]);
  });

  it("answers unknown routes with 404 and wrong methods with 405 and Allow", async () => {
    const cid = cidOf(blob(1));
    const noRoute = await fetch(`${f.server.url}/files/${cid}`);
    expect(noRoute.status).to.equal(404);
    expect((await errorOf(noRoute)).code).to.equal("no_route");

    const del = await fetch(`${f.server.url}/ipfs/${cid}`, { method: "DELETE" });
    expect(del.status).to.equal(405);
    expect(del.headers.get("allow")).to.equal("GET, HEAD, PUT");

    const getRoot = await fetch(`${f.server.url}/ipfs`);
    expect(getRoot.status).to.equal(405);
    expect(getRoot.headers.get("allow")).to.equal("POST");

    const subPath = await fetch(`${f.server.url}/ipfs/${cid}/file.txt`);
    expect(subPath.status).to.equal(400);
    expect((await errorOf(subPath)).code).to.equal("invalid_path");

    const format = await fetch(`${f.server.url}/ipfs/${cid}?format=car`);
    expect(format.status).to.equal(400);
    expect((await errorOf(format)).message).to.match(/format=raw/);
  });

  it("answers malformed HTTP with 400 and keeps serving", async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const url = new URL(f.server.url);
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write("NOT HTTP AT ALL\r\n\r\n");
      });
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answer).to.match(/^HTTP\/1\.1 400/);
    expect(answer).to.contain('"code":"bad_request"');
    expect((await fetch(`${f.server.url}/health`)).status).to.equal(200);
  });

  it("survives a client that hangs up mid-upload, and leaves no partial file", async () => {
    const url = new URL(f.server.url);
    const cid = cidOf(blob(LIMIT, "never finished"));
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`PUT /ipfs/${cid} HTTP/1.1\r\nhost: x\r\ncontent-length: ${LIMIT}\r\n\r\n`);
        socket.write(blob(100_000, "first part"), () => {
          socket.destroy();
          resolve();
        });
      });
      socket.on("error", reject);
    });
    // The server notices the upload and the hang-up asynchronously: a loaded machine may not have
    // created the upload's temporary file yet. Wait (up to 1 s) for it to appear, then (up to 5 s)
    // for it to be cleaned up; a file made and removed between two polls skips both waits.
    const tmp = path.join(f.root, "tmp");
    const pause = (): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, 10));
    for (let i = 0; i < 100 && (await filesUnder(tmp)).length === 0; i++) await pause();
    for (let i = 0; i < 500 && (await filesUnder(tmp)).length > 0; i++) await pause();
    expect(await filesUnder(f.root)).to.deep.equal([]);
    expect(await f.fs.has(cid)).to.equal(false);
    expect((await fetch(`${f.server.url}/health`)).status).to.equal(200);
    expect(f.errors).to.deep.equal([]);
  });

  it("cuts the connection rather than finish serving a blob that rotted on disk", async () => {
    const bytes = blob(3 * 1024 * 1024, "rots while served");
    const cid = await f.fs.put(bytes);
    const { chmod, writeFile } = await import("node:fs/promises");
    const rotten = bytes.slice();
    rotten[rotten.length - 1] = rotten[rotten.length - 1]! ^ 1;
    await chmod(f.fs.pathOf(cid), 0o644);
    await writeFile(f.fs.pathOf(cid), rotten);

    const res = await fetch(`${f.server.url}/ipfs/${cid}`);
    expect(res.status).to.equal(200);
    // The body ends early: a plain gateway client never gets the full Content-Length.
    expect(await rejection(() => res.arrayBuffer())).to.be.instanceOf(TypeError);
    expect(f.errors.some((error) => error instanceof IntegrityError)).to.equal(true);
    expect(await f.fs.has(cid)).to.equal(false);
  });

  it("closes gracefully: a download in flight completes, new connections are refused", async () => {
    const bytes = blob(4 * 1024 * 1024, "in flight");
    const cid = await f.fs.put(bytes);
    const res = await fetch(`${f.server.url}/ipfs/${cid}`);
    const closing = f.server.close();
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(Buffer.from(bytes))).to.equal(true);
    await closing;
    expect(await rejection(() => fetch(`${f.server.url}/health`))).to.be.instanceOf(TypeError);
  });

  it("refuses to start with invalid options, naming them", async () => {
    const store = f.fs;
    expect(await rejection(() => startStoreServer({ store, port: 70_000 }))).to.have.property(
      "name",
      "ZodError",
    );
    const short = (await rejection(() =>
      startStoreServer({ store, writeToken: "short" }),
    )) as Error;
    expect(short.message).to.match(/at least 16 characters/);
  });
});

describe("store server with a write token", () => {
  let f: Awaited<ReturnType<typeof fixture>>;
  afterEach(async () => {
    await f.teardown();
  });

  it("refuses writes without the bearer token (401) and serves reads to anyone", async () => {
    f = await fixture({ writeToken: TOKEN });
    const bytes = blob(100, "guarded");
    const cid = cidOf(bytes);
    for (const authorization of [undefined, "Bearer wrong-token-wrong-token!!", TOKEN]) {
      const res = await fetch(`${f.server.url}/ipfs/${cid}`, {
        method: "PUT",
        body: bytes,
        headers: authorization === undefined ? {} : { authorization },
      });
      expect(res.status).to.equal(401);
      expect(res.headers.get("www-authenticate")).to.match(/^Bearer/);
    }
    expect(await f.fs.has(cid)).to.equal(false);

    const writer = await f.client.put(bytes);
    expect(writer).to.equal(cid);
    const reader = new HttpBlobStore({ url: f.server.url });
    expect((await reader.get(cid)).byteLength).to.equal(100);
    const error = await rejection(() => reader.put(blob(5, "anonymous")));
    expect(error).to.be.instanceOf(StoreRequestError);
    expect((error as StoreRequestError).status).to.equal(401);
    expect((error as StoreError).retryable).to.equal(false);
  });
});

describe("HttpBlobStore", () => {
  it("streams a 64 MiB blob up and down through the server", async () => {
    const f = await fixture({ maxBytes: 80 * 1024 * 1024 });
    try {
      const total = 64 * 1024 * 1024;
      const expected = await cidOfGenerated(total);
      const cid = await f.client.putStream(generated(total), { expectedCid: expected });
      expect(cid).to.equal(expected);
      expect(await f.client.size(cid)).to.equal(total);
      let received = 0;
      for await (const chunk of await f.client.getStream(cid)) received += chunk.byteLength;
      expect(received).to.equal(total);
      // POST without an expected CID: the client checks the server's answer against its own hash.
      expect(await f.client.putStream(generated(total))).to.equal(expected);
    } finally {
      await f.teardown();
    }
  });

  it("detects a lying server that serves other bytes than the CID names", async () => {
    const asked = blob(2000, "asked for");
    const cid = cidOf(asked);
    const liar = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/vnd.ipld.raw" });
      res.end(blob(2000, "something else"));
    });
    try {
      const client = new HttpBlobStore({ url: liar.url, retries: 3, backoffMs: 1 });
      const error = await rejection(() => client.get(cid));
      expect(error).to.be.instanceOf(IntegrityError);
      expect((error as IntegrityError).expectedCid).to.equal(cid);
      expect((error as IntegrityError).actualCid).to.equal(cidOf(blob(2000, "something else")));
      expect((error as Error).message).to.contain(liar.url);
      // Not retried: the same server would lie again.
      expect(liar.requests).to.equal(1);

      let received = 0;
      const streamed = await rejection(async () => {
        for await (const chunk of await client.getStream(cid)) received += chunk.byteLength;
      });
      expect(streamed).to.be.instanceOf(IntegrityError);
      expect(received).to.be.lessThan(2000);
    } finally {
      await liar.close();
    }
  });

  it("detects a server that claims to store bytes under another CID", async () => {
    const liar = await serve((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(201, { "content-type": "application/json" });
        res.end(JSON.stringify({ cid: cidOf(blob(1, "not what was sent")) }));
      });
    });
    try {
      const client = new HttpBlobStore({ url: liar.url });
      expect(await rejection(() => client.put(blob(10, "sent")))).to.be.instanceOf(IntegrityError);
      expect(
        await rejection(() =>
          client.putStream(
            (async function* () {
              yield blob(10, "sent");
            })(),
          ),
        ),
      ).to.be.instanceOf(IntegrityError);
    } finally {
      await liar.close();
    }
  });

  it("gives a retryable StoreUnavailableError after bounded retries when nothing listens", async () => {
    const client = new HttpBlobStore({ url: await closedPortUrl(), retries: 2, backoffMs: 1 });
    const cid = cidOf(blob(1));
    for (const op of [
      () => client.get(cid),
      () => client.has(cid),
      () => client.put(blob(1)),
      () => client.putStream(generated(10, 5)),
    ]) {
      const error = await rejection(op);
      expect(error).to.be.instanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).retryable).to.equal(true);
      expect((error as StoreUnavailableError).attempts).to.equal(3);
      expect((error as Error).message).to.match(/unavailable after 3 attempts.*ECONNREFUSED/);
      expect((error as Error).cause).to.be.instanceOf(Error);
    }
  });

  it("retries 5xx answers with backoff and succeeds once the server recovers", async () => {
    const bytes = blob(300, "flaky");
    const flaky = await serve((_req, res, n) => {
      if (n <= 2) {
        res.writeHead(503, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "unavailable", message: "busy" } }));
        return;
      }
      res.writeHead(200, { "content-type": "application/vnd.ipld.raw" });
      res.end(bytes);
    });
    try {
      const client = new HttpBlobStore({ url: flaky.url, retries: 3, backoffMs: 1 });
      expect(Buffer.from(await client.get(cidOf(bytes))).equals(Buffer.from(bytes))).to.equal(true);
      expect(flaky.requests).to.equal(3);
    } finally {
      await flaky.close();
    }
  });

  it("does not retry 4xx answers", async () => {
    const refusing = await serve((_req, res) => {
      res.writeHead(403, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "forbidden", message: "go away" } }));
    });
    try {
      const client = new HttpBlobStore({ url: refusing.url, retries: 3, backoffMs: 1 });
      const error = await rejection(() => client.get(cidOf(blob(1))));
      expect(error).to.be.instanceOf(StoreRequestError);
      expect((error as StoreRequestError).status).to.equal(403);
      expect((error as StoreRequestError).code).to.equal("forbidden");
      expect((error as Error).message).to.match(/go away/);
      expect(refusing.requests).to.equal(1);
      expect(await rejection(() => client.get(cidOf(blob(2))))).to.not.be.instanceOf(
        BlobNotFoundError,
      );
    } finally {
      await refusing.close();
    }
  });

  it("times out on a server that never answers, and reports it as unavailable", async () => {
    const silent = await serve(() => undefined);
    try {
      const client = new HttpBlobStore({
        url: silent.url,
        timeoutMs: 50,
        retries: 1,
        backoffMs: 1,
      });
      const error = await rejection(() => client.get(cidOf(blob(1))));
      expect(error).to.be.instanceOf(StoreUnavailableError);
      expect((error as Error).message).to.match(/no progress within 50 ms/);
      expect(silent.requests).to.equal(2);

      // A stream already sent in part cannot be replayed: one attempt, and the caller
      // gets a retryable error to try again with a fresh stream.
      const streamed = await rejection(() => client.putStream(generated(10, 5)));
      expect(streamed).to.be.instanceOf(StoreUnavailableError);
      expect((streamed as StoreError).retryable).to.equal(true);
      expect((streamed as Error).message).to.match(/failed part-way.*no progress within 50 ms/);
      expect(silent.requests).to.equal(3);
    } finally {
      await silent.close();
    }
  });

  it("refuses a blob larger than its own limit before reading it all", async () => {
    const f = await fixture({ maxBytes: 4 * 1024 * 1024 });
    try {
      const cid = await f.client.put(blob(2 * 1024 * 1024, "big"));
      const small = new HttpBlobStore({ url: f.server.url, maxBytes: 1024 * 1024 });
      expect(await rejection(() => small.get(cid))).to.be.instanceOf(BlobTooLargeError);
      expect(await rejection(() => small.getStream(cid))).to.be.instanceOf(BlobTooLargeError);
      expect(await rejection(() => small.put(blob(1024 * 1024 + 1)))).to.be.instanceOf(
        BlobTooLargeError,
      );
    } finally {
      await f.teardown();
    }
  });

  it("rejects an invalid URL with a clear message", () => {
    expect(() => new HttpBlobStore({ url: "ftp://example.org" })).to.throw(/http\(s\) URL/);
    expect(() => new HttpBlobStore({ url: "not a url" })).to.throw(/http\(s\) URL/);
  });
});
