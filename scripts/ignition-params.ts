// Writes ignition/parameters/<network>.json from each deploy/params/<network>.json, the parameters
// of the Ignition modules (deploy/ignition-module.ts) made from the ones deploy/deploy.ts reads.
// Run after editing a deploy/params file: npm run ignition:params
// test/ts/deploy/ignition.test.ts fails while a committed parameter file differs from its source.
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";

import {
  ignitionParametersOf,
  ignitionParametersPath,
  ignitionParametersText,
} from "../deploy/ignition-parameters.ts";

const sources = (await readdir("deploy/params")).filter((f) => f.endsWith(".json")).sort();
let failed = 0;
for (const name of sources) {
  const source = path.join("deploy", "params", name);
  try {
    const raw: unknown = JSON.parse(await readFile(source, "utf8"));
    const { moduleId, parameters } = ignitionParametersOf(raw, source);
    const out = ignitionParametersPath(source);
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, ignitionParametersText(parameters));
    console.log(`wrote ${out} (module ${moduleId}) from ${source}`);
  } catch (error) {
    failed++;
    console.error(error instanceof Error ? error.message : String(error));
  }
}
if (failed > 0) process.exit(1);
