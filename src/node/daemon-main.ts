// What both daemons' entry points share: parse the command line (positionals are refused, `--config`
// names the file), run the daemon until SIGINT or SIGTERM and close it then, and turn a start-up
// failure into one line on stderr and exit code 1 (ASSAY_DEBUG=1: the cause chain and the stack).
import { ConfigError, causeChain } from "../errors.ts";
import { parseFlags } from "./config.ts";
import type { Logger } from "./log.ts";

export interface DaemonCommandLine {
  /** The --config file, if given. */
  file: string | undefined;
  /** Every other flag, for loadConfig. */
  flags: Record<string, unknown>;
}

export interface StartedDaemon {
  log: Logger;
  close(): Promise<void>;
}

/** Runs `start` with the parsed command line, then keeps the daemon until a signal closes it. */
export function runDaemon(
  name: string,
  argv: readonly string[],
  start: (commandLine: DaemonCommandLine) => Promise<StartedDaemon>,
): void {
  const main = async (): Promise<void> => {
    const { positionals, flags } = parseFlags(argv);
    if (positionals.length > 0)
      throw new ConfigError(`unexpected arguments: ${positionals.join(" ")}`);
    const file = typeof flags.config === "string" ? flags.config : undefined;
    delete flags.config;
    const daemon = await start({ file, flags });
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      daemon.log.info({ signal }, "stopping");
      daemon.close().then(
        () => process.exit(0),
        (error: unknown) => {
          daemon.log.error({ err: error }, "close failed");
          process.exit(1);
        },
      );
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  };
  main().catch((error: unknown) => {
    const chain = causeChain(error);
    const debug = process.env.ASSAY_DEBUG === "1";
    console.error(`${name}: ${debug ? chain.join("\n  caused by: ") : chain[0]}`);
    if (debug && error instanceof Error) console.error(error.stack);
    process.exit(1);
  });
}
