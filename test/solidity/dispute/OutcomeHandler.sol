// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {DisputeGame} from "../../../contracts/DisputeGame.sol";
import {TraceLib} from "../../../contracts/libraries/TraceLib.sol";
import {TestToken} from "../../../contracts/mocks/TestToken.sol";
import {Dispute, DisputePhase, Outcome, Vote} from "../../../contracts/types/DisputeTypes.sol";
import {DisputeId, JobId} from "../../../contracts/types/Ids.sol";
import {JobParams, JobStatus, Numerics, OpenedLeaf} from "../../../contracts/types/JobTypes.sol";
import {StakeRole} from "../../../contracts/types/StakeTypes.sol";
import {AssayFixture} from "../utils/AssayFixture.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {Openings} from "../utils/Openings.sol";
import {Walk} from "../utils/Walk.sol";

/// @notice Random walk over the security outcomes of disputes (docs/protocol.md §6, §8): honest and
/// cheating providers (one fabricated checkpoint), honest challengers on the fabricated segment,
/// lying challengers on good ones, each provider's sock puppet challenging its own job (to win the
/// challenger share, or to lose on purpose and shield it), committees drawn by stake whose revealed
/// votes are the truth (the protocol's honest-majority assumption; some seats stay silent, so rounds
/// without a majority are redrawn), clocks and windows run out, jobs finalize, credits are claimed.
/// The truth of a state dispute on segment s of a job that fabricated checkpoint b: the provider is
/// wrong when s is b (its post-state is false) or b + 1 (its pre-state is false). k = 1: every
/// dispute goes straight to its committee.
contract OutcomeHandler is Walk {
    uint256 private constant BPS = 10_000;
    uint256 private constant VERIFIERS = 6;
    uint256 private constant CHECKPOINTS = 4;

    // A test model: readability over slot packing.
    // solhint-disable-next-line gas-struct-packing
    struct GhostJob {
        address submitter;
        uint256 providerIndex;
        /// @dev The fabricated checkpoint (0: an honest job).
        uint256 bad;
        uint256 collateral;
        bytes32 salt;
        /// @dev An honest challenge of the fabricated segment was revealed.
        bool honestlyChallenged;
        /// @dev Credited to the provider's puppet by this job's disputes, and the bonds it posted.
        uint256 puppetGain;
        uint256 puppetBonds;
    }

    DisputeGame public immutable game;

    address[] private _verifiers;
    address[2] private _providers;
    address[2] private _puppets;
    mapping(JobId jobId => GhostJob) private _jobs;
    DisputeId[] private _disputeIds;
    /// @dev Each dispute's current committee (committeeOf shows it only before the draw).
    mapping(DisputeId disputeId => address[]) private _members;

    /// @dev The actors, in order: VERIFIERS verifiers, two providers, each provider's sock puppet.
    constructor(TestToken token_, AssayFixture.Deployment memory sys) Walk(token_, sys) {
        game = sys.disputeGame;
        _addActors(token_, sys, 0x5EC0, VERIFIERS + 4, 1_000_000e18);
        for (uint256 i; i < VERIFIERS + 4; ++i) {
            address actor = _actors[i];
            vm.startPrank(actor);
            if (i < VERIFIERS) {
                sys.registry.stake(StakeRole.Verifier, 1_000e18);
                _verifiers.push(actor);
            } else if (i < VERIFIERS + 2) {
                sys.registry.stake(StakeRole.Provider, 10_000e18);
                _providers[i - VERIFIERS] = actor;
            } else {
                // Each provider's sock puppet: a verifier of its own.
                sys.registry.stake(StakeRole.Verifier, 1_000e18);
                _puppets[i - VERIFIERS - 2] = actor;
            }
            vm.stopPrank();
        }
    }

    // ------------------------------------------------------------- views for the invariants

    function ghostJob(JobId jobId) external view returns (GhostJob memory) {
        return _jobs[jobId];
    }

    // ------------------------------------------------------------- actions

    /// @notice Posts, accepts, submits and opens a job; one in two fabricates a checkpoint.
    function openJob(uint256 seed) external syncClock {
        address submitter = _verifiers[seed % VERIFIERS];
        uint256 providerIndex = (seed >> 8) % 2;
        JobParams memory p = JobParams({
            specHash: keccak256(abi.encode("spec", seed)),
            initialStateDigest: keccak256(abi.encode("h0", seed)),
            amount: 100e18,
            collateral: 200e18,
            totalSteps: uint32(CHECKPOINTS),
            checkpointInterval: 1,
            numerics: Numerics.Exact,
            deltaPpm: 0,
            samples: 1,
            topQ: 0,
            committeeSize: 3,
            verificationBps: 0,
            acceptWindow: 1 hours,
            trainWindow: 1 hours,
            openWindow: 1 hours,
            challengeWindow: 12 hours
        });
        vm.prank(submitter);
        JobId jobId = market.createJob(p);
        vm.prank(_providers[providerIndex]);
        market.accept(jobId);
        GhostJob storage j = _jobs[jobId];
        j.submitter = submitter;
        j.providerIndex = providerIndex;
        j.bad = (seed >> 16) % 2 == 0 ? 1 + ((seed >> 24) % CHECKPOINTS) : 0;
        j.collateral = p.collateral;
        j.salt = keccak256(abi.encode("truth", jobId, seed));
        _jobIds.push(jobId);
        (OpenedLeaf[] memory leaves, bytes32[] memory hashes) = _trace(jobId, j);
        vm.prank(_providers[providerIndex]);
        market.submit(
            jobId,
            MerkleBuilder.rootOf(hashes),
            leaves[CHECKPOINTS - 1].stateDigest,
            keccak256("r"),
            keccak256("l")
        );
        _ensureBlockHash(ghostBlock + randomness.delay());
        uint256 sampled = market.sampledSegments(jobId)[0];
        (OpenedLeaf[] memory opened, bytes32[] memory proof) = Openings.segment(leaves, hashes, sampled);
        vm.prank(_providers[providerIndex]);
        try market.openSamples(jobId, opened, new uint256[](0), proof) {
            _done("openJob");
        } catch (bytes memory err) {
            _unexpected("openSamples", err);
        }
    }

    /// @notice A challenge: 0 honest (the fabricated segment, its true digest), 1 lying (a good
    /// segment, a made-up digest), 2 the provider's puppet honestly (to take the challenger share),
    /// 3 the puppet lying (to lose on purpose and shield the job).
    function challenge(uint256 jobSeed, uint256 actorSeed, uint256 mode) external syncClock {
        (bool found, JobId jobId) = _findJob(jobSeed, _challengeable());
        if (!found) return;
        GhostJob storage j = _jobs[jobId];
        mode %= 4;
        bool truthful = mode == 0 || mode == 2;
        if (truthful && j.bad == 0) return;
        address challenger = mode >= 2 ? _puppets[j.providerIndex] : _verifiers[actorSeed % VERIFIERS];
        if (challenger == j.submitter) challenger = _verifiers[(actorSeed + 1) % VERIFIERS];
        uint256 segment = truthful ? j.bad : _goodSegment(j, actorSeed);
        if (segment == 0) return;
        bytes32 claim = truthful ? _truth(j, segment) : keccak256(abi.encode("lie", jobId, actorSeed));
        bytes32 salt = keccak256(abi.encode("salt", jobId, actorSeed, mode, ghostBlock));
        vm.prank(challenger);
        game.commitChallenge(keccak256(abi.encode(jobId, segment, claim, salt, challenger)));
        _roll(ghostBlock + 1);
        (OpenedLeaf[] memory leaves, bytes32[] memory hashes) = _trace(jobId, j);
        (OpenedLeaf[] memory opened, bytes32[] memory proof) = Openings.segment(leaves, hashes, segment);
        JobStatus status = market.getJob(jobId).status;
        bool open =
            (status == JobStatus.Opened || status == JobStatus.Disputed) &&
                ghostTime <= market.getJob(jobId).deadline &&
                registry.isEligibleVerifier(challenger);
        // A front-runner replays the reveal from its own address: the commitment names the challenger.
        address copier = _verifiers[(actorSeed + 2) % VERIFIERS];
        if (copier != challenger) {
            vm.prank(copier);
            try game.revealChallenge(jobId, segment, claim, salt, opened, proof) {
                return _forbidden("a copied challenge reveal");
            } catch {
                _done("copyRefused");
            }
        }
        vm.prank(challenger);
        try game.revealChallenge(jobId, segment, claim, salt, opened, proof) returns (DisputeId id) {
            if (!open) return _forbidden("a challenge outside the window");
            _disputeIds.push(id);
            if (mode == 0) j.honestlyChallenged = true;
            if (mode >= 2) j.puppetBonds += game.getDispute(id).bond;
            _done(
                mode == 0
                    ? bytes32("honestChallenge")
                    : mode == 1
                        ? bytes32("lyingChallenge")
                        : mode == 2
                            ? bytes32("puppetWins")
                            : bytes32("puppetLoses")
            );
        } catch (bytes memory err) {
            if (open) _unexpected("revealChallenge", err);
        }
    }

    /// @notice Moves a dispute: draws its committee, or runs its whole vote (every seat votes the
    /// truth; one in four stays silent) and resolves it.
    function advance(uint256 disputeSeed, uint256 moveSeed) external syncClock {
        uint256 count = _disputeIds.length;
        if (count == 0) return;
        DisputeId id;
        Dispute memory d;
        for (uint256 k; k < count; ++k) {
            id = _disputeIds[(disputeSeed + k) % count];
            d = game.getDispute(id);
            if (d.phase != DisputePhase.Resolved) break;
        }
        if (d.phase == DisputePhase.Resolved) return;
        if (d.phase == DisputePhase.AwaitingCommittee) return _draw(id, d);
        if (d.phase == DisputePhase.Voting) return _vote(id, d, moveSeed);
    }

    function finalize(uint256 jobSeed) external syncClock {
        (bool found, JobId jobId) = _findJob(jobSeed, _challengeable());
        if (!found) return;
        uint256 deadline = market.getJob(jobId).deadline;
        if (ghostTime <= deadline) _setTime(deadline + 1);
        try market.finalize(jobId) {
            _done("finalize");
        } catch {
            _done("finalizeRefused");
        }
    }

    /// @notice Every account claims what the game owes it; a puppet's claims are its provider's gain.
    function claim(uint256 accountSeed) external syncClock {
        address account =
            accountSeed % 2 == 0 ? _puppets[(accountSeed >> 1) % 2] : _verifiers[accountSeed % VERIFIERS];
        _claim(game, account, game.creditOf(account), "claim");
    }

    function warp(uint256 secondsSeed) external syncClock {
        _setTime(ghostTime + bound(secondsSeed, 1, 2 hours));
        _roll(ghostBlock + 1);
    }

    // ------------------------------------------------------------- internals: committees

    function _draw(DisputeId id, Dispute memory d) private {
        _ensureBlockHash(d.randomnessRequest);
        address[] memory members = game.committeeOf(id);
        try game.drawCommittee(id) {
            if (game.getDispute(id).phase == DisputePhase.Voting) _members[id] = members;
            _done("drawCommittee");
        } catch {
            // The round went stale (its redraw delay passed): anyone asks again.
            _setTime(ghostTime + 2 hours);
            try game.drawCommittee(id) {
                _done("redrawStale");
            } catch (bytes memory err) {
                _unexpected("drawCommittee", err);
            }
        }
    }

    // solhint-disable-next-line function-max-lines
    function _vote(DisputeId id, Dispute memory d, uint256 moveSeed) private {
        address[] memory members = _members[id];
        Vote truth = _truthOf(d);
        bool[] memory voted = new bool[](members.length);
        // Windows that ran out while nobody moved leave the seats silent.
        bool commitsOpen = ghostTime <= d.commitDeadline;
        for (uint256 seat; seat < members.length && commitsOpen; ++seat) {
            if (uint256(keccak256(abi.encode(moveSeed, seat))) % 4 == 0) continue; // silent
            bytes32 salt = keccak256(abi.encode("vote", id, d.round, seat));
            vm.prank(members[seat]);
            try
                game.commitVote(
                    id,
                    seat,
                    members,
                    keccak256(abi.encode(id, seat, truth, uint256(0), salt, members[seat]))
                )
            {
                voted[seat] = true;
            } catch (bytes memory err) {
                return _unexpected("commitVote", err);
            }
        }
        _setTime(uint256(d.commitDeadline) + 1);
        for (uint256 seat; seat < members.length && ghostTime <= d.revealDeadline; ++seat) {
            if (!voted[seat]) continue;
            vm.prank(members[seat]);
            try
                game.revealVote(id, seat, truth, 0, keccak256(abi.encode("vote", id, d.round, seat)))
            {} catch (bytes memory err) {
                return _unexpected("revealVote", err);
            }
        }
        _setTime(uint256(d.revealDeadline) + 1);
        JobId jobId = JobId.wrap(d.jobId);
        GhostJob storage j = _jobs[jobId];
        address puppet = _puppets[j.providerIndex];
        uint256 before = game.creditOf(puppet);
        try game.resolve(id, members) {
            Dispute memory after_ = game.getDispute(id);
            if (after_.phase == DisputePhase.Resolved) {
                if (
                    after_.outcome != (truth == Vote.Challenger ? Outcome.ChallengerWon : Outcome.ProviderWon)
                ) {
                    return _forbidden("a committee voting the truth decided against it");
                }
                _done(
                    after_.outcome == Outcome.ChallengerWon
                        ? bytes32("challengerWon")
                        : bytes32("providerWon")
                );
            } else {
                _done("noMajorityRedrawn");
            }
            j.puppetGain += game.creditOf(puppet) - before;
        } catch (bytes memory err) {
            _unexpected("resolve", err);
        }
    }

    /// @dev Challenger when the disputed segment's post-state is fabricated or starts from one.
    function _truthOf(Dispute memory d) private view returns (Vote) {
        GhostJob storage j = _jobs[JobId.wrap(d.jobId)];
        if (j.bad != 0 && (d.segment == j.bad || d.segment == j.bad + 1)) return Vote.Challenger;
        return Vote.Provider;
    }

    // ------------------------------------------------------------- internals: traces

    function _truth(GhostJob storage j, uint256 index) private view returns (bytes32) {
        return keccak256(abi.encode(j.salt, index));
    }

    function _leafDigest(GhostJob storage j, uint256 index) private view returns (bytes32) {
        return index == j.bad ? keccak256(abi.encode("fabricated", j.salt, index)) : _truth(j, index);
    }

    /// @dev A segment whose both ends are honest (0: none).
    function _goodSegment(GhostJob storage j, uint256 seed) private view returns (uint256) {
        for (uint256 k; k < CHECKPOINTS; ++k) {
            uint256 s = 1 + ((seed + k) % CHECKPOINTS);
            if (j.bad == 0 || (s != j.bad && s != j.bad + 1)) return s;
        }
        return 0;
    }

    function _trace(
        JobId jobId,
        GhostJob storage j
    ) private view returns (OpenedLeaf[] memory leaves, bytes32[] memory hashes) {
        leaves = new OpenedLeaf[](CHECKPOINTS);
        hashes = new bytes32[](CHECKPOINTS);
        for (uint256 i; i < CHECKPOINTS; ++i) {
            bytes32 h = _leafDigest(j, i + 1);
            leaves[i] = OpenedLeaf({index: i + 1, stateDigest: h, lossBits: 1, updateNorm: 1});
            hashes[i] = TraceLib.leafHash(jobId, i + 1, h, 1, 1);
        }
    }

    /// @dev Opened or Disputed, as the market says.
    function _challengeable() private pure returns (uint256) {
        return _mask(JobStatus.Opened) | _mask(JobStatus.Disputed);
    }
}
