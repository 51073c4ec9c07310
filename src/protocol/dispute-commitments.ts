// The commit–reveal commitments DisputeGame checks, in one place for the verifier daemon, the
// in-process challenger and the contract tests (which check them against the contract): a
// challenge binds (job, segment, the challenger's own end digest, salt, challenger) and a vote binds
// (dispute, seat, vote, distance, salt, referee), so neither can be copied from the mempool by
// another address. Pure: no I/O.
import { encodeAbiParameters, keccak256, type Address, type Hex } from "viem";

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
