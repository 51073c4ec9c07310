// The commit–reveal commitments DisputeGame and FraudProofs check, in one place for the verifier
// daemon, the in-process challenger and the contract tests (which check them against the
// contracts): a challenge binds (job, segment, the challenger's own end digest, salt, challenger),
// a vote binds (dispute, seat, vote, distance, salt, referee) and a fraud proof binds (kind, job,
// a hash of its leaves and proof, salt, prover), so none can be copied from the mempool by another
// address. Pure: no I/O.
import { encodeAbiParameters, keccak256, stringToHex, type Address, type Hex } from "viem";

import type { TraceLeaf } from "./leaf.ts";

/** keccak256(abi.encode(jobId, segment, claim, salt, challenger)), as DisputeGame.revealChallenge checks. */
export function challengeCommitment(
  jobId: bigint,
  segment: number,
  claim: Hex,
  salt: Hex,
  challenger: Address,
): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "uint256" },
        { type: "uint256" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "address" },
      ],
      [jobId, BigInt(segment), claim, salt, challenger],
    ),
  );
}

/** keccak256(abi.encode(disputeId, seat, vote, distancePpm, salt, referee)), as revealVote checks. */
export function voteCommitment(
  disputeId: bigint,
  seat: number,
  vote: number,
  distancePpm: bigint,
  salt: Hex,
  referee: Address,
): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "uint256" },
        { type: "uint256" },
        { type: "uint8" },
        { type: "uint256" },
        { type: "bytes32" },
        { type: "address" },
      ],
      [disputeId, BigInt(seat), vote, distancePpm, salt, referee],
    ),
  );
}

/** The ABI of an OpenedLeaf (contracts/types/JobTypes.sol). */
const OPENED_LEAF = {
  type: "tuple",
  components: [
    { name: "index", type: "uint256" },
    { name: "stateDigest", type: "bytes32" },
    { name: "lossBits", type: "uint64" },
    { name: "updateNorm", type: "uint64" },
  ],
} as const;

/** keccak256(abi.encode(leaves, proof)), as FraudProofs.topQEvidence computes it. */
export function topQEvidence(leaves: readonly TraceLeaf[], proof: readonly Hex[]): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ ...OPENED_LEAF, type: "tuple[]" }, { type: "bytes32[]" }],
      [leaves, proof],
    ),
  );
}

/** keccak256(abi.encode(leaf, proof)), as FraudProofs.finalDigestEvidence computes it. */
export function finalDigestEvidence(leaf: TraceLeaf, proof: readonly Hex[]): Hex {
  return keccak256(encodeAbiParameters([OPENED_LEAF, { type: "bytes32[]" }], [leaf, proof]));
}

/**
 * keccak256(abi.encode(kind, jobId, evidence, salt, prover)) with kind the bytes32 of "topQ" or
 * "finalDigest", as FraudProofs checks a revealed proof.
 */
export function fraudCommitment(
  kind: "topQ" | "finalDigest",
  jobId: bigint,
  evidence: Hex,
  salt: Hex,
  prover: Address,
): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "uint256" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "address" },
      ],
      [stringToHex(kind, { size: 32 }), jobId, evidence, salt, prover],
    ),
  );
}
