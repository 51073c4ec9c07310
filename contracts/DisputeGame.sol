// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {CreditLedger} from "./base/CreditLedger.sol";
import {IDisputeGame} from "./interfaces/IDisputeGame.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IRandomnessSource} from "./interfaces/IRandomnessSource.sol";
import {IReceipts} from "./interfaces/IReceipts.sol";
import {IStakeRegistry} from "./interfaces/IStakeRegistry.sol";
import {IUnbondingConsumer} from "./interfaces/IUnbondingConsumer.sol";
import {DissectionLib} from "./libraries/DissectionLib.sol";
import {MerkleLib} from "./libraries/MerkleLib.sol";
import {TraceLib} from "./libraries/TraceLib.sol";
import {
    DissectionDigests,
    Dispute,
    DisputeKind,
    DisputePhase,
    MAX_RECOVERABLE_BPS as MAX_RECOVERABLE_BPS_,
    Outcome,
    Vote
} from "./types/DisputeTypes.sol";
import {DisputeId, JobId} from "./types/Ids.sol";
import {DisputeStart, Numerics, OpenedLeaf} from "./types/JobTypes.sol";
import {Probes} from "./types/ReceiptTypes.sol";
import {StakeRole} from "./types/StakeTypes.sol";

/// @title DisputeGame
/// @notice Commit–reveal challenges, 16-ary dissection to one step, committee votes, slashing. See IDisputeGame.
/// @dev Solvency: the token balance of this contract always equals the bonds of unresolved disputes
/// plus every unclaimed credit. Slashed stake arrives from the registry and is credited at once.
contract DisputeGame is IDisputeGame, IUnbondingConsumer, CreditLedger, AccessControl {
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");

    /// @notice Interior points the provider posts per dissection move (see DissectionLib).
    uint256 public constant POINTS_PER_MOVE = DissectionLib.POINTS_PER_MOVE;
    /// @notice Bound on challengerShareBps + refereeShareBps (see DisputeTypes.sol).
    uint256 public constant MAX_RECOVERABLE_BPS = MAX_RECOVERABLE_BPS_;
    /// @notice Domain of probe challenge commitments (see revealProbeChallenge).
    bytes32 public constant PROBE_CHALLENGE = keccak256("assay.probe-challenge");
    uint256 public constant MIN_CLOCK = 5 minutes;
    uint256 public constant MAX_CLOCK = 7 days;
    uint256 public constant MIN_VOTE_WINDOW = 5 minutes;
    uint256 public constant MAX_VOTE_WINDOW = 3 days;
    uint256 private constant _BPS = 10_000;

    IJobMarket private immutable _market;
    IStakeRegistry private immutable _registry;
    IRandomnessSource private immutable _randomness;

    /// @dev Every set of governance parameters ever in force (see `setParameters`); a dispute runs
    /// under the version current when it opened (`Dispute.version`).
    Parameters[] private _versions;
    /// @dev The longest dispute (clocks, redraws, vote windows) any version ever allowed.
    uint256 private _longestDispute;

    uint256 private _disputeCount;
    mapping(DisputeId disputeId => Dispute) private _disputes;
    mapping(bytes32 commitment => uint256 blockNumber) private _challengeCommits;
    mapping(DisputeId disputeId => mapping(uint256 round => mapping(uint256 seat => bytes32 commitment)))
        private _voteCommits;
    /// @dev Rounds that reached no majority: their committee's hash and revealed votes, kept until
    /// the dispute's verdict says who voted against it (penalizeSplitRound).
    mapping(DisputeId disputeId => mapping(uint256 round => SplitRound)) private _splitRounds;

    struct SplitRound {
        bytes32 committee;
        uint64 votes;
    }

    /// @notice Governance parameters.
    struct Parameters {
        /// @dev Bond a challenger posts, in tokens.
        uint256 challengeBond;
        /// @dev Seconds each side has for all its dissection moves.
        uint256 clockBudget;
        uint256 voteCommitWindow;
        uint256 voteRevealWindow;
        /// @dev Seconds after which randomness that never arrived is requested again.
        uint256 redrawDelay;
        /// @dev Share of slashed collateral paid to the winning challenger (or fraud prover).
        uint256 challengerShareBps;
        /// @dev Share of the loser's forfeit (collateral or bond) split among the majority referees.
        uint256 refereeShareBps;
        /// @dev Verifier stake a referee loses for not revealing or voting with the minority.
        uint256 refereePenalty;
    }

    /// @notice Parameter version `version` is in force for disputes opened from now on.
    event ParametersSet(uint256 indexed version, Parameters params);

    constructor(
        IJobMarket market_,
        IStakeRegistry registry_,
        IRandomnessSource randomness_,
        address governor,
        Parameters memory params
    ) CreditLedger(IERC20(registry_.token())) {
        _market = market_;
        _registry = registry_;
        _randomness = randomness_;
        _grantRole(DEFAULT_ADMIN_ROLE, governor);
        _grantRole(GOVERNOR_ROLE, governor);
        _setParameters(params);
    }

    // ---------------------------------------------------------------- challenges

    /// @inheritdoc IDisputeGame
    function commitChallenge(bytes32 commitment) external {
        // INVARIANT: a commitment's block never changes once set: a re-commit cannot reset its age.
        if (_challengeCommits[commitment] != 0) revert DisputeCommitmentExists(commitment);
        _challengeCommits[commitment] = block.number;
        emit ChallengeCommitted(commitment, msg.sender);
    }

    /// @inheritdoc IDisputeGame
    function revealChallenge(
        JobId jobId,
        uint256 segment,
        bytes32 claimDigest,
        bytes32 salt,
        OpenedLeaf[] calldata leaves,
        bytes32[] calldata proof
    ) external nonReentrant returns (DisputeId disputeId) {
        // INVARIANT: the commitment binds the challenger's address, so a copied reveal fails, and
        // it must be at least a block old, so nobody can commit after seeing a reveal in the mempool.
        _consume(keccak256(abi.encode(jobId, segment, claimDigest, salt, msg.sender)));
        (DisputeStart memory ctx, DissectionDigests memory digests, uint256 at) = _begin(
            jobId,
            segment,
            leaves,
            proof
        );
        OpenedLeaf calldata leaf = leaves[at];
        digests.hi = leaf.stateDigest;
        digests.challengerHi = claimDigest;
        // The revealed digest (bound by the commitment) says what is disputed.
        DisputeKind kind =
            claimDigest == bytes32(0)
                ? DisputeKind.Availability
                : claimDigest == digests.hi
                    ? DisputeKind.Claims
                    : DisputeKind.State;

        disputeId = _open(jobId, segment, ctx, digests, kind, ctx.checkpointInterval);
        // Claims and availability committees judge every claim of the leaf (state, loss, norm).
        if (kind != DisputeKind.State) emit ClaimsDisputed(disputeId, leaf.lossBits, leaf.updateNorm);
        _pull(msg.sender, _current().challengeBond);
    }

    /// @inheritdoc IDisputeGame
    function revealProbeChallenge(
        JobId jobId,
        uint256 segment,
        bytes32 claimDigest,
        bytes32 salt,
        OpenedLeaf[] calldata leaves,
        bytes32[] calldata proof,
        Probes calldata probes
    ) external nonReentrant returns (DisputeId disputeId) {
        _consume(keccak256(abi.encode(PROBE_CHALLENGE, jobId, segment, claimDigest, salt, msg.sender)));
        (DisputeStart memory ctx, DissectionDigests memory digests, ) = _begin(jobId, segment, leaves, proof);
        // INVARIANT: probe disputes are exact: a tolerance probe is a digest with no state behind it,
        // nothing a committee could measure.
        if (ctx.numerics != Numerics.Exact) revert DisputeProbeNotExact(jobId);
        (uint256 step, bytes32 probeDigest) = IReceipts(_market.receipts()).probeOf(jobId, segment, probes);
        // INVARIANT: a probe dispute names a digest, and one other than the provider's: the sides disagree.
        if (claimDigest == bytes32(0) || claimDigest == probeDigest)
            revert DisputeSameDigest(DisputeId.wrap(0)); // no dispute yet
        // A state dispute over the segment's first `step` steps, about the provider's probe digest.
        digests.hi = probeDigest;
        digests.challengerHi = claimDigest;
        disputeId = _open(jobId, segment, ctx, digests, DisputeKind.State, step);
        emit ProbeChallenged(disputeId, step);
        _pull(msg.sender, _current().challengeBond);
    }

    /// @dev Spends a challenge commitment: it must exist and be at least a block old.
    function _consume(bytes32 commitment) private {
        // INVARIANT: the commitment binds the challenger's address, so a copied reveal fails, and
        // it must be at least a block old, so nobody can commit after seeing a reveal in the mempool.
        uint256 committedAt = _challengeCommits[commitment];
        if (committedAt == 0) revert DisputeCommitmentUnknown(commitment);
        if (committedAt >= block.number) revert DisputeCommitmentTooRecent(commitment, committedAt);
        delete _challengeCommits[commitment];
        // INVARIANT: every challenger is an eligible verifier (at least the verifier minimum staked).
        if (!_registry.isEligibleVerifier(msg.sender)) revert DisputeNotEligible(msg.sender);
    }

    /// @dev Counts a dispute on the job and checks the segment's opened leaves; `digests.lo` is the
    /// agreed start state.
    function _begin(
        JobId jobId,
        uint256 segment,
        OpenedLeaf[] calldata leaves,
        bytes32[] calldata proof
    ) private returns (DisputeStart memory ctx, DissectionDigests memory digests, uint256 at) {
        ctx = _market.beginDispute(jobId);
        // INVARIANT: nobody judges or challenges their own job (docs/protocol.md §1).
        if (msg.sender == ctx.provider || msg.sender == ctx.submitter) {
            revert DisputePartyCannotChallenge(jobId, msg.sender);
        }
        at = _segmentLeaf(jobId, segment, ctx, leaves, proof);
        digests.lo = segment == 1 ? ctx.initialStateDigest : leaves[at - 1].stateDigest;
    }

    /// @dev Stores a new dispute. Exact state disputes longer than one step are dissected;
    /// availability disputes wait for the provider's answer; the rest go straight to the committee.
    function _open(
        JobId jobId,
        uint256 segment,
        DisputeStart memory ctx,
        DissectionDigests memory digests,
        DisputeKind kind,
        uint256 steps
    ) private returns (DisputeId disputeId) {
        disputeId = DisputeId.wrap(++_disputeCount);
        Dispute storage d = _disputes[disputeId];
        d.jobId = uint40(JobId.unwrap(jobId));
        d.segment = uint24(segment);
        d.hi = uint32(steps);
        d.lastMoveAt = uint32(block.timestamp);
        Parameters storage p = _current();
        d.version = uint16(_versions.length - 1);
        d.challengerClock = uint32(p.clockBudget);
        d.providerClock = uint32(p.clockBudget);
        d.exact = ctx.numerics == Numerics.Exact;
        d.challenger = msg.sender;
        d.bond = uint96(p.challengeBond);
        d.provider = ctx.provider;
        d.kind = kind;
        emit DisputeOpened(
            disputeId,
            jobId,
            segment,
            msg.sender,
            digests.lo,
            digests.hi,
            digests.challengerHi,
            p.challengeBond,
            kind
        );
        if (kind == DisputeKind.Availability) {
            d.phase = DisputePhase.Answer;
            d.providerTurn = true;
            d.state = _stateHash(digests, bytes32(0));
        } else if (kind == DisputeKind.State && d.exact && steps > 1) {
            d.phase = DisputePhase.Dissection;
            d.providerTurn = true;
            d.state = _stateHash(digests, bytes32(0));
            // INVARIANT: no digest inside a segment reaches the chain while the job's receipts are
            // committed (a lazy verifier would copy them): the provider's clock starts after that.
            address receipts = _market.receipts();
            uint256 commitEnd = receipts == address(0) ? 0 : IReceipts(receipts).commitEnd(jobId);
            if (commitEnd >= block.timestamp) d.lastMoveAt = uint32(commitEnd + 1);
        } else {
            _awaitCommittee(disputeId, d, digests);
        }
    }

    // ---------------------------------------------------------------- dissection

    /// @inheritdoc IDisputeGame
    function postPoints(
        DisputeId disputeId,
        DissectionDigests calldata current,
        bytes32[] calldata digests
    ) external {
        Dispute storage d = _dispute(disputeId);
        _requirePhase(disputeId, d, DisputePhase.Dissection);
        // INVARIANT: the sides alternate: only the provider posts points, and only on its turn.
        if (!d.providerTurn || msg.sender != d.provider) revert DisputeNotYourTurn(disputeId, msg.sender);
        // INVARIANT: no digest inside a segment reaches the chain before the job's receipt commit phase ends.
        if (block.timestamp < d.lastMoveAt) revert DisputeTooEarly(disputeId, d.lastMoveAt);
        _requireState(disputeId, d, current, bytes32(0));
        uint256 count = DissectionLib.pointCount(d.lo, d.hi);
        // INVARIANT: each move posts exactly the points DissectionLib fixes for [lo, hi].
        if (digests.length != count) revert DisputeInvalidPoints(disputeId, count, digests.length);
        d.providerClock = _tick(disputeId, d, d.providerClock);
        d.providerTurn = false;
        d.state = _stateHash(current, keccak256(abi.encodePacked(digests)));
        emit PointsPosted(disputeId, digests);
    }

    /// @inheritdoc IDisputeGame
    function narrow(
        DisputeId disputeId,
        DissectionDigests calldata current,
        bytes32[] calldata digests,
        uint256 choice,
        bytes32 ownDigest
    ) external {
        Dispute storage d = _dispute(disputeId);
        _requirePhase(disputeId, d, DisputePhase.Dissection);
        // INVARIANT: the sides alternate: only the challenger narrows, and only after the provider's points.
        if (d.providerTurn || msg.sender != d.challenger) revert DisputeNotYourTurn(disputeId, msg.sender);
        _requireState(disputeId, d, current, keccak256(abi.encodePacked(digests)));
        uint256 lo = d.lo;
        uint256 hi = d.hi;
        uint256 count = DissectionLib.pointCount(lo, hi);
        // INVARIANT: the challenger picks one of the count + 1 sub-ranges between exactly the posted points.
        if (digests.length != count) revert DisputeInvalidPoints(disputeId, count, digests.length);
        if (choice > count) revert DisputeInvalidChoice(disputeId, choice);
        d.challengerClock = _tick(disputeId, d, d.challengerClock);

        // The challenger agrees with the digest at point `choice` and disputes the one after it.
        DissectionDigests memory next = current;
        (uint256 newLo, uint256 newHi) = DissectionLib.narrowed(lo, hi, choice);
        if (choice > 0) next.lo = digests[choice - 1];
        if (choice < count) {
            // INVARIANT: the two sides always hold different digests at hi.
            if (ownDigest == digests[choice]) revert DisputeSameDigest(disputeId);
            next.hi = digests[choice];
            next.challengerHi = ownDigest;
        }
        d.lo = uint32(newLo);
        d.hi = uint32(newHi);
        emit RangeNarrowed(disputeId, newLo, newHi, next.lo, next.hi, next.challengerHi);
        if (newHi - newLo == 1) {
            _awaitCommittee(disputeId, d, next);
        } else {
            d.providerTurn = true;
            d.state = _stateHash(next, bytes32(0));
        }
    }

    // ---------------------------------------------------------------- availability

    /// @inheritdoc IDisputeGame
    function answerAvailability(DisputeId disputeId, DissectionDigests calldata current) external {
        Dispute storage d = _dispute(disputeId);
        _requirePhase(disputeId, d, DisputePhase.Answer);
        // INVARIANT: only the provider answers an availability challenge.
        if (msg.sender != d.provider) revert DisputeNotYourTurn(disputeId, msg.sender);
        _requireState(disputeId, d, current, bytes32(0));
        d.providerClock = _tick(disputeId, d, d.providerClock);
        d.providerTurn = false;
        // The challenger's window to fetch again and withdraw; kept apart from lastMoveAt, which a
        // redraw of expired randomness resets.
        d.commitDeadline = uint40(block.timestamp + _versions[d.version].voteCommitWindow);
        emit AvailabilityAnswered(disputeId);
        // INVARIANT: no randomness exists while the challenger may still withdraw: it is requested
        // only after the window (round 1, by drawCommittee), so a challenger cannot preview the
        // committee and withdraw to re-roll it.
        d.phase = DisputePhase.AwaitingCommittee;
        d.lastMoveAt = uint32(block.timestamp);
        emit ReadyForCommittee(disputeId, d.hi, current.lo, current.hi, current.challengerHi, 0);
    }

    /// @inheritdoc IDisputeGame
    function withdrawChallenge(DisputeId disputeId) external nonReentrant {
        Dispute storage d = _dispute(disputeId);
        // INVARIANT: only an availability challenge is withdrawn; every other dispute is judged or timed out.
        if (d.kind != DisputeKind.Availability) revert DisputeWrongKind(disputeId, d.kind);
        // INVARIANT: only before the committee exists: once it is drawn the dispute is judged, so a
        // false challenger cannot withdraw after seeing the votes, nor re-roll committees for free.
        _requirePhase(disputeId, d, DisputePhase.AwaitingCommittee);
        // INVARIANT: ... and only inside the withdrawal window after the answer.
        if (block.timestamp > d.commitDeadline) revert DisputeDeadlinePassed(disputeId, d.commitDeadline);
        // INVARIANT: only the challenger withdraws its challenge.
        if (msg.sender != d.challenger) revert DisputeNotYourTurn(disputeId, msg.sender);
        emit ChallengeWithdrawn(disputeId);
        _settle(disputeId, d, Outcome.NoVerdict, false, new address[](0), 0);
    }

    /// @inheritdoc IDisputeGame
    function timeout(DisputeId disputeId) external nonReentrant {
        Dispute storage d = _dispute(disputeId);
        // INVARIANT: only a move-by-move phase times out; a committee ends by its vote.
        if (d.phase != DisputePhase.Dissection && d.phase != DisputePhase.Answer)
            revert DisputeWrongPhase(disputeId, uint8(d.phase));
        uint256 clock = d.providerTurn ? d.providerClock : d.challengerClock;
        // A clock held back (see _open) has not started.
        uint256 elapsed = block.timestamp > d.lastMoveAt ? block.timestamp - d.lastMoveAt : 0;
        // INVARIANT: a side loses on time only once its whole clock is spent.
        if (elapsed <= clock) revert DisputeClockRunning(disputeId, clock - elapsed);
        // Whoever runs out of time loses.
        _settle(
            disputeId,
            d,
            d.providerTurn ? Outcome.ChallengerWon : Outcome.ProviderWon,
            true,
            new address[](0),
            0
        );
    }

    // ---------------------------------------------------------------- pre-state

    /// @inheritdoc IDisputeGame
    function publishPreState(DisputeId disputeId, bytes32 envelopeDigest) external {
        Dispute storage d = _dispute(disputeId);
        // INVARIANT: only an exact state dispute has an agreed pre-state its committee steps from.
        if (d.kind != DisputeKind.State || !d.exact) revert DisputeWrongKind(disputeId, d.kind);
        // INVARIANT: only once the dissection has fixed the step, and only before the verdict.
        if (d.phase != DisputePhase.AwaitingCommittee && d.phase != DisputePhase.Voting)
            revert DisputeWrongPhase(disputeId, uint8(d.phase));
        // INVARIANT: only the dispute's challenger points its referees at a blob.
        if (msg.sender != d.challenger) revert DisputeNotYourTurn(disputeId, msg.sender);
        emit PreStatePublished(disputeId, envelopeDigest);
    }

    // ---------------------------------------------------------------- committee

    /// @inheritdoc IDisputeGame
    function drawCommittee(DisputeId disputeId) external nonReentrant {
        Dispute storage d = _dispute(disputeId);
        _requirePhase(disputeId, d, DisputePhase.AwaitingCommittee);
        // INVARIANT: an answered availability challenge gets no committee before the challenger's
        // `voteCommitWindow` to fetch the blobs again and withdraw is over.
        Parameters storage p = _versions[d.version];
        if (d.kind == DisputeKind.Availability && block.timestamp <= d.commitDeadline)
            revert DisputeDeadlineNotReached(disputeId, d.commitDeadline);
        bytes32 value = _randomness.randomness(d.randomnessRequest);
        // INVARIANT: a committee is drawn within redrawDelay of its snapshot, so referees' stake
        // stays slashable until the votes are in (requiredUnbondingDelay). A value that never came,
        // or came and was not used, is replaced by a fresh request; nobody controls the new one.
        // An answered availability challenge has no round yet: its first starts now.
        if (d.round == 0 || block.timestamp > uint256(d.lastMoveAt) + p.redrawDelay) {
            _redraw(disputeId, d);
            return;
        }
        // INVARIANT: a committee is drawn only from randomness that exists, never from a zero value.
        if (value == bytes32(0)) revert DisputeRandomnessUnavailable(disputeId);
        (address[] memory members, uint256 size) = _draw(disputeId, d, value);
        // INVARIANT: a dispute never ends for want of referees: a short committee is redrawn (at a
        // new snapshot, from new randomness), however the verifier set was polluted or drained.
        if (members.length < size) {
            emit CommitteeShort(disputeId, d.round, members.length, size);
            _redraw(disputeId, d);
            return;
        }
        d.state = keccak256(abi.encode(members));
        d.drawn = uint8(members.length);
        uint256 commitDeadline = block.timestamp + p.voteCommitWindow;
        uint256 revealDeadline = commitDeadline + p.voteRevealWindow;
        d.commitDeadline = uint40(commitDeadline);
        d.revealDeadline = uint40(revealDeadline);
        d.phase = DisputePhase.Voting;
        emit CommitteeDrawn(disputeId, d.round, members, commitDeadline, revealDeadline);
    }

    /// @inheritdoc IDisputeGame
    function commitVote(
        DisputeId disputeId,
        uint256 seat,
        address[] calldata members,
        bytes32 commitment
    ) external {
        Dispute storage d = _dispute(disputeId);
        _requirePhase(disputeId, d, DisputePhase.Voting);
        // INVARIANT: no vote is committed after the commit window.
        if (block.timestamp > d.commitDeadline) revert DisputeDeadlinePassed(disputeId, d.commitDeadline);
        // INVARIANT: only the referee drawn to a seat commits for it.
        if (
            keccak256(abi.encode(members)) != d.state || seat >= members.length || members[seat] != msg.sender
        ) {
            revert DisputeNotReferee(disputeId, msg.sender, seat);
        }
        // INVARIANT: a seat commits once per round, to a non-zero commitment.
        if (commitment == bytes32(0) || _voteCommits[disputeId][d.round][seat] != bytes32(0)) {
            revert DisputeVoteCommitted(disputeId, seat);
        }
        _voteCommits[disputeId][d.round][seat] = commitment;
        d.committedSeats |= uint32(1 << seat);
        emit VoteCommitted(disputeId, seat, msg.sender);
    }

    /// @inheritdoc IDisputeGame
    function revealVote(
        DisputeId disputeId,
        uint256 seat,
        Vote vote,
        uint256 distancePpm,
        bytes32 salt
    ) external {
        Dispute storage d = _dispute(disputeId);
        _requirePhase(disputeId, d, DisputePhase.Voting);
        uint256 all = (uint256(1) << d.drawn) - 1;
        // INVARIANT: reveals open once every seat has committed or the commit window closed: no vote
        // is visible while others can still choose theirs.
        if (block.timestamp <= d.commitDeadline && d.committedSeats != all) {
            revert DisputeDeadlineNotReached(disputeId, d.commitDeadline);
        }
        // INVARIANT: no vote is revealed after the reveal window.
        if (block.timestamp > d.revealDeadline) revert DisputeDeadlinePassed(disputeId, d.revealDeadline);
        // INVARIANT: a seat's vote is counted at most once.
        if (d.revealedSeats & (1 << seat) != 0) revert DisputeVoteCommitted(disputeId, seat);
        bytes32 commitment = _voteCommits[disputeId][d.round][seat];
        // INVARIANT: only a committed vote is revealed (commits close before reveals open).
        if (commitment == bytes32(0)) revert DisputeVoteNotCommitted(disputeId, seat);
        // INVARIANT: the commitment binds the referee's address, so only the seat's referee reveals it.
        if (keccak256(abi.encode(disputeId, seat, vote, distancePpm, salt, msg.sender)) != commitment) {
            revert DisputeVoteMismatch(disputeId, seat);
        }
        // INVARIANT: a revealed vote is a real one; "Neither" names a third post-step digest, which only
        // exact state disputes have.
        if (vote == Vote.None || (vote == Vote.Neither && !(d.exact && d.kind == DisputeKind.State)))
            revert DisputeInvalidVote(disputeId, vote);
        d.revealedSeats |= uint32(1 << seat);
        d.votes |= uint64(uint256(uint8(vote)) << (2 * seat));
        if (vote == Vote.Provider) ++d.votesProvider;
        else if (vote == Vote.Challenger) ++d.votesChallenger;
        else ++d.votesNeither;
        emit VoteRevealed(disputeId, seat, msg.sender, vote, distancePpm);
    }

    /// @inheritdoc IDisputeGame
    function resolve(DisputeId disputeId, address[] calldata members) external nonReentrant {
        Dispute storage d = _dispute(disputeId);
        _requirePhase(disputeId, d, DisputePhase.Voting);
        // INVARIANT: the tally pays and penalizes exactly the committee that was drawn.
        if (keccak256(abi.encode(members)) != d.state)
            revert DisputeNotReferee(disputeId, msg.sender, members.length);
        uint256 all = (uint256(1) << d.drawn) - 1;
        // INVARIANT: no tally while a seat may still reveal.
        if (block.timestamp <= d.revealDeadline && d.revealedSeats != all) {
            revert DisputeDeadlineNotReached(disputeId, d.revealDeadline);
        }
        // A fixed majority of the job's committee size decides; "neither" also means the provider's
        // post-step digest is wrong.
        Outcome outcome = Outcome.NoVerdict;
        uint256 winners;
        uint256 threshold = uint256(d.drawn) / 2 + 1;
        if (uint256(d.votesChallenger) + d.votesNeither >= threshold) {
            outcome = Outcome.ChallengerWon;
            winners = uint256(d.votesChallenger) + d.votesNeither;
        } else if (d.votesProvider >= threshold) {
            outcome = Outcome.ProviderWon;
            winners = d.votesProvider;
        }
        if (outcome == Outcome.NoVerdict) {
            // INVARIANT: no majority never ends a dispute: absent referees pay, a new committee is
            // drawn, and the job stays held (its challenge window stands still) until one decides.
            emit NoMajority(disputeId, d.round);
            _splitRounds[disputeId][d.round] = SplitRound(d.state, d.votes);
            _payCommittee(disputeId, d, _versions[d.version], outcome, members, 0, 0, _market.treasury());
            _redraw(disputeId, d);
            return;
        }
        _settle(disputeId, d, outcome, false, members, winners);
    }

    /// @inheritdoc IDisputeGame
    function penalizeSplitRound(
        DisputeId disputeId,
        uint256 round,
        address[] calldata members
    ) external nonReentrant {
        Dispute storage d = _dispute(disputeId);
        // INVARIANT: a referee who voted against the verdict pays, whichever round it sat in, so a
        // bribed vote cannot buy a free redraw by splitting a round with a silent seat.
        if (d.outcome != Outcome.ProviderWon && d.outcome != Outcome.ChallengerWon)
            revert DisputeWrongPhase(disputeId, uint8(d.phase));
        SplitRound memory split = _splitRounds[disputeId][round];
        // INVARIANT: a split round is penalized once, and only among the committee that sat in it.
        if (split.committee == bytes32(0) || keccak256(abi.encode(members)) != split.committee)
            revert DisputeNotReferee(disputeId, msg.sender, round);
        delete _splitRounds[disputeId][round];
        Parameters storage p = _versions[d.version];
        if (p.refereePenalty == 0) return;
        address treasury = _market.treasury();
        // Bounded by the committee size (≤ 21 seats).
        for (uint256 seat; seat < members.length; ++seat) {
            Vote vote = Vote(uint8((split.votes >> (2 * seat)) & 3));
            if (vote == Vote.None || _withMajority(d.outcome, vote)) continue;
            uint256 taken = _registry.slash(members[seat], StakeRole.Verifier, 0, p.refereePenalty);
            emit RefereePenalized(disputeId, members[seat], taken);
            _credit(treasury, DisputeId.unwrap(disputeId), taken);
        }
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IDisputeGame
    function getDispute(DisputeId disputeId) external view returns (Dispute memory) {
        return _dispute(disputeId);
    }

    /// @inheritdoc IDisputeGame
    function pointsOf(DisputeId disputeId) external view returns (uint256[] memory) {
        Dispute storage d = _dispute(disputeId);
        return DissectionLib.points(d.lo, d.hi);
    }

    /// @inheritdoc IDisputeGame
    function committeeOf(DisputeId disputeId) external view returns (address[] memory members) {
        Dispute storage d = _dispute(disputeId);
        if (d.phase != DisputePhase.AwaitingCommittee) return members;
        if (d.round == 0 || block.timestamp > uint256(d.lastMoveAt) + _versions[d.version].redrawDelay)
            return members;
        bytes32 value = _randomness.randomness(d.randomnessRequest);
        if (value == bytes32(0)) return members;
        (members, ) = _draw(disputeId, d, value);
    }

    /// @inheritdoc IDisputeGame
    function disputeCount() external view returns (uint256) {
        return _disputeCount;
    }

    function parameters() external view returns (Parameters memory) {
        return _current();
    }

    /// @notice The parameters dispute `disputeId` runs under: those in force when it opened.
    function parametersOf(DisputeId disputeId) external view returns (Parameters memory) {
        return _versions[_dispute(disputeId).version];
    }

    /// @notice Sets every governance parameter at once, within bounds. GOVERNOR_ROLE only.
    // INVARIANT: only governance (GOVERNOR_ROLE) sets parameters, and only for disputes opened later.
    function setParameters(Parameters calldata params) external onlyRole(GOVERNOR_ROLE) {
        _setParameters(params);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Checks `leaves` (strictly increasing indices, including segment−1 unless segment is 1,
    /// and segment) against the trace root; returns where leaf `segment` is in `leaves`.
    function _segmentLeaf(
        JobId jobId,
        uint256 segment,
        DisputeStart memory ctx,
        OpenedLeaf[] calldata leaves,
        bytes32[] calldata proof
    ) private pure returns (uint256 at) {
        // INVARIANT: a dispute is about a segment of the trace (1 … n).
        if (segment == 0 || segment > ctx.checkpoints) revert DisputeInvalidSegment(jobId, segment);
        at = _indexOf(jobId, segment, leaves);
        // INVARIANT: the quoted leaves include leaf `segment` and, unless it is 1, the agreed leaf before it.
        if (at == type(uint256).max || (segment > 1 && (at == 0 || leaves[at - 1].index != segment - 1))) {
            revert DisputeInvalidLeaves(jobId, segment);
        }
        // INVARIANT: every quoted leaf is the one committed in the job's trace root.
        if (!_proves(jobId, ctx, leaves, proof)) revert DisputeInvalidProof(jobId);
    }

    /// @dev Where leaf `segment` is in `leaves` (max when absent). Reverts unless the indices
    /// strictly increase within 1..n: every leaf is then a distinct tree position. The loop is bounded
    /// by the caller's own calldata, whose length it pays for.
    function _indexOf(
        JobId jobId,
        uint256 segment,
        OpenedLeaf[] calldata leaves
    ) private pure returns (uint256 at) {
        at = type(uint256).max;
        uint256 previous;
        for (uint256 i; i < leaves.length; ++i) {
            uint256 current = leaves[i].index;
            // INVARIANT: quoted leaves are distinct and in tree order (indices strictly increase from 1).
            if (current <= previous) revert DisputeInvalidLeaves(jobId, segment);
            previous = current;
            if (current == segment) at = i;
        }
    }

    function _proves(
        JobId jobId,
        DisputeStart memory ctx,
        OpenedLeaf[] calldata leaves,
        bytes32[] calldata proof
    ) private pure returns (bool) {
        uint256 count = leaves.length;
        uint256[] memory positions = new uint256[](count);
        bytes32[] memory nodes = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            OpenedLeaf calldata leaf = leaves[i];
            if (leaf.index > ctx.checkpoints) return false;
            positions[i] = leaf.index - 1;
            nodes[i] = TraceLib.leafHash(jobId, leaf.index, leaf.stateDigest, leaf.lossBits, leaf.updateNorm);
        }
        return
            MerkleLib.rootFromMultiProof(MerkleLib.depthOf(ctx.checkpoints), positions, nodes, proof) ==
            ctx.traceRoot;
    }

    /// @dev Charges the mover's clock for the time since the last move; reverts once it ran out.
    function _tick(DisputeId disputeId, Dispute storage d, uint32 clock) private returns (uint32) {
        uint256 elapsed = block.timestamp - d.lastMoveAt;
        // INVARIANT: a side's moves never take longer in total than its clock.
        if (elapsed > clock) revert DisputeClockExpired(disputeId, elapsed - clock);
        d.lastMoveAt = uint32(block.timestamp);
        return uint32(clock - elapsed);
    }

    function _request(DisputeId disputeId) private returns (uint32) {
        uint256 request = _randomness.request();
        // INVARIANT: the dispute stores the very request id the source returned (it fits 32 bits).
        if (request > type(uint32).max) revert DisputeRandomnessUnavailable(disputeId);
        return uint32(request);
    }

    function _stateHash(DissectionDigests memory digests, bytes32 posted) private pure returns (bytes32) {
        return keccak256(abi.encode(digests.lo, digests.hi, digests.challengerHi, posted));
    }

    function _requireState(
        DisputeId disputeId,
        Dispute storage d,
        DissectionDigests calldata current,
        bytes32 posted
    ) private view {
        // INVARIANT: every move builds on the recorded digests: nobody swaps what is under dispute.
        if (_stateHash(current, posted) != d.state) revert DisputeStateMismatch(disputeId);
    }

    function _awaitCommittee(
        DisputeId disputeId,
        Dispute storage d,
        DissectionDigests memory digests
    ) private {
        d.phase = DisputePhase.AwaitingCommittee;
        uint256 request = _newRound(disputeId, d);
        emit ReadyForCommittee(disputeId, d.hi, digests.lo, digests.hi, digests.challengerHi, request);
    }

    /// @dev Starts the next committee round: new randomness, weights read at this block.
    function _newRound(DisputeId disputeId, Dispute storage d) private returns (uint256 request) {
        request = _request(disputeId);
        d.randomnessRequest = uint32(request);
        // INVARIANT: the weights are those at the request's block, before the randomness exists.
        d.snapshot = SafeCast.toUint32(block.number);
        d.lastMoveAt = uint32(block.timestamp);
        ++d.round;
    }

    /// @dev Back to AwaitingCommittee for a new round, with no vote of the old one left standing.
    function _redraw(DisputeId disputeId, Dispute storage d) private {
        d.phase = DisputePhase.AwaitingCommittee;
        d.state = bytes32(0);
        d.drawn = 0;
        d.votesProvider = 0;
        d.votesChallenger = 0;
        d.votesNeither = 0;
        d.committedSeats = 0;
        d.revealedSeats = 0;
        d.votes = 0;
        d.commitDeadline = 0;
        d.revealDeadline = 0;
        uint256 request = _newRound(disputeId, d);
        emit RandomnessRequested(disputeId, d.round, request);
    }

    /// @dev Draws the job's committee size of seats by stake at the round's snapshot, the parties
    /// excluded (docs/protocol.md §8): O(m · DEPTH) reads in the registry, whatever the verifier set.
    function _draw(
        DisputeId disputeId,
        Dispute storage d,
        bytes32 value
    ) private view returns (address[] memory members, uint256 size) {
        (address submitter, address provider, uint256 committeeSize) = _market.disputeParties(
            JobId.wrap(d.jobId)
        );
        size = committeeSize;
        members = _registry.drawVerifiers(
            keccak256(abi.encode(value, disputeId, d.round)),
            d.snapshot,
            size,
            [provider, submitter, d.challenger]
        );
    }

    /// @dev Ends a dispute and moves the money: the loser's forfeit to the winner, the majority
    /// referees and the treasury; penalties for referees who did not reveal or voted with the minority.
    function _settle(
        DisputeId disputeId,
        Dispute storage d,
        Outcome outcome,
        bool byTimeout,
        address[] memory members,
        uint256 winners
    ) private {
        d.phase = DisputePhase.Resolved;
        d.outcome = outcome;
        // INVARIANT: shares and penalties are those in force when the dispute opened.
        Parameters storage p = _versions[d.version];
        JobId jobId = JobId.wrap(d.jobId);
        uint256 bond = d.bond;
        address treasury = _market.treasury();
        emit DisputeResolved(disputeId, jobId, uint8(outcome), byTimeout);

        (bool slashedNow, uint256 collateral) = _market.endDispute(jobId, outcome == Outcome.ChallengerWon);
        uint256 refereePot;
        if (outcome == Outcome.ChallengerWon) {
            uint256 toChallenger = bond;
            if (slashedNow) {
                collateral = _registry.slash(d.provider, StakeRole.Provider, collateral, 0);
                uint256 share = (collateral * p.challengerShareBps) / _BPS;
                refereePot = winners == 0 ? 0 : (collateral * p.refereeShareBps) / _BPS;
                toChallenger += share;
                _credit(treasury, DisputeId.unwrap(disputeId), collateral - share - refereePot);
            }
            _credit(d.challenger, DisputeId.unwrap(disputeId), toChallenger);
        } else if (outcome == Outcome.ProviderWon) {
            refereePot = winners == 0 ? 0 : (bond * p.refereeShareBps) / _BPS;
            _credit(d.provider, DisputeId.unwrap(disputeId), bond - refereePot);
        } else {
            _credit(d.challenger, DisputeId.unwrap(disputeId), bond);
        }

        _payCommittee(disputeId, d, p, outcome, members, winners, refereePot, treasury);
    }

    /// @dev The referee pot split among the majority; penalties for absent and minority referees.
    /// Bounded by the job's committee size (≤ 21).
    function _payCommittee(
        DisputeId disputeId,
        Dispute storage d,
        Parameters storage p,
        Outcome outcome,
        address[] memory members,
        uint256 winners,
        uint256 refereePot,
        address treasury
    ) private {
        uint256 perReferee = winners == 0 ? 0 : refereePot / winners;
        if (refereePot > perReferee * winners)
            _credit(treasury, DisputeId.unwrap(disputeId), refereePot - perReferee * winners);
        for (uint256 seat; seat < members.length; ++seat) {
            Vote vote = Vote(uint8((d.votes >> (2 * seat)) & 3));
            if (_withMajority(outcome, vote)) {
                _credit(members[seat], DisputeId.unwrap(disputeId), perReferee);
            } else if (p.refereePenalty > 0 && (vote == Vote.None || outcome != Outcome.NoVerdict)) {
                // Absent, or voted against a decided majority.
                uint256 taken = _registry.slash(members[seat], StakeRole.Verifier, 0, p.refereePenalty);
                emit RefereePenalized(disputeId, members[seat], taken);
                _credit(treasury, DisputeId.unwrap(disputeId), taken);
            }
        }
    }

    function _withMajority(Outcome outcome, Vote vote) private pure returns (bool) {
        return
            (outcome == Outcome.ProviderWon && vote == Vote.Provider) ||
            (outcome == Outcome.ChallengerWon && (vote == Vote.Challenger || vote == Vote.Neither));
    }

    function _dispute(DisputeId disputeId) private view returns (Dispute storage d) {
        d = _disputes[disputeId];
        // INVARIANT: only a dispute that was opened is read or moved.
        if (d.phase == DisputePhase.None) revert DisputeNotFound(disputeId);
    }

    function _requirePhase(DisputeId disputeId, Dispute storage d, DisputePhase phase) private view {
        // INVARIANT: each move happens only in the phase it is defined for.
        if (d.phase != phase) revert DisputeWrongPhase(disputeId, uint8(d.phase));
    }

    function _setParameters(Parameters memory p) private {
        _bound("challengeBond", p.challengeBond, 1, type(uint96).max);
        _bound("clockBudget", p.clockBudget, MIN_CLOCK, MAX_CLOCK);
        _bound("voteCommitWindow", p.voteCommitWindow, MIN_VOTE_WINDOW, MAX_VOTE_WINDOW);
        _bound("voteRevealWindow", p.voteRevealWindow, MIN_VOTE_WINDOW, MAX_VOTE_WINDOW);
        _bound("redrawDelay", p.redrawDelay, MIN_VOTE_WINDOW, MAX_VOTE_WINDOW);
        // INVARIANT (self-challenge): a provider recovers at most MAX_RECOVERABLE_BPS of its collateral.
        _bound("challengerShareBps", p.challengerShareBps, 0, MAX_RECOVERABLE_BPS);
        _bound("refereeShareBps", p.refereeShareBps, 0, MAX_RECOVERABLE_BPS - p.challengerShareBps);
        _bound("refereePenalty", p.refereePenalty, 0, _registry.minVerifierStake());
        // INVARIANT: stake a dispute may slash cannot finish unbonding first: both clocks, the
        // withdrawal window, a draw delay and a committee round fit in half the unbonding delay (the
        // challenge window takes at most the other half); a redrawn round starts a new snapshot, and
        // its referees' stake is bound again from there.
        uint256 longest = 2 * p.clockBudget + 2 * p.redrawDelay + 2 * p.voteCommitWindow + p.voteRevealWindow;
        _bound("disputeDuration", longest, 0, _registry.unbondingDelay() / 2);
        if (longest > _longestDispute) _longestDispute = longest;
        // INVARIANT: every version a dispute may name fits its 16-bit field.
        if (_versions.length > type(uint16).max)
            revert DisputeParameterOutOfBounds("versions", _versions.length, 0, type(uint16).max);
        _versions.push(p);
        emit ParametersSet(_versions.length - 1, p);
    }

    function _current() private view returns (Parameters storage) {
        return _versions[_versions.length - 1];
    }

    /// @inheritdoc IUnbondingConsumer
    /// @dev Twice the longest dispute under any parameter version ever set (a dispute keeps the
    /// version of its open, so a later, shorter version does not shorten it), as `setParameters`
    /// checks on this side for the current version.
    function requiredUnbondingDelay() external view returns (uint256) {
        return 2 * _longestDispute;
    }

    function _bound(bytes32 name, uint256 value, uint256 min, uint256 max) private pure {
        // INVARIANT: every governance parameter stays within the bounds setParameters names for it.
        if (value < min || value > max) revert DisputeParameterOutOfBounds(name, value, min, max);
    }
}
