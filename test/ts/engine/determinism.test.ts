import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { expect } from "chai";

import { fixtureDigests } from "./helpers/child-digests.ts";

const run = promisify(execFile);

describe("determinism", function () {
  it("two sessions in one process produce the same checkpoint digests", async function () {
    const first = await fixtureDigests();
    const second = await fixtureDigests();
    expect(second).to.deep.equal(first);
    expect(new Set(first["exact"]).size).to.equal(first["exact"]!.length);
  });

  it("a separate process produces the same checkpoint digests, in both numerics", async function () {
    const script = fileURLToPath(new URL("./helpers/child-digests.ts", import.meta.url));
    const { stdout } = await run(process.execPath, [script], { encoding: "utf8", timeout: 60_000 });
    const child = JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, string[]>;
    const here = await fixtureDigests();
    expect(child).to.deep.equal(here);
    expect(child["exact"]).to.have.length(7);
    expect(child["tolerance"]).to.have.length(7);
  });
});
