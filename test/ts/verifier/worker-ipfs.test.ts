// A re-execution worker's IPFS repo is temporary: removed when the worker stops, and, when a worker
// was killed with SIGKILL and could not remove it, by the next worker started on the machine. Its
// log names only what the config set and the worker ignores.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { IpfsOptionsSchema } from "../../../src/store/ipfs-options.ts";
import { removeStaleWorkerRepos, workerIpfs } from "../../../verifier/worker-ipfs.ts";

describe("verifier worker: its temporary IPFS repo", function () {
  let dir: string;

  beforeEach(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "assay-worker-repos-"));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("removes the repos of workers that no longer run, and keeps those of running ones and anything else", async function () {
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    const alive = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    try {
      const deadRepo = path.join(dir, `assay-worker-ipfs-${dead}-aB3dE9`);
      const liveRepo = path.join(dir, `assay-worker-ipfs-${alive.pid}-xY7zQ1`);
      const other = path.join(dir, "assay-worker-ipfs-notapid");
      for (const d of [deadRepo, liveRepo, other])
        await mkdir(path.join(d, "blocks"), { recursive: true });

      const reader = await workerIpfs(IpfsOptionsSchema.parse({}), undefined, dir);
      expect(existsSync(deadRepo)).to.equal(false);
      expect(existsSync(liveRepo)).to.equal(true);
      expect(existsSync(other)).to.equal(true);
      expect(path.basename(reader.ipfs.repoDir!)).to.match(
        new RegExp(`^assay-worker-ipfs-${process.pid}-`),
      );
      // Its own repo is never taken for a stale one.
      expect(await removeStaleWorkerRepos(dir)).to.deep.equal([]);
      expect(existsSync(reader.ipfs.repoDir!)).to.equal(true);
      await reader.remove();
      expect((await readdir(dir)).sort()).to.deep.equal(
        [path.basename(liveRepo), path.basename(other)].sort(),
      );
    } finally {
      alive.kill("SIGKILL");
    }
  });

  it("names as ignored only the repoDir and listen addresses the config set, not the default listen address", async function () {
    const byDefault = await workerIpfs(IpfsOptionsSchema.parse({}), undefined, dir);
    expect(byDefault.ignored).to.deep.equal({});
    expect(byDefault.ipfs.listen).to.deep.equal([]);
    const set = await workerIpfs(
      IpfsOptionsSchema.parse({
        repoDir: "/var/lib/assay/ipfs",
        listen: ["/ip4/127.0.0.1/tcp/4101"],
      }),
      undefined,
      dir,
    );
    expect(set.ignored).to.deep.equal({
      repoDir: "/var/lib/assay/ipfs",
      listen: ["/ip4/127.0.0.1/tcp/4101"],
    });
    expect(set.ipfs.repoDir).to.not.equal("/var/lib/assay/ipfs");
    await byDefault.remove();
    await set.remove();
  });
});
