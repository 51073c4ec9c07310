// The BN254 scalar field, in which circom signals, Poseidon and Groth16 public inputs live.
import { randomBytes } from "node:crypto";

/** r of BN254 (alt_bn128): the order of the scalar field. */
export const SNARK_SCALAR_FIELD =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** The field representative of a signed integer (negative values wrap to r − |x|). */
export function toField(x: bigint): bigint {
  const m = x % SNARK_SCALAR_FIELD;
  return m < 0n ? m + SNARK_SCALAR_FIELD : m;
}

/** A uniformly random field element: the blinding salt of a hiding commitment. */
export function randomFieldElement(): bigint {
  // Rejection sampling on 254-bit strings keeps the distribution exactly uniform.
  const mask = (1n << 254n) - 1n;
  for (;;) {
    const candidate = BigInt(`0x${randomBytes(32).toString("hex")}`) & mask;
    if (candidate < SNARK_SCALAR_FIELD) return candidate;
  }
}
