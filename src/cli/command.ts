// What a command is: a name, one line for `assay --help`, its own help text, and `run`, which
// writes through `io` (so tests and the entry point share one code path) and throws on failure.

export interface CommandIo {
  /** Writes one line of normal output (stdout). */
  out(line: string): void;
  /** Writes one line of progress or notices (stderr), so stdout stays parseable. */
  note(line: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT/SIGTERM: long-running commands (status --watch, daemons) stop cleanly. */
  signal: AbortSignal;
}

export interface Command {
  name: string;
  summary: string;
  /** Full help text, printed by `assay <name> --help`. */
  help: string;
  run(argv: readonly string[], io: CommandIo): Promise<void>;
}
