// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {FraudProofs} from "../../../contracts/FraudProofs.sol";
import {SamplerLib} from "../../../contracts/libraries/SamplerLib.sol";
import {TraceLib} from "../../../contracts/libraries/TraceLib.sol";
import {TestToken} from "../../../contracts/mocks/TestToken.sol";
import {JobId} from "../../../contracts/types/Ids.sol";
import {Job, JobParams, JobStatus, Numerics, OpenedLeaf} from "../../../contracts/types/JobTypes.sol";
import {StakeRole} from "../../../contracts/types/StakeTypes.sol";
import {AssayFixture} from "../utils/AssayFixture.sol";
import {FraudCommit} from "../utils/FraudCommit.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {Walk} from "../utils/Walk.sol";

/// @notice Random walk over the escrow protocol for the invariant tests (Optimism's dispute-game
/// invariant style): a few actors stake, post, accept, train, submit, open, finalize, expire, claim
/// and unstake, while time and blocks move and governance changes parameters. Some providers cheat
/// (a final leaf that is not the submitted model, or a top-Q claim that leaves out the largest
/// update) and anyone may slash them with a fraud proof; proofs against honest jobs must fail. Every action bounds its inputs and picks an existing job
/// in the right state, so most calls take the valid path and the walk reaches deep states; a call the
/// handler expects to succeed that reverts is recorded as `unexpectedReverts` (an invariant fails on
/// it), and a call it expects to fail that succeeds as `forbiddenSuccesses` (see Walk).
///
/// Ghost state mirrors what each contract owes: per-account credits, per-account stakes, per-job
/// status, and the totals paid into and out of the market.
contract MarketHandler is Walk {
    uint256 public constant ACTOR_COUNT = 4;
    uint256 public constant ACTOR_FUNDS = 1_000_000e18;
    uint256 private constant MAX_CHECKPOINTS = 16;
    uint256 private constant MAX_SAMPLES = 4;
    uint256 private constant MAX_TOP_Q = 2;
    uint256 private constant BPS = 10_000;
    uint8 private constant HONEST = 0;
    uint8 private constant CHEAT_FINAL_DIGEST = 1;
    uint8 private constant CHEAT_TOP_Q = 2;

    FraudProofs public immutable fraudProofs;
    /// @notice The two treasuries governance switches between; credits stay with the one credited.
    address public immutable treasuryA;
    address public immutable treasuryB;
    uint256 private immutable _unbondingDelay;
    uint256 private immutable _randomnessDelay;

    // ------------------------------------------------------------- ghost state

    // Test ghost state: grouped for reading, not packed for gas.
    // solhint-disable-next-line gas-struct-packing
    struct GhostJob {
        address submitter;
        address provider;
        JobStatus status;
        uint128 amount;
        uint128 collateral;
        uint16 verificationBps;
        uint32 checkpoints;
        uint8 samples;
        uint8 topQ;
        uint32 openWindow;
        uint32 challengeWindow;
        uint32 trainWindow;
        uint256 deadline;
        uint256 progress;
        uint256 randomnessRequest;
        /// @dev Derives the fake trace: leaf i's digest, loss and norm (see `_trace`).
        bytes32 traceSalt;
        /// @dev HONEST, CHEAT_FINAL_DIGEST or CHEAT_TOP_Q, chosen at submission.
        uint8 cheat;
        /// @dev Once opened: whether a fraud proof exists (a top-Q cheat can be undetectable, like
        /// an honest tie broken the other way).
        bool fraudProvable;
        uint64 minTopNorm;
        uint8 topAbove;
    }

    struct GhostStake {
        uint256 free;
        uint256 locked;
        uint256 unbonding;
        uint256 unlockAt;
        bool ejected;
    }

    bytes32 private _blockSalt;

    mapping(JobId jobId => GhostJob) private _ghostJobs;
    mapping(address account => mapping(StakeRole role => GhostStake)) private _ghostStakes;
    mapping(address account => uint256 amount) public ghostCredit;

    /// @notice Tokens that entered the market: escrow posted plus collateral slashed into it.
    uint256 public ghostMarketIn;
    /// @notice Credits granted over the whole walk, and tokens paid out by claimCredit.
    uint256 public ghostCredited;
    uint256 public ghostClaimed;

    /// @notice The same for FraudProofs: collateral slashed into it, its credits, what was claimed.
    mapping(address account => uint256 amount) public ghostFraudCredit;
    uint256 public ghostFraudIn;
    uint256 public ghostFraudClaimed;

    constructor(TestToken token_, AssayFixture.Deployment memory sys) Walk(token_, sys) {
        fraudProofs = sys.fraudProofs;
        treasuryA = sys.market.treasury();
        treasuryB = address(uint160(treasuryA) + 1);
        _treasuries.push(treasuryB);
        _unbondingDelay = sys.registry.unbondingDelay();
        _randomnessDelay = sys.randomness.delay();
        _addActors(token_, sys, 0xA11CE0, ACTOR_COUNT, ACTOR_FUNDS);
    }

    // ------------------------------------------------------------- views for the invariants

    function ghostJob(JobId jobId) external view returns (GhostJob memory) {
        return _ghostJobs[jobId];
    }

    function ghostStake(address account, StakeRole role) external view returns (GhostStake memory) {
        return _ghostStakes[account][role];
    }

    // ------------------------------------------------------------- staking actions

    function stake(uint256 actorSeed, bool asVerifier, uint256 amount) external syncClock {
        address actor = _actor(actorSeed);
        StakeRole role = asVerifier ? StakeRole.Verifier : StakeRole.Provider;
        uint256 balance = token.balanceOf(actor);
        if (balance == 0 || _ghostStakes[actor][role].ejected) return _skip("stake");
        _stake(actor, role, bound(amount, 1, balance < 5_000e18 ? balance : 5_000e18));
    }

    function requestUnstake(uint256 actorSeed, bool asVerifier, uint256 amount) external syncClock {
        address actor = _actor(actorSeed);
        StakeRole role = asVerifier ? StakeRole.Verifier : StakeRole.Provider;
        GhostStake storage s = _ghostStakes[actor][role];
        if (s.free == 0) return _skip("requestUnstake");
        // One request in four unstakes everything (amount ≡ 0 mod 4).
        amount = amount % 4 == 0 ? s.free : bound(amount, 1, s.free);
        vm.prank(actor);
        try registry.requestUnstake(role, amount) {
            s.free -= amount;
            s.unbonding += amount;
            s.unlockAt = ghostTime + _unbondingDelay;
            _done("requestUnstake");
        } catch (bytes memory err) {
            _unexpected("requestUnstake", err);
        }
    }

    /// @param waitSeed One time in four the actor waits out its unbonding delay (a long warp).
    function withdraw(uint256 actorSeed, bool asVerifier, uint256 waitSeed) external syncClock {
        address actor = _actor(actorSeed);
        StakeRole role = asVerifier ? StakeRole.Verifier : StakeRole.Provider;
        GhostStake storage s = _ghostStakes[actor][role];
        if (s.unbonding == 0) return _skip("withdraw");
        if (ghostTime < s.unlockAt) {
            if (waitSeed % 4 != 0) {
                // Too early: the registry must refuse.
                vm.prank(actor);
                try registry.withdraw(role) {
                    _forbidden("withdraw before unlock");
                } catch {}
                return _skip("withdraw");
            }
            _setTime(s.unlockAt);
        }
        uint256 amount = s.unbonding;
        uint256 before = token.balanceOf(actor);
        vm.prank(actor);
        try registry.withdraw(role) returns (uint256 paid) {
            s.unbonding = 0;
            if (paid != amount || token.balanceOf(actor) != before + amount)
                _unexpected("withdraw amount", "");
            _done("withdraw");
        } catch (bytes memory err) {
            _unexpected("withdraw", err);
        }
    }

    // ------------------------------------------------------------- job lifecycle actions

    function createJob(
        uint256 submitterSeed,
        uint256 shapeSeed,
        uint256 amountSeed,
        uint256 collateralSeed
    ) external syncClock {
        address submitter = _actor(submitterSeed);
        uint256 balance = token.balanceOf(submitter);
        if (balance < 1e18) return _skip("createJob");
        JobParams memory p = _params(shapeSeed, amountSeed, collateralSeed, balance);
        vm.prank(submitter);
        try market.createJob(p) returns (JobId jobId) {
            GhostJob storage j = _ghostJobs[jobId];
            j.submitter = submitter;
            j.status = JobStatus.Open;
            j.amount = p.amount;
            j.collateral = p.collateral;
            j.verificationBps = p.verificationBps;
            j.checkpoints = p.totalSteps / p.checkpointInterval;
            j.samples = p.samples;
            j.topQ = p.topQ;
            j.trainWindow = p.trainWindow;
            j.openWindow = p.openWindow;
            j.challengeWindow = p.challengeWindow;
            j.deadline = ghostTime + p.acceptWindow;
            j.traceSalt = keccak256(abi.encode(jobId, shapeSeed));
            _jobIds.push(jobId);
            ghostMarketIn += p.amount;
            _done("createJob");
        } catch (bytes memory err) {
            _unexpected("createJob", err);
        }
    }

    function cancel(uint256 jobSeed) external syncClock {
        (bool found, JobId jobId) = _findJob(jobSeed, _mask(JobStatus.Open), false);
        if (!found) return _skip("cancel");
        GhostJob storage j = _ghostJobs[jobId];
        // Only the submitter may cancel.
        vm.prank(_otherActor(j.submitter, jobSeed));
        try market.cancel(jobId) {
            _forbidden("cancel by a stranger");
        } catch {}
        vm.prank(j.submitter);
        try market.cancel(jobId) {
            j.status = JobStatus.Cancelled;
            _credit(j.submitter, j.amount);
            _done("cancel");
        } catch (bytes memory err) {
            _unexpected("cancel", err);
        }
    }

    /// @dev The provider tops up its stake first when it lacks the collateral or the minimum, so that
    /// accepting is the common, valid path.
    function accept(uint256 jobSeed, uint256 providerSeed) external syncClock {
        (bool found, JobId jobId) = _findJob(jobSeed, _mask(JobStatus.Open), true);
        if (!found) return _skip("accept");
        GhostJob storage j = _ghostJobs[jobId];
        (bool ok, address provider) = _pickProvider(providerSeed, j.submitter, j.collateral);
        if (!ok) return _skip("accept");
        // The submitter can never take its own job.
        vm.prank(j.submitter);
        try market.accept(jobId) {
            _forbidden("accept own job");
        } catch {}
        vm.prank(provider);
        try market.accept(jobId) {
            j.provider = provider;
            j.status = JobStatus.Accepted;
            j.deadline = ghostTime + j.trainWindow;
            GhostStake storage s = _ghostStakes[provider][StakeRole.Provider];
            s.free -= j.collateral;
            s.locked += j.collateral;
            _done("accept");
        } catch (bytes memory err) {
            _unexpected("accept", err);
        }
    }

    function commitProgress(uint256 jobSeed, uint256 checkpointSeed) external syncClock {
        (bool found, JobId jobId) = _findJob(jobSeed, _mask(JobStatus.Accepted), true);
        GhostJob storage j = _ghostJobs[jobId];
        if (!found || j.progress >= j.checkpoints) return _skip("commitProgress");
        uint256 checkpoints = j.progress + 1 + (checkpointSeed % (j.checkpoints - j.progress));
        (, bytes32[] memory hashes) = _trace(jobId, j);
        bytes32[] memory prefix = new bytes32[](checkpoints);
        for (uint256 i; i < checkpoints; ++i) prefix[i] = hashes[i];
        vm.prank(j.provider);
        try market.commitProgress(jobId, checkpoints, MerkleBuilder.rootOf(prefix)) {
            j.progress = checkpoints;
            _done("commitProgress");
        } catch (bytes memory err) {
            _unexpected("commitProgress", err);
        }
    }

    /// @param cheatSeed One job in four cheats on its final digest, one in four on its top-Q claim.
    function submit(uint256 jobSeed, uint256 cheatSeed) external syncClock {
        (bool found, JobId jobId) = _findJob(jobSeed, _mask(JobStatus.Accepted), true);
        if (!found) return _skip("submit");
        GhostJob storage j = _ghostJobs[jobId];
        uint8 cheat = uint8(cheatSeed % 4);
        // A top-Q cheat needs a segment to leave out; anything else is honest.
        if (cheat == CHEAT_TOP_Q && (j.topQ == 0 || j.checkpoints <= j.topQ)) cheat = HONEST;
        if (cheat > CHEAT_TOP_Q) cheat = HONEST;
        (OpenedLeaf[] memory leaves, bytes32[] memory hashes) = _trace(jobId, j);
        bytes32 root = MerkleBuilder.rootOf(hashes);
        bytes32 finalDigest = leaves[leaves.length - 1].stateDigest;
        if (cheat == CHEAT_FINAL_DIGEST) finalDigest = keccak256(abi.encode(finalDigest, "not the model"));
        // Only the provider may submit.
        vm.prank(j.submitter);
        try market.submit(jobId, root, finalDigest, keccak256("result"), keccak256("leaves")) {
            _forbidden("submit by the submitter");
        } catch {}
        vm.prank(j.provider);
        try market.submit(jobId, root, finalDigest, keccak256("result"), keccak256("leaves")) {
            j.status = JobStatus.Submitted;
            j.cheat = cheat;
            j.progress = j.checkpoints;
            j.randomnessRequest = ghostBlock + _randomnessDelay;
            j.deadline = ghostTime + j.openWindow;
            if (market.getJob(jobId).randomnessRequest != j.randomnessRequest)
                _unexpected("submit request", "");
            _done("submit");
        } catch (bytes memory err) {
            _unexpected("submit", err);
        }
    }

    /// @dev Opens honestly: the sampled segments from the market's view (checked against SamplerLib
    /// and the recorded randomness), the top-Q segments by norm (ties to the lower index), and one
    /// multi-proof built in Solidity.
    function openSamples(uint256 jobSeed) external syncClock {
        (bool found, JobId jobId) = _findJob(jobSeed, _mask(JobStatus.Submitted), true);
        // A seed block out of the 256-block window cannot be opened: the job will expire.
        if (!found || !_ensureBlockHash(_ghostJobs[jobId].randomnessRequest)) return _skip("openSamples");
        GhostJob storage j = _ghostJobs[jobId];
        (OpenedLeaf[] memory opened, uint256[] memory top, bytes32[] memory proof) = _opening(jobId, j);
        if (j.cheat == CHEAT_FINAL_DIGEST && opened[opened.length - 1].index == j.checkpoints) {
            // The last leaf is in the sample: the market compares it with the submitted model.
            vm.prank(j.provider);
            try market.openSamples(jobId, opened, top, proof) {
                _forbidden("opening whose last leaf is not the model");
            } catch {
                _done("openRefused");
            }
            return;
        }
        vm.prank(j.provider);
        try market.openSamples(jobId, opened, top, proof) {
            j.status = JobStatus.Opened;
            j.deadline = ghostTime + j.challengeWindow;
            _recordTopClaim(jobId, j, opened, top);
            _done("openSamples");
        } catch (bytes memory err) {
            _unexpected("openSamples", err);
        }
    }

    /// @dev An opening with one thing changed (a leaf field, a proof sibling, a dropped leaf) must be
    /// refused, and must leave the job as it was.
    function openSamplesTampered(uint256 jobSeed, uint256 tamperSeed) external syncClock {
        (bool found, JobId jobId) = _findJob(jobSeed, _mask(JobStatus.Submitted), true);
        if (!found || !_ensureBlockHash(_ghostJobs[jobId].randomnessRequest))
            return _skip("openSamplesTampered");
        GhostJob storage j = _ghostJobs[jobId];
        (OpenedLeaf[] memory opened, uint256[] memory top, bytes32[] memory proof) = _opening(jobId, j);
        uint256 kind = tamperSeed % 5;
        uint256 k = (tamperSeed >> 8) % opened.length;
        if (kind == 0) {
            opened[k].updateNorm ^= uint64(1 + ((tamperSeed >> 16) % type(uint64).max));
        } else if (kind == 1) {
            opened[k].stateDigest ^= bytes32(uint256(1) << ((tamperSeed >> 16) % 256));
        } else if (kind == 2) {
            opened[k].lossBits ^= uint64(1 + ((tamperSeed >> 16) % type(uint64).max));
        } else if (kind == 3 && proof.length > 0) {
            proof[(tamperSeed >> 8) % proof.length] ^= bytes32(uint256(1) << ((tamperSeed >> 16) % 256));
        } else {
            OpenedLeaf[] memory fewer = new OpenedLeaf[](opened.length - 1);
            for (uint256 i; i < fewer.length; ++i) fewer[i] = opened[i < k ? i : i + 1];
            opened = fewer;
        }
        vm.prank(j.provider);
        try market.openSamples(jobId, opened, top, proof) {
            _forbidden("tampered opening accepted");
        } catch {
            _done("openSamplesTampered");
        }
    }

    function finalize(uint256 jobSeed, uint256 callerSeed) external syncClock {
        (bool found, JobId jobId) = _findJob(jobSeed, _mask(JobStatus.Opened), false);
        if (!found) return _skip("finalize");
        GhostJob storage j = _ghostJobs[jobId];
        if (ghostTime <= j.deadline) {
            // Not before the challenge window ends.
            vm.prank(_actor(callerSeed));
            try market.finalize(jobId) {
                _forbidden("finalize during the challenge window");
            } catch {}
            _setTime(j.deadline + 1);
        }
        vm.prank(_actor(callerSeed)); // anyone may finalize
        try market.finalize(jobId) {
            j.status = JobStatus.Finalized;
            uint256 budget = (uint256(j.amount) * j.verificationBps) / BPS;
            _credit(j.provider, j.amount - budget);
            if (budget > 0) _credit(j.submitter, budget);
            GhostStake storage s = _ghostStakes[j.provider][StakeRole.Provider];
            s.locked -= j.collateral;
            s.free += j.collateral;
            _done("finalize");
        } catch (bytes memory err) {
            _unexpected("finalize", err);
        }
    }

    /// @dev Waits out the job's current deadline (accept, submit or open) and expires it.
    function expire(uint256 jobSeed, uint256 callerSeed) external syncClock {
        uint256 live = _mask(JobStatus.Open) | _mask(JobStatus.Accepted) | _mask(JobStatus.Submitted);
        (bool found, JobId jobId) = _findJob(jobSeed, live, false);
        if (!found) return _skip("expire");
        GhostJob storage j = _ghostJobs[jobId];
        if (ghostTime <= j.deadline) {
            vm.prank(_actor(callerSeed));
            try market.expire(jobId) {
                _forbidden("expire before the deadline");
            } catch {}
            _setTime(j.deadline + 1);
        }
        JobStatus from = j.status;
        vm.prank(_actor(callerSeed));
        try market.expire(jobId) {
            j.status = JobStatus.Expired;
            if (from == JobStatus.Open) {
                _credit(j.submitter, j.amount);
                _done("expireOpen");
                return;
            }
            uint256 toSubmitter = (uint256(j.collateral) * market.expirySubmitterBps()) / BPS;
            _credit(j.submitter, j.amount + toSubmitter);
            _credit(market.treasury(), j.collateral - toSubmitter);
            ghostMarketIn += j.collateral;
            GhostStake storage s = _ghostStakes[j.provider][StakeRole.Provider];
            s.locked -= j.collateral;
            if (!s.ejected && s.free + s.locked < registry.minProviderStake()) s.ejected = true;
            _done(from == JobStatus.Accepted ? bytes32("expireAccepted") : bytes32("expireSubmitted"));
        } catch (bytes memory err) {
            _unexpected("expire", err);
        }
    }

    function claimCredit(uint256 accountSeed) external syncClock {
        // Treasuries included: they are paid by pull like everyone else.
        address account = _account(accountSeed);
        uint256 amount = ghostCredit[account];
        if (_claim(market, account, amount, "claimCredit")) {
            ghostCredit[account] = 0;
            ghostClaimed += amount;
        }
    }

    // ------------------------------------------------------------- fraud proofs

    /// @dev Proves fraud on an opened job: it must succeed exactly when the provider cheated
    /// detectably, and slash it as the rules say.
    function proveFraud(uint256 jobSeed, uint256 proverSeed) external syncClock {
        (bool found, JobId jobId) = _findJob(jobSeed, _mask(JobStatus.Opened), false);
        if (!found) return _skip("proveFraud");
        GhostJob storage j = _ghostJobs[jobId];
        _done("proveFraud");
        address prover = _actor(proverSeed);
        // Parties cannot prove fraud on their own job (tested in fraud-proofs.test.ts).
        for (uint256 k; prover == j.submitter || prover == j.provider; ++k)
            prover = _actor(proverSeed + k + 1);
        (OpenedLeaf[] memory leaves, bytes32[] memory hashes) = _trace(jobId, j);
        bytes32[][] memory levels = MerkleBuilder.build(hashes);
        OpenedLeaf memory last = leaves[leaves.length - 1];
        bytes32[] memory lastProof = MerkleBuilder.proof(levels, leaves.length - 1);
        (OpenedLeaf[] memory above, bytes32[] memory aboveProof) = _leavesAboveMinTop(leaves, levels, j);
        // Commit both proofs, reveal a block later (FraudProofs' commit–reveal).
        bytes32 salt = keccak256(abi.encode("fraud salt", jobId, ghostBlock, proverSeed));
        FraudCommit.finalDigest(fraudProofs, jobId, last, lastProof, salt, prover);
        FraudCommit.topQ(fraudProofs, jobId, above, aboveProof, salt, prover);
        _roll(ghostBlock + 1);
        if (!j.fraudProvable) {
            vm.prank(prover);
            try fraudProofs.proveFinalDigestFraud(jobId, last, lastProof, salt) {
                _forbidden("final-digest fraud proof against an honest last leaf");
            } catch {}
            vm.prank(prover);
            try fraudProofs.proveTopQFraud(jobId, above, aboveProof, salt) {
                _forbidden("top-Q fraud proof against a consistent claim");
            } catch {}
            return _done("fraudRefused");
        }
        vm.prank(prover);
        if (j.cheat == CHEAT_FINAL_DIGEST) {
            try fraudProofs.proveFinalDigestFraud(jobId, last, lastProof, salt) {
                _applyFraudSlash(j, prover);
                _done("fraudSlashFinal");
            } catch (bytes memory err) {
                _unexpected("proveFinalDigestFraud", err);
            }
        } else {
            try fraudProofs.proveTopQFraud(jobId, above, aboveProof, salt) {
                _applyFraudSlash(j, prover);
                _done("fraudSlashTopQ");
            } catch (bytes memory err) {
                _unexpected("proveTopQFraud", err);
            }
        }
    }

    function claimFraudCredit(uint256 accountSeed) external syncClock {
        address account = _account(accountSeed);
        uint256 amount = ghostFraudCredit[account];
        if (_claim(fraudProofs, account, amount, "claimFraudCredit")) {
            ghostFraudCredit[account] = 0;
            ghostFraudClaimed += amount;
        }
    }

    // ------------------------------------------------------------- governance

    /// @dev Governance moves the parameters that money depends on in the middle of jobs: the expiry
    /// split, the minimum collateral, the provider minimum (and with it ejection), the treasury, the
    /// fraud prover's share. The handler holds GOVERNOR_ROLE on the contracts it calls.
    function governance(uint256 which, uint256 value) external syncClock {
        uint256 kind = which % 5;
        if (kind == 0) market.setExpirySubmitterBps(bound(value, 0, BPS));
        else if (kind == 1) market.setMinCollateralBps(bound(value, 0, 2 * BPS));
        else if (kind == 2) registry.setMinProviderStake(bound(value, 100e18, 3_000e18));
        else if (kind == 3) market.setTreasury(market.treasury() == treasuryA ? treasuryB : treasuryA);
        else fraudProofs.setProverShareBps(bound(value, 0, BPS));
        _done("governance");
    }

    // ------------------------------------------------------------- time

    function warp(uint256 secondsSeed) external syncClock {
        _setTime(ghostTime + bound(secondsSeed, 1, 12 hours));
        _done("warp");
    }

    function rollBlocks(uint256 countSeed, bytes32 salt) external syncClock {
        _blockSalt = salt;
        _roll(ghostBlock + bound(countSeed, 1, 20));
        _done("rollBlocks");
    }

    // ------------------------------------------------------------- internals: the model

    function _credit(address account, uint256 amount) private {
        ghostCredit[account] += amount;
        ghostCredited += amount;
    }

    function _stake(address actor, StakeRole role, uint256 amount) private returns (bool) {
        vm.prank(actor);
        try registry.stake(role, amount) {
            _ghostStakes[actor][role].free += amount;
            _done("stake");
            return true;
        } catch (bytes memory err) {
            _unexpected("stake", err);
            return false;
        }
    }

    // ------------------------------------------------------------- internals: picking

    function _otherActor(address not, uint256 seed) private view returns (address a) {
        a = _actor(seed);
        if (a == not) a = _actor(seed + 1);
    }

    function _jobStatus(JobId jobId) internal view override returns (JobStatus) {
        return _ghostJobs[jobId].status;
    }

    function _jobDeadline(JobId jobId) internal view override returns (uint256) {
        return _ghostJobs[jobId].deadline;
    }

    /// @dev A provider other than the submitter, not ejected, topped up to the collateral and the minimum.
    function _pickProvider(
        uint256 seed,
        address submitter,
        uint256 collateral
    ) private returns (bool, address) {
        for (uint256 k; k < ACTOR_COUNT; ++k) {
            address provider = _actor(seed + k);
            GhostStake storage s = _ghostStakes[provider][StakeRole.Provider];
            if (provider == submitter || s.ejected) continue;
            uint256 need = s.free < collateral ? collateral - s.free : 0;
            uint256 bonded = s.free + need + s.locked;
            uint256 minimum = registry.minProviderStake();
            if (bonded < minimum) need += minimum - bonded;
            if (need > token.balanceOf(provider)) continue;
            if (need > 0 && !_stake(provider, StakeRole.Provider, need)) return (false, provider);
            return (true, provider);
        }
        return (false, address(0));
    }

    function _params(
        uint256 shapeSeed,
        uint256 amountSeed,
        uint256 collateralSeed,
        uint256 balance
    ) private view returns (JobParams memory p) {
        uint256 n = bound(shapeSeed, 1, MAX_CHECKPOINTS);
        uint256 k = bound(shapeSeed >> 8, 1, 10);
        uint256 maxSamples = n < MAX_SAMPLES ? n : MAX_SAMPLES;
        uint256 maxTop = n < MAX_TOP_Q ? n : MAX_TOP_Q;
        uint256 amount = bound(amountSeed, 1e18, balance < 2_000e18 ? balance : 2_000e18);
        // At least the protocol minimum (rounded up), at most twice the amount.
        uint256 minCollateral = (amount * market.minCollateralBps() + BPS - 1) / BPS;
        p = JobParams({
            specHash: keccak256(abi.encode("spec", shapeSeed)),
            initialStateDigest: keccak256(abi.encode("h0", shapeSeed)),
            amount: uint128(amount),
            collateral: uint128(bound(collateralSeed, minCollateral, 2 * amount)),
            totalSteps: uint32(n * k),
            checkpointInterval: uint32(k),
            numerics: Numerics.Exact,
            deltaPpm: 0,
            samples: uint8(bound(shapeSeed >> 16, 1, maxSamples)),
            topQ: uint8(bound(shapeSeed >> 24, 0, maxTop)),
            committeeSize: 3,
            verificationBps: uint16(bound(shapeSeed >> 32, 0, 5_000)),
            acceptWindow: uint32(bound(shapeSeed >> 48, 1 days, 3 days)),
            trainWindow: uint32(bound(shapeSeed >> 64, 1 days, 3 days)),
            openWindow: uint32(bound(shapeSeed >> 80, 1 days, 2 days)),
            challengeWindow: uint32(bound(shapeSeed >> 96, 1 hours, 1 days))
        });
    }

    // ------------------------------------------------------------- internals: traces and openings

    /// @dev The job's fake trace: leaf i has a digest, a loss and a norm derived from the job's salt.
    /// Norms take few values so that ties (broken towards the lower index) happen.
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
                lossBits: uint64(uint256(h) >> 64),
                updateNorm: uint64(uint256(h) % 8)
            });
            hashes[i] = TraceLib.leafHash(jobId, i + 1, h, leaves[i].lossBits, leaves[i].updateNorm);
        }
    }

    /// @dev Block hashes follow the last `rollBlocks` salt.
    function _blockHash(uint256 number) internal view override returns (bytes32) {
        return keccak256(abi.encode(_blockSalt, number));
    }

    function _opening(
        JobId jobId,
        GhostJob storage j
    ) private returns (OpenedLeaf[] memory opened, uint256[] memory top, bytes32[] memory proof) {
        (OpenedLeaf[] memory leaves, bytes32[] memory hashes) = _trace(jobId, j);
        uint256[] memory sampled = market.sampledSegments(jobId);
        // The market's view must be SamplerLib over the recorded randomness bound to the job.
        bytes32 seed = SamplerLib.jobSeed(randomness.randomness(j.randomnessRequest), jobId);
        uint256[] memory expected = SamplerLib.sample(seed, j.checkpoints, j.samples);
        if (keccak256(abi.encode(sampled)) != keccak256(abi.encode(expected)))
            _unexpected("sampledSegments", "");
        top = j.cheat == CHEAT_TOP_Q ? _topLeavingOutLargest(leaves, j.topQ) : _topByNorm(leaves, j.topQ);
        // Needed leaves as a bitmap over indices 1..n: i − 1 (i ≥ 2) and i for each segment.
        uint256 needed;
        for (uint256 s; s < sampled.length; ++s) needed |= _segmentBits(sampled[s]);
        for (uint256 t; t < top.length; ++t) needed |= _segmentBits(top[t]);
        uint256 count;
        for (uint256 b = needed; b != 0; b &= b - 1) ++count;
        opened = new OpenedLeaf[](count);
        uint256[] memory positions = new uint256[](count);
        uint256 w;
        for (uint256 i = 1; i <= leaves.length; ++i) {
            if ((needed >> i) & 1 == 0) continue;
            opened[w] = leaves[i - 1];
            positions[w++] = i - 1;
        }
        proof = MerkleBuilder.multiProof(MerkleBuilder.build(hashes), positions);
    }

    function _segmentBits(uint256 index) private pure returns (uint256 bits) {
        bits = uint256(1) << index;
        if (index > 1) bits |= uint256(1) << (index - 1);
    }

    function _topByNorm(OpenedLeaf[] memory leaves, uint256 q) private pure returns (uint256[] memory top) {
        top = new uint256[](q);
        uint256 taken;
        for (uint256 t; t < q; ++t) {
            uint256 best = type(uint256).max;
            for (uint256 i; i < leaves.length; ++i) {
                if ((taken >> i) & 1 == 1) continue;
                // Strictly greater: the first (lowest index) of equal norms wins.
                if (best == type(uint256).max || leaves[i].updateNorm > leaves[best].updateNorm) best = i;
            }
            taken |= uint256(1) << best;
            top[t] = best + 1;
        }
    }

    /// @dev A top-Q cheat: the Q largest after the largest (needs n > Q).
    function _topLeavingOutLargest(
        OpenedLeaf[] memory leaves,
        uint256 q
    ) private pure returns (uint256[] memory top) {
        uint256[] memory more = _topByNorm(leaves, q + 1);
        top = new uint256[](q);
        for (uint256 t; t < q; ++t) top[t] = more[t + 1];
    }

    /// @dev Records the claim the market stored at opening, checks it against the chain, and decides
    /// whether the job's cheat is provable: a top-Q claim is refuted by topAbove + 1 leaves above its
    /// smallest norm, which exist only if a larger update was left out.
    function _recordTopClaim(
        JobId jobId,
        GhostJob storage j,
        OpenedLeaf[] memory opened,
        uint256[] memory top
    ) private {
        uint64 minNorm = top.length == 0 ? 0 : type(uint64).max;
        for (uint256 t; t < top.length; ++t) {
            uint64 norm = _normOf(opened, top[t]);
            if (norm < minNorm) minNorm = norm;
        }
        uint8 above;
        for (uint256 t; t < top.length; ++t) if (_normOf(opened, top[t]) > minNorm) ++above;
        j.minTopNorm = minNorm;
        j.topAbove = above;
        Job memory onChain = market.getJob(jobId);
        if (onChain.minTopNorm != minNorm || onChain.topAbove != above) _unexpected("top-Q claim stored", "");
        if (j.cheat == CHEAT_FINAL_DIGEST) {
            j.fraudProvable = true;
        } else if (j.cheat == CHEAT_TOP_Q) {
            (OpenedLeaf[] memory leaves, ) = _trace(jobId, j);
            uint256 count;
            for (uint256 i; i < leaves.length; ++i) if (leaves[i].updateNorm > minNorm) ++count;
            j.fraudProvable = count > above;
        }
    }

    function _normOf(OpenedLeaf[] memory opened, uint256 index) private pure returns (uint64) {
        for (uint256 i; i < opened.length; ++i) if (opened[i].index == index) return opened[i].updateNorm;
        revert AssertionFailed("top segment not opened");
    }

    /// @dev topAbove + 1 leaves with norms above the claim's minimum, in index order, with their
    /// multi-proof; when fewer exist (an honest claim) the list is padded with other leaves, so that
    /// the attempt is well-formed and must be refused on the norms alone.
    function _leavesAboveMinTop(
        OpenedLeaf[] memory leaves,
        bytes32[][] memory levels,
        GhostJob storage j
    ) private view returns (OpenedLeaf[] memory picked, bytes32[] memory proof) {
        uint256 want = uint256(j.topAbove) + 1;
        if (want > leaves.length) want = leaves.length;
        uint256 chosen;
        for (uint256 i; i < leaves.length && _popcount(chosen) < want; ++i) {
            if (leaves[i].updateNorm > j.minTopNorm) chosen |= uint256(1) << i;
        }
        for (uint256 i; i < leaves.length && _popcount(chosen) < want; ++i) chosen |= uint256(1) << i;
        picked = new OpenedLeaf[](want);
        uint256[] memory positions = new uint256[](want);
        uint256 w;
        for (uint256 i; i < leaves.length; ++i) {
            if ((chosen >> i) & 1 == 0) continue;
            picked[w] = leaves[i];
            positions[w++] = i;
        }
        proof = MerkleBuilder.multiProof(levels, positions);
    }

    function _popcount(uint256 x) private pure returns (uint256 count) {
        for (; x != 0; x &= x - 1) ++count;
    }

    /// @dev FraudProofs ended the job: the market refunds the submitter, the registry hands the
    /// collateral to FraudProofs, which splits it between the prover and the treasury.
    function _applyFraudSlash(GhostJob storage j, address prover) private {
        j.status = JobStatus.Slashed;
        _credit(j.submitter, j.amount);
        GhostStake storage s = _ghostStakes[j.provider][StakeRole.Provider];
        s.locked -= j.collateral;
        if (!s.ejected && s.free + s.locked < registry.minProviderStake()) s.ejected = true;
        uint256 toProver = (uint256(j.collateral) * fraudProofs.proverShareBps()) / BPS;
        ghostFraudCredit[prover] += toProver;
        ghostFraudCredit[market.treasury()] += j.collateral - toProver;
        ghostFraudIn += j.collateral;
    }
}
