// Cross-machine evidence: the committed reference runs (test/vectors/reference-runs.json, made on
// one machine) checked on whatever machine runs the suite. Exact: every checkpoint digest
// reproduces bit for bit. Tolerance: each segment re-executed here from the reference's checkpoint
// i − 1 lands within the reference machine's calibrated thresholds of its checkpoint i — the check
// a verifier here makes of a provider there. Prints the CPU and the worst ratio seen.
import { readFile } from "node:fs/promises";

import { expect } from "chai";

import { stateDigest } from "../../../src/checkpoint/state-codec.ts";
import { compareStates } from "../../../src/engine/state-tolerance.ts";
import {
  REFERENCE_RUNS_PATH,
  ReferenceRunsSchema,
  decodeCheckpoint,
  identityOf,
  machineDescription,
  reexecuteSegment,
  referenceJobs,
  trainCheckpoints,
  type ReferenceRuns,
} from "../../vectors/reference-runs.ts";
import type { SmallJob } from "./helpers/fixtures.ts";

const REGENERATE =
  "the reference job itself changed: run `npm run reference-runs` and commit the file";

describe("cross-machine evidence: the committed reference runs reproduce here", function () {
  let reference: ReferenceRuns;
  let jobs: { exact: SmallJob; tolerance: SmallJob };

  before(async function () {
    reference = ReferenceRunsSchema.parse(JSON.parse(await readFile(REFERENCE_RUNS_PATH, "utf8")));
    jobs = await referenceJobs();
    const here = machineDescription();
    console.log(
      `      reference made on: ${reference.machine.cpu} (${reference.machine.platform}, node ${reference.machine.node})`,
    );
    console.log(`      checked on:        ${here.cpu} (${here.platform}, node ${here.node})`);
  });

  it("exact numerics: every checkpoint digest of the reference run reproduces bit for bit", async function () {
    const { digests, ...identity } = reference.exact;
    expect(identityOf(jobs.exact), REGENERATE).to.deep.equal(identity);
    const states = await trainCheckpoints(jobs.exact);
    const here = states.map(stateDigest);
    console.log(`      exact: ${here.length} checkpoint digests compared`);
    expect(here).to.deep.equal(digests);
  });

  it("tolerance numerics: every segment re-executed here stays within the reference's calibrated thresholds", async function () {
    const { checkpoints, tolerance, ...identity } = reference.tolerance;
    expect(identityOf(jobs.tolerance), REGENERATE).to.deep.equal(identity);
    const info = jobs.tolerance.job.program.info;
    let worst = 0;
    let identical = 0;
    for (let i = 1; i < checkpoints.length; i++) {
      const start = decodeCheckpoint(checkpoints[i - 1]!, i - 1);
      const committed = decodeCheckpoint(checkpoints[i]!, i);
      const here = await reexecuteSegment(jobs.tolerance, start);
      const comparison = compareStates(info, tolerance, committed, here);
      worst = Math.max(worst, comparison.ratio);
      if (stateDigest(here) === stateDigest(committed)) identical += 1;
      expect(comparison.ok, `segment ${i}: ${comparison.reason}`).to.equal(true);
    }
    console.log(
      `      tolerance: ${checkpoints.length - 1} segments, ${identical} bit-identical, worst element at ${(worst * 100).toFixed(4)}% of its threshold`,
    );
  });
});
