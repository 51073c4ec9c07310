// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice A job's receipt round (see IReceipts): written when the job opens, if it offers receipts.
struct ReceiptRound {
    // slot 0
    /// @dev When the samples were opened; the phases are fractions of `window` from here.
    uint40 openedAt;
    /// @dev The job's challenge window at the open.
    uint32 window;
    /// @dev The block of the open: receipts are weighted by committee weight as it stood then.
    uint32 snapshot;
    /// @dev The randomness request for the probe steps (0: not requested).
    uint32 probeRequest;
    /// @dev k, steps per segment (> 1: a segment has probe steps 1..k − 1).
    uint32 checkpointInterval;
    /// @dev Receipts committed, and receipts revealed that match every probe.
    uint32 committed;
    uint32 matched;
    // slot 1
    /// @dev keccak256(abi.encode(Probes)) once the provider published them (0 before).
    bytes32 probesHash;
    // slot 2
    /// @dev The verification budget handed over at finalize (0 until then, and for ever when no
    /// receipt matched: the budget then returned to the submitter).
    uint128 budget;
    /// @dev The sum of the snapshot weights of the matching receipts.
    uint128 matchedWeight;
    // slot 3
    /// @dev Paid out so far, and to how many receipts: the last claim takes the rounding remainder.
    uint128 paid;
    uint32 claimed;
    /// @dev n and q: with `seed`, the sampled segments (SamplerLib), whatever block hashes expired.
    uint32 checkpoints;
    uint8 samples;
    // slot 4
    /// @dev The job's sample seed, kept at the open.
    bytes32 seed;
}

/// @notice One verifier's receipt on one job.
struct Receipt {
    /// @dev keccak256(abi.encode(jobId, roots, salt, verifier)).
    bytes32 commitment;
    /// @dev The verifier's committee weight at the round's snapshot.
    uint128 weight;
    bool matched;
    bool claimed;
}

/// @notice The provider's probe digests: for each sampled segment (in `sampledSegments` order), the
/// probe step drawn inside it and the digest of the state after that step.
struct Probes {
    uint256[] segments;
    uint256[] steps;
    bytes32[] digests;
}
