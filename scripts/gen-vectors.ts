// Regenerates the shared TypeScript/Solidity protocol test vectors from src/protocol:
// test/vectors/protocol.json and test/solidity/generated/ProtocolVectors.sol.
// Usage: npm run vectors — then commit both files; test/ts/protocol/vectors.test.ts fails until
// the committed copies match what src/protocol computes.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import {
  VECTORS_JSON_PATH,
  VECTORS_SOL_PATH,
  buildVectors,
  renderJson,
  renderSolidity,
} from "../test/vectors/protocol-vectors.ts";

const vectors = buildVectors();
for (const [file, text] of [
  [VECTORS_JSON_PATH, await renderJson(vectors)],
  [VECTORS_SOL_PATH, await renderSolidity(vectors)],
] as const) {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
