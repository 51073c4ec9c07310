// The Node flags a daemon process (provider or verifier, any role) is started with, by the CLI
// (`assay worker`, `assay verifier`) and the devnet alike.
//
// `--single-threaded-gc`: V8 collects garbage on the main thread only. By default it also runs
// four helper threads for parallel and concurrent marking, scavenging and sweeping. In a verifier
// worker re-executing steps, those helpers used about a quarter as much CPU again as the main
// thread (per-thread CPU, measured in the verifier-scaling benchmark): free while a core idles,
// but with one busy worker per core they take it from the others, and two workers on two cores
// gave 1.2-1.5 times one worker's throughput instead of 1.9. Single-threaded, the main thread does
// the same collections without them; one worker alone runs as fast (docs/e2e-bench.md). V8 cannot
// change it once running (setting it from inside the process aborts at the next collection), so it
// goes on the command line; Node refuses it in NODE_OPTIONS.
export const DAEMON_NODE_FLAGS: readonly string[] = ["--single-threaded-gc"];

/** The arguments of `node` for running the daemon entry point `entry` with `args`. */
export function daemonNodeArgs(entry: string, args: readonly string[] = []): string[] {
  return [...DAEMON_NODE_FLAGS, entry, ...args];
}
