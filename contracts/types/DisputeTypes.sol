// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice Phases of a dispute. `None` marks an id that was never used.
enum DisputePhase {
    None,
    /// @dev Exact numerics: provider and challenger narrow the segment to one step.
    Dissection,
    /// @dev Waiting for the randomness that draws the committee.
    AwaitingCommittee,
    /// @dev Referees commit, then reveal, their votes.
    Voting,
    Resolved
}

/// @notice A referee's vote. Exact numerics: whose post-step digest is right. Tolerance numerics:
/// `Provider` means the re-executed segment is within delta (pass), `Challenger` that it is not.
enum Vote {
    None,
    Provider,
    Challenger,
    Neither
}

enum Outcome {
    None,
    /// @dev The challenger lost: its bond goes to the provider and the majority referees.
    ProviderWon,
    /// @dev The provider lost: its job collateral is slashed and the job ends as Slashed.
    ChallengerWon,
    /// @dev No side reached a majority: the bond is returned, nobody but absent or minority referees pays.
    NoVerdict
}

/// @notice The digests a dissection is about, resupplied by each mover (storage keeps their hash).
struct DissectionDigests {
    /// @dev Agreed digest at step `lo` of the segment.
    bytes32 lo;
    /// @dev The provider's digest at step `hi`.
    bytes32 hi;
    /// @dev The challenger's digest at step `hi` (always different from the provider's).
    bytes32 challengerHi;
}

/// @notice Packed storage of a dispute.
struct Dispute {
    // slot 0
    uint40 jobId;
    uint24 segment;
    /// @dev Dissection range, in steps from the start of the segment: lo is agreed, hi is disputed.
    uint32 lo;
    uint32 hi;
    uint32 lastMoveAt;
    /// @dev Chess clocks: seconds each side has left.
    uint32 challengerClock;
    uint32 providerClock;
    DisputePhase phase;
    Outcome outcome;
    bool providerTurn;
    bool exact;
    // slot 1
    address challenger;
    uint96 bond;
    // slot 2
    address provider;
    uint48 randomnessRequest;
    uint8 threshold;
    uint8 drawn;
    /// @dev Size of the registry's (append-only) verifier set when the committee's randomness was
    /// requested: the draw picks only among these, so nobody can reshape the pool once the value is known.
    uint32 population;
    // slot 3: dissection: keccak256(abi.encode(DissectionDigests, posted points hash)); voting: committee hash
    bytes32 state;
    // slot 4: voting
    uint40 commitDeadline;
    uint40 revealDeadline;
    uint8 votesProvider;
    uint8 votesChallenger;
    uint8 votesNeither;
    uint32 committedSeats;
    uint32 revealedSeats;
    /// @dev Revealed votes, two bits per seat.
    uint64 votes;
}
