import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import {
  detectionProbability,
  minimumCollateral,
  samplesForDetection,
} from "../../../src/protocol/economics.ts";
import { parseJobSpecBytes, specHash } from "../../../src/protocol/job-spec.ts";
import { FsBlobStore } from "../../../src/store/fs-store.ts";
import { errorLines, runCli, startCli } from "./run-cli.ts";

// The offline commands (no chain, no store server): params and spec build.
/** `assay params <args> --json`, which must succeed, parsed. */
async function paramsJson<T>(args: readonly string[]): Promise<T> {
  const r = await runCli(["params", ...args, "--json"]);
  expect(r.code, r.stderr).to.equal(0);
  return JSON.parse(r.stdout) as T;
}

describe("assay CLI offline: params and spec build", function () {
  let dir: string;

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "assay-cli-"));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("params prints the detection probability, samples for the target and minimum collateral of economics.ts", async function () {
    const fractions = [0.05, 0.25, 0.5];
    const out = await paramsJson<{
      recoverableBps: number;
      deterrentRatio: number;
      rows: { f: number; detection: number; samplesForTarget: number; minimumCollateral: number }[];
    }>(["--f", fractions.join(","), "--q", "6", "--gain", "40", "--target", "0.95"]);
    expect(out.rows.map((row) => row.f)).to.deep.equal(fractions);
    // By default a self-challenge wins back the contracts' bound, 10%: the deterrent is 0.9·C.
    expect(out.recoverableBps).to.equal(1_000);
    expect(out.deterrentRatio).to.equal(0.9);
    for (const row of out.rows) {
      expect(row.detection).to.equal(detectionProbability(row.f, 6));
      expect(row.samplesForTarget).to.equal(samplesForDetection(row.f, 0.95));
      expect(row.minimumCollateral).to.equal(minimumCollateral(40, row.f, 6, 1_000));
    }
    // A hand check of one row: 1 − 0.5^6 = 0.984375; 40 / (0.984375 · 0.9) = 45.150 (3 decimals).
    expect(out.rows[2]!.detection).to.equal(0.984375);
    expect(out.rows[2]!.minimumCollateral).to.be.closeTo(45.15, 0.001);
  });

  it("params --recoverable-bps sizes collateral for the deployment's shares, and refuses what is not a share", async function () {
    const out = await paramsJson<{ deterrentRatio: number; rows: { minimumCollateral: number }[] }>(
      ["--f", "0.5", "--q", "6", "--gain", "40", "--recoverable-bps", "0"],
    );
    expect(out.deterrentRatio).to.equal(1);
    expect(out.rows[0]!.minimumCollateral).to.be.closeTo(40.635, 0.001);
    const bad = await runCli(["params", "--recoverable-bps", "10001"]);
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr).to.match(/recoverable-bps/);
  });

  it("a reader that stops early (assay params | head -1) ends the command quietly, not with an EPIPE stack trace", async function () {
    const fractions = Array.from({ length: 2999 }, (_, i) => ((i + 1) / 3000).toFixed(6));
    const running = startCli(["params", "--f", fractions.join(",")]);
    // Like `head -1`: read the first chunk, then close the pipe.
    await running.waitForOutput(/detection P/);
    running.child.stdout!.destroy();
    const r = await running.done;
    expect(r.stderr).to.not.match(/EPIPE|at .*\(/);
    expect(r.code).to.equal(0);
  });

  it("params --plot writes an SVG with one curve per fabricated fraction", async function () {
    const file = path.join(dir, "detection.svg");
    const r = await runCli(["params", "--f", "0.1,0.2,0.3,0.4", "--max-q", "32", "--plot", file]);
    expect(r.code, r.stderr).to.equal(0);
    const svg = await readFile(file, "utf8");
    expect(svg.trimStart()).to.match(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.trimEnd()).to.match(/<\/svg>$/);
    const curves = svg.match(/<polyline [^>]*points="([^"]+)"/g) ?? [];
    expect(curves).to.have.length(4);
    for (const curve of curves) {
      const points = /points="([^"]+)"/.exec(curve)![1]!.trim().split(" ");
      expect(points).to.have.length(33); // q = 0..32
    }
    for (const f of [0.1, 0.2, 0.3, 0.4]) expect(svg).to.contain(`f = ${f}</text>`);
  });

  it("a bad flag value or an unknown flag exits 1 with one assay: line", async function () {
    for (const args of [
      ["params", "--f", "1.5"],
      ["params", "--frac", "0.1"],
      ["params", "--plot", path.join(dir, "plot.png")],
      ["nonsense"],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).to.equal(1);
      expect(errorLines(r), args.join(" ")).to.have.length(1);
      expect(r.stderr.trim().split("\n"), args.join(" ")).to.have.length(1);
    }
    const help = await runCli(["spec", "--help"]);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.contain("usage: assay spec build");
  });

  it("spec build on a tiny synthetic MLP prints the specHash of the file it wrote and uploads every blob", async function () {
    const out = path.join(dir, "spec.json");
    const storeDir = path.join(dir, "store");
    const r = await runCli([
      "spec",
      "build",
      "--mlp",
      "8,6,3",
      "--dataset",
      "synthetic",
      "--sample-count",
      "40",
      "--shard-size",
      "16",
      "--batch-size",
      "4",
      "--steps",
      "16",
      "--interval",
      "4",
      "--samples",
      "2",
      "--seed",
      "cli-test",
      "--out",
      out,
      "--upload",
      "--store-dir",
      storeDir,
      "--json",
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const printed = JSON.parse(r.stdout) as { specHash: string; specCid: string; shards: number };
    const bytes = await readFile(out);
    const fileHash = `0x${createHash("sha256").update(bytes).digest("hex")}`;
    expect(printed.specHash).to.equal(fileHash);
    const spec = parseJobSpecBytes(bytes, { requireCanonical: true });
    expect(specHash(spec)).to.equal(fileHash);
    expect(spec.dataset.shards).to.have.length(3); // 40 samples in shards of 16
    expect(printed.shards).to.equal(3);
    const store = new FsBlobStore({ root: storeDir });
    for (const cid of [
      printed.specCid,
      spec.program.cid,
      spec.program.initialStateCid,
      ...spec.dataset.shards,
    ])
      expect(await store.has(cid), cid).to.equal(true);
  });

  it("spec build refuses a malformed ONNX program with a clear message and writes nothing", async function () {
    const program = path.join(dir, "broken.onnx");
    await writeFile(program, Buffer.from("this is not a protobuf ModelProto at all"));
    const out = path.join(dir, "never.json");
    const storeDir = path.join(dir, "store-broken");
    const r = await runCli([
      "spec",
      "build",
      "--program",
      program,
      "--dataset",
      "synthetic",
      "--out",
      out,
      "--upload",
      "--store-dir",
      storeDir,
    ]);
    expect(r.code).to.equal(1);
    const lines = errorLines(r);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.contain(`${program} is not a valid train-step program`);
    expect(lines[0]).to.contain("not an ONNX ModelProto");
    expect(await readdir(dir)).to.not.include("never.json");
    expect(await readdir(dir)).to.not.include("store-broken");
  });

  it("spec build says what to change, not the range arithmetic or zod's layout, and writes nothing", async function () {
    const out = path.join(dir, "refused.json");
    const common = ["--dataset", "synthetic", "--steps", "40", "--samples", "2", "--top-q", "1"];
    const build = (batch: number) =>
      runCli([
        "spec",
        "build",
        "--mlp",
        "784,128,10",
        "--numerics",
        "exact",
        "--batch-size",
        String(batch),
        "--interval",
        "8",
        ...common,
        "--out",
        out,
      ]);
    const tooBig = await build(1000);
    expect(tooBig.code).to.equal(1);
    const [overflow] = errorLines(tooBig);
    expect(overflow).to.match(
      /--batch-size 1000 is too large for an exact 784-128-10 MLP: its 32-bit integer sums could overflow; at most (\d+) fits \(--batch-size \1\)/,
    );
    expect(overflow).to.not.match(/range \[/);
    // The size it names builds, one more does not.
    const fits = Number(/at most (\d+) fits/.exec(overflow!)![1]);
    expect((await build(fits + 1)).code).to.equal(1);
    expect((await build(fits)).code).to.equal(0);
    await rm(out, { force: true });

    const badInterval = await runCli([
      "spec",
      "build",
      "--mlp",
      "20,16,5",
      "--interval",
      "7",
      ...common,
      "--out",
      out,
    ]);
    expect(errorLines(badInterval)).to.deep.equal([
      "assay: cannot build the spec: invalid job spec: checkpointInterval: checkpointInterval 7 must divide totalSteps 40",
    ]);
    expect(await readdir(dir)).to.not.include("refused.json");
  });
});
