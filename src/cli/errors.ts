// The CLI's errors. A usage mistake (unknown flag, missing value, malformed amount) is a
// UsageError and the CLI points at `--help`; everything else arrives as the AssayError (or foreign
// error) the library threw, and is printed as one line.
import { AssayError } from "../errors.ts";

export class CliError extends AssayError {
  override name = "CliError";
  override readonly code: string = "cli_error";
}

/** The command line itself is wrong: the message says what, and the CLI adds where help is. */
export class UsageError extends CliError {
  override name = "UsageError";
  override readonly code = "usage";
}
