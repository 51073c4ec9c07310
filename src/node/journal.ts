// A daemon's crash-safe local state: one JSON file of keys and values, rewritten atomically on every
// change (write a temporary file, fsync it, rename it over the old one, fsync the directory), so a
// kill -9 at any instant leaves either the old or the new file, never half of one. Small by design:
// it holds cursors, secrets that must survive a restart (commit–reveal salts), signed transactions
// and checkpoint records — not checkpoints themselves, which live in the local blob store.
import { mkdirSync, readFileSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import path from "node:path";

import { ConfigError } from "../errors.ts";

const BIGINT_TAG = "__bigint__";

function encode(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? { [BIGINT_TAG]: value.toString() } : value;
}

function decode(_key: string, value: unknown): unknown {
  if (
    typeof value === "object" &&
    value !== null &&
    Object.keys(value).length === 1 &&
    typeof (value as Record<string, unknown>)[BIGINT_TAG] === "string"
  )
    return BigInt((value as Record<string, string>)[BIGINT_TAG]!);
  return value;
}

export class Journal {
  readonly file: string;
  #entries: Map<string, unknown>;
  /** Writes are serialized: each waits for the one before it. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string, entries: Map<string, unknown>) {
    this.file = file;
    this.#entries = entries;
  }

  /** Opens (or creates) the journal at `file`; a file that does not parse is a ConfigError. */
  static async open(file: string): Promise<Journal> {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    let text: string | undefined;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const entries = new Map<string, unknown>();
    if (text !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(text, decode);
      } catch (cause) {
        throw new ConfigError(
          `the journal ${file} is corrupt; move it aside to start over (its daemon then forgets its secrets)`,
          { cause },
        );
      }
      if (typeof json !== "object" || json === null || Array.isArray(json))
        throw new ConfigError(`the journal ${file} does not hold a JSON object`);
      for (const [key, value] of Object.entries(json)) entries.set(key, value);
    }
    return new Journal(file, entries);
  }

  get<T>(key: string): T | undefined {
    return this.#entries.get(key) as T | undefined;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Sets `key` and resolves once the change is on disk. */
  async set(key: string, value: unknown): Promise<void> {
    this.#entries.set(key, value);
    await this.#flush();
  }

  async delete(key: string): Promise<void> {
    if (!this.#entries.delete(key)) return;
    await this.#flush();
  }

  /** Keys in insertion order, optionally only those starting with `prefix`. */
  keys(prefix = ""): string[] {
    return [...this.#entries.keys()].filter((k) => k.startsWith(prefix));
  }

  #flush(): Promise<void> {
    const snapshot = JSON.stringify(Object.fromEntries(this.#entries), encode);
    const next = this.#writing.then(() => this.#write(snapshot));
    // A failed write must not wedge later ones; the caller of this write still sees its error.
    this.#writing = next.catch(() => undefined);
    return next;
  }

  async #write(text: string): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.file);
    const dir = await open(path.dirname(path.resolve(this.file)), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
