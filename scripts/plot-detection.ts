// Writes docs/detection.svg: detection probability against the number of opened samples q for
// several fabricated fractions f (docs/protocol.md §8). Run: npm run plot:detection
import { writeFile } from "node:fs/promises";

import { detectionPlotSvg, minimumCollateral } from "../src/protocol/economics.ts";

const fractions = [0.01, 0.05, 0.1, 0.25, 0.5];
await writeFile("docs/detection.svg", detectionPlotSvg(fractions, 64));
console.log("wrote docs/detection.svg");
for (const f of fractions) {
  console.log(
    `f = ${f}: q = 8 detects with ${((1 - (1 - f) ** 8) * 100).toFixed(1)}%, collateral per unit of gain ${minimumCollateral(1, f, 8).toFixed(2)}`,
  );
}
