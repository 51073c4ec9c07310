// Run as a child process by determinism.test.ts: trains the fixture jobs in a fresh
// process (fresh ONNX Runtime environment) and prints every checkpoint digest as JSON.
// Importing this file does nothing; it runs only as the entry point.
import { pathToFileURL } from "node:url";

import { train } from "../../../../src/training/trainer.ts";
import { smallJob } from "./fixtures.ts";

export async function fixtureDigests(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const numerics of ["exact", "tolerance"] as const) {
    const { job, initialState, store } = await smallJob(numerics);
    const result = await train(job, { store, start: initialState });
    out[numerics] = result.records.map((r) => r.stateDigest);
  }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await fixtureDigests())}\n`);
}
