// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice Lifecycle of a job (docs/protocol.md §4). `None` marks an id that was never created.
enum JobStatus {
    None,
    Open,
    Accepted,
    Submitted,
    Opened,
    Disputed,
    Finalized,
    Cancelled,
    Expired,
    Slashed
}

/// @notice How re-executed segments are compared: `Exact` by state digest, `Tolerance` by normalized distance.
enum Numerics {
    None,
    Exact,
    Tolerance
}

/// @notice What a submitter asks for. Durations are seconds; amounts are in the protocol token.
struct JobParams {
    /// @dev sha-256 of the canonical job spec JSON (sorted keys, no whitespace).
    bytes32 specHash;
    /// @dev h_0: sha-256 of the canonical initial training state.
    bytes32 initialStateDigest;
    /// @dev Total escrow: the provider's payment plus the verification budget.
    uint128 amount;
    /// @dev Provider stake locked while the job runs.
    uint128 collateral;
    /// @dev T, the number of training steps.
    uint32 totalSteps;
    /// @dev k, steps between checkpoints; must divide T.
    uint32 checkpointInterval;
    Numerics numerics;
    /// @dev Tolerance threshold on the normalized distance, in parts per million (0 for exact).
    uint32 deltaPpm;
    /// @dev q, the number of segments sampled from the seed.
    uint8 samples;
    /// @dev Q, the number of largest-update segments the provider must also open.
    uint8 topQ;
    /// @dev m, referees per dispute committee.
    uint8 committeeSize;
    /// @dev Share of `amount` set aside to pay verification, in basis points.
    uint16 verificationBps;
    uint32 acceptWindow;
    uint32 trainWindow;
    uint32 openWindow;
    uint32 challengeWindow;
}

/// @notice A leaf of the trace tree as opened on chain; the job id is implied.
struct OpenedLeaf {
    uint256 index;
    bytes32 stateDigest;
    uint64 lossBits;
    uint64 updateNorm;
}

/// @notice Packed storage of a job. Slot boundaries are marked; see JobMarket for who writes what.
struct Job {
    // slot 0
    address submitter;
    JobStatus status;
    Numerics numerics;
    uint8 samples;
    uint8 topQ;
    uint8 committeeSize;
    /// @dev 32 bits: filling it takes 2^32 challenge bonds, so no attacker can block challenges.
    uint32 openDisputes;
    uint16 verificationBps;
    /// @dev How many of the provider's top-Q segments have a norm above `minTopNorm` (see FraudProofs).
    uint8 topAbove;
    // slot 1
    address provider;
    uint32 checkpoints;
    uint32 checkpointInterval;
    uint32 deltaPpm;
    // slot 2
    bytes32 specHash;
    // slot 3
    bytes32 initialStateDigest;
    // slot 4
    uint96 amount;
    uint96 collateral;
    /// @dev The smallest update norm among the provider's top-Q segments (0 when Q = 0).
    uint64 minTopNorm;
    // slot 5
    uint32 trainWindow;
    uint32 openWindow;
    uint32 challengeWindow;
    /// @dev Deadline of the current phase: accept, submit, open or challenge end.
    uint40 deadline;
    /// @dev Randomness request id for the sample seed.
    uint64 randomnessRequest;
    /// @dev Checkpoints committed so far through progress commits.
    uint24 progress;
    /// @dev When the job's open disputes last went from none to some (0 while none are open): the
    /// challenge deadline extends by the time disputes were open.
    uint32 disputedSince;
    // slot 6
    bytes32 traceRoot;
    // slot 7
    bytes32 finalDigest;
}

/// @notice The facts about a job that the dispute game reads.
struct DisputeContext {
    address submitter;
    JobStatus status;
    Numerics numerics;
    uint8 committeeSize;
    uint8 topQ;
    uint8 topAbove;
    uint32 checkpoints;
    uint32 checkpointInterval;
    address provider;
    uint32 deltaPpm;
    uint64 minTopNorm;
    uint128 collateral;
    uint40 deadline;
    bytes32 initialStateDigest;
    bytes32 traceRoot;
    bytes32 finalDigest;
}

/// @notice What the dispute game needs when a dispute starts.
struct DisputeStart {
    address submitter;
    Numerics numerics;
    uint32 checkpoints;
    uint32 checkpointInterval;
    address provider;
    bytes32 initialStateDigest;
    bytes32 traceRoot;
}
