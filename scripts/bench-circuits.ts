// The element circuit's cost: constraints, Groth16 prove time (cold: the first proof of a
// fresh process, worker start-up included; warm: the median of later ones), TypeScript
// verify time, on-chain verify gas (a transaction calling ElementProofVerifier.verifyElement,
// intrinsic gas included) and the zkey size. Writes bench-results/circuits.json.
// Run: npm run bench:circuits
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";

import { network } from "hardhat";

import { loadElementCircuit } from "../src/zk/element-circuit.ts";
import { ElementProver, toSolidityProof } from "../src/zk/element-prover.ts";
import { randomFieldElement } from "../src/zk/field.ts";

const WARM_RUNS = 10;

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function randomInput(n: number, aBits: number, bBits: number) {
  const vec = (bits: number): bigint[] =>
    Array.from({ length: n }, () => {
      const half = 1 << (bits - 1);
      return BigInt(Math.floor(Math.random() * 2 * half) - half);
    });
  return {
    a: vec(aBits),
    b: vec(bBits),
    saltA: randomFieldElement(),
    saltB: randomFieldElement(),
    saltOut: randomFieldElement(),
  };
}

const circuit = await loadElementCircuit();
const { params } = circuit;
const prover = await ElementProver.open(circuit);
let proven;
const proveMs: number[] = [];
const verifyMs: number[] = [];
try {
  for (let i = 0; i <= WARM_RUNS; i++) {
    const input = randomInput(params.n, params.aBits, params.bBits);
    const t0 = performance.now();
    proven = await prover.prove(input);
    const t1 = performance.now();
    const ok = await prover.verify(proven.commitments, proven.proof);
    const t2 = performance.now();
    if (!ok) throw new Error("a fresh proof did not verify");
    proveMs.push(t1 - t0);
    verifyMs.push(t2 - t1);
  }
} finally {
  await prover.close();
}

const { viem } = await network.create();
const publicClient = await viem.getPublicClient();
const groth16 = await viem.deployContract(
  "contracts/verifiers/ElementGroth16Verifier.sol:Groth16Verifier",
);
const adapter = await viem.deployContract("ElementProofVerifier", [groth16.address, params]);
const proof = toSolidityProof(proven!.proof);
const { commitA, commitB, commitOut } = proven!.commitments;
if (!(await adapter.read.verifyElement([commitA, commitB, commitOut, proof])))
  throw new Error("the on-chain verifier rejected a valid proof");
const verifyGas = await publicClient.estimateContractGas({
  address: adapter.address,
  abi: adapter.abi,
  functionName: "verifyElement",
  args: [commitA, commitB, commitOut, proof],
});
const verifyProofGas = await publicClient.estimateContractGas({
  address: groth16.address,
  abi: groth16.abi,
  functionName: "verifyProof",
  args: [proof.a, proof.b, proof.c, [commitA, commitB, commitOut]],
});

const round = (x: number): number => Math.round(x * 10) / 10;
const result = {
  constraints: circuit.manifest.circuit.constraints,
  proveMsWarm: round(median(proveMs.slice(1))),
  proveMsCold: round(proveMs[0]!),
  verifyMs: round(median(verifyMs.slice(1))),
  verifyGas: Number(verifyGas),
  zkeyBytes: circuit.manifest.artifacts.zkey.bytes,
  // Context for the figures above.
  params,
  ptauPower: circuit.manifest.setup.ptauPower,
  warmRuns: WARM_RUNS,
  verifyProofGasDirect: Number(verifyProofGas),
  wasmBytes: circuit.manifest.artifacts.wasm.bytes,
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    loadAverage1m: round(os.loadavg()[0]!),
  },
};
await mkdir("bench-results", { recursive: true });
await writeFile("bench-results/circuits.json", `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
