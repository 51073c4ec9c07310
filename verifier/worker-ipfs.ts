// The IPFS node of a re-execution worker process: it only reads blobs, in a temporary repo of its
// own. A worker killed with SIGKILL cannot remove its repo; the next worker started on the machine
// removes the repos of workers that are no longer running.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import type { Logger } from "../src/node/log.ts";
import { IPFS_DEFAULT_LISTEN, type IpfsOptions } from "../src/store/ipfs-options.ts";

const REPO_PREFIX = "assay-worker-ipfs-";

/** Whether process `pid` exists (one of another user's counts: its repo is not ours to remove). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * Removes the temporary repos under `dir` left by worker processes that no longer run (a worker
 * names its repo with its pid); returns the paths removed. A repo whose pid runs is kept, even when
 * the pid was reused by another program: a leftover kept is better than a live repo removed.
 */
export async function removeStaleWorkerRepos(dir: string = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const match = new RegExp(`^${REPO_PREFIX}(\\d+)-`).exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || running(pid)) continue;
    const repo = path.join(dir, name);
    try {
      await rm(repo, { recursive: true, force: true });
      removed.push(repo);
    } catch {
      // another user's, or going away already: not ours to clean
    }
  }
  return removed;
}

/**
 * The `ipfs` section a worker process runs its node on. A worker only reads blobs, and its config
 * is usually its coordinator's: the `repoDir` and `listen` there are the coordinator's node's (one
 * process per repo, and a fixed port is taken), so it ignores both. Its node keeps what it fetches
 * in a temporary repo of its own, removed when the worker stops (on disk rather than in memory:
 * fetched blocks stay in the repo and nothing collects them), listens nowhere, and dials the
 * configured peers as the coordinator's node does: those serve the checkpoints, and the served-now
 * probe of availability verdicts starts from its own configured peers, not from this node's repo
 * or listen address. `ignored` is what the config set that the node does not use (the default
 * listen address, which the config did not choose, is not named).
 */
export async function workerIpfs(
  ipfs: IpfsOptions,
  log?: Logger,
  dir: string = tmpdir(),
): Promise<{
  ipfs: IpfsOptions;
  ignored: { repoDir?: string; listen?: string[] };
  /** Removes the temporary repo (after the node stopped). */
  remove(): Promise<void>;
}> {
  const stale = await removeStaleWorkerRepos(dir);
  if (stale.length > 0)
    log?.info(
      { removed: stale },
      `ipfs: removed ${stale.length} temporary repo(s) of worker processes that no longer run`,
    );
  const repoDir = await mkdtemp(path.join(dir, `${REPO_PREFIX}${process.pid}-`));
  const defaultListen =
    ipfs.listen.length === IPFS_DEFAULT_LISTEN.length &&
    ipfs.listen.every((a, i) => a === IPFS_DEFAULT_LISTEN[i]);
  return {
    ipfs: { ...ipfs, repoDir, listen: [] },
    ignored: {
      ...(ipfs.repoDir === undefined ? {} : { repoDir: ipfs.repoDir }),
      ...(ipfs.listen.length === 0 || defaultListen ? {} : { listen: ipfs.listen }),
    },
    remove: () => rm(repoDir, { recursive: true, force: true }),
  };
}
