// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {CreditLedger} from "./base/CreditLedger.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IRandomnessSource} from "./interfaces/IRandomnessSource.sol";
import {IReceipts} from "./interfaces/IReceipts.sol";
import {IStakeRegistry} from "./interfaces/IStakeRegistry.sol";
import {MerkleLib} from "./libraries/MerkleLib.sol";
import {SamplerLib} from "./libraries/SamplerLib.sol";
import {TraceLib} from "./libraries/TraceLib.sol";
import {JobId} from "./types/Ids.sol";
import {
    DisputeContext,
    DisputeStart,
    Job,
    JobParams,
    JobStatus,
    Numerics,
    OpenedLeaf
} from "./types/JobTypes.sol";
import {StakeRole} from "./types/StakeTypes.sol";

/// @title JobMarket
/// @notice Escrow and lifecycle of training jobs. See IJobMarket.
/// @dev Solvency: the token balance of this contract always equals the escrow of every live job
/// (Open, Accepted, Submitted, Opened, Disputed) plus every unclaimed credit.
contract JobMarket is IJobMarket, CreditLedger, AccessControl {
    using SafeERC20 for IERC20;

    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice The dispute game: opens and ends disputes, slashes jobs.
    bytes32 public constant DISPUTE_ROLE = keccak256("DISPUTE_ROLE");

    /// @notice Protocol bounds on job parameters.
    uint256 public constant MAX_SAMPLES = 32;
    uint256 public constant MAX_TOP_Q = 8;
    uint256 public constant MAX_CHECKPOINTS = 1 << 20;
    uint256 public constant MAX_COMMITTEE = 21;
    uint256 public constant MIN_WINDOW = 1 minutes;
    uint256 public constant MAX_WINDOW = 30 days;
    uint256 public constant MAX_VERIFICATION_BPS = 5_000;
    uint256 public constant MAX_DELTA_PPM = 1_000_000;
    /// @notice Bounds on governance parameters.
    uint256 public constant MAX_MIN_COLLATERAL_BPS = 100_000;
    uint256 private constant _BPS = 10_000;

    IStakeRegistry private immutable _registry;
    IRandomnessSource private immutable _randomness;

    /// @dev Paid verification (set once, see setReceipts); none: budgets return to submitters.
    IReceipts private _receipts;
    address private _treasury;
    uint256 private _minCollateralBps;
    uint256 private _expirySubmitterBps;

    uint256 private _jobCount;
    mapping(JobId jobId => Job) private _jobs;

    constructor(
        IStakeRegistry registry_,
        IRandomnessSource randomness_,
        address governor,
        address treasury_,
        uint256 minCollateralBps_,
        uint256 expirySubmitterBps_
    ) CreditLedger(IERC20(registry_.token())) {
        _registry = registry_;
        _randomness = randomness_;
        _grantRole(DEFAULT_ADMIN_ROLE, governor);
        _grantRole(GOVERNOR_ROLE, governor);
        _setTreasury(treasury_);
        _setMinCollateralBps(minCollateralBps_);
        _setExpirySubmitterBps(expirySubmitterBps_);
    }

    // ---------------------------------------------------------------- lifecycle

    /// @inheritdoc IJobMarket
    function createJob(JobParams calldata p) external nonReentrant returns (JobId jobId) {
        uint256 checkpoints = _validate(p);
        jobId = JobId.wrap(++_jobCount);
        Job storage job = _jobs[jobId];
        job.submitter = msg.sender;
        job.status = JobStatus.Open;
        job.numerics = p.numerics;
        job.samples = p.samples;
        job.topQ = p.topQ;
        job.committeeSize = p.committeeSize;
        job.verificationBps = p.verificationBps;
        job.checkpoints = uint32(checkpoints);
        job.checkpointInterval = p.checkpointInterval;
        job.deltaPpm = p.deltaPpm;
        job.specHash = p.specHash;
        job.initialStateDigest = p.initialStateDigest;
        job.amount = uint96(p.amount);
        job.collateral = uint96(p.collateral);
        job.trainWindow = p.trainWindow;
        job.openWindow = p.openWindow;
        job.challengeWindow = p.challengeWindow;
        job.deadline = uint40(block.timestamp + p.acceptWindow);
        emit JobCreated(jobId, msg.sender, p.specHash, p.amount, p.collateral);
        _pull(msg.sender, p.amount);
    }

    /// @inheritdoc IJobMarket
    function cancel(JobId jobId) external nonReentrant {
        Job storage job = _job(jobId);
        _requireStatus(jobId, job, JobStatus.Open);
        // INVARIANT: only the submitter takes its escrow back, and only while no provider has accepted.
        if (msg.sender != job.submitter) revert JobNotSubmitter(jobId, msg.sender);
        job.status = JobStatus.Cancelled;
        emit JobCancelled(jobId);
        _credit(job.submitter, JobId.unwrap(jobId), job.amount);
    }

    /// @inheritdoc IJobMarket
    function accept(JobId jobId) external nonReentrant {
        Job storage job = _job(jobId);
        _requireStatus(jobId, job, JobStatus.Open);
        _requireBeforeDeadline(jobId, job);
        // INVARIANT: nobody is paid to verify their own work (docs/protocol.md §1).
        if (msg.sender == job.submitter) revert JobSubmitterCannotAccept(jobId);
        job.provider = msg.sender;
        job.status = JobStatus.Accepted;
        uint256 submitDeadline = block.timestamp + job.trainWindow;
        job.deadline = uint40(submitDeadline);
        emit JobAccepted(jobId, msg.sender, submitDeadline);
        // Reverts unless the provider is active and has the collateral free.
        _registry.lock(msg.sender, job.collateral);
    }

    /// @inheritdoc IJobMarket
    function commitProgress(JobId jobId, uint256 checkpoints, bytes32 partialRoot) external {
        Job storage job = _job(jobId);
        _requireStatus(jobId, job, JobStatus.Accepted);
        _requireProvider(jobId, job);
        _requireBeforeDeadline(jobId, job);
        // INVARIANT: committed progress only grows, and never past the job's n checkpoints.
        if (checkpoints <= job.progress || checkpoints > job.checkpoints) {
            revert JobProgressNotIncreasing(jobId, checkpoints, job.progress);
        }
        // INVARIANT: every progress commitment names a root (zero commits to nothing).
        if (partialRoot == bytes32(0)) revert JobInvalidParameter("partialRoot", 0);
        job.progress = uint24(checkpoints);
        emit ProgressCommitted(jobId, checkpoints, partialRoot);
    }

    /// @inheritdoc IJobMarket
    function submit(
        JobId jobId,
        bytes32 traceRoot,
        bytes32 finalDigest,
        bytes32 resultDigest,
        bytes32 leavesDigest
    ) external nonReentrant {
        Job storage job = _job(jobId);
        _requireStatus(jobId, job, JobStatus.Accepted);
        _requireProvider(jobId, job);
        _requireBeforeDeadline(jobId, job);
        // INVARIANT: a submitted job commits to a trace, a model and its leaves (zero commits to nothing).
        if (traceRoot == bytes32(0)) revert JobInvalidParameter("traceRoot", 0);
        if (finalDigest == bytes32(0)) revert JobInvalidParameter("finalDigest", 0);
        if (leavesDigest == bytes32(0)) revert JobInvalidParameter("leavesDigest", 0);
        // INVARIANT: the seed comes from a value that does not exist yet (docs/protocol.md §4 Sample).
        uint256 requestId = _randomness.request();
        // INVARIANT: the job stores the very request id the source returned (it fits 64 bits).
        if (requestId > type(uint64).max) revert JobInvalidParameter("randomnessRequest", requestId);
        job.status = JobStatus.Submitted;
        job.traceRoot = traceRoot;
        job.finalDigest = finalDigest;
        job.progress = uint24(job.checkpoints);
        job.randomnessRequest = uint64(requestId);
        uint256 openDeadline = block.timestamp + job.openWindow;
        job.deadline = uint40(openDeadline);
        emit TraceSubmitted(
            jobId,
            traceRoot,
            finalDigest,
            resultDigest,
            leavesDigest,
            requestId,
            openDeadline
        );
    }

    /// @inheritdoc IJobMarket
    function openSamples(
        JobId jobId,
        OpenedLeaf[] calldata leaves,
        uint256[] calldata topIndices,
        bytes32[] calldata proof
    ) external nonReentrant {
        Job storage job = _job(jobId);
        _requireStatus(jobId, job, JobStatus.Submitted);
        _requireProvider(jobId, job);
        _requireBeforeDeadline(jobId, job);
        uint256 n = job.checkpoints;
        bytes32 seed = _seed(jobId, job);
        uint256[] memory sampled = SamplerLib.sample(seed, n, job.samples);
        // INVARIANT: an opening names exactly the job's Q top segments.
        if (topIndices.length != job.topQ) revert JobTopIndicesInvalid(jobId, topIndices.length, 0);

        // Exactly the leaves i−1 (i ≥ 2) and i of each sampled and top-Q segment i, sorted, once each.
        uint256[] memory positions = _requiredPositions(jobId, n, sampled, topIndices);
        // INVARIANT: an opening reveals every leaf the sampled and top segments need, and nothing else.
        if (leaves.length != positions.length)
            revert JobOpeningIncomplete(jobId, positions.length, leaves.length);
        bytes32[] memory nodes = new bytes32[](leaves.length);
        for (uint256 i; i < leaves.length; ++i) {
            OpenedLeaf calldata leaf = leaves[i];
            // INVARIANT: opened leaf i is the i-th required leaf (sorted, each once).
            if (leaf.index != positions[i] + 1) revert JobOpeningMismatch(jobId, i, positions[i] + 1);
            // INVARIANT: the last checkpoint is the model the submitter receives (finalDigest).
            if (leaf.index == n && leaf.stateDigest != job.finalDigest)
                revert JobOpeningMismatch(jobId, i, n);
            nodes[i] = TraceLib.leafHash(jobId, leaf.index, leaf.stateDigest, leaf.lossBits, leaf.updateNorm);
        }
        (uint64 minTopNorm, uint8 topAbove) = _topNorms(leaves, positions, topIndices);
        // rootFromMultiProof overwrites positions and nodes: nothing reads them afterwards.
        // INVARIANT: every opened leaf is the one committed in traceRoot at submission.
        if (MerkleLib.rootFromMultiProof(MerkleLib.depthOf(n), positions, nodes, proof) != job.traceRoot) {
            revert JobInvalidProof(jobId);
        }

        job.status = JobStatus.Opened;
        job.minTopNorm = minTopNorm;
        job.topAbove = topAbove;
        uint256 challengeEnd = block.timestamp + job.challengeWindow;
        job.deadline = uint40(challengeEnd);
        emit SamplesOpened(jobId, seed, topIndices, minTopNorm, challengeEnd);
        emit LeavesOpened(jobId, leaves, proof);
        // Receipts need steps inside a segment to probe, and a budget to pay.
        if (address(_receipts) != address(0) && job.checkpointInterval > 1 && _budget(job) > 0) {
            _receipts.open(jobId, job.challengeWindow, job.checkpointInterval, n, job.samples, seed);
        }
    }

    /// @inheritdoc IJobMarket
    function finalize(JobId jobId) external nonReentrant {
        Job storage job = _job(jobId);
        _requireStatus(jobId, job, JobStatus.Opened);
        // INVARIANT: no payout before the challenge window (extended by any disputes) is over.
        if (block.timestamp <= job.deadline) revert JobDeadlineNotReached(jobId, job.deadline);
        // INVARIANT: no payout while a dispute on the job is open.
        if (job.openDisputes != 0) revert JobDisputesOpen(jobId, job.openDisputes);
        // INVARIANT: a provider that owes probe digests and did not publish them is never paid: it
        // missed a deadline (expire).
        if (_probesMissed(jobId)) revert JobProbesMissing(jobId);
        job.status = JobStatus.Finalized;
        uint256 budget = _budget(job);
        uint256 payment = job.amount - budget;
        bool toReceipts = budget > 0 && address(_receipts) != address(0) && _receipts.settle(jobId, budget);
        emit JobFinalized(jobId, payment, toReceipts ? 0 : budget);
        _credit(job.provider, JobId.unwrap(jobId), payment);
        if (toReceipts) _token.safeTransfer(address(_receipts), budget);
        else if (budget > 0) _credit(job.submitter, JobId.unwrap(jobId), budget);
        _registry.unlock(job.provider, job.collateral);
    }

    /// @inheritdoc IJobMarket
    function expire(JobId jobId) external nonReentrant {
        Job storage job = _job(jobId);
        JobStatus from = job.status;
        if (from == JobStatus.Opened) {
            // INVARIANT: an opened job expires only for owed probe digests not published by their deadline
            // (checked with no dispute open).
            if (!_probesMissed(jobId)) revert JobWrongStatus(jobId, from);
        } else if (from != JobStatus.Open && from != JobStatus.Accepted && from != JobStatus.Submitted) {
            // INVARIANT: only a live, undisputed job expires; an ended job stays ended.
            revert JobWrongStatus(jobId, from);
        } else if (block.timestamp <= job.deadline) {
            // INVARIANT: nobody loses for a deadline that has not passed.
            revert JobDeadlineNotReached(jobId, job.deadline);
        }
        job.status = JobStatus.Expired;
        if (from == JobStatus.Open) {
            emit JobExpired(jobId, from, 0);
            _credit(job.submitter, JobId.unwrap(jobId), job.amount);
            return;
        }
        // Missed submit or open deadline: whoever misses a deadline loses (docs/protocol.md §4).
        uint256 collateral = job.collateral;
        uint256 toSubmitter = (collateral * _expirySubmitterBps) / _BPS;
        emit JobExpired(jobId, from, collateral);
        _credit(job.submitter, JobId.unwrap(jobId), job.amount + toSubmitter);
        _credit(_treasury, JobId.unwrap(jobId), collateral - toSubmitter);
        // The registry sends exactly `collateral` (all of it locked for this job) to this contract.
        _registry.slash(job.provider, StakeRole.Provider, collateral, 0);
    }

    // ---------------------------------------------------------------- disputes

    /// @inheritdoc IJobMarket
    // INVARIANT: only a DISPUTE_ROLE contract (the dispute game) holds a job's payout back with a dispute.
    function beginDispute(JobId jobId) external onlyRole(DISPUTE_ROLE) returns (DisputeStart memory) {
        Job storage job = _job(jobId);
        // INVARIANT: only an opened job not yet paid (Opened or Disputed) is disputed.
        if (job.status != JobStatus.Opened && job.status != JobStatus.Disputed)
            revert JobWrongStatus(jobId, job.status);
        // INVARIANT: disputes start inside the challenge window, so finalize can never race one.
        _requireBeforeDeadline(jobId, job);
        uint256 open = job.openDisputes + 1;
        // INVARIANT: the open-dispute count never wraps (a wrapped count would let finalize pay mid-dispute).
        if (open > type(uint32).max) revert JobInvalidParameter("openDisputes", open);
        job.openDisputes = uint32(open);
        if (open == 1) job.disputedSince = uint32(block.timestamp);
        job.status = JobStatus.Disputed;
        emit DisputeBegan(jobId, open);
        return
            DisputeStart({
                submitter: job.submitter,
                provider: job.provider,
                numerics: job.numerics,
                checkpoints: job.checkpoints,
                checkpointInterval: job.checkpointInterval,
                initialStateDigest: job.initialStateDigest,
                traceRoot: job.traceRoot
            });
    }

    /// @inheritdoc IJobMarket
    // INVARIANT: only a DISPUTE_ROLE contract (the dispute game, on a verdict) ends a dispute.
    function endDispute(
        JobId jobId,
        bool providerLost
    ) external onlyRole(DISPUTE_ROLE) returns (bool slashedNow, uint256 collateral) {
        Job storage job = _job(jobId);
        collateral = job.collateral;
        uint256 open = job.openDisputes;
        // INVARIANT: only a dispute that began ends, once: openDisputes never underflows.
        if (open == 0) revert JobWrongStatus(jobId, job.status);
        job.openDisputes = uint32(--open);
        emit DisputeEnded(jobId, providerLost, open);
        if (job.status == JobStatus.Slashed) return (false, collateral);
        if (providerLost) {
            _slash(jobId, job);
            return (true, collateral);
        }
        if (open == 0) {
            // INVARIANT: the challenge window does not run while disputes are open (the union of
            // their intervals is added back), so a provider cannot outlast it inside a dispute.
            uint256 deadline = uint256(job.deadline) + (block.timestamp - job.disputedSince);
            job.deadline = uint40(deadline);
            job.disputedSince = 0;
            job.status = JobStatus.Opened;
            emit ChallengeWindowExtended(jobId, deadline);
        }
        return (false, collateral);
    }

    /// @inheritdoc IJobMarket
    // INVARIANT: only a DISPUTE_ROLE contract (fraud proofs) slashes a job outright.
    function slashByFraudProof(
        JobId jobId
    ) external onlyRole(DISPUTE_ROLE) returns (address provider, uint256 collateral) {
        Job storage job = _job(jobId);
        // INVARIANT: only an opened or disputed job is slashed; a finalized or expired one is settled.
        if (job.status != JobStatus.Opened && job.status != JobStatus.Disputed)
            revert JobWrongStatus(jobId, job.status);
        _slash(jobId, job);
        return (job.provider, job.collateral);
    }

    /// @inheritdoc IJobMarket
    function disputeContext(JobId jobId) external view returns (DisputeContext memory) {
        return _context(_job(jobId));
    }

    /// @inheritdoc IJobMarket
    function disputeParties(
        JobId jobId
    ) external view returns (address submitter, address provider, uint256 committeeSize) {
        Job storage job = _job(jobId);
        return (job.submitter, job.provider, job.committeeSize);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IJobMarket
    function getJob(JobId jobId) external view returns (Job memory) {
        return _job(jobId);
    }

    /// @inheritdoc IJobMarket
    function sampledSegments(JobId jobId) external view returns (uint256[] memory) {
        Job storage job = _job(jobId);
        // INVARIANT: segments exist only for a submitted trace, whose randomness was requested at submit.
        if (job.traceRoot == bytes32(0)) revert JobWrongStatus(jobId, job.status);
        return SamplerLib.sample(_seed(jobId, job), job.checkpoints, job.samples);
    }

    /// @inheritdoc IJobMarket
    function isExpirable(JobId jobId) external view returns (bool) {
        Job storage job = _jobs[jobId];
        JobStatus s = job.status;
        return
            ((s == JobStatus.Open || s == JobStatus.Accepted || s == JobStatus.Submitted) &&
                block.timestamp > job.deadline) || (s == JobStatus.Opened && _probesMissed(jobId));
    }

    /// @inheritdoc IJobMarket
    function receipts() external view returns (address) {
        return address(_receipts);
    }

    /// @inheritdoc IJobMarket
    function jobCount() external view returns (uint256) {
        return _jobCount;
    }

    /// @inheritdoc IJobMarket
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IJobMarket
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IJobMarket
    function randomnessSource() external view returns (address) {
        return address(_randomness);
    }

    /// @inheritdoc IJobMarket
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IJobMarket
    function minCollateralBps() external view returns (uint256) {
        return _minCollateralBps;
    }

    /// @inheritdoc IJobMarket
    function expirySubmitterBps() external view returns (uint256) {
        return _expirySubmitterBps;
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IJobMarket
    // INVARIANT: only governance (GOVERNOR_ROLE) moves the minimum collateral.
    function setMinCollateralBps(uint256 value) external onlyRole(GOVERNOR_ROLE) {
        _setMinCollateralBps(value);
    }

    /// @inheritdoc IJobMarket
    // INVARIANT: only governance (GOVERNOR_ROLE) moves the split of forfeited collateral.
    function setExpirySubmitterBps(uint256 value) external onlyRole(GOVERNOR_ROLE) {
        _setExpirySubmitterBps(value);
    }

    /// @inheritdoc IJobMarket
    // INVARIANT: only governance (GOVERNOR_ROLE) names the treasury.
    function setTreasury(address value) external onlyRole(GOVERNOR_ROLE) {
        _setTreasury(value);
    }

    /// @inheritdoc IJobMarket
    // INVARIANT: only governance (GOVERNOR_ROLE) connects the receipts contract.
    function setReceipts(IReceipts value) external onlyRole(GOVERNOR_ROLE) {
        // INVARIANT: set once, never to zero: a job's receipt round lives in the contract it opened with.
        if (address(_receipts) != address(0) || address(value) == address(0))
            revert JobParameterOutOfBounds("receipts", uint256(uint160(address(value))), 1, 1);
        _receipts = value;
        emit ParameterSet("receipts", uint256(uint160(address(value))));
    }

    // ---------------------------------------------------------------- internals

    /// @dev Checks every parameter; returns n = T / k.
    function _validate(JobParams calldata p) private view returns (uint256 checkpoints) {
        // INVARIANT: a job commits to a spec and an initial state (zero commits to nothing).
        if (p.specHash == bytes32(0)) revert JobInvalidParameter("specHash", 0);
        if (p.initialStateDigest == bytes32(0)) revert JobInvalidParameter("initialStateDigest", 0);
        // INVARIANT: the escrow is positive and fits the 96 bits it is stored in.
        if (p.amount == 0 || p.amount > type(uint96).max) revert JobInvalidParameter("amount", p.amount);
        uint256 minCollateral = (uint256(p.amount) * _minCollateralBps) / _BPS;
        // INVARIANT: collateral is positive, at least the minimum, and fits 96 bits: never locked truncated.
        if (p.collateral == 0 || p.collateral < minCollateral || p.collateral > type(uint96).max)
            revert JobInvalidParameter("collateral", p.collateral);
        // INVARIANT: the T steps split into n = T / k ≥ 1 whole segments of k ≥ 1 steps.
        if (p.totalSteps == 0) revert JobInvalidParameter("totalSteps", 0);
        if (p.checkpointInterval == 0 || p.totalSteps % p.checkpointInterval != 0) {
            revert JobInvalidParameter("checkpointInterval", p.checkpointInterval);
        }
        checkpoints = p.totalSteps / p.checkpointInterval;
        // INVARIANT: n ≤ MAX_CHECKPOINTS = 2^20, so it fits the 24-bit progress counter.
        if (checkpoints > MAX_CHECKPOINTS) revert JobInvalidParameter("checkpoints", checkpoints);
        // INVARIANT: an exact job has no tolerance (δ = 0) ...
        if (p.numerics == Numerics.Exact) {
            if (p.deltaPpm != 0) revert JobInvalidParameter("deltaPpm", p.deltaPpm);
        } else if (p.numerics == Numerics.Tolerance) {
            // INVARIANT: ... and a tolerance job has one in (0, MAX_DELTA_PPM].
            if (p.deltaPpm == 0 || p.deltaPpm > MAX_DELTA_PPM)
                revert JobInvalidParameter("deltaPpm", p.deltaPpm);
        } else {
            // INVARIANT: every job is exact or tolerance; Numerics.None never runs.
            revert JobInvalidParameter("numerics", uint8(p.numerics));
        }
        // INVARIANT: 1 ≤ q ≤ min(MAX_SAMPLES, n): q distinct segments exist, and an opening stays bounded.
        if (p.samples == 0 || p.samples > MAX_SAMPLES || p.samples > checkpoints) {
            revert JobInvalidParameter("samples", p.samples);
        }
        // INVARIANT: Q ≤ min(MAX_TOP_Q, n): Q distinct segments exist, and an opening stays bounded.
        if (p.topQ > MAX_TOP_Q || p.topQ > checkpoints) revert JobInvalidParameter("topQ", p.topQ);
        // INVARIANT: the committee is odd (a strict majority always exists), of at most MAX_COMMITTEE.
        if (p.committeeSize == 0 || p.committeeSize > MAX_COMMITTEE || p.committeeSize % 2 == 0) {
            revert JobInvalidParameter("committeeSize", p.committeeSize);
        }
        // INVARIANT: the provider is paid all but at most MAX_VERIFICATION_BPS of the escrow.
        if (p.verificationBps > MAX_VERIFICATION_BPS)
            revert JobInvalidParameter("verificationBps", p.verificationBps);
        _validateWindow("acceptWindow", p.acceptWindow);
        _validateWindow("trainWindow", p.trainWindow);
        _validateWindow("openWindow", p.openWindow);
        _validateWindow("challengeWindow", p.challengeWindow);
        // INVARIANT: stake that may be slashed over this job cannot finish unbonding before its challenge
        // window and the disputes it starts are over (docs/protocol.md §7); half the delay is for disputes.
        if (uint256(p.challengeWindow) * 2 > _registry.unbondingDelay()) {
            revert JobInvalidParameter("challengeWindow", p.challengeWindow);
        }
    }

    function _validateWindow(bytes32 name, uint256 value) private pure {
        // INVARIANT: every phase lasts between MIN_WINDOW and MAX_WINDOW: long enough to act in, and it ends.
        if (value < MIN_WINDOW || value > MAX_WINDOW) revert JobInvalidParameter(name, value);
    }

    /// @dev Sorted, distinct 0-based positions of the leaves the sampled and top-Q segments need:
    /// the segments are sorted (≤ q + Q ≤ 40 values), then each contributes positions s − 2 and s − 1.
    function _requiredPositions(
        JobId jobId,
        uint256 n,
        uint256[] memory sampled,
        uint256[] calldata topIndices
    ) private pure returns (uint256[] memory list) {
        uint256 q = sampled.length;
        uint256 count = q + topIndices.length;
        uint256[] memory segments = new uint256[](count);
        for (uint256 s; s < q; ++s) segments[s] = sampled[s];
        for (uint256 t; t < topIndices.length; ++t) {
            uint256 index = topIndices[t];
            // INVARIANT: the top-Q segments are distinct segments of the trace (1 … n).
            if (index == 0 || index > n) revert JobTopIndicesInvalid(jobId, t, index);
            for (uint256 u; u < t; ++u) {
                if (topIndices[u] == index) revert JobTopIndicesInvalid(jobId, t, index);
            }
            segments[q + t] = index;
        }
        _sort(segments);
        list = new uint256[](2 * count);
        uint256 len;
        uint256 next; // smallest position not yet listed
        for (uint256 i; i < count; ++i) {
            uint256 seg = segments[i];
            // positions seg − 2 (leaf seg − 1, none for segment 1) and seg − 1 (leaf seg)
            uint256 from = seg > 1 ? seg - 2 : 0;
            if (from < next) from = next;
            for (uint256 pos = from; pos < seg; ++pos) list[len++] = pos;
            if (seg > next) next = seg;
        }
        assembly ("memory-safe") {
            mstore(list, len)
        }
    }

    /// @dev Insertion sort of at most q + Q ≤ 40 values.
    function _sort(uint256[] memory values) private pure {
        unchecked {
            for (uint256 i = 1; i < values.length; ++i) {
                uint256 v = values[i];
                uint256 j = i;
                while (j > 0 && values[j - 1] > v) {
                    values[j] = values[j - 1];
                    --j;
                }
                values[j] = v;
            }
        }
    }

    /// @dev The smallest update norm among the top-Q segments, and how many of them exceed it: an
    /// honest trace then has exactly that many leaves above the minimum (FraudProofs checks it).
    function _topNorms(
        OpenedLeaf[] calldata leaves,
        uint256[] memory positions,
        uint256[] calldata topIndices
    ) private pure returns (uint64 minNorm, uint8 above) {
        uint256 count = topIndices.length;
        if (count == 0) return (0, 0);
        uint64[] memory norms = new uint64[](count);
        minNorm = type(uint64).max;
        for (uint256 t; t < count; ++t) {
            norms[t] = leaves[_indexOf(positions, topIndices[t] - 1)].updateNorm;
            if (norms[t] < minNorm) minNorm = norms[t];
        }
        for (uint256 t; t < count; ++t) {
            if (norms[t] > minNorm) ++above;
        }
    }

    /// @dev Binary search in a sorted list known to contain `value`.
    function _indexOf(uint256[] memory list, uint256 value) private pure returns (uint256) {
        uint256 lo;
        uint256 hi = list.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            if (list[mid] < value) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    function _budget(Job storage job) private view returns (uint256) {
        return (uint256(job.amount) * job.verificationBps) / _BPS;
    }

    function _probesMissed(JobId jobId) private view returns (bool) {
        return address(_receipts) != address(0) && _receipts.probesMissed(jobId);
    }

    function _seed(JobId jobId, Job storage job) private view returns (bytes32) {
        bytes32 value = _randomness.randomness(job.randomnessRequest);
        // INVARIANT: no sample before its randomness exists; a zero value is never a seed.
        if (value == bytes32(0)) revert JobSeedUnavailable(jobId, job.randomnessRequest);
        return SamplerLib.jobSeed(value, jobId);
    }

    function _job(JobId jobId) private view returns (Job storage job) {
        job = _jobs[jobId];
        // INVARIANT: only a job that was created is read or moved.
        if (job.status == JobStatus.None) revert JobNotFound(jobId);
    }

    function _requireStatus(JobId jobId, Job storage job, JobStatus expected) private view {
        // INVARIANT: each transition starts from the one state it is defined for.
        if (job.status != expected) revert JobWrongStatus(jobId, job.status);
    }

    function _requireProvider(JobId jobId, Job storage job) private view {
        // INVARIANT: only the provider that accepted the job (and locked its collateral) moves it on.
        if (msg.sender != job.provider) revert JobNotProvider(jobId, msg.sender);
    }

    function _requireBeforeDeadline(JobId jobId, Job storage job) private view {
        // INVARIANT: nothing a deadline closes happens after it (a provider's missed step is for expire).
        if (block.timestamp > job.deadline) revert JobDeadlinePassed(jobId, job.deadline);
    }

    /// @dev The provider cheated: the escrow goes back to the submitter; the caller (the dispute
    /// game) slashes the collateral and shares it out.
    function _slash(JobId jobId, Job storage job) private {
        job.status = JobStatus.Slashed;
        emit JobSlashed(jobId);
        _credit(job.submitter, JobId.unwrap(jobId), job.amount);
    }

    function _context(Job storage job) private view returns (DisputeContext memory) {
        return
            DisputeContext({
                submitter: job.submitter,
                provider: job.provider,
                status: job.status,
                numerics: job.numerics,
                committeeSize: job.committeeSize,
                checkpoints: job.checkpoints,
                checkpointInterval: job.checkpointInterval,
                deltaPpm: job.deltaPpm,
                deadline: job.deadline,
                collateral: job.collateral,
                initialStateDigest: job.initialStateDigest,
                traceRoot: job.traceRoot,
                finalDigest: job.finalDigest,
                topQ: job.topQ,
                topAbove: job.topAbove,
                minTopNorm: job.minTopNorm
            });
    }

    function _setTreasury(address value) private {
        // INVARIANT: the treasury is never the zero address, so its credits can be claimed.
        if (value == address(0)) revert JobParameterOutOfBounds("treasury", 0, 1, type(uint160).max);
        _treasury = value;
        emit ParameterSet("treasury", uint256(uint160(value)));
    }

    function _setMinCollateralBps(uint256 value) private {
        // INVARIANT: a job's minimum collateral never exceeds 10× its amount (MAX_MIN_COLLATERAL_BPS).
        if (value > MAX_MIN_COLLATERAL_BPS) {
            revert JobParameterOutOfBounds("minCollateralBps", value, 0, MAX_MIN_COLLATERAL_BPS);
        }
        _minCollateralBps = value;
        emit ParameterSet("minCollateralBps", value);
    }

    function _setExpirySubmitterBps(uint256 value) private {
        // INVARIANT: the submitter gets at most all forfeited collateral; the treasury the rest.
        if (value > _BPS) revert JobParameterOutOfBounds("expirySubmitterBps", value, 0, _BPS);
        _expirySubmitterBps = value;
        emit ParameterSet("expirySubmitterBps", value);
    }
}
