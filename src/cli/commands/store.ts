// `assay store serve`: a standalone content-addressed store server (src/store/http-server.ts) over
// a filesystem store, for a hand-run network or an operator's shared store. Every command and
// daemon defaults to one at http://127.0.0.1:8700. Runs until Ctrl-C / SIGTERM.
import { parseCommandArgs, stringFlag, type OptionSpec } from "../args.ts";
import type { Command, CommandIo } from "../command.ts";
import { UsageError } from "../errors.ts";
import { FsBlobStore } from "../../store/fs-store.ts";
import { startStoreServer } from "../../store/http-server.ts";

const OPTIONS = {
  dir: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  "write-token-env": { type: "string" },
  "max-mib": { type: "string" },
  "open-writes": { type: "boolean" },
} as const satisfies OptionSpec;

function portOf(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65_535)
    throw new UsageError(`--port "${text}" is not a port number (0–65535)`);
  return Number(text);
}

async function serve(argv: readonly string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals[0] !== "serve")
    throw new UsageError(
      positionals.length === 0
        ? "assay store needs a subcommand: serve"
        : `unknown subcommand "${positionals[0]}" (assay store serve)`,
    );
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const root = stringFlag(values, "dir") ?? io.env.ASSAY_STORE_DIR ?? ".assay/store";
  const port = portOf(stringFlag(values, "port") ?? "8700");
  const host = stringFlag(values, "host") ?? "127.0.0.1";
  const tokenEnv = stringFlag(values, "write-token-env");
  const writeToken = tokenEnv === undefined ? undefined : io.env[tokenEnv];
  if (tokenEnv !== undefined && (writeToken === undefined || writeToken === ""))
    throw new UsageError(`--write-token-env ${tokenEnv}: that environment variable is not set`);
  // Open writes on a reachable interface let anyone fill the disk, and with it every provider's
  // checkpoint uploads: only on loopback, or when the operator says so.
  const loopback = host === "127.0.0.1" || host === "::1" || host === "localhost";
  if (!loopback && writeToken === undefined && values["open-writes"] !== true)
    throw new UsageError(
      `--host ${host} exposes the store: give writes a token (--write-token-env NAME), or pass --open-writes to accept writes from anyone`,
    );
  const maxMib = stringFlag(values, "max-mib");
  if (maxMib !== undefined && !/^[1-9]\d{0,5}$/.test(maxMib))
    throw new UsageError(`--max-mib "${maxMib}" is not a whole number of MiB (1–999999)`);
  const maxBytes = maxMib === undefined ? undefined : Number(maxMib) * 1024 * 1024;
  const store = new FsBlobStore({ root, ...(maxBytes === undefined ? {} : { maxBytes }) });
  const server = await startStoreServer({
    store,
    host,
    port,
    ...(maxBytes === undefined ? {} : { maxBytes }),
    ...(writeToken === undefined ? {} : { writeToken }),
    onError: (error) => io.note(`store: ${error instanceof Error ? error.message : String(error)}`),
  }).catch((error: unknown) => {
    const code = (error as { code?: string }).code;
    if (code === "EADDRINUSE")
      throw new UsageError(
        `port ${port} on ${host} is taken: is a store already running? (--port)`,
      );
    throw error;
  });
  io.out(
    `store serving ${root} at ${server.url}${writeToken === undefined ? "" : " (writes need the token)"}`,
  );
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await server.close();
  io.note("store stopped");
}

export const storeCommand: Command = {
  name: "store",
  summary: "serve a content-addressed store (assay store serve)",
  help: `usage: assay store serve [--dir DIR] [--port N] [--host H] [--write-token-env NAME]
                         [--open-writes] [--max-mib N]

Serves a filesystem blob store over HTTP (GET/HEAD /ipfs/<cid>, PUT/POST to add; docs/store.md)
until Ctrl-C. Every command and daemon reads and writes the store at http://127.0.0.1:8700 unless
told otherwise (--store-url, ASSAY_STORE_URL).
  --dir DIR               where blobs live           (default ASSAY_STORE_DIR or .assay/store)
  --port N                port; 0 picks a free one  (default 8700)
  --host H                interface to bind         (default 127.0.0.1; anything else exposes it)
  --write-token-env NAME  writes need "Authorization: Bearer <the value of env var NAME>"
  --open-writes           accept writes from anyone on a non-loopback --host (refused otherwise)
  --max-mib N             largest blob accepted, MiB (default 256)`,
  run: serve,
};
