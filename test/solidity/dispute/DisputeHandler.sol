// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {DisputeGame} from "../../../contracts/DisputeGame.sol";
import {FraudProofs} from "../../../contracts/FraudProofs.sol";
import {Receipts} from "../../../contracts/Receipts.sol";
import {ICreditLedger} from "../../../contracts/interfaces/ICreditLedger.sol";
import {DissectionLib} from "../../../contracts/libraries/DissectionLib.sol";
import {TraceLib} from "../../../contracts/libraries/TraceLib.sol";
import {SybilVerifiers} from "../../../contracts/mocks/SybilVerifiers.sol";
import {TestToken} from "../../../contracts/mocks/TestToken.sol";
import {
    DissectionDigests,
    DisputeKind,
    DisputePhase,
    Outcome,
    Vote
} from "../../../contracts/types/DisputeTypes.sol";
import {DisputeId, JobId} from "../../../contracts/types/Ids.sol";
import {JobParams, JobStatus, Numerics, OpenedLeaf} from "../../../contracts/types/JobTypes.sol";
import {StakeRole} from "../../../contracts/types/StakeTypes.sol";
import {AssayFixture} from "../utils/AssayFixture.sol";
import {FraudCommit} from "../utils/FraudCommit.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {Openings} from "../utils/Openings.sol";
import {Walk} from "../utils/Walk.sol";

/// @notice Random walk over disputes (docs/protocol.md §6) for the solvency invariants: jobs are taken to
/// Opened in one action (the market lifecycle has its own walk in invariant/MarketHandler.sol), then
/// staked verifiers commit and reveal challenges on random segments, provider and challenger dissect
/// with digests the handler makes up and remembers, clocks run out, committees are drawn after rolls,
/// referees commit and reveal votes (or stay away), disputes resolve, jobs finalize, cheating jobs are
/// slashed by fraud proofs mid-dispute, and everyone claims credit from every contract.
///
/// The handler models what each contract owes by the rules (ghost credits per account and contract,
/// ghost job and dispute state); the invariant test compares the model with the chain and the token
/// balances (call accounting and clocks: see Walk).
contract DisputeHandler is Walk {
    uint256 public constant ACTOR_COUNT = 8;
    uint256 public constant ACTOR_FUNDS = 1_000_000e18;
    uint256 private constant VERIFIER_STAKE = 200e18;
    uint256 private constant BPS = 10_000;

    DisputeGame public immutable game;
    FraudProofs public immutable fraudProofs;
    address public immutable treasury;

    uint256 private immutable _bond;
    uint256 private immutable _clockBudget;
    uint256 private immutable _commitWindow;
    uint256 private immutable _revealWindow;
    uint256 private immutable _redrawDelay;
    uint256 private immutable _challengerShareBps;
    uint256 private immutable _refereeShareBps;
    uint256 private immutable _refereePenalty;
    uint256 private immutable _proverShareBps;
    uint256 private immutable _randomnessDelay;

    // ------------------------------------------------------------- ghost state

    struct GhostJob {
        address submitter;
        address provider;
        JobStatus status;
        bool exact;
        /// @dev The submitted final digest is not the trace's last leaf (provable by FraudProofs).
        bool cheat;
        uint16 openDisputes;
        uint32 checkpoints;
        uint32 interval;
        uint96 amount;
        uint96 collateral;
        uint96 budget;
        uint256 deadline;
        uint256 disputedSince;
        bytes32 traceSalt;
        bytes32 initialDigest;
    }

    // A test model: readability over slot packing.
    // solhint-disable-next-line gas-struct-packing
    struct GhostDispute {
        JobId jobId;
        address challenger;
        address provider;
        bool exact;
        DisputeKind kind;
        DisputePhase phase;
        Outcome outcome;
        bool providerTurn;
        uint256 lo;
        uint256 hi;
        uint256 providerClock;
        uint256 challengerClock;
        uint256 lastMoveAt;
        uint256 request;
        uint256 size;
        uint256 commitDeadline;
        uint256 revealDeadline;
        /// @dev Which side the committee's honest majority backs (referees vote it 3 times in 4).
        Vote truth;
        /// @dev An answered availability challenge: no randomness until its withdrawal window ends.
        bool unrequested;
        /// @dev Committee rounds begun (the game's Dispute.round).
        uint256 round;
        DissectionDigests current;
    }

    struct PendingChallenge {
        JobId jobId;
        uint256 segment;
        bytes32 claim;
        bytes32 salt;
        address challenger;
        uint256 committedAt;
    }

    bytes32 private _blockSalt;

    mapping(JobId jobId => GhostJob) private _jobs;
    DisputeId[] private _disputeIds;
    mapping(DisputeId disputeId => GhostDispute) private _disputes;
    mapping(DisputeId disputeId => bytes32[]) private _posted;
    mapping(DisputeId disputeId => address[]) private _members;
    mapping(DisputeId disputeId => mapping(uint256 seat => Vote)) private _committedVote;
    mapping(DisputeId disputeId => mapping(uint256 seat => Vote)) private _revealedVote;
    PendingChallenge[] private _pending;

    /// @dev Rounds without a majority, kept for penalizeSplitRound once the verdict is in.
    struct SplitGhost {
        uint256 round;
        address[] members;
        Vote[] votes;
    }
    mapping(DisputeId disputeId => SplitGhost[]) private _splits;

    /// @dev The polluter: verifier entries that staked the minimum and left at once.
    SybilVerifiers private immutable _sybils;
    address[] private _dead;
    mapping(address account => bool) private _isDead;
    /// @notice Tokens minted to fund the polluter's entries (outside the initial supply).
    uint256 public pollutionMinted;

    mapping(address account => uint256 amount) public ghostMarketCredit;
    mapping(address account => uint256 amount) public ghostGameCredit;
    mapping(address account => uint256 amount) public ghostFraudCredit;

    constructor(
        TestToken token_,
        AssayFixture.Deployment memory sys,
        SybilVerifiers sybils_
    ) Walk(token_, sys) {
        game = sys.disputeGame;
        fraudProofs = sys.fraudProofs;
        treasury = sys.market.treasury();
        DisputeGame.Parameters memory p = sys.disputeGame.parameters();
        _bond = p.challengeBond;
        _clockBudget = p.clockBudget;
        _commitWindow = p.voteCommitWindow;
        _revealWindow = p.voteRevealWindow;
        _redrawDelay = p.redrawDelay;
        _challengerShareBps = p.challengerShareBps;
        _refereeShareBps = p.refereeShareBps;
        _refereePenalty = p.refereePenalty;
        _proverShareBps = sys.fraudProofs.proverShareBps();
        _randomnessDelay = sys.randomness.delay();
        _sybils = sybils_;
        _addActors(token_, sys, 0xD15C0, ACTOR_COUNT, ACTOR_FUNDS);
        for (uint256 i; i < ACTOR_COUNT; ++i) {
            // Every actor is a referee candidate; parties are excluded per dispute by the game.
            vm.prank(_actors[i]);
            sys.registry.stake(StakeRole.Verifier, VERIFIER_STAKE);
        }
    }

    // ------------------------------------------------------------- views for the invariants

    function pendingChallenges() external view returns (uint256) {
        return _pending.length;
    }

    function disputeIds() external view returns (DisputeId[] memory) {
        return _disputeIds;
    }

    function ghostJob(JobId jobId) external view returns (GhostJob memory) {
        return _jobs[jobId];
    }

    function ghostDispute(DisputeId disputeId) external view returns (GhostDispute memory) {
        return _disputes[disputeId];
    }

    // ------------------------------------------------------------- jobs

    /// @notice Creates, accepts, submits and opens a job in one action. One job in four submits a
    /// final digest that is not its last leaf; if the sample then needs that leaf, it stays Submitted.
    function openJob(uint256 seed) external syncClock {
        address submitter = _actor(seed);
        (bool ok, address provider) = _pickProvider(seed >> 8, submitter, 0);
        if (!ok) return _skip("openJob");
        JobParams memory p = _params(seed);
        (ok, provider) = _pickProvider(seed >> 8, submitter, p.collateral);
        if (!ok) return _skip("openJob");
        vm.prank(submitter);
        JobId jobId = market.createJob(p);
        vm.prank(provider);
        market.accept(jobId);
        GhostJob storage j = _jobs[jobId];
        j.submitter = submitter;
        j.provider = provider;
        j.exact = p.numerics == Numerics.Exact;
        j.cheat = (seed >> 40) % 4 == 0;
        j.checkpoints = p.totalSteps / p.checkpointInterval;
        j.interval = p.checkpointInterval;
        j.amount = uint96(p.amount);
        j.collateral = uint96(p.collateral);
        j.budget = uint96((uint256(p.amount) * p.verificationBps) / BPS);
        j.traceSalt = keccak256(abi.encode("trace", jobId, seed));
        j.initialDigest = p.initialStateDigest;
        j.status = JobStatus.Submitted;
        _jobIds.push(jobId);

        (OpenedLeaf[] memory leaves, bytes32[] memory hashes) = _trace(jobId, j);
        bytes32 finalDigest = leaves[leaves.length - 1].stateDigest;
        if (j.cheat) finalDigest = keccak256(abi.encode(finalDigest, "not the model"));
        vm.prank(provider);
        market.submit(
            jobId,
            MerkleBuilder.rootOf(hashes),
            finalDigest,
            keccak256("result"),
            keccak256("leaves")
        );
        _ensureBlockHash(ghostBlock + _randomnessDelay);

        uint256 segment = market.sampledSegments(jobId)[0];
        if (j.cheat && segment == j.checkpoints) return _done("openJobStuck");
        (OpenedLeaf[] memory opened, bytes32[] memory proof) = Openings.segment(leaves, hashes, segment);
        vm.prank(provider);
        try market.openSamples(jobId, opened, new uint256[](0), proof) {
            j.status = JobStatus.Opened;
            j.deadline = ghostTime + p.challengeWindow;
            _done("openJob");
        } catch (bytes memory err) {
            _unexpected("openSamples", err);
        }
    }

    function finalize(uint256 jobSeed) external syncClock {
        (bool found, JobId jobId) = _findJob(jobSeed, _mask(JobStatus.Opened));
        if (!found) return _skip("finalize");
        GhostJob storage j = _jobs[jobId];
        if (ghostTime <= j.deadline) _setTime(j.deadline + 1);
        try market.finalize(jobId) {
            j.status = JobStatus.Finalized;
            ghostMarketCredit[j.provider] += j.amount - j.budget;
            ghostMarketCredit[j.submitter] += j.budget;
            _done("finalize");
        } catch (bytes memory err) {
            _unexpected("finalize", err);
        }
    }

    /// @notice Proves a final-digest fraud on an opened or disputed job: succeeds exactly on cheats.
    function proveFraud(uint256 jobSeed, uint256 proverSeed) external syncClock {
        (bool found, JobId jobId) = _findJob(jobSeed, _mask(JobStatus.Opened) | _mask(JobStatus.Disputed));
        if (!found) return _skip("proveFraud");
        GhostJob storage j = _jobs[jobId];
        address prover = _actor(proverSeed);
        // Parties cannot prove fraud on their own job (tested in fraud-proofs.test.ts).
        for (uint256 k; prover == j.submitter || prover == j.provider; ++k)
            prover = _actor(proverSeed + k + 1);
        (OpenedLeaf[] memory leaves, bytes32[] memory hashes) = _trace(jobId, j);
        bytes32[] memory proof = MerkleBuilder.proof(MerkleBuilder.build(hashes), leaves.length - 1);
        bytes32 salt = keccak256(abi.encode("fraud salt", jobId, ghostBlock, proverSeed));
        FraudCommit.finalDigest(fraudProofs, jobId, leaves[leaves.length - 1], proof, salt, prover);
        _roll(ghostBlock + 1);
        vm.prank(prover);
        try fraudProofs.proveFinalDigestFraud(jobId, leaves[leaves.length - 1], proof, salt) {
            if (!j.cheat) return _forbidden("fraud proof against an honest job");
            uint256 toProver = (uint256(j.collateral) * _proverShareBps) / BPS;
            ghostFraudCredit[prover] += toProver;
            ghostFraudCredit[treasury] += j.collateral - toProver;
            _slashJob(j);
            _done("fraudSlash");
        } catch (bytes memory err) {
            if (j.cheat) _unexpected("proveFinalDigestFraud", err);
            else _done("fraudRefused");
        }
    }

    // ------------------------------------------------------------- challenges

    /// @notice A verifier that is no party commits to a challenge on a random segment; one time in
    /// four it claims the provider's own digest (a claims dispute), one time in four zero (an
    /// availability dispute).
    function commitChallenge(uint256 jobSeed, uint256 actorSeed, uint256 segmentSeed) external syncClock {
        (bool found, JobId jobId) = _findJob(jobSeed, _mask(JobStatus.Opened) | _mask(JobStatus.Disputed));
        if (!found) return _skip("commitChallenge");
        GhostJob storage j = _jobs[jobId];
        address challenger = _actor(actorSeed);
        for (uint256 k; challenger == j.submitter || challenger == j.provider; ++k) {
            challenger = _actor(actorSeed + k + 1);
        }
        uint256 segment = 1 + (segmentSeed % j.checkpoints);
        bytes32 claim = keccak256(abi.encode("claim", jobId, segment, segmentSeed));
        if ((segmentSeed >> 128) % 4 == 0) claim = keccak256(abi.encode(j.traceSalt, segment));
        else if ((segmentSeed >> 128) % 4 == 1) claim = bytes32(0);
        bytes32 salt = keccak256(abi.encode("salt", segmentSeed, _pending.length));
        vm.prank(challenger);
        game.commitChallenge(keccak256(abi.encode(jobId, segment, claim, salt, challenger)));
        _pending.push(PendingChallenge(jobId, segment, claim, salt, challenger, ghostBlock));
        _done("commitChallenge");
    }

    /// @notice Reveals a pending challenge (a block later): it must open a dispute exactly when the job
    /// is still challengeable and the challenger eligible; its claim decides the kind.
    // solhint-disable-next-line function-max-lines
    function revealChallenge(uint256 pendingSeed) external syncClock {
        uint256 count = _pending.length;
        if (count == 0) return _skip("revealChallenge");
        uint256 index = pendingSeed % count;
        PendingChallenge memory c = _pending[index];
        _pending[index] = _pending[count - 1];
        _pending.pop();
        if (ghostBlock <= c.committedAt) _roll(c.committedAt + 1);
        GhostJob storage j = _jobs[c.jobId];
        (OpenedLeaf[] memory leaves, bytes32[] memory hashes) = _trace(c.jobId, j);
        (OpenedLeaf[] memory opened, bytes32[] memory proof) = Openings.segment(leaves, hashes, c.segment);
        bytes32 providerDigest = leaves[c.segment - 1].stateDigest;
        bool valid =
            (j.status == JobStatus.Opened || j.status == JobStatus.Disputed) &&
                ghostTime <= j.deadline &&
                registry.isEligibleVerifier(c.challenger) &&
                token.balanceOf(c.challenger) >= _bond;
        vm.prank(c.challenger);
        try game.revealChallenge(c.jobId, c.segment, c.claim, c.salt, opened, proof) returns (DisputeId id) {
            if (!valid) return _forbidden("revealChallenge on an invalid challenge");
            _disputeIds.push(id);
            GhostDispute storage d = _disputes[id];
            d.jobId = c.jobId;
            d.challenger = c.challenger;
            d.provider = j.provider;
            d.exact = j.exact;
            d.kind =
                c.claim == bytes32(0)
                    ? DisputeKind.Availability
                    : c.claim == providerDigest
                        ? DisputeKind.Claims
                        : DisputeKind.State;
            d.hi = j.interval;
            d.providerClock = _clockBudget;
            d.challengerClock = _clockBudget;
            d.lastMoveAt = ghostTime;
            d.truth = uint256(keccak256(abi.encode(id, c.salt))) % 2 == 0 ? Vote.Provider : Vote.Challenger;
            d.current = DissectionDigests({
                lo: c.segment == 1 ? j.initialDigest : leaves[c.segment - 2].stateDigest,
                hi: providerDigest,
                challengerHi: c.claim
            });
            j.status = JobStatus.Disputed;
            if (j.openDisputes == 0) j.disputedSince = ghostTime;
            ++j.openDisputes;
            if (d.kind == DisputeKind.Availability) {
                d.phase = DisputePhase.Answer;
                d.providerTurn = true;
            } else if (d.kind == DisputeKind.State && d.exact && j.interval > 1) {
                d.phase = DisputePhase.Dissection;
                d.providerTurn = true;
                // Opened while the job's receipts commit: the provider's clock starts after that.
                uint256 commitEnd = Receipts(market.receipts()).commitEnd(c.jobId);
                if (commitEnd >= ghostTime) d.lastMoveAt = commitEnd + 1;
            } else {
                _awaitCommittee(d);
            }
            _done("revealChallenge");
            if (d.kind == DisputeKind.Claims) _done("revealClaims");
            if (d.kind == DisputeKind.Availability) _done("revealAvailability");
        } catch (bytes memory err) {
            if (valid) _unexpected("revealChallenge", err);
            else _done("revealRefused");
        }
    }

    // ------------------------------------------------------------- dispute moves

    /// @notice The next move of a random unresolved dispute, whatever its phase: a dissection move,
    /// drawing the committee, a referee's commit or reveal, or the tally.
    function advance(uint256 disputeSeed, uint256 moveSeed) external syncClock {
        // Dissection | Answer | AwaitingCommittee | Voting
        (bool found, DisputeId id) = _findDispute(disputeSeed, 0x1E);
        if (!found) return _skip("advance");
        GhostDispute storage d = _disputes[id];
        if (d.kind == DisputeKind.Availability && d.phase == DisputePhase.Voting && moveSeed % 5 == 1) {
            // Too late: the committee is drawn, the dispute will be judged.
            vm.prank(d.challenger);
            try game.withdrawChallenge(id) {
                _forbidden("withdrawChallenge after the draw");
            } catch {}
            _vote(id, d, moveSeed);
        } else if (
            d.kind == DisputeKind.Availability &&
            d.phase == DisputePhase.AwaitingCommittee &&
            moveSeed % 4 != 0
        ) {
            _withdraw(id, d);
        } else if (d.phase == DisputePhase.Answer) {
            if (ghostTime - d.lastMoveAt > d.providerClock || moveSeed % 8 == 0) return _timeout(id, d);
            _answer(id, d);
        } else if (d.phase == DisputePhase.Dissection) {
            uint256 clock = d.providerTurn ? d.providerClock : d.challengerClock;
            if (ghostTime > d.lastMoveAt && ghostTime - d.lastMoveAt > clock) return _timeout(id, d);
            if (d.providerTurn) _postPoints(id, d, moveSeed);
            else _narrow(id, d, moveSeed);
        } else if (d.phase == DisputePhase.AwaitingCommittee) {
            _drawCommittee(id, d);
        } else if (moveSeed % 8 == 0) {
            // Everyone who has not voted yet stays away.
            _resolve(id, d);
        } else {
            _vote(id, d, moveSeed);
        }
    }

    /// @notice Waits out the mover's clock and ends the dispute: the mover loses.
    function timeout(uint256 disputeSeed) external syncClock {
        (bool found, DisputeId id) = _findDispute(
            disputeSeed,
            (uint256(1) << uint8(DisputePhase.Dissection)) | (uint256(1) << uint8(DisputePhase.Answer))
        );
        if (!found) return _skip("timeout");
        _timeout(id, _disputes[id]);
    }

    /// @notice Skips the remaining votes of a dispute in Voting: waits for the reveal deadline, tallies.
    function resolveLate(uint256 disputeSeed) external syncClock {
        (bool found, DisputeId id) = _findDispute(disputeSeed, uint256(1) << uint8(DisputePhase.Voting));
        if (!found) return _skip("resolveLate");
        _resolve(id, _disputes[id]);
    }

    // ------------------------------------------------------------- money out, stake in

    /// @notice Claims an account's credit from the market, the dispute game or fraud proofs.
    function claimCredit(uint256 accountSeed, uint256 which) external syncClock {
        address account = _account(accountSeed);
        uint256 kind = which % 3;
        mapping(address => uint256) storage ghost =
            kind == 0
                ? ghostMarketCredit
                : kind == 1
                    ? ghostGameCredit
                    : ghostFraudCredit;
        // One code path for the three ledgers; they share ICreditLedger.claimCredit.
        ICreditLedger ledger =
            kind == 0
                ? ICreditLedger(market)
                : kind == 1
                    ? ICreditLedger(game)
                    : ICreditLedger(fraudProofs);
        if (_claim(ledger, account, ghost[account], "claimCredit")) ghost[account] = 0;
    }

    /// @notice An attacker pollutes the verifier set: 1 to 8 fresh addresses stake the minimum and
    /// ask to unstake at once. They hold no weight, so they never sit on a committee.
    function pollute(uint256 countSeed) external syncClock {
        uint256 count = bound(countSeed, 1, 8);
        uint256 amount = registry.minVerifierStake();
        token.mint(address(_sybils), amount * count);
        pollutionMinted += amount * count;
        address[] memory made = _sybils.create(registry, token, amount, count, true);
        for (uint256 i; i < made.length; ++i) {
            _dead.push(made[i]);
            _isDead[made[i]] = true;
            if (registry.verifierWeight(made[i]) != 0) _forbidden("a dead entry holds weight");
        }
        _done("pollute");
    }

    /// @notice The polluter's entries, for the registry's solvency check.
    function deadVerifiers() external view returns (address[] memory) {
        return _dead;
    }

    /// @notice Tops a verifier back up to its starting stake (referee penalties wear it down).
    function topUpVerifier(uint256 actorSeed) external syncClock {
        address actor = _actor(actorSeed);
        (uint128 free, , , , ) = registry.accountOf(actor, StakeRole.Verifier);
        if (free >= VERIFIER_STAKE) return _skip("topUpVerifier");
        vm.prank(actor);
        registry.stake(StakeRole.Verifier, VERIFIER_STAKE - free);
        _done("topUpVerifier");
    }

    // ------------------------------------------------------------- time

    function warp(uint256 secondsSeed) external syncClock {
        _setTime(ghostTime + bound(secondsSeed, 1, 3 hours));
        _done("warp");
    }

    /// @notice Usually a few blocks; one roll in eight jumps past the 256-block hash horizon, so that
    /// committee randomness is lost and must be requested again.
    function rollBlocks(uint256 countSeed, bytes32 salt) external syncClock {
        _blockSalt = salt;
        _roll(ghostBlock + (countSeed % 8 == 0 ? 300 : bound(countSeed >> 3, 1, 20)));
        _done("rollBlocks");
    }

    // ------------------------------------------------------------- internals: moves

    function _postPoints(DisputeId id, GhostDispute storage d, uint256 moveSeed) private {
        uint256 count = DissectionLib.pointCount(d.lo, d.hi);
        bytes32[] memory digests = new bytes32[](count);
        for (uint256 i; i < count; ++i) digests[i] = keccak256(abi.encode("point", id, d.lo, i, moveSeed));
        if (ghostTime < d.lastMoveAt) {
            // Held back until the job's receipt commit phase is over: no interior digest before.
            vm.prank(d.provider);
            try game.postPoints(id, d.current, digests) {
                return _forbidden("postPoints while receipts commit");
            } catch {}
            return _done("postPointsHeldBack");
        }
        vm.prank(d.provider);
        try game.postPoints(id, d.current, digests) {
            d.providerClock -= ghostTime - d.lastMoveAt;
            d.lastMoveAt = ghostTime;
            d.providerTurn = false;
            _posted[id] = digests;
            _done("postPoints");
        } catch (bytes memory err) {
            _unexpected("postPoints", err);
        }
    }

    function _narrow(DisputeId id, GhostDispute storage d, uint256 moveSeed) private {
        bytes32[] memory digests = _posted[id];
        uint256 count = digests.length;
        uint256 choice = moveSeed % (count + 1);
        bytes32 own = keccak256(abi.encode("own", id, d.lo, moveSeed));
        if (choice < count && own == digests[choice]) own = ~own;
        vm.prank(d.challenger);
        try game.narrow(id, d.current, digests, choice, own) {
            d.challengerClock -= ghostTime - d.lastMoveAt;
            d.lastMoveAt = ghostTime;
            (d.lo, d.hi) = DissectionLib.narrowed(d.lo, d.hi, choice);
            if (choice > 0) d.current.lo = digests[choice - 1];
            if (choice < count) {
                d.current.hi = digests[choice];
                d.current.challengerHi = own;
            }
            if (d.hi - d.lo == 1) _awaitCommittee(d);
            else d.providerTurn = true;
            _done("narrow");
        } catch (bytes memory err) {
            _unexpected("narrow", err);
        }
    }

    /// @dev The provider answers an availability challenge in time: the committee follows.
    function _answer(DisputeId id, GhostDispute storage d) private {
        vm.prank(d.provider);
        try game.answerAvailability(id, d.current) {
            d.providerClock -= ghostTime - d.lastMoveAt;
            d.providerTurn = false;
            d.commitDeadline = ghostTime + _commitWindow; // the withdrawal window
            _awaitCommittee(d);
            d.round = 0;
            d.unrequested = true;
            d.request = 0;
            _done("answerAvailability");
        } catch (bytes memory err) {
            _unexpected("answerAvailability", err);
        }
    }

    /// @dev The challenger withdraws an answered availability challenge: its bond back, nobody judged.
    function _withdraw(DisputeId id, GhostDispute storage d) private {
        if (ghostTime > d.commitDeadline) {
            // The window closed: the challenger is committed to the committee's verdict.
            vm.prank(d.challenger);
            try game.withdrawChallenge(id) {
                _forbidden("withdrawChallenge after the withdrawal window");
            } catch {}
            return _skip("withdrawChallenge");
        }
        vm.prank(d.challenger);
        try game.withdrawChallenge(id) {
            delete _members[id];
            _settle(id, d, Outcome.NoVerdict, 0);
            _done("withdrawChallenge");
        } catch (bytes memory err) {
            _unexpected("withdrawChallenge", err);
        }
    }

    function _timeout(DisputeId id, GhostDispute storage d) private {
        uint256 clock = d.providerTurn ? d.providerClock : d.challengerClock;
        if (ghostTime <= d.lastMoveAt + clock) {
            try game.timeout(id) {
                return _forbidden("timeout while the clock runs");
            } catch {}
            _setTime(d.lastMoveAt + clock + 1);
        }
        try game.timeout(id) {
            _settle(id, d, d.providerTurn ? Outcome.ChallengerWon : Outcome.ProviderWon, 0);
            _done(d.providerTurn ? bytes32("timeoutProviderLost") : bytes32("timeoutChallengerLost"));
        } catch (bytes memory err) {
            _unexpected("timeout", err);
        }
    }

    function _drawCommittee(DisputeId id, GhostDispute storage d) private {
        if (d.kind == DisputeKind.Availability && ghostTime <= d.commitDeadline) {
            // The challenger's window to fetch again and withdraw comes first.
            try game.drawCommittee(id) {
                return _forbidden("drawCommittee inside the withdrawal window");
            } catch {}
            _setTime(d.commitDeadline + 1);
        }
        if (d.unrequested) {
            // The withdrawal window is over: the first round's randomness is requested now.
            if (game.committeeOf(id).length != 0) _forbidden("a committee before its randomness");
            return _drawStartsRound(id, d, "firstRound");
        }
        // A round must draw within the redraw delay of its start; later, anyone asks again.
        uint256 start = d.lastMoveAt;
        if (ghostTime <= start + _redrawDelay && !_ensureBlockHash(d.request)) {
            // The hash fell out of the EVM's window: nothing to draw with until the delay passes.
            try game.drawCommittee(id) {
                return _forbidden("drawCommittee without randomness");
            } catch {}
            _setTime(start + _redrawDelay + 1);
        }
        if (ghostTime > start + _redrawDelay) return _drawStartsRound(id, d, "redraw");
        address[] memory members = game.committeeOf(id);
        _checkCommittee(d, members);
        try game.drawCommittee(id) {
            if (members.length < d.size) {
                // Too little stake outside the parties: the round is drawn again, nobody judged.
                _newRound(id, d);
                _done("committeeShort");
            } else {
                _members[id] = members;
                d.commitDeadline = ghostTime + _commitWindow;
                d.revealDeadline = d.commitDeadline + _revealWindow;
                d.phase = DisputePhase.Voting;
                _done("drawCommittee");
            }
        } catch (bytes memory err) {
            _unexpected("drawCommittee", err);
        }
    }

    /// @dev A drawCommittee that only requests a new round's randomness (no committee yet).
    function _drawStartsRound(DisputeId id, GhostDispute storage d, bytes32 action) private {
        try game.drawCommittee(id) {
            _newRound(id, d);
            _done(action);
        } catch (bytes memory err) {
            _unexpected("drawCommittee (new round)", err);
        }
    }

    /// @dev One voting round per call, so that a walk of a few dozen calls gets through it: every seat
    /// still uncommitted commits while commits are open (one referee in eight stays away), then every
    /// committed seat reveals while reveals are open (one in eight never reveals). With nothing left
    /// to do, the dispute is tallied.
    function _vote(DisputeId id, GhostDispute storage d, uint256 moveSeed) private {
        address[] memory members = _members[id];
        bool acted;
        bool allCommitted = true;
        for (uint256 seat; seat < members.length; ++seat) {
            uint256 r = uint256(keccak256(abi.encode(moveSeed, seat)));
            if (_committedVote[id][seat] == Vote.None && ghostTime <= d.commitDeadline && r % 8 != 0) {
                Vote vote = _voteOf(d, r);
                vm.prank(members[seat]);
                game.commitVote(id, seat, members, _voteCommitment(id, seat, vote, members[seat]));
                _committedVote[id][seat] = vote;
                acted = true;
                _done("commitVote");
            }
            allCommitted = allCommitted && _committedVote[id][seat] != Vote.None;
        }
        if (acted) return;
        for (uint256 seat; seat < members.length && ghostTime <= d.revealDeadline; ++seat) {
            Vote vote = _committedVote[id][seat];
            if (vote == Vote.None || _revealedVote[id][seat] != Vote.None) continue;
            if (uint256(keccak256(abi.encode(moveSeed, seat, "reveal"))) % 8 == 0) continue;
            if (!allCommitted && ghostTime <= d.commitDeadline) _setTime(d.commitDeadline + 1);
            vm.prank(members[seat]);
            try game.revealVote(id, seat, vote, _distance(d, vote), _voteSalt(id, seat)) {
                _revealedVote[id][seat] = vote;
                acted = true;
                _done("revealVote");
            } catch (bytes memory err) {
                return _unexpected("revealVote", err);
            }
        }
        if (!acted) _resolve(id, d);
    }

    function _resolve(DisputeId id, GhostDispute storage d) private {
        address[] memory members = _members[id];
        uint256 provider;
        uint256 challenger;
        uint256 revealed;
        for (uint256 s; s < members.length; ++s) {
            Vote vote = _revealedVote[id][s];
            if (vote != Vote.None) ++revealed;
            if (vote == Vote.Provider) ++provider;
            else if (vote == Vote.Challenger || vote == Vote.Neither) ++challenger;
        }
        if (revealed < members.length && ghostTime <= d.revealDeadline) _setTime(d.revealDeadline + 1);
        uint256 threshold = d.size / 2 + 1;
        Outcome outcome =
            challenger >= threshold
                ? Outcome.ChallengerWon
                : provider >= threshold
                    ? Outcome.ProviderWon
                    : Outcome.NoVerdict;
        uint256 winners =
            outcome == Outcome.ChallengerWon
                ? challenger
                : outcome == Outcome.ProviderWon
                    ? provider
                    : 0;
        Vote[] memory votes = new Vote[](members.length);
        for (uint256 s; s < members.length; ++s) votes[s] = _revealedVote[id][s];
        // Penalties take free verifier stake, then unbonding: the model reads the stake beforehand.
        uint256[] memory penalties = _expectedPenalties(outcome, members, votes, false);
        try game.resolve(id, members) {
            for (uint256 s; s < members.length; ++s) ghostGameCredit[treasury] += penalties[s];
            if (outcome == Outcome.NoVerdict) {
                // No majority decides nothing: a new committee is drawn. Its split is judged later.
                SplitGhost storage split = _splits[id].push();
                split.round = d.round;
                for (uint256 s; s < members.length; ++s) {
                    split.members.push(members[s]);
                    split.votes.push(votes[s]);
                }
                _newRound(id, d);
                return _done("votedNoMajority");
            }
            _settle(id, d, outcome, winners);
            _penalizeSplits(id, outcome);
            if (outcome == Outcome.ChallengerWon) _done("votedChallengerWon");
            else _done("votedProviderWon");
        } catch (bytes memory err) {
            _unexpected("resolve", err);
        }
    }

    // ------------------------------------------------------------- internals: the rules' model

    /// @dev The game's `_settle` and the market's `endDispute`, as ghost credits. Referee penalties
    /// are added by the caller.
    function _settle(DisputeId id, GhostDispute storage d, Outcome outcome, uint256 winners) private {
        d.phase = DisputePhase.Resolved;
        d.outcome = outcome;
        GhostJob storage j = _jobs[d.jobId];
        --j.openDisputes;
        bool slashedNow = outcome == Outcome.ChallengerWon && j.status != JobStatus.Slashed;
        uint256 pot;
        if (outcome == Outcome.ChallengerWon) {
            uint256 toChallenger = _bond;
            if (slashedNow) {
                uint256 share = (uint256(j.collateral) * _challengerShareBps) / BPS;
                pot = winners == 0 ? 0 : (uint256(j.collateral) * _refereeShareBps) / BPS;
                toChallenger += share;
                ghostGameCredit[treasury] += j.collateral - share - pot;
            }
            ghostGameCredit[d.challenger] += toChallenger;
        } else if (outcome == Outcome.ProviderWon) {
            pot = winners == 0 ? 0 : (_bond * _refereeShareBps) / BPS;
            ghostGameCredit[d.provider] += _bond - pot;
        } else {
            ghostGameCredit[d.challenger] += _bond;
        }
        if (winners > 0) {
            uint256 each = pot / winners;
            ghostGameCredit[treasury] += pot - each * winners;
            address[] memory members = _members[id];
            for (uint256 s; s < members.length; ++s) {
                if (_withMajority(outcome, _revealedVote[id][s])) ghostGameCredit[members[s]] += each;
            }
        }
        if (slashedNow) {
            _slashJob(j);
        } else if (j.status == JobStatus.Disputed && j.openDisputes == 0) {
            // The challenge window stood still while disputes were open.
            j.deadline += ghostTime - j.disputedSince;
            j.status = JobStatus.Opened;
        }
    }

    /// @dev The market's `_slash`: the job ends, the escrow is the submitter's again.
    function _slashJob(GhostJob storage j) private {
        j.status = JobStatus.Slashed;
        ghostMarketCredit[j.submitter] += j.amount;
    }

    function _withMajority(Outcome outcome, Vote vote) private pure returns (bool) {
        return
            (outcome == Outcome.ProviderWon && vote == Vote.Provider) ||
            (outcome == Outcome.ChallengerWon && (vote == Vote.Challenger || vote == Vote.Neither));
    }

    /// @dev What each seat pays: silent seats (unless `silentPaid`, a split round judged later) and
    /// seats against a decided majority.
    function _expectedPenalties(
        Outcome outcome,
        address[] memory members,
        Vote[] memory votes,
        bool silentPaid
    ) private view returns (uint256[] memory taken) {
        taken = new uint256[](members.length);
        // A referee may hold several seats: each seat's penalty comes out of what the previous left.
        uint256[] memory free = new uint256[](members.length);
        uint256[] memory unbonding = new uint256[](members.length);
        for (uint256 s; s < members.length; ++s) {
            (uint128 f, , uint128 u, , ) = registry.accountOf(members[s], StakeRole.Verifier);
            (free[s], unbonding[s]) = (f, u);
            for (uint256 t; t < s; ++t) {
                if (members[t] == members[s]) (free[s], unbonding[s]) = (free[t], unbonding[t]);
            }
            Vote vote = votes[s];
            if (_withMajority(outcome, vote) || (vote != Vote.None && outcome == Outcome.NoVerdict)) continue;
            if (silentPaid && vote == Vote.None) continue;
            uint256 fromFree = _refereePenalty < free[s] ? _refereePenalty : free[s];
            uint256 rest = _refereePenalty - fromFree;
            uint256 fromUnbonding = rest < unbonding[s] ? rest : unbonding[s];
            taken[s] = fromFree + fromUnbonding;
            free[s] -= fromFree;
            unbonding[s] -= fromUnbonding;
            for (uint256 t; t < s; ++t) {
                if (members[t] == members[s]) (free[t], unbonding[t]) = (free[s], unbonding[s]);
            }
        }
    }

    /// @dev After a verdict, every earlier round without a majority: its referees who voted against
    /// the verdict pay (the keeper's job; anyone may).
    function _penalizeSplits(DisputeId id, Outcome outcome) private {
        SplitGhost[] storage splits = _splits[id];
        for (uint256 i; i < splits.length; ++i) {
            SplitGhost storage split = splits[i];
            uint256[] memory penalties = _expectedPenalties(outcome, split.members, split.votes, true);
            try game.penalizeSplitRound(id, split.round, split.members) {
                for (uint256 s; s < penalties.length; ++s) ghostGameCredit[treasury] += penalties[s];
                _done("penalizeSplitRound");
            } catch (bytes memory err) {
                _unexpected("penalizeSplitRound", err);
            }
            try game.penalizeSplitRound(id, split.round, split.members) {
                _forbidden("penalizeSplitRound twice");
            } catch {}
        }
        delete _splits[id];
    }

    function _awaitCommittee(GhostDispute storage d) private {
        ++d.round;
        d.phase = DisputePhase.AwaitingCommittee;
        d.request = ghostBlock + _randomnessDelay;
        d.lastMoveAt = ghostTime;
        (, , uint256 size) = market.disputeParties(d.jobId);
        d.size = size;
    }

    /// @dev The draw must never seat a party, and fills every seat while verifiers outside the
    /// parties hold weight. (A verifier may hold several seats: seats go by stake.)
    function _checkCommittee(GhostDispute storage d, address[] memory members) private {
        GhostJob storage j = _jobs[d.jobId];
        for (uint256 s; s < members.length; ++s) {
            address m = members[s];
            if (m == j.submitter || m == j.provider || m == d.challenger) _forbidden("party drawn");
            if (_isDead[m]) _forbidden("dead entry drawn");
        }
    }

    /// @dev The game's `_redraw`: a new round from new randomness, no vote of the old one standing.
    function _newRound(DisputeId id, GhostDispute storage d) private {
        address[] memory members = _members[id];
        for (uint256 s; s < members.length; ++s) {
            delete _committedVote[id][s];
            delete _revealedVote[id][s];
        }
        delete _members[id];
        ++d.round;
        d.unrequested = false;
        d.phase = DisputePhase.AwaitingCommittee;
        d.request = ghostBlock + _randomnessDelay;
        d.lastMoveAt = ghostTime;
        d.commitDeadline = 0;
        d.revealDeadline = 0;
    }

    /// @dev The dispute's truth three times in four; otherwise the other side, or "neither" (exact).
    function _voteOf(GhostDispute storage d, uint256 seed) private view returns (Vote) {
        uint256 r = (seed >> 16) % 8;
        if (r < 6) return d.truth;
        if (r == 6 && d.exact && d.kind == DisputeKind.State) return Vote.Neither;
        return d.truth == Vote.Provider ? Vote.Challenger : Vote.Provider;
    }

    function _distance(GhostDispute storage d, Vote vote) private view returns (uint256) {
        if (d.exact) return 0;
        return vote == Vote.Provider ? 500 : 50_000;
    }

    function _voteSalt(DisputeId id, uint256 seat) private pure returns (bytes32) {
        return keccak256(abi.encode("vote", id, seat));
    }

    function _voteCommitment(
        DisputeId id,
        uint256 seat,
        Vote vote,
        address referee
    ) private view returns (bytes32) {
        return
            keccak256(
                abi.encode(id, seat, vote, _distance(_disputes[id], vote), _voteSalt(id, seat), referee)
            );
    }

    // ------------------------------------------------------------- internals: jobs and traces

    function _params(uint256 seed) private pure returns (JobParams memory p) {
        // Interval 1 skips dissection; 16 and 17 sit on either side of one round; up to 1100 takes 3.
        uint256[6] memory intervals = [uint256(1), 2, 16, 17, 300, 1100];
        uint256 k = intervals[seed % 6];
        uint256 n = bound(seed >> 16, 2, 6);
        bool exact = (seed >> 24) % 4 != 0;
        uint256 amount = bound(seed >> 32, 1e18, 100e18);
        p = JobParams({
            specHash: keccak256(abi.encode("spec", seed)),
            initialStateDigest: keccak256(abi.encode("h0", seed)),
            amount: uint128(amount),
            collateral: uint128(bound(seed >> 96, (amount + 1) / 2, 2 * amount)),
            totalSteps: uint32(n * k),
            checkpointInterval: uint32(k),
            numerics: exact ? Numerics.Exact : Numerics.Tolerance,
            deltaPpm: exact ? 0 : 10_000,
            samples: 1,
            topQ: 0,
            committeeSize: (seed >> 48) % 3 == 0 ? 5 : 3,
            // One job in four has a verification budget, so a receipt round (whose commit phase holds
            // dissections back: docs/receipts.md); receipts themselves walk in ReceiptHandler.
            verificationBps: (seed >> 56) % 4 == 0 ? uint16(bound(seed >> 58, 1, 5_000)) : 0,
            acceptWindow: 1 hours,
            trainWindow: 1 hours,
            openWindow: 1 hours,
            challengeWindow: uint32(bound(seed >> 64, 12 hours, 2 days))
        });
    }

    /// @dev The job's trace: leaf i's digest derives from the job's salt (h_0 is `initialDigest`).
    function _trace(
        JobId jobId,
        GhostJob storage j
    ) private view returns (OpenedLeaf[] memory leaves, bytes32[] memory hashes) {
        uint256 n = j.checkpoints;
        leaves = new OpenedLeaf[](n);
        hashes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            bytes32 h = keccak256(abi.encode(j.traceSalt, i + 1));
            leaves[i] = OpenedLeaf({
                index: i + 1,
                stateDigest: h,
                lossBits: uint64(i),
                updateNorm: uint64(i)
            });
            hashes[i] = TraceLib.leafHash(jobId, i + 1, h, uint64(i), uint64(i));
        }
    }

    /// @dev A provider other than the submitter, not ejected, topped up to the collateral and the minimum.
    function _pickProvider(
        uint256 seed,
        address submitter,
        uint256 collateral
    ) private returns (bool, address) {
        for (uint256 k; k < ACTOR_COUNT; ++k) {
            address provider = _actor(seed + k);
            (uint128 free, uint128 locked, , , bool ejected) = registry.accountOf(
                provider,
                StakeRole.Provider
            );
            if (provider == submitter || ejected) continue;
            uint256 need = free < collateral ? collateral - free : 0;
            uint256 bonded = uint256(free) + need + locked;
            uint256 minimum = registry.minProviderStake();
            if (bonded < minimum) need += minimum - bonded;
            if (need > 0) {
                vm.prank(provider);
                registry.stake(StakeRole.Provider, need);
            }
            return (true, provider);
        }
        return (false, address(0));
    }

    /// @dev Block hashes follow the last `rollBlocks` salt.
    function _blockHash(uint256 number) internal view override returns (bytes32) {
        return keccak256(abi.encode(_blockSalt, number));
    }

    // ------------------------------------------------------------- internals: picking

    function _jobStatus(JobId jobId) internal view override returns (JobStatus) {
        return _jobs[jobId].status;
    }

    function _findDispute(uint256 seed, uint256 phases) private view returns (bool, DisputeId) {
        uint256 count = _disputeIds.length;
        for (uint256 k; k < count; ++k) {
            DisputeId id = _disputeIds[(seed + k) % count];
            if ((phases >> uint8(_disputes[id].phase)) & 1 == 1) return (true, id);
        }
        return (false, DisputeId.wrap(0));
    }
}
