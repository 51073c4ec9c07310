import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { deleteKeys } from "../../../src/devnet/redis.ts";
import { REPO, runCli, startCli, type RunningCli } from "./run-cli.ts";

// The README's "Run a network by hand", run as written: every line of its block, in order, in a
// fresh directory — `npx assay …` is the repository's CLI, `KEY=value` prefixes are the command's
// environment, `devnet`, `worker` and `verifier` keep running in the background (as in their own
// terminals) — until the job is Finalized and its result downloaded. Prints the wall time.
const LONG_RUNNING: Record<string, RegExp> = {
  devnet: /devnet ready in/,
  worker: /provider daemon started/,
  verifier: /verifier started/,
};
const PORTS = [8545, 8700, 8780];

interface Line {
  env: Record<string, string>;
  args: string[];
}

async function readmeBlock(): Promise<Line[]> {
  const readme = await readFile(path.join(REPO, "README.md"), "utf8");
  const begin = readme.indexOf("<!-- hand-run:begin -->");
  const end = readme.indexOf("<!-- hand-run:end -->");
  if (begin < 0 || end < begin) throw new Error("README.md has no hand-run block");
  const block = readme.slice(begin, end).split("```sh")[1]!.split("```")[0]!;
  return block
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const words = l.split(/\s+/);
      const env: Record<string, string> = {};
      while (/^[A-Z_]+=/.test(words[0]!)) {
        const [key, value] = words.shift()!.split("=") as [string, string];
        env[key] = value;
      }
      if (words[0] !== "npx" || words[1] !== "assay")
        throw new Error(`README hand-run line is not an assay command: ${l}`);
      return { env, args: words.slice(2) };
    });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("README: Run a network by hand", function () {
  this.timeout(600_000);
  let dir: string;
  const background: RunningCli[] = [];

  before(async function () {
    for (const port of PORTS)
      if (await listening(port))
        throw new Error(
          `port ${port} is taken: the README's network runs on the default ports 8545, 8700 and 8780 (explorer)`,
        );
    dir = await mkdtemp(path.join(tmpdir(), "assay-hand-run-"));
  });

  after(async function () {
    for (const cli of background.reverse()) {
      cli.child.kill("SIGTERM");
      await cli.done;
    }
    await deleteKeys("redis://127.0.0.1:6379", "assay-verifier-6:*").catch(() => undefined);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("runs every line as written: the job is Finalized and its result downloaded", async function () {
    const lines = await readmeBlock();
    expect(lines.map((l) => l.args[0])).to.include.members(["devnet", "worker", "verifier"]);
    const started = performance.now();
    let status = "";
    for (const line of lines) {
      const ready = LONG_RUNNING[line.args[0]!];
      if (ready !== undefined) {
        const cli = startCli(line.args, line.env, dir);
        background.push(cli);
        await cli.waitForOutput(ready);
        continue;
      }
      const result = await runCli(line.args, line.env, dir);
      expect(result.code, `assay ${line.args.join(" ")}: ${result.stderr}`).to.equal(0);
      if (line.args[0] === "status") status = result.stdout;
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `      README hand-run: ${lines.length} commands, ${seconds.toFixed(1)} s end to end`,
    );
    expect(status).to.match(/job 1: Finalized/);
    expect(existsSync(path.join(dir, "model.bin"))).to.equal(true);
  });
});
