// npm run circuits:check
//
// CI's check of the committed element circuit: recompile with circom2 and compare the
// r1cs and wasm with circuits/manifest.json (circom2 output is deterministic), check
// every artifact digest, that the verification key and the Solidity verifier are what
// snarkjs derives from the committed zkey, then prove and verify one element. When the
// circuit sources changed it says to run `npm run circuits:setup` (the slow part).
import { checkCircuit } from "../src/zk/circuit-build.ts";
import { REPO_ROOT } from "../src/zk/element-circuit.ts";
import { ElementProver, releaseZkWorkers } from "../src/zk/element-prover.ts";
import { randomFieldElement } from "../src/zk/field.ts";

async function main(): Promise<boolean> {
  const report = await checkCircuit(REPO_ROOT);
  if (report.problems.length > 0) {
    console.error("circuit check failed:");
    for (const problem of report.problems) console.error(`  - ${problem}`);
    return false;
  }
  const { params, constraints, sourcesSha256 } = report.manifest.circuit;
  console.log(
    `artifacts match circuits/manifest.json: ${constraints} constraints, sources ${sourcesSha256}`,
  );
  const prover = await ElementProver.open();
  try {
    const ramp = (bits: number, k: number): bigint[] =>
      Array.from({ length: params.n }, (_, i) =>
        BigInt(((i * k) % (1 << bits)) - (1 << (bits - 1))),
      );
    const proven = await prover.prove({
      a: ramp(params.aBits, 37),
      b: ramp(params.bBits, 91),
      saltA: randomFieldElement(),
      saltB: randomFieldElement(),
      saltOut: randomFieldElement(),
    });
    if (!(await prover.verify(proven.commitments, proven.proof))) {
      console.error("a fresh proof did not verify");
      return false;
    }
    console.log(`proved and verified one element (out = ${proven.out})`);
  } finally {
    await prover.close();
  }
  return true;
}

try {
  process.exitCode = (await main()) ? 0 : 1;
} finally {
  await releaseZkWorkers();
}
