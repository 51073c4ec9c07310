// The explorer's web server: watches the chain (a new head is polled every pollMs; its events are
// collected and folded into a fresh ExplorerState only when there are new ones), serves the pages
// rendered from the latest state, its JSON at /api/state, and tells open pages that a new state
// exists over Server-Sent Events (/api/events), so they refetch themselves without a reload. The
// page's two assets are files of this directory, served from memory: nothing is fetched from
// elsewhere at run time. It binds 127.0.0.1 only: an explorer is a window on a node, not a service.
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { AssayError, oneLine } from "../errors.ts";
import type { ChainContext } from "../node/chain.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { EventCollector } from "./chain-events.ts";
import { TraceManifests } from "./manifests.ts";
import {
  ASSET_PATHS,
  accountsPage,
  disputePage,
  jobPage,
  notFoundPage,
  overviewPage,
} from "./pages.ts";
import { readExplorerState, type ExplorerState } from "./state.ts";

export const EXPLORER_HOST = "127.0.0.1";

const ASSET_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "assets");

/** The port is taken or cannot be bound: name it and what to do. */
export class ExplorerListenError extends AssayError {
  override name = "ExplorerListenError";
  override readonly code = "explorer_listen";
}

export interface ExplorerOptions {
  chain: Pick<ChainContext, "publicClient" | "contracts" | "deployment" | "chainId">;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** The flag that sets the port, named when it is taken (default --port). */
  portFlag?: string;
  /** How often the chain head is polled (default 500 ms). */
  pollMs?: number;
  /**
   * The shared store, to show every checkpoint of a submitted trace from its manifest (checked
   * against the committed root); without one, a job page shows the opened checkpoints only.
   */
  store?: BlobStore;
  /** One line per failed refresh (the explorer keeps serving the last state and retries). */
  log?: (line: string) => void;
}

export interface Explorer {
  url: string;
  /** The state pages show now. */
  current(): ExplorerState;
  close(): Promise<void>;
}

const TYPES = { css: "text/css; charset=utf-8", js: "text/javascript; charset=utf-8" } as const;

/** JSON with bigints as decimal strings (amounts, ids and blocks exceed 2^53). */
export function stateJson(state: ExplorerState): string {
  return JSON.stringify(state, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

export async function startExplorer(options: ExplorerOptions): Promise<Explorer> {
  const { chain } = options;
  const pollMs = options.pollMs ?? 500;
  const log = options.log ?? (() => undefined);
  const assets = {
    css: await readFile(path.join(ASSET_DIR, "explorer.css")),
    js: await readFile(path.join(ASSET_DIR, "explorer.js")),
  };
  const collector = new EventCollector(chain);
  // New events collected, or a manifest read, but not yet folded into the state (a read failed, or
  // nothing was built since): rebuild at the next poll even if no further block brings events.
  let stale = false;
  const manifests =
    options.store === undefined
      ? undefined
      : new TraceManifests(options.store, () => {
          stale = true;
        });
  let version = 0;
  /** The events collected so far, folded into the next version of the state. */
  const fold = async (): Promise<ExplorerState> => {
    const built = await readExplorerState(chain, collector.events, collector.lastBlock, manifests);
    return { ...built, version: ++version };
  };
  await collector.collectTo(await chain.publicClient.getBlockNumber());
  let state = await fold();

  const listeners = new Set<ServerResponse>();
  const announce = (): void => {
    const data = JSON.stringify({ version: state.version, head: state.head.toString() });
    for (const res of listeners) res.write(`event: state\ndata: ${data}\n\n`);
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> = Promise.resolve();
  let failure: string | undefined;
  const refresh = async (): Promise<void> => {
    try {
      const head = await chain.publicClient.getBlockNumber();
      if (head > collector.lastBlock && (await collector.collectTo(head)) > 0) stale = true;
      if (stale) {
        // Cleared before the fold: a manifest read that ends during it asks for the next one.
        stale = false;
        try {
          state = await fold();
        } catch (error) {
          stale = true;
          throw error;
        }
        announce();
      }
      failure = undefined;
    } catch (error) {
      // Once per distinct failure, not once per poll.
      const line = `explorer: reading the chain failed, retrying every ${pollMs} ms: ${oneLine(error)}`;
      if (line !== failure) log(line);
      failure = line;
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      refreshing = refresh().finally(schedule);
    }, pollMs);
  };

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer): void => {
    res.writeHead(status, {
      "content-type": type,
      "content-length": Buffer.byteLength(body),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      // Only this server's own script and style; the plots are inline SVG, not scripts.
      "content-security-policy":
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    });
    res.end(body);
  };
  const page = (res: ServerResponse, status: number, body: string): void =>
    send(res, status, "text/html; charset=utf-8", body);

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "text/plain; charset=utf-8", "the explorer only reads: GET\n");
      return;
    }
    const url = new URL(req.url ?? "/", "http://explorer.invalid");
    const at = url.pathname;
    const id = /^\/(jobs|disputes)\/(\d{1,20})$/.exec(at);
    if (at === "/") page(res, 200, overviewPage(state));
    else if (at === "/accounts") page(res, 200, accountsPage(state));
    else if (id?.[1] === "jobs") {
      const job = state.jobs.find((j) => j.id === BigInt(id[2]!));
      if (job === undefined) page(res, 404, notFoundPage(state, `There is no job ${id[2]}.`));
      else page(res, 200, jobPage(state, job));
    } else if (id?.[1] === "disputes") {
      const d = state.disputes.find((x) => x.id === BigInt(id[2]!));
      if (d === undefined) page(res, 404, notFoundPage(state, `There is no dispute ${id[2]}.`));
      else page(res, 200, disputePage(state, d));
    } else if (at === "/api/state") send(res, 200, "application/json", stateJson(state));
    else if (at === "/api/events") {
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      // The current version at once: a page that loaded an older one refetches.
      res.write(
        `retry: 2000\nevent: state\ndata: ${JSON.stringify({ version: state.version, head: state.head.toString() })}\n\n`,
      );
      listeners.add(res);
      req.on("close", () => listeners.delete(res));
    } else if (at === ASSET_PATHS.css) send(res, 200, TYPES.css, assets.css);
    else if (at === ASSET_PATHS.js) send(res, 200, TYPES.js, assets.js);
    else page(res, 404, notFoundPage(state, `Nothing is served at ${at}.`));
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (cause: NodeJS.ErrnoException) =>
      reject(
        new ExplorerListenError(
          cause.code === "EADDRINUSE"
            ? `port ${options.port} on ${EXPLORER_HOST} is taken: pick another with ${options.portFlag ?? "--port"} (0 for any free one)`
            : `the explorer cannot listen on ${EXPLORER_HOST}:${options.port}: ${cause.message}`,
          { cause },
        ),
      ),
    );
    server.listen(options.port, EXPLORER_HOST, resolve);
  });
  // Polling starts once the server listens: a failed start leaves nothing running.
  schedule();
  const { port } = server.address() as { port: number };
  const heartbeat = setInterval(() => {
    for (const res of listeners) res.write(": keep-alive\n\n");
  }, 15_000);
  heartbeat.unref();

  return {
    url: `http://${EXPLORER_HOST}:${port}`,
    current: () => state,
    async close() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(heartbeat);
      await refreshing;
      for (const res of listeners) res.end();
      listeners.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
