// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IRandomnessSource} from "./interfaces/IRandomnessSource.sol";
import {IStakeRegistry} from "./interfaces/IStakeRegistry.sol";
import {MerkleLib} from "./libraries/MerkleLib.sol";
import {SamplerLib} from "./libraries/SamplerLib.sol";
import {TraceLib} from "./libraries/TraceLib.sol";
import {Job, JobParams, JobStatus, Numerics, OpenedLeaf} from "./types/JobTypes.sol";
import {StakeRole} from "./types/StakeTypes.sol";

/// @title JobMarket
/// @notice Escrow and lifecycle of training jobs. See IJobMarket.
/// @dev Solvency: the token balance of this contract always equals the escrow of every live job
/// (Open, Accepted, Submitted, Opened, Disputed) plus every unclaimed credit.
contract JobMarket is IJobMarket, AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");

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

    IERC20 private immutable _token;
    IStakeRegistry private immutable _registry;
    IRandomnessSource private immutable _randomness;

    address private _treasury;
    uint256 private _minCollateralBps;
    uint256 private _expirySubmitterBps;

    uint256 private _jobCount;
    mapping(uint256 jobId => Job) private _jobs;
    mapping(address account => uint256 amount) private _credits;

    constructor(
        IStakeRegistry registry_,
        IRandomnessSource randomness_,
        address governor,
        address treasury_,
        uint256 minCollateralBps_,
        uint256 expirySubmitterBps_
    ) {
        _registry = registry_;
        _token = IERC20(registry_.token());
        _randomness = randomness_;
        _grantRole(DEFAULT_ADMIN_ROLE, governor);
        _grantRole(GOVERNOR_ROLE, governor);
        _setTreasury(treasury_);
        _setMinCollateralBps(minCollateralBps_);
        _setExpirySubmitterBps(expirySubmitterBps_);
    }

    // ---------------------------------------------------------------- lifecycle

    /// @inheritdoc IJobMarket
    function createJob(JobParams calldata p) external nonReentrant returns (uint256 jobId) {
        uint256 checkpoints = _validate(p);
        jobId = ++_jobCount;
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
        job.amount = p.amount;
        job.collateral = p.collateral;
        job.trainWindow = p.trainWindow;
        job.openWindow = p.openWindow;
        job.challengeWindow = p.challengeWindow;
        job.deadline = uint40(block.timestamp + p.acceptWindow);
        emit JobCreated(jobId, msg.sender, p.specHash, p.amount, p.collateral);
        _pull(msg.sender, p.amount);
    }

    /// @inheritdoc IJobMarket
    function cancel(uint256 jobId) external nonReentrant {
        Job storage job = _job(jobId);
        _requireStatus(jobId, job, JobStatus.Open);
        if (msg.sender != job.submitter) revert JobNotSubmitter(jobId, msg.sender);
        job.status = JobStatus.Cancelled;
        emit JobCancelled(jobId);
        _credit(job.submitter, jobId, job.amount);
    }

    /// @inheritdoc IJobMarket
    function accept(uint256 jobId) external nonReentrant {
        Job storage job = _job(jobId);
        _requireStatus(jobId, job, JobStatus.Open);
        _requireBeforeDeadline(jobId, job);
        // INVARIANT: nobody is paid to verify their own work (PROTOCOL.md §1).
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
    function commitProgress(uint256 jobId, uint256 checkpoints, bytes32 partialRoot) external {
        Job storage job = _job(jobId);
        _requireStatus(jobId, job, JobStatus.Accepted);
        _requireProvider(jobId, job);
        _requireBeforeDeadline(jobId, job);
        if (checkpoints <= job.progress || checkpoints > job.checkpoints) {
            revert JobProgressNotIncreasing(jobId, checkpoints, job.progress);
        }
        if (partialRoot == bytes32(0)) revert JobInvalidParameter("partialRoot", 0);
        job.progress = uint24(checkpoints);
        emit ProgressCommitted(jobId, checkpoints, partialRoot);
    }

    /// @inheritdoc IJobMarket
    function submit(
        uint256 jobId,
        bytes32 traceRoot,
        bytes32 finalDigest,
        bytes32 resultDigest,
        bytes32 leavesDigest
    ) external nonReentrant {
        Job storage job = _job(jobId);
        _requireStatus(jobId, job, JobStatus.Accepted);
        _requireProvider(jobId, job);
        _requireBeforeDeadline(jobId, job);
        if (traceRoot == bytes32(0)) revert JobInvalidParameter("traceRoot", 0);
        if (finalDigest == bytes32(0)) revert JobInvalidParameter("finalDigest", 0);
        if (leavesDigest == bytes32(0)) revert JobInvalidParameter("leavesDigest", 0);
        // INVARIANT: the seed comes from a value that does not exist yet (PROTOCOL.md §4 Sample).
        uint256 requestId = _randomness.request();
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
        uint256 jobId,
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
        if (topIndices.length != job.topQ) revert JobTopIndicesInvalid(jobId, topIndices.length, 0);

        // Every leaf i−1 (i ≥ 2) and i of each sampled and top-Q segment i must be opened, and
        // nothing else: `covered` marks the provided leaves that some segment needs.
        uint256 covered;
        for (uint256 s; s < sampled.length; ++s) covered |= _segmentLeaves(jobId, leaves, sampled[s]);
        (uint256 topCovered, uint192 packedTop, uint64 minTopNorm) = _openTop(jobId, n, leaves, topIndices);
        covered |= topCovered;
        if (covered != (uint256(1) << leaves.length) - 1) {
            revert JobOpeningIncomplete(jobId, _popcount(covered), leaves.length);
        }

        uint256[] memory positions = new uint256[](leaves.length);
        bytes32[] memory nodes = new bytes32[](leaves.length);
        for (uint256 i; i < leaves.length; ++i) {
            OpenedLeaf calldata leaf = leaves[i];
            // INVARIANT: the last checkpoint is the model the submitter receives (finalDigest).
            if (leaf.index == n && leaf.stateDigest != job.finalDigest)
                revert JobOpeningMismatch(jobId, i, n);
            positions[i] = leaf.index - 1;
            nodes[i] = TraceLib.leafHash(jobId, leaf.index, leaf.stateDigest, leaf.lossBits, leaf.updateNorm);
        }
        if (MerkleLib.rootFromMultiProof(MerkleLib.depthOf(n), positions, nodes, proof) != job.traceRoot) {
            revert JobInvalidProof(jobId);
        }

        job.status = JobStatus.Opened;
        job.topIndices = packedTop;
        job.minTopNorm = minTopNorm;
        uint256 challengeEnd = block.timestamp + job.challengeWindow;
        job.deadline = uint40(challengeEnd);
        emit SamplesOpened(jobId, seed, sampled, topIndices, minTopNorm, challengeEnd);
    }

    /// @inheritdoc IJobMarket
    function finalize(uint256 jobId) external nonReentrant {
        Job storage job = _job(jobId);
        _requireStatus(jobId, job, JobStatus.Opened);
        if (block.timestamp <= job.deadline) revert JobDeadlineNotReached(jobId, job.deadline);
        // INVARIANT: no payout while a dispute on the job is open.
        if (job.openDisputes != 0) revert JobDisputesOpen(jobId, job.openDisputes);
        job.status = JobStatus.Finalized;
        uint256 budget = (uint256(job.amount) * job.verificationBps) / _BPS;
        uint256 payment = job.amount - budget;
        emit JobFinalized(jobId, payment, budget);
        _credit(job.provider, jobId, payment);
        if (budget > 0) _credit(job.submitter, jobId, budget);
        _registry.unlock(job.provider, job.collateral);
    }

    /// @inheritdoc IJobMarket
    function expire(uint256 jobId) external nonReentrant {
        Job storage job = _job(jobId);
        JobStatus from = job.status;
        if (from != JobStatus.Open && from != JobStatus.Accepted && from != JobStatus.Submitted) {
            revert JobWrongStatus(jobId, from);
        }
        if (block.timestamp <= job.deadline) revert JobDeadlineNotReached(jobId, job.deadline);
        job.status = JobStatus.Expired;
        if (from == JobStatus.Open) {
            emit JobExpired(jobId, from, 0);
            _credit(job.submitter, jobId, job.amount);
            return;
        }
        // Missed submit or open deadline: whoever misses a deadline loses (PROTOCOL.md §4).
        uint256 collateral = job.collateral;
        uint256 toSubmitter = (collateral * _expirySubmitterBps) / _BPS;
        emit JobExpired(jobId, from, collateral);
        _credit(job.submitter, jobId, job.amount + toSubmitter);
        _credit(_treasury, jobId, collateral - toSubmitter);
        // The registry sends exactly `collateral` (all of it locked for this job) to this contract.
        _registry.slash(job.provider, StakeRole.Provider, collateral, 0);
    }

    /// @inheritdoc IJobMarket
    function claimCredit() external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender];
        if (amount == 0) revert JobNoCredit(msg.sender);
        _credits[msg.sender] = 0;
        emit CreditClaimed(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IJobMarket
    function getJob(uint256 jobId) external view returns (Job memory) {
        return _job(jobId);
    }

    /// @inheritdoc IJobMarket
    function sampledSegments(uint256 jobId) external view returns (uint256[] memory) {
        Job storage job = _job(jobId);
        if (job.traceRoot == bytes32(0)) revert JobWrongStatus(jobId, job.status);
        return SamplerLib.sample(_seed(jobId, job), job.checkpoints, job.samples);
    }

    /// @inheritdoc IJobMarket
    function topSegments(uint256 jobId) external view returns (uint256[] memory indices) {
        Job storage job = _job(jobId);
        uint256 count = job.topIndices == 0 ? 0 : job.topQ;
        indices = new uint256[](count);
        for (uint256 t; t < count; ++t) indices[t] = uint24(job.topIndices >> (24 * t));
    }

    /// @inheritdoc IJobMarket
    function isExpirable(uint256 jobId) external view returns (bool) {
        Job storage job = _jobs[jobId];
        JobStatus s = job.status;
        return
            (s == JobStatus.Open || s == JobStatus.Accepted || s == JobStatus.Submitted) &&
            block.timestamp > job.deadline;
    }

    /// @inheritdoc IJobMarket
    function creditOf(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @inheritdoc IJobMarket
    function jobCount() external view returns (uint256) {
        return _jobCount;
    }

    function token() external view returns (address) {
        return address(_token);
    }

    function registry() external view returns (address) {
        return address(_registry);
    }

    function randomnessSource() external view returns (address) {
        return address(_randomness);
    }

    function treasury() external view returns (address) {
        return _treasury;
    }

    function minCollateralBps() external view returns (uint256) {
        return _minCollateralBps;
    }

    function expirySubmitterBps() external view returns (uint256) {
        return _expirySubmitterBps;
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IJobMarket
    function setMinCollateralBps(uint256 value) external onlyRole(GOVERNOR_ROLE) {
        _setMinCollateralBps(value);
    }

    /// @inheritdoc IJobMarket
    function setExpirySubmitterBps(uint256 value) external onlyRole(GOVERNOR_ROLE) {
        _setExpirySubmitterBps(value);
    }

    /// @inheritdoc IJobMarket
    function setTreasury(address value) external onlyRole(GOVERNOR_ROLE) {
        _setTreasury(value);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Checks every parameter; returns n = T / k.
    function _validate(JobParams calldata p) private view returns (uint256 checkpoints) {
        if (p.specHash == bytes32(0)) revert JobInvalidParameter("specHash", 0);
        if (p.initialStateDigest == bytes32(0)) revert JobInvalidParameter("initialStateDigest", 0);
        if (p.amount == 0) revert JobInvalidParameter("amount", 0);
        uint256 minCollateral = (uint256(p.amount) * _minCollateralBps) / _BPS;
        if (p.collateral == 0 || p.collateral < minCollateral)
            revert JobInvalidParameter("collateral", p.collateral);
        if (p.totalSteps == 0) revert JobInvalidParameter("totalSteps", 0);
        if (p.checkpointInterval == 0 || p.totalSteps % p.checkpointInterval != 0) {
            revert JobInvalidParameter("checkpointInterval", p.checkpointInterval);
        }
        checkpoints = p.totalSteps / p.checkpointInterval;
        if (checkpoints > MAX_CHECKPOINTS) revert JobInvalidParameter("checkpoints", checkpoints);
        if (p.numerics == Numerics.Exact) {
            if (p.deltaPpm != 0) revert JobInvalidParameter("deltaPpm", p.deltaPpm);
        } else if (p.numerics == Numerics.Tolerance) {
            if (p.deltaPpm == 0 || p.deltaPpm > MAX_DELTA_PPM)
                revert JobInvalidParameter("deltaPpm", p.deltaPpm);
        } else {
            revert JobInvalidParameter("numerics", uint8(p.numerics));
        }
        if (p.samples == 0 || p.samples > MAX_SAMPLES || p.samples > checkpoints) {
            revert JobInvalidParameter("samples", p.samples);
        }
        if (p.topQ > MAX_TOP_Q || p.topQ > checkpoints) revert JobInvalidParameter("topQ", p.topQ);
        // An odd committee always has a strict majority.
        if (p.committeeSize == 0 || p.committeeSize > MAX_COMMITTEE || p.committeeSize % 2 == 0) {
            revert JobInvalidParameter("committeeSize", p.committeeSize);
        }
        if (p.verificationBps > MAX_VERIFICATION_BPS)
            revert JobInvalidParameter("verificationBps", p.verificationBps);
        _validateWindow("acceptWindow", p.acceptWindow);
        _validateWindow("trainWindow", p.trainWindow);
        _validateWindow("openWindow", p.openWindow);
        _validateWindow("challengeWindow", p.challengeWindow);
        // INVARIANT: stake that may be slashed over this job cannot finish unbonding before its
        // challenge window and the disputes it starts are over (PROTOCOL.md §6); half the delay is
        // left for disputes.
        if (uint256(p.challengeWindow) * 2 > _registry.unbondingDelay()) {
            revert JobInvalidParameter("challengeWindow", p.challengeWindow);
        }
    }

    function _validateWindow(bytes32 name, uint256 value) private pure {
        if (value < MIN_WINDOW || value > MAX_WINDOW) revert JobInvalidParameter(name, value);
    }

    /// @dev Checks the top-Q claim (distinct indices in [1, n]) and marks the leaves it needs;
    /// returns the indices packed 24 bits each and the smallest update norm among them (0 if none).
    function _openTop(
        uint256 jobId,
        uint256 n,
        OpenedLeaf[] calldata leaves,
        uint256[] calldata topIndices
    ) private pure returns (uint256 covered, uint192 packed, uint64 minNorm) {
        minNorm = topIndices.length == 0 ? 0 : type(uint64).max;
        for (uint256 t; t < topIndices.length; ++t) {
            uint256 index = topIndices[t];
            if (index == 0 || index > n) revert JobTopIndicesInvalid(jobId, t, index);
            for (uint256 u; u < t; ++u) {
                if (topIndices[u] == index) revert JobTopIndicesInvalid(jobId, t, index);
            }
            covered |= _segmentLeaves(jobId, leaves, index);
            uint64 norm = leaves[_find(leaves, index)].updateNorm;
            if (norm < minNorm) minNorm = norm;
            packed |= uint192(index << (24 * t));
        }
    }

    /// @dev Marks the leaves segment `index` needs (index − 1 unless 0, and index); reverts if absent.
    function _segmentLeaves(
        uint256 jobId,
        OpenedLeaf[] calldata leaves,
        uint256 index
    ) private pure returns (uint256 mask) {
        uint256 at = _find(leaves, index);
        if (at == type(uint256).max) revert JobOpeningMismatch(jobId, leaves.length, index);
        mask = uint256(1) << at;
        if (index > 1) {
            uint256 before = _find(leaves, index - 1);
            if (before == type(uint256).max) revert JobOpeningMismatch(jobId, leaves.length, index - 1);
            mask |= uint256(1) << before;
        }
    }

    /// @dev Binary search over leaves sorted by strictly increasing index; max uint when absent.
    /// Unsorted input cannot pass: a leaf that is not found is missing, and the coverage check then
    /// fails, and the multi-proof rejects positions that do not strictly increase.
    function _find(OpenedLeaf[] calldata leaves, uint256 index) private pure returns (uint256) {
        uint256 lo;
        uint256 hi = leaves.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            uint256 value = leaves[mid].index;
            if (value == index) return mid;
            if (value < index) lo = mid + 1;
            else hi = mid;
        }
        return type(uint256).max;
    }

    function _popcount(uint256 x) private pure returns (uint256 count) {
        for (; x != 0; x &= x - 1) ++count;
    }

    function _seed(uint256 jobId, Job storage job) private view returns (bytes32) {
        bytes32 value = _randomness.randomness(job.randomnessRequest);
        if (value == bytes32(0)) revert JobSeedUnavailable(jobId, job.randomnessRequest);
        return SamplerLib.jobSeed(value, jobId);
    }

    function _job(uint256 jobId) private view returns (Job storage job) {
        job = _jobs[jobId];
        if (job.status == JobStatus.None) revert JobNotFound(jobId);
    }

    function _requireStatus(uint256 jobId, Job storage job, JobStatus expected) private view {
        if (job.status != expected) revert JobWrongStatus(jobId, job.status);
    }

    function _requireProvider(uint256 jobId, Job storage job) private view {
        if (msg.sender != job.provider) revert JobNotProvider(jobId, msg.sender);
    }

    function _requireBeforeDeadline(uint256 jobId, Job storage job) private view {
        if (block.timestamp > job.deadline) revert JobDeadlinePassed(jobId, job.deadline);
    }

    function _credit(address account, uint256 jobId, uint256 amount) private {
        _credits[account] += amount;
        emit Credited(account, jobId, amount);
    }

    /// @dev Pulls exactly `amount`; a token that delivers less (fee on transfer) is refused.
    function _pull(address from, uint256 amount) private {
        uint256 before = _token.balanceOf(address(this));
        _token.safeTransferFrom(from, address(this), amount);
        uint256 received = _token.balanceOf(address(this)) - before;
        if (received != amount) revert JobFeeOnTransferToken(amount, received);
    }

    function _setTreasury(address value) private {
        if (value == address(0)) revert JobParameterOutOfBounds("treasury", 0, 1, type(uint160).max);
        _treasury = value;
        emit ParameterSet("treasury", uint256(uint160(value)));
    }

    function _setMinCollateralBps(uint256 value) private {
        if (value > MAX_MIN_COLLATERAL_BPS) {
            revert JobParameterOutOfBounds("minCollateralBps", value, 0, MAX_MIN_COLLATERAL_BPS);
        }
        _minCollateralBps = value;
        emit ParameterSet("minCollateralBps", value);
    }

    function _setExpirySubmitterBps(uint256 value) private {
        if (value > _BPS) revert JobParameterOutOfBounds("expirySubmitterBps", value, 0, _BPS);
        _expirySubmitterBps = value;
        emit ParameterSet("expirySubmitterBps", value);
    }
}
