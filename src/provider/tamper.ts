// The tamper-blob and withhold-manifest cheats' second half: after uploading, overwrite the bytes of some checkpoints in
// the shared store's directory (an FsBlobStore: blocks/<shard>/<cid>, docs/store.md), so readers get
// bytes that do not hash to the address they asked for. The store's integrity checks (and every
// verifier's) must refuse them. Devnet only: it needs write access to the store's files.
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { canonicalCid } from "../protocol/cid.ts";

/** Where FsBlobStore keeps `cid` under `root`. */
export function fsBlobPath(root: string, cid: string): string {
  const canonical = canonicalCid(cid);
  return path.join(root, "blocks", canonical.slice(-3, -1), canonical);
}

/** Flips one bit in the middle of each blob's file; returns the paths it changed. */
export async function tamperStoredBlobs(root: string, cids: readonly string[]): Promise<string[]> {
  const changed: string[] = [];
  for (const cid of cids) {
    const file = fsBlobPath(root, cid);
    const bytes = await readFile(file);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0x01;
    await writeFile(file, bytes);
    changed.push(file);
  }
  return changed;
}

/** Removes each blob's file (the withhold cheats); returns the paths it removed. */
export async function removeStoredBlobs(root: string, cids: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const cid of cids) {
    const file = fsBlobPath(root, cid);
    await rm(file, { force: true });
    removed.push(file);
  }
  return removed;
}
