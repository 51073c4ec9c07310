// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @dev Bound on what a slashed provider can win back through addresses of its own: the
/// challenger's plus the referees' shares (DisputeGame), the fraud prover's share (FraudProofs).
/// The deterrent stays at least (1 − 10 %) · collateral (docs/disputes.md, "Self-challenge").
uint256 constant MAX_RECOVERABLE_BPS = 1_000;

/// @notice Phases of a dispute. `None` marks an id that was never used.
enum DisputePhase {
    None,
    /// @dev Exact numerics: provider and challenger narrow the segment to one step.
    Dissection,
    /// @dev Availability disputes: the provider must answer (make the blobs available) on its clock.
    Answer,
    /// @dev Waiting for the randomness that draws the committee.
    AwaitingCommittee,
    /// @dev Referees commit, then reveal, their votes.
    Voting,
    Resolved
}

/// @notice What a dispute is about; the challenger chooses it by the digest it reveals (see
/// IDisputeGame.revealChallenge).
enum DisputeKind {
    /// @dev The state at the segment's end: exact numerics dissect to one step, tolerance goes to
    /// the committee, which re-executes the segment and judges every claim of its leaf.
    State,
    /// @dev The challenger agrees with the end state and disputes the leaf's other claims (its loss
    /// or its update norm): the committee recomputes them from the committed checkpoints.
    Claims,
    /// @dev The challenger cannot fetch intact a blob the provider committed to for the segment
    /// (checkpoints segment − 1 and segment, the trace manifest): the provider must answer on its
    /// clock, then the committee fetches them and judges the segment as in a claims dispute.
    Availability
}

/// @notice A referee's vote. State disputes, exact numerics: whose post-step digest is right.
/// State disputes, tolerance numerics, and claims disputes: `Provider` means every claim of the
/// segment's leaf holds on re-execution, `Challenger` that one does not. Availability disputes:
/// `Provider` means every blob of the segment was fetched intact and every claim holds,
/// `Challenger` otherwise.
/// `Neither` exists only for exact state disputes.
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
    /// @dev The challenger withdrew an answered availability challenge before its committee was
    /// drawn: the bond is returned, nobody is judged. (A vote without a majority is redrawn.)
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

/// @notice Packed storage of a dispute: five full slots, as marked.
// solhint-disable-next-line gas-struct-packing
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
    /// @dev The current round's randomness request (a source's ids must fit 32 bits).
    uint32 randomnessRequest;
    /// @dev The block whose committee weights the round's draw reads: the block its randomness was
    /// requested in, so nobody can reshape the pool once the value is known.
    uint32 snapshot;
    /// @dev Committee rounds begun: 1 for the first draw, one more per redraw (0: an answered
    /// availability challenge inside its withdrawal window, before any randomness exists).
    uint24 round;
    /// @dev Seats drawn (always the job's committee size: a short draw is redrawn); a majority is
    /// drawn / 2 + 1.
    uint8 drawn;
    // slot 3: dissection: keccak256(abi.encode(DissectionDigests, posted points hash)); voting: committee hash
    bytes32 state;
    // slot 4: voting (an answered availability dispute awaiting its first round: commitDeadline is
    // the end of the challenger's withdrawal window)
    uint40 commitDeadline;
    uint40 revealDeadline;
    uint8 votesProvider;
    uint8 votesChallenger;
    uint8 votesNeither;
    uint32 committedSeats;
    uint32 revealedSeats;
    /// @dev Revealed votes, two bits per seat.
    uint64 votes;
    DisputeKind kind;
    /// @dev The governance parameters it runs under (DisputeGame keeps every version).
    uint16 version;
}
