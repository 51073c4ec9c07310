// The demo's one error class. Engine and store failures keep their own classes (EngineError,
// StoreError) and arrive here as `cause`, so the demo's message says which actor was doing what
// and the cause says why.

export class DemoError extends Error {
  override name = "DemoError";
}

/** The messages of an error and its causes, outermost first, for a one-screen failure report. */
export function causeChain(error: unknown): string[] {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    if (current instanceof Error) {
      // viem errors carry a short, decoded message (the custom error and its arguments).
      const short = (current as { shortMessage?: unknown }).shortMessage;
      lines.push(
        `${current.name}: ${typeof short === "string" && short !== "" ? short : current.message}`,
      );
      current = current.cause;
    } else {
      lines.push(String(current));
      current = undefined;
    }
  }
  return lines;
}
