// Trace leaves (docs/protocol.md §3): leaf i commits checkpoint i of a job.
//   leaf_i = keccak256(abi.encode(uint256 jobId, uint256 index, bytes32 stateDigest,
//                                 uint64 lossBits, uint64 updateNorm))
// The Solidity twin is contracts/libraries/TraceLib.sol; test/vectors/ holds the
// shared test vectors both sides check.
import { encodeAbiParameters, keccak256, type Hex } from "viem";

export interface TraceLeaf {
  /** Checkpoint index, 1 ≤ index ≤ n. */
  index: bigint;
  /** sha256 of the canonical serialization of the training state at step index·k. */
  stateDigest: Hex;
  /** Loss encoding: float32 bits (tolerance) or the int64 raw fixed-point loss as two's complement (exact). */
  lossBits: bigint;
  /** ‖W_i − W_{i−1}‖₂ as unsigned Q32.32 fixed point, saturated at 2^64 − 1 (see docs/commitments.md). */
  updateNorm: bigint;
}

const LEAF_ABI = [
  { type: "uint256", name: "jobId" },
  { type: "uint256", name: "index" },
  { type: "bytes32", name: "stateDigest" },
  { type: "uint64", name: "lossBits" },
  { type: "uint64", name: "updateNorm" },
] as const;

export const UINT64_MAX = (1n << 64n) - 1n;

/** The ABI preimage of a leaf (160 bytes). */
export function encodeLeaf(jobId: bigint, leaf: TraceLeaf): Hex {
  if (leaf.lossBits < 0n || leaf.lossBits > UINT64_MAX)
    throw new RangeError("lossBits out of uint64 range");
  if (leaf.updateNorm < 0n || leaf.updateNorm > UINT64_MAX) {
    throw new RangeError("updateNorm out of uint64 range");
  }
  return encodeAbiParameters(LEAF_ABI, [
    jobId,
    leaf.index,
    leaf.stateDigest,
    leaf.lossBits,
    leaf.updateNorm,
  ]);
}

export function hashLeaf(jobId: bigint, leaf: TraceLeaf): Hex {
  return keccak256(encodeLeaf(jobId, leaf));
}

/** float32 bits of a loss value, as a uint64 (tolerance mode). */
export function float32LossBits(loss: number): bigint {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, loss, true);
  return BigInt(view.getUint32(0, true));
}

/** The loss a tolerance leaf's lossBits carry (NaN when the bits are not a float32). */
export function lossFromFloat32Bits(bits: bigint): number {
  if (bits < 0n || bits > 0xffffffffn) return Number.NaN;
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, Number(bits), true);
  return view.getFloat32(0, true);
}

/** Two's-complement uint64 of a signed int64 raw loss (exact mode). */
export function int64LossBits(raw: bigint): bigint {
  if (raw < -(1n << 63n) || raw >= 1n << 63n) throw new RangeError("loss out of int64 range");
  return BigInt.asUintN(64, raw);
}

/** Unsigned Q32.32 encoding of a non-negative real norm, saturating (tolerance mode). */
export function encodeNormQ32(norm: number): bigint {
  if (!(norm >= 0)) throw new RangeError(`update norm must be a non-negative number, got ${norm}`);
  const scaled = norm * 2 ** 32;
  if (scaled >= 2 ** 64) return UINT64_MAX;
  return BigInt(Math.floor(scaled));
}

/** Integer square root (floor) of a non-negative bigint. */
export function isqrt(value: bigint): bigint {
  if (value < 0n) throw new RangeError("isqrt of a negative number");
  if (value < 2n) return value;
  // Newton's iteration from a start above the root decreases monotonically to floor(sqrt).
  let x = 1n << BigInt(Math.ceil(value.toString(2).length / 2));
  for (;;) {
    const y = (x + value / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/**
 * Exact-mode norm: parameters are raw integers with `fracBits` fractional bits, so the
 * real norm is sqrt(Σ Δraw²) / 2^fracBits; its Q32.32 encoding is computed exactly as
 * floor(sqrt(Σ Δraw² · 2^(2·(32 − fracBits)))), saturated at 2^64 − 1.
 */
export function encodeNormFromSquaredRaw(sumSquaredRaw: bigint, fracBits: number): bigint {
  if (fracBits < 0 || fracBits > 32) throw new RangeError("fracBits must be within [0, 32]");
  const q = isqrt(sumSquaredRaw << BigInt(2 * (32 - fracBits)));
  return q > UINT64_MAX ? UINT64_MAX : q;
}
