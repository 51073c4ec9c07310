// zod's issues as one line a user can act on: `path: message` per issue, and for a misspelt key
// the closest key the schema knows ("wroker" → did you mean "worker"?). zod's own prettifyError
// spreads over lines that a one-line error turns into "…:; ✖ …". Pure; imports only zod.
import { z } from "zod";

/** The keys an object schema (under defaults, optionals and nullables) accepts, if it is one. */
function knownKeys(schema: z.ZodType | undefined): string[] {
  let s: unknown = schema;
  for (let depth = 0; depth < 8 && s !== undefined; depth++) {
    if (s instanceof z.ZodObject) return Object.keys(s.shape as Record<string, unknown>);
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable)
      s = s.unwrap();
    else return [];
  }
  return [];
}

/** The schema found at `path` inside object schemas (undefined past anything else). */
function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  for (const key of path) {
    let inner: unknown = s;
    while (
      inner instanceof z.ZodDefault ||
      inner instanceof z.ZodOptional ||
      inner instanceof z.ZodNullable
    )
      inner = inner.unwrap();
    if (!(inner instanceof z.ZodObject)) return undefined;
    s = (inner.shape as Record<string, z.ZodType>)[String(key)];
  }
  return s;
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The known key closest to `key`, when it is close enough to be a likely misspelling. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const dist = distance(key.toLowerCase(), candidate.toLowerCase());
    if (dist < bestDistance) [best, bestDistance] = [candidate, dist];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3))
    ? best
    : undefined;
}

/** A path as code would write it: `worker.cheat`, `checkpoints[3].cid`, `a[63]`; the root. */
function pathText(path: readonly PropertyKey[]): string {
  const text = path
    .map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`))
    .join("")
    .replace(/^\./, "");
  return text === "" ? "(root)" : text;
}

/**
 * Formats zod issues as `path: message`, one per issue. With the schema, an unknown key also
 * names the closest key the schema knows at that place.
 */
export function formatIssues(error: z.ZodError, schema?: z.ZodType): string {
  return error.issues
    .map((i) => {
      const where = pathText(i.path);
      if (i.code !== "unrecognized_keys" || schema === undefined) return `${where}: ${i.message}`;
      const known = knownKeys(schemaAt(schema, i.path));
      return i.keys
        .map((key) => {
          const near = closestKey(key, known);
          return `${where}: unknown key "${key}"${near === undefined ? "" : ` (did you mean "${near}"?)`}`;
        })
        .join("; ");
    })
    .join("; ");
}
