// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Receipts} from "../../../contracts/Receipts.sol";
import {TraceLib} from "../../../contracts/libraries/TraceLib.sol";
import {TestToken} from "../../../contracts/mocks/TestToken.sol";
import {JobId} from "../../../contracts/types/Ids.sol";
import {JobParams, JobStatus, Numerics, OpenedLeaf} from "../../../contracts/types/JobTypes.sol";
import {Probes} from "../../../contracts/types/ReceiptTypes.sol";
import {StakeRole} from "../../../contracts/types/StakeTypes.sol";
import {AssayFixture} from "../utils/AssayFixture.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {Walk} from "../utils/Walk.sol";

/// @notice Random walk over paid verification (docs/receipts.md): jobs open with receipt rounds;
/// honest verifiers (digests of every step), lazy ones (guesses) and half-workers (the first half of
/// each segment) commit; parties and latecomers try to; providers publish honest probes, lie about
/// them or withhold them; verifiers reveal, unstake and come back; jobs finalize or expire; receipts
/// are claimed. The true digest after step j of segment s is keccak256(salt, s, j).
///
/// The handler predicts every outcome: a call the model says must succeed and reverts is an
/// `unexpectedReverts`, one that must fail and succeeds (or pays another amount than the rules) a
/// `forbiddenSuccesses`. The invariant test checks the model against the chain.
contract ReceiptHandler is Walk {
    uint256 public constant ACTOR_COUNT = 6;
    uint256 private constant BPS = 10_000;
    uint256 private constant WINDOW = 2 hours;

    enum ProviderKind {
        Honest,
        Liar,
        Withholder
    }
    enum VerifierKind {
        Honest,
        Lazy,
        HalfWork
    }

    // A test model: readability over slot packing.
    // solhint-disable-next-line gas-struct-packing
    struct GhostJob {
        address submitter;
        address provider;
        ProviderKind kind;
        JobStatus status;
        uint256 k;
        uint256 n;
        uint256 amount;
        uint256 collateral;
        uint256 budget;
        uint256 openedAt;
        uint256 snapshot;
        uint256 committed;
        bool published;
        uint256 matchedWeight;
        uint256 matched;
        uint256 settled;
        uint256 paid;
        uint256 claimed;
        bytes32 salt;
    }

    // solhint-disable-next-line gas-struct-packing
    struct GhostReceipt {
        bool committed;
        VerifierKind kind;
        uint256 weight;
        bytes32 salt;
        bool revealed;
        bool claimed;
    }

    Receipts public immutable receipts;

    mapping(JobId jobId => GhostJob) private _jobs;
    mapping(JobId jobId => mapping(address verifier => GhostReceipt)) private _receipts;
    mapping(JobId jobId => address[]) private _committers;
    mapping(JobId jobId => Probes) private _probes;

    constructor(TestToken token_, AssayFixture.Deployment memory sys) Walk(token_, sys) {
        receipts = sys.receipts;
        _addActors(token_, sys, 0x7EC0, ACTOR_COUNT, 1_000_000e18);
        for (uint256 i; i < ACTOR_COUNT; ++i) {
            vm.startPrank(_actors[i]);
            // Unequal stakes, so shares differ: 100, 200, … 600 tokens.
            sys.registry.stake(StakeRole.Verifier, 100e18 * (i + 1));
            sys.registry.stake(StakeRole.Provider, 5_000e18);
            vm.stopPrank();
        }
    }

    // ------------------------------------------------------------- views for the invariants

    function ghostJob(JobId jobId) external view returns (GhostJob memory) {
        return _jobs[jobId];
    }

    function ghostReceipt(JobId jobId, address verifier) external view returns (GhostReceipt memory) {
        return _receipts[jobId][verifier];
    }

    function committers(JobId jobId) external view returns (address[] memory) {
        return _committers[jobId];
    }

    // ------------------------------------------------------------- actions

    /// @notice Creates, accepts, submits and opens an exact job with k ∈ {2, 4, 5} and a receipt round.
    // solhint-disable-next-line function-max-lines
    function openJob(uint256 seed) external syncClock {
        address submitter = _actor(seed);
        address provider = _actor(seed + 1 + ((seed >> 8) % (ACTOR_COUNT - 1)));
        uint256[3] memory intervals = [uint256(2), 4, 5];
        uint256 k = intervals[(seed >> 16) % 3];
        uint256 n = bound(seed >> 24, 2, 6);
        JobParams memory p = JobParams({
            specHash: keccak256(abi.encode("spec", seed)),
            initialStateDigest: keccak256(abi.encode("h0", seed)),
            amount: uint128(bound(seed >> 32, 1e18, 100e18)),
            collateral: 0,
            totalSteps: uint32(n * k),
            checkpointInterval: uint32(k),
            numerics: Numerics.Exact,
            deltaPpm: 0,
            samples: uint8(bound(seed >> 96, 1, n < 3 ? n : 3)),
            topQ: 0,
            committeeSize: 1,
            verificationBps: uint16(bound(seed >> 104, 100, 5_000)),
            acceptWindow: 1 hours,
            trainWindow: 6 hours,
            openWindow: 1 hours,
            challengeWindow: uint32(WINDOW)
        });
        p.collateral = p.amount;
        vm.prank(submitter);
        JobId jobId = market.createJob(p);
        vm.prank(provider);
        market.accept(jobId);
        GhostJob storage j = _jobs[jobId];
        j.submitter = submitter;
        j.provider = provider;
        j.kind = ProviderKind(
            (seed >> 120) % 4 == 0
                ? 1
                : (seed >> 120) % 8 == 1
                    ? 2
                    : 0
        );
        j.k = k;
        j.n = n;
        j.amount = p.amount;
        j.collateral = p.collateral;
        j.budget = (uint256(p.amount) * p.verificationBps) / BPS;
        j.salt = keccak256(abi.encode("truth", jobId, seed));
        _jobIds.push(jobId);

        bytes32[] memory hashes = new bytes32[](n);
        OpenedLeaf[] memory leaves = new OpenedLeaf[](n);
        for (uint256 i; i < n; ++i) {
            bytes32 h = _truth(j, i + 1, k);
            leaves[i] = OpenedLeaf({index: i + 1, stateDigest: h, lossBits: 1, updateNorm: 1});
            hashes[i] = TraceLib.leafHash(jobId, i + 1, h, 1, 1);
        }
        vm.prank(provider);
        market.submit(
            jobId,
            MerkleBuilder.rootOf(hashes),
            leaves[n - 1].stateDigest,
            keccak256("r"),
            keccak256("l")
        );
        _ensureBlockHash(ghostBlock + randomness.delay());
        (OpenedLeaf[] memory opened, bytes32[] memory proof) = _opening(jobId, leaves, hashes);
        vm.prank(provider);
        try market.openSamples(jobId, opened, new uint256[](0), proof) {
            j.status = JobStatus.Opened;
            j.openedAt = ghostTime;
            j.snapshot = ghostBlock - 1; // weights as they stood before the open's block
            _done("openJob");
        } catch (bytes memory err) {
            _unexpected("openSamples", err);
        }
    }

    /// @notice A verifier commits a receipt: honest, lazy or half the work; a party or a latecomer
    /// is refused.
    function commitReceipt(uint256 jobSeed, uint256 actorSeed, uint256 kindSeed) external syncClock {
        // Mostly a job still taking commits; one try in eight any opened job (late ones are refused).
        (bool found, JobId jobId) = _findJobIn(jobSeed, kindSeed % 8 == 0 ? Phase.Any : Phase.Commit);
        if (!found) return;
        GhostJob storage j = _jobs[jobId];
        if (ghostBlock <= j.snapshot) _roll(j.snapshot + 1);
        address verifier = _actor(actorSeed);
        // Mostly verifiers; one try in four is a party's.
        for (uint256 k; actorSeed % 4 != 0 && (verifier == j.provider || verifier == j.submitter); ++k)
            verifier = _actor(actorSeed + k + 1);
        GhostReceipt storage r = _receipts[jobId][verifier];
        VerifierKind kind = VerifierKind(kindSeed % 3);
        (bytes32[] memory roots, ) = _roots(jobId, j, kind);
        bytes32 salt = keccak256(abi.encode("receipt salt", jobId, verifier, kindSeed));
        bytes32 commitment = keccak256(abi.encode(jobId, roots, salt, verifier));
        uint256 weight = registry.verifierWeightAt(verifier, j.snapshot);
        bool party = verifier == j.provider || verifier == j.submitter;
        bool allowed = !party && !r.committed && weight > 0 && ghostTime <= j.openedAt + WINDOW / 2;
        vm.prank(verifier);
        try receipts.commitReceipt(jobId, commitment) {
            if (!allowed) return _forbidden(party ? "commit by a party" : "commit refused by the rules");
            r.committed = true;
            r.kind = kind;
            r.weight = weight;
            r.salt = salt;
            ++j.committed;
            _committers[jobId].push(verifier);
            _done("commitReceipt");
        } catch (bytes memory err) {
            if (allowed) _unexpected("commitReceipt", err);
            else _done(party ? bytes32("partyRefused") : bytes32("commitRefused"));
        }
    }

    /// @notice The provider requests the probe steps and publishes (honest or made-up) digests;
    /// a withholder never does.
    function publishProbes(uint256 jobSeed) external syncClock {
        (bool found, JobId jobId) = _findJobIn(jobSeed, Phase.Publish);
        if (!found) return;
        GhostJob storage j = _jobs[jobId];
        if (j.committed == 0 || j.published || j.kind == ProviderKind.Withholder) return;
        uint256 commitEnd = j.openedAt + WINDOW / 2;
        if (ghostTime > j.openedAt + (3 * WINDOW) / 4 - 60) return; // too late: modelled as a miss
        if (ghostTime <= commitEnd) _setTime(commitEnd + 1);
        if (receipts.roundOf(jobId).probeRequest == 0) {
            try receipts.requestProbes(jobId) {} catch (bytes memory err) {
                return _unexpected("requestProbes", err);
            }
        }
        _ensureBlockHash(receipts.roundOf(jobId).probeRequest);
        (uint256[] memory segments, uint256[] memory steps) = receipts.probeSteps(jobId);
        bytes32[] memory digests = new bytes32[](segments.length);
        for (uint256 s; s < segments.length; ++s) {
            digests[s] =
                j.kind == ProviderKind.Liar
                    ? keccak256(abi.encode("lie", jobId, segments[s]))
                    : _truth(j, segments[s], steps[s]);
        }
        vm.prank(j.provider);
        try receipts.publishProbes(jobId, digests) {
            j.published = true;
            _probes[jobId] = Probes({segments: segments, steps: steps, digests: digests});
            _done("publishProbes");
        } catch (bytes memory err) {
            _unexpected("publishProbes", err);
        }
    }

    /// @notice A committed verifier reveals: it must match exactly when its digests at every probe
    /// step are the provider's.
    function revealReceipt(uint256 jobSeed, uint256 actorSeed) external syncClock {
        (bool found, JobId jobId) = _findJobIn(jobSeed, Phase.Reveal);
        if (!found) return;
        GhostJob storage j = _jobs[jobId];
        // One of the job's committers.
        address[] storage committed = _committers[jobId];
        address verifier = committed[actorSeed % committed.length];
        GhostReceipt storage r = _receipts[jobId][verifier];
        if (!r.committed || r.revealed || !j.published) return;
        if (ghostTime > j.openedAt + WINDOW) return;
        Probes memory probes = _probes[jobId];
        (bytes32[] memory roots, bytes32[][][] memory levels) = _roots(jobId, j, r.kind);
        bool matches = true;
        bytes32[][] memory proofs = new bytes32[][](probes.segments.length);
        for (uint256 s; s < probes.segments.length; ++s) {
            uint256 step = probes.steps[s];
            proofs[s] = MerkleBuilder.proof(levels[s], step - 1);
            matches = matches && _digest(j, r.kind, probes.segments[s], step) == probes.digests[s];
        }
        vm.prank(verifier);
        try receipts.revealReceipt(jobId, roots, r.salt, probes, proofs) {
            if (!matches) return _forbidden("a receipt that does not match was revealed");
            r.revealed = true;
            j.matchedWeight += r.weight;
            ++j.matched;
            _done(r.kind == VerifierKind.Honest ? bytes32("revealHonest") : bytes32("revealHalfLucky"));
        } catch (bytes memory err) {
            if (matches) _unexpected("revealReceipt", err);
            else _done(r.kind == VerifierKind.Lazy ? bytes32("lazyRefused") : bytes32("mismatchRefused"));
        }
    }

    /// @notice After the window: finalize, or — when owed probes were not published — expire.
    function settle(uint256 jobSeed) external syncClock {
        (bool found, JobId jobId) = _findJobIn(jobSeed, Phase.Any);
        if (!found) return;
        GhostJob storage j = _jobs[jobId];
        if (ghostTime <= j.openedAt + WINDOW) _setTime(j.openedAt + WINDOW + 1);
        bool missed = j.committed > 0 && !j.published;
        if (missed) {
            try market.finalize(jobId) {
                return _forbidden("finalize with owed probes missing");
            } catch {}
            try market.expire(jobId) {
                j.status = JobStatus.Expired;
                if (j.kind == ProviderKind.Honest && j.committed > 0 && !j.published) _done("honestLate");
                _done("expired");
            } catch (bytes memory err) {
                _unexpected("expire", err);
            }
            return;
        }
        try market.expire(jobId) {
            return _forbidden("expire of a job that owes nothing");
        } catch {}
        try market.finalize(jobId) {
            j.status = JobStatus.Finalized;
            if (j.matchedWeight > 0 && j.budget > 0) j.settled = j.budget;
            _done(j.settled > 0 ? bytes32("finalizedPaid") : bytes32("finalizedUnpaid"));
        } catch (bytes memory err) {
            _unexpected("finalize", err);
        }
    }

    /// @notice A verifier claims its share: exactly budget · weight / matchedWeight, the last one the
    /// remainder; nothing for anyone else.
    function claimReceipt(uint256 jobSeed, uint256 actorSeed) external syncClock {
        uint256 count = _jobIds.length;
        if (count == 0) return;
        JobId jobId = _jobIds[jobSeed % count];
        GhostJob storage j = _jobs[jobId];
        address verifier = _actor(actorSeed);
        GhostReceipt storage r = _receipts[jobId][verifier];
        bool due = j.settled > 0 && r.revealed && !r.claimed;
        uint256 expected;
        if (due) {
            expected =
                j.claimed + 1 == j.matched ? j.settled - j.paid : (j.settled * r.weight) / j.matchedWeight;
        }
        uint256 before = token.balanceOf(verifier);
        vm.prank(verifier);
        try receipts.claimReceipt(jobId) returns (uint256 amount) {
            if (!due || amount != expected || token.balanceOf(verifier) - before != expected) {
                return _forbidden("claim paid against the rules");
            }
            r.claimed = true;
            j.paid += expected;
            ++j.claimed;
            _done("claimReceipt");
        } catch (bytes memory err) {
            if (due && expected > 0) _unexpected("claimReceipt", err);
        }
    }

    /// @notice Verifier stake moves after snapshots: receipts already committed keep their weight.
    function moveStake(uint256 actorSeed, bool unstake) external syncClock {
        address verifier = _actor(actorSeed);
        (uint128 free, , , , ) = registry.accountOf(verifier, StakeRole.Verifier);
        vm.prank(verifier);
        if (unstake && free > 1) {
            try registry.requestUnstake(StakeRole.Verifier, free / 2) {
                _done("unstake");
            } catch (bytes memory err) {
                _unexpected("requestUnstake", err);
            }
        } else {
            try registry.stake(StakeRole.Verifier, 100e18) {
                _done("stake");
            } catch (bytes memory err) {
                _unexpected("stake", err);
            }
        }
    }

    function warp(uint256 secondsSeed) external syncClock {
        _setTime(ghostTime + bound(secondsSeed, 1, 20 minutes));
        _roll(ghostBlock + 1);
    }

    // ------------------------------------------------------------- internals

    function _truth(GhostJob storage j, uint256 segment, uint256 step) private view returns (bytes32) {
        return keccak256(abi.encode(j.salt, segment, step));
    }

    /// @dev What a verifier of `kind` holds as the digest after `step` of `segment`.
    function _digest(
        GhostJob storage j,
        VerifierKind kind,
        uint256 segment,
        uint256 step
    ) private view returns (bytes32) {
        if (kind == VerifierKind.Honest) return _truth(j, segment, step);
        if (kind == VerifierKind.HalfWork && 2 * step <= j.k) return _truth(j, segment, step);
        return keccak256(abi.encode("guess", segment, step));
    }

    /// @dev A verifier's receipt roots over the sampled segments, with each tree's levels.
    function _roots(
        JobId jobId,
        GhostJob storage j,
        VerifierKind kind
    ) private view returns (bytes32[] memory roots, bytes32[][][] memory levels) {
        uint256[] memory segments = receipts.segmentsOf(jobId);
        roots = new bytes32[](segments.length);
        levels = new bytes32[][][](segments.length);
        for (uint256 s; s < segments.length; ++s) {
            bytes32[] memory leaves = new bytes32[](j.k - 1);
            for (uint256 step = 1; step < j.k; ++step) {
                leaves[step - 1] = keccak256(
                    abi.encode(segments[s], step, _digest(j, kind, segments[s], step))
                );
            }
            levels[s] = MerkleBuilder.build(leaves);
            roots[s] = MerkleBuilder.root(levels[s]);
        }
    }

    /// @dev Leaves s − 1 and s of every sampled segment, ascending, with their multi-proof.
    function _opening(
        JobId jobId,
        OpenedLeaf[] memory leaves,
        bytes32[] memory hashes
    ) private view returns (OpenedLeaf[] memory opened, bytes32[] memory proof) {
        uint256[] memory sampled = market.sampledSegments(jobId);
        bool[] memory needed = new bool[](leaves.length);
        uint256 count;
        for (uint256 i; i < sampled.length; ++i) {
            uint256 seg = sampled[i];
            if (seg > 1 && !needed[seg - 2]) (needed[seg - 2], count) = (true, count + 1);
            if (!needed[seg - 1]) (needed[seg - 1], count) = (true, count + 1);
        }
        uint256[] memory positions = new uint256[](count);
        opened = new OpenedLeaf[](count);
        uint256 w;
        for (uint256 p; p < leaves.length; ++p) {
            if (!needed[p]) continue;
            positions[w] = p;
            opened[w++] = leaves[p];
        }
        proof = MerkleBuilder.multiProof(MerkleBuilder.build(hashes), positions);
    }

    enum Phase {
        Any,
        Commit,
        Publish,
        Reveal
    }

    /// @dev An opened job, in `phase` of its receipt round (Any: whatever its phase).
    function _findJobIn(uint256 seed, Phase phase) private view returns (bool, JobId) {
        uint256 count = _jobIds.length;
        for (uint256 k; k < count; ++k) {
            JobId jobId = _jobIds[(seed + k) % count];
            GhostJob storage j = _jobs[jobId];
            if (j.status != JobStatus.Opened) continue;
            if (phase == Phase.Commit && ghostTime > j.openedAt + WINDOW / 2) continue;
            if (
                phase == Phase.Publish &&
                (j.committed == 0 ||
                    j.published ||
                    j.kind == ProviderKind.Withholder ||
                    ghostTime > j.openedAt + (3 * WINDOW) / 4 - 60)
            ) continue;
            if (phase == Phase.Reveal && (!j.published || ghostTime > j.openedAt + WINDOW)) continue;
            return (true, jobId);
        }
        return (false, JobId.wrap(0));
    }
}
