// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {DisputeId, JobId} from "../types/Ids.sol";
import {OpenedLeaf} from "../types/JobTypes.sol";
import {Probes} from "../types/ReceiptTypes.sol";
import {DissectionDigests, Dispute, DisputeKind, Vote} from "../types/DisputeTypes.sol";
import {ICreditLedger} from "./ICreditLedger.sol";

/// @title Disputes over one segment of a job's trace (docs/protocol.md §6)
/// @notice A staked verifier commits to a challenge (job, segment, its own digest for the segment's
/// end, a salt, its address) and reveals it at least one block later with a bond, inside the job's
/// challenge window. Exact numerics: provider and challenger then narrow the segment's k steps down
/// to one by 16-ary dissection — the provider posts the digests at up to 15 interior points, the
/// challenger names the first sub-range it disagrees with — under chess clocks; whoever runs out of
/// time loses. A committee of staked verifiers, drawn from future randomness and never a party to
/// the job or the dispute, then re-executes the last step (exact) or the whole segment (tolerance)
/// and votes by commit–reveal; a fixed majority of the job's committee size decides. Seats are drawn
/// by stake (StakeRegistry.drawVerifiers) from the weights at the block the randomness was requested;
/// a committee that cannot fill its seats, or a vote without a majority, is redrawn (a new round):
/// a dispute ends only with a verdict, a timeout or, before any committee, a withdrawal. The loser pays:
/// provider → job collateral slashed (challenger share, referee share, treasury) and the payment
/// refunded; challenger → bond to the provider and the referees. Referees who do not reveal, or vote
/// with the minority, lose a small part of their stake. Payouts are credits pulled with
/// `claimCredit`. (Objective fraud proofs — top-Q norms, the final digest — live in FraudProofs.)
///
/// Three kinds of dispute (DisputeKind), chosen by the digest the challenger reveals: a digest other
/// than the provider's disputes the segment's end state (above); the provider's own digest agrees
/// with the state and disputes the leaf's loss or update norm, which the committee recomputes from
/// the committed checkpoints; zero says a blob the provider committed to for the segment cannot be
/// fetched intact: the provider must `answerAvailability` on its clock (or lose by `timeout`), then
/// the committee fetches the blobs and judges the whole segment (available, and every claim of its
/// leaf holding). For `voteCommitWindow` after the answer no committee is drawn, and the challenger
/// may `withdrawChallenge` (bond returned, nobody judged): an availability challenge answered with
/// blobs that hold is not one the challenger must lose; once the committee is drawn it is judged.
///
/// Several disputes may run on one job, and on one segment: a provider that loses a staged dispute
/// against its own sock-puppet cannot stop an honest challenger from disputing the same segment;
/// every challenger pays its own bond, which protects the provider against floods.
interface IDisputeGame is ICreditLedger {
    error DisputeNotFound(DisputeId disputeId);
    error DisputeWrongPhase(DisputeId disputeId, uint8 phase);
    error DisputeCommitmentUnknown(bytes32 commitment);
    error DisputeCommitmentTooRecent(bytes32 commitment, uint256 committedAt);
    error DisputeCommitmentExists(bytes32 commitment);
    error DisputeNotEligible(address account);
    error DisputePartyCannotChallenge(JobId jobId, address account);
    error DisputeInvalidSegment(JobId jobId, uint256 segment);
    error DisputeInvalidLeaves(JobId jobId, uint256 segment);
    error DisputeInvalidProof(JobId jobId);
    error DisputeNotYourTurn(DisputeId disputeId, address caller);
    error DisputeClockExpired(DisputeId disputeId, uint256 overdue);
    error DisputeClockRunning(DisputeId disputeId, uint256 remaining);
    error DisputeInvalidPoints(DisputeId disputeId, uint256 expected, uint256 provided);
    error DisputeInvalidChoice(DisputeId disputeId, uint256 choice);
    error DisputeSameDigest(DisputeId disputeId);
    error DisputeStateMismatch(DisputeId disputeId);
    error DisputeRandomnessUnavailable(DisputeId disputeId);
    error DisputeNotReferee(DisputeId disputeId, address caller, uint256 seat);
    error DisputeVoteCommitted(DisputeId disputeId, uint256 seat);
    error DisputeVoteNotCommitted(DisputeId disputeId, uint256 seat);
    error DisputeVoteMismatch(DisputeId disputeId, uint256 seat);
    error DisputeInvalidVote(DisputeId disputeId, Vote vote);
    error DisputeDeadlinePassed(DisputeId disputeId, uint256 deadline);
    error DisputeDeadlineNotReached(DisputeId disputeId, uint256 deadline);
    error DisputeParameterOutOfBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max);
    error DisputeWrongKind(DisputeId disputeId, DisputeKind kind);
    error DisputeProbeNotExact(JobId jobId);
    /// @notice The provider's clock starts at `from` (after the job's receipt commit phase).
    error DisputeTooEarly(DisputeId disputeId, uint256 from);

    /// @notice A challenge was committed (its content stays hidden until the reveal).
    event ChallengeCommitted(bytes32 indexed commitment, address indexed challenger);
    /// @notice A challenge was revealed and a dispute opened.
    event DisputeOpened(
        DisputeId indexed disputeId,
        JobId indexed jobId,
        uint256 segment,
        address indexed challenger,
        bytes32 preDigest,
        bytes32 providerDigest,
        bytes32 challengerDigest,
        uint256 bond,
        DisputeKind kind
    );
    /// @notice A claims or availability dispute names the leaf claims its committee judges besides
    /// the state: the segment's committed loss and update norm.
    event ClaimsDisputed(DisputeId indexed disputeId, uint64 lossBits, uint64 updateNorm);
    /// @notice The dispute is about the provider's probe digest after `step` steps of the segment
    /// (IReceipts): a state dispute over the range [0, step].
    event ProbeChallenged(DisputeId indexed disputeId, uint256 step);
    /// @notice The provider answered an availability challenge: its blobs are available; the committee follows.
    event AvailabilityAnswered(DisputeId indexed disputeId);
    /// @notice The challenger withdrew an answered availability challenge; its bond is returned.
    event ChallengeWithdrawn(DisputeId indexed disputeId);
    /// @notice The provider posted its digests at the points `pointsOf` named.
    event PointsPosted(DisputeId indexed disputeId, bytes32[] digests);
    /// @notice The challenger narrowed the range to [lo, hi]; the digests are the new dissection state.
    event RangeNarrowed(
        DisputeId indexed disputeId,
        uint256 lo,
        uint256 hi,
        bytes32 loDigest,
        bytes32 providerDigest,
        bytes32 challengerDigest
    );
    /// @notice The challenger of an exact state dispute published the agreed pre-state of the
    /// disputed step (`preDigest` of ReadyForCommittee) for its committee, as a pre-state envelope
    /// (docs/protocol.md §6): a header naming this dispute, then the state's canonical bytes, stored
    /// under the content address whose sha-256 digest is `envelopeDigest`.
    event PreStatePublished(DisputeId indexed disputeId, bytes32 envelopeDigest);
    /// @notice Randomness for round `round`'s committee was requested again: the value failed to
    /// arrive, or was not used, within `redrawDelay`, or the previous round decided nothing.
    event RandomnessRequested(DisputeId indexed disputeId, uint256 round, uint256 randomnessRequest);
    /// @notice Round `round` drew only `found` of `seats` seats (too little eligible stake outside the
    /// parties): it is redrawn.
    event CommitteeShort(DisputeId indexed disputeId, uint256 round, uint256 found, uint256 seats);
    /// @notice Round `round`'s vote reached no majority (absent referees, who were penalized): it is redrawn.
    event NoMajority(DisputeId indexed disputeId, uint256 round);
    /// @notice The disagreement is down to one step (exact: from offset `step − 1` to `step` within
    /// the segment) or the whole segment (tolerance: `step` = k): the committee will be drawn from
    /// randomness request `randomnessRequest`.
    event ReadyForCommittee(
        DisputeId indexed disputeId,
        uint256 step,
        bytes32 preDigest,
        bytes32 providerDigest,
        bytes32 challengerDigest,
        uint256 randomnessRequest
    );
    /// @notice Round `round`'s committee was drawn; `members[seat]` votes by `commitDeadline` and
    /// reveals by `revealDeadline`. A verifier may hold several seats (one vote each).
    event CommitteeDrawn(
        DisputeId indexed disputeId,
        uint256 round,
        address[] members,
        uint256 commitDeadline,
        uint256 revealDeadline
    );
    /// @notice A referee committed its vote.
    event VoteCommitted(DisputeId indexed disputeId, uint256 seat, address indexed referee);
    /// @notice A referee revealed its vote and, in tolerance mode, the distance it measured (ppm).
    event VoteRevealed(
        DisputeId indexed disputeId,
        uint256 seat,
        address indexed referee,
        Vote vote,
        uint256 distancePpm
    );
    /// @notice The dispute ended.
    event DisputeResolved(DisputeId indexed disputeId, JobId indexed jobId, uint8 outcome, bool byTimeout);
    /// @notice A referee lost `amount` of stake for not revealing or voting with the minority.
    event RefereePenalized(DisputeId indexed disputeId, address indexed referee, uint256 amount);

    /// @notice Commits to a challenge: keccak256(abi.encode(jobId, segment, claimDigest, salt, challenger)).
    function commitChallenge(bytes32 commitment) external;

    /// @notice Reveals a committed challenge on `segment` of `jobId` and opens a dispute, pulling the bond.
    /// @param leaves Leaves of the trace, strictly increasing by index, that include leaf segment−1
    /// (unless segment is 1) and leaf segment: those two alone, or the whole `LeavesOpened` opening.
    /// @param proof Multi-proof of `leaves` against the job's trace root.
    /// @param claimDigest What the challenger disputes: its own state digest at the end of the
    /// segment (a state dispute); the provider's committed digest there (a claims dispute: the state
    /// is right, the loss or update norm is not); zero (an availability dispute).
    function revealChallenge(
        JobId jobId,
        uint256 segment,
        bytes32 claimDigest,
        bytes32 salt,
        OpenedLeaf[] calldata leaves,
        bytes32[] calldata proof
    ) external returns (DisputeId disputeId);

    /// @notice Reveals a committed challenge of the provider's probe digest for `segment` (IReceipts),
    /// committed as keccak256(abi.encode(PROBE_CHALLENGE, jobId, segment, claimDigest, salt,
    /// challenger)): a state dispute over the segment's first `step` steps, whose provider side is
    /// the published probe digest and whose challenger side is `claimDigest`. Exact numerics only.
    /// `leaves` and `proof` as for revealChallenge; `probes` as published (ProbesPublished).
    function revealProbeChallenge(
        JobId jobId,
        uint256 segment,
        bytes32 claimDigest,
        bytes32 salt,
        OpenedLeaf[] calldata leaves,
        bytes32[] calldata proof,
        Probes calldata probes
    ) external returns (DisputeId disputeId);

    /// @notice Provider move: the state digests at `pointsOf(disputeId)`. `current` repeats the
    /// dissection's digests (from DisputeOpened / RangeNarrowed); storage keeps only their hash.
    function postPoints(
        DisputeId disputeId,
        DissectionDigests calldata current,
        bytes32[] calldata digests
    ) external;

    /// @notice Challenger move: `choice` is the first sub-range it disagrees with (0 = [lo, p1], …,
    /// last = [p_last, hi]); `digests` repeats the provider's posted digests; `ownDigest` is the
    /// challenger's digest at the new hi (ignored when the choice keeps hi).
    function narrow(
        DisputeId disputeId,
        DissectionDigests calldata current,
        bytes32[] calldata digests,
        uint256 choice,
        bytes32 ownDigest
    ) external;

    /// @notice Provider move in an availability dispute: its blobs for the segment are available.
    /// `current` repeats the digests from DisputeOpened.
    function answerAvailability(DisputeId disputeId, DissectionDigests calldata current) external;

    /// @notice Challenger: withdraws an availability challenge the provider answered, before its
    /// committee is drawn; bond returned, nobody judged.
    function withdrawChallenge(DisputeId disputeId) external;

    /// @notice Ends a dispute whose mover ran out of time (a dissection move, or the provider's
    /// answer to an availability challenge): the mover loses. Anyone may call.
    function timeout(DisputeId disputeId) external;

    /// @notice Challenger of an exact state dispute, once the dissection has fixed the step and
    /// before the verdict: tells the committee where the agreed pre-state is, in an envelope of
    /// its own address (docs/protocol.md §6), so that it depends neither on the provider serving
    /// the state nor on a blob that answers for the provider's own checkpoint. Stores nothing;
    /// emits PreStatePublished. Reverts DisputeWrongKind for any other kind or a tolerance dispute,
    /// DisputeWrongPhase during the dissection or once resolved, DisputeNotYourTurn for anyone
    /// but the challenger.
    /// @param envelopeDigest The sha-256 digest of the envelope's bytes (its raw CIDv1's digest).
    function publishPreState(DisputeId disputeId, bytes32 envelopeDigest) external;

    /// @notice Draws the committee once the randomness exists; re-requests randomness that was not
    /// drawn with within `redrawDelay` of its request (it never came, or nobody drew); redraws a
    /// committee that came out short. Anyone may call.
    function drawCommittee(DisputeId disputeId) external;

    /// @notice A referee commits keccak256(abi.encode(disputeId, seat, vote, distancePpm, salt, referee)).
    function commitVote(
        DisputeId disputeId,
        uint256 seat,
        address[] calldata members,
        bytes32 commitment
    ) external;

    /// @notice A referee reveals its vote.
    function revealVote(
        DisputeId disputeId,
        uint256 seat,
        Vote vote,
        uint256 distancePpm,
        bytes32 salt
    ) external;

    /// @notice Tallies the votes after the reveal deadline (or once every referee revealed). Anyone
    /// may call. Without a majority, absent referees are penalized and a new committee is drawn.
    function resolve(DisputeId disputeId, address[] calldata members) external;

    /// @notice After the verdict: penalizes the referees of round `round` — one that reached no
    /// majority — who revealed a vote against the verdict (a split round is not evidence of
    /// dishonesty until a majority decides). Once per round; anyone may call, with the round's
    /// committee as drawn (CommitteeDrawn).
    function penalizeSplitRound(DisputeId disputeId, uint256 round, address[] calldata members) external;

    /// @notice The stored dispute.
    function getDispute(DisputeId disputeId) external view returns (Dispute memory);

    /// @notice The steps (offsets from the segment start) at which the provider must post digests now.
    function pointsOf(DisputeId disputeId) external view returns (uint256[] memory steps);

    /// @notice The committee that `drawCommittee` would draw now (empty unless the dispute awaits its
    /// committee and the randomness exists and is fresh). The drawn committee is in CommitteeDrawn.
    function committeeOf(DisputeId disputeId) external view returns (address[] memory members);

    function disputeCount() external view returns (uint256);
}
