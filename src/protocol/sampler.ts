// Segment sampling (docs/protocol.md §4): from a job's seed, q distinct segment indices in
// [1, n], uniformly, by Floyd's algorithm — exactly q draws, no rejection loop, so the
// Solidity twin (contracts/libraries/SamplerLib.sol) runs in bounded gas.
//   for j in 0..q−1: m = n − q + 1 + j; t = 1 + keccak256(abi.encode(seed, j)) mod m;
//                    pick t unless already picked, else pick m.
// The modulo bias is below 2^−224 for n < 2^32.
import { encodeAbiParameters, hexToBigInt, keccak256, type Hex } from "viem";

/** The per-job seed: the randomness source's value bound to the job id. */
export function jobSeed(randomness: Hex, jobId: bigint): Hex {
  return keccak256(
    encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }], [randomness, jobId]),
  );
}

export function sampleSegments(seed: Hex, n: bigint, q: number): bigint[] {
  if (n < 1n) throw new RangeError("n must be at least 1");
  if (!Number.isInteger(q) || q < 0 || BigInt(q) > n)
    throw new RangeError(`q=${q} must be within [0, n=${n}]`);
  const picked: bigint[] = [];
  for (let j = 0; j < q; j++) {
    const m = n - BigInt(q) + 1n + BigInt(j);
    const draw = hexToBigInt(
      keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }], [seed, BigInt(j)])),
    );
    const t = 1n + (draw % m);
    picked.push(picked.includes(t) ? m : t);
  }
  return picked;
}

/** Probability that q uniform samples (with replacement, a lower bound for Floyd's) miss every fabricated segment. */
export function detectionProbability(fabricatedFraction: number, q: number): number {
  if (!(fabricatedFraction >= 0 && fabricatedFraction <= 1))
    throw new RangeError("f must be within [0, 1]");
  return 1 - (1 - fabricatedFraction) ** q;
}
