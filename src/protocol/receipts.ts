// Paid verification by receipts (docs/receipts.md): the leaves, roots, proofs and commitments the
// Receipts contract checks, and the probe step it draws. One implementation for the verifier
// daemon, the provider daemon, the demo and the contract tests. Pure: no I/O.
import { encodeAbiParameters, keccak256, stringToHex, type Address, type Hex } from "viem";

import { buildLevels, merkleProof } from "./merkle.ts";

/** The provider's published probes (the ProbesPublished event), in sampled-segment order. */
export interface Probes {
  segments: readonly bigint[];
  steps: readonly bigint[];
  digests: readonly Hex[];
}

/** keccak256(abi.encode(segment, step, digest)): the leaf for the state after `step` steps. */
export function receiptLeaf(segment: number, step: number, digest: Hex): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "uint256" }, { type: "bytes32" }],
      [BigInt(segment), BigInt(step), digest],
    ),
  );
}

/**
 * The receipt tree of a segment: leaves for steps 1..k − 1 (`interior[j − 1]` is the digest after
 * step j), positional and zero-padded like the trace tree.
 */
export function receiptLevels(segment: number, interior: readonly Hex[]): Hex[][] {
  if (interior.length === 0) throw new RangeError("a segment of one step has no probe steps");
  return buildLevels(interior.map((digest, j) => receiptLeaf(segment, j + 1, digest)));
}

export function receiptRoot(segment: number, interior: readonly Hex[]): Hex {
  return receiptLevels(segment, interior).at(-1)![0]!;
}

/** The proof that the digest after `step` is in the segment's receipt root. */
export function receiptProof(segment: number, interior: readonly Hex[], step: number): Hex[] {
  if (!Number.isInteger(step) || step < 1 || step > interior.length)
    throw new RangeError(`probe step ${step} is outside 1..${interior.length}`);
  return merkleProof(receiptLevels(segment, interior), step - 1);
}

/** keccak256(abi.encode(jobId, roots, salt, verifier)), as Receipts.revealReceipt checks. */
export function receiptCommitment(
  jobId: bigint,
  roots: readonly Hex[],
  salt: Hex,
  verifier: Address,
): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "bytes32[]" }, { type: "bytes32" }, { type: "address" }],
      [jobId, roots, salt, verifier],
    ),
  );
}

/** 1 + keccak256(abi.encode(value, jobId, segment)) mod (k − 1), as Receipts draws it. */
export function probeStep(value: Hex, jobId: bigint, segment: number, k: number): number {
  if (!Number.isInteger(k) || k < 2) throw new RangeError("probe steps need k ≥ 2");
  const h = BigInt(
    keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "uint256" }, { type: "uint256" }],
        [value, jobId, BigInt(segment)],
      ),
    ),
  );
  return 1 + Number(h % BigInt(k - 1));
}

/** DisputeGame.PROBE_CHALLENGE: the domain of probe challenge commitments. */
export const PROBE_CHALLENGE: Hex = keccak256(stringToHex("assay.probe-challenge"));

/** keccak256(abi.encode(PROBE_CHALLENGE, jobId, segment, claim, salt, challenger)). */
export function probeChallengeCommitment(
  jobId: bigint,
  segment: number,
  claim: Hex,
  salt: Hex,
  challenger: Address,
): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "uint256" },
        { type: "uint256" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "address" },
      ],
      [PROBE_CHALLENGE, jobId, BigInt(segment), claim, salt, challenger],
    ),
  );
}
