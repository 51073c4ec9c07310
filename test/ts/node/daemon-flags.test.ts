// Daemons run with V8's garbage collection on their main thread only (src/node/daemon-flags.ts):
// the devnet's daemon processes and `assay worker|verifier` start node with the flag before the
// entry point (after it, node would pass it to the daemon as one of its own arguments).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { spawnDaemon } from "../../../src/devnet/daemon.ts";
import { DAEMON_NODE_FLAGS, daemonNodeArgs } from "../../../src/node/daemon-flags.ts";

describe("daemon processes: node flags", function () {
  this.timeout(30_000);
  let dir: string;

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "assay-daemon-flags-"));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("puts single-threaded garbage collection before the entry point and the daemon's arguments after it", function () {
    expect(DAEMON_NODE_FLAGS).to.include("--single-threaded-gc");
    expect(
      daemonNodeArgs("verifier/main.ts", ["--config", "v.json", "--role", "worker"]),
    ).to.deep.equal([
      ...DAEMON_NODE_FLAGS,
      "verifier/main.ts",
      "--config",
      "v.json",
      "--role",
      "worker",
    ]);
  });

  it("a devnet daemon process runs with them: V8 takes them, the daemon's argv does not hold them", async function () {
    const entry = path.join(dir, "report.mjs");
    await writeFile(
      entry,
      "console.log(JSON.stringify({ execArgv: process.execArgv, argv: process.argv.slice(2) }));\n",
    );
    const daemon = await spawnDaemon("verifier", "flags", { any: "config" }, { dir }, { entry });
    expect(await daemon.exited).to.equal(0);
    const report = JSON.parse((await readFile(daemon.logFile, "utf8")).trim()) as {
      execArgv: string[];
      argv: string[];
    };
    expect(report.execArgv).to.deep.equal([...DAEMON_NODE_FLAGS]);
    expect(report.argv).to.deep.equal(["--config", daemon.configFile]);
  });
});
