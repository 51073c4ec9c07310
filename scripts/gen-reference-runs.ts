// Regenerates the cross-machine reference runs: test/vectors/reference-runs.json (the exact job's
// checkpoint digests; the tolerance job's checkpoints and calibrated thresholds), made on this
// machine. Usage: npm run reference-runs — then commit the file; test/ts/engine/cross-machine.test.ts
// checks every other machine against it. Regenerate only when the reference jobs change (the test
// says so when their program, dataset or initial state no longer match).
import { writeFile } from "node:fs/promises";

import {
  REFERENCE_RUNS_PATH,
  buildReferenceRuns,
  renderReferenceRuns,
} from "../test/vectors/reference-runs.ts";

const runs = await buildReferenceRuns();
await writeFile(REFERENCE_RUNS_PATH, await renderReferenceRuns(runs));
console.log(
  `wrote ${REFERENCE_RUNS_PATH}: ${runs.exact.digests.length} exact digests, ${runs.tolerance.checkpoints.length} tolerance checkpoints, made on ${runs.machine.cpu}`,
);
