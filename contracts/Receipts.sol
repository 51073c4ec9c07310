// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IRandomnessSource} from "./interfaces/IRandomnessSource.sol";
import {IReceipts} from "./interfaces/IReceipts.sol";
import {IStakeRegistry} from "./interfaces/IStakeRegistry.sol";
import {MerkleLib} from "./libraries/MerkleLib.sol";
import {SamplerLib} from "./libraries/SamplerLib.sol";
import {JobId} from "./types/Ids.sol";
import {Probes, Receipt, ReceiptRound} from "./types/ReceiptTypes.sol";

/// @title Receipts
/// @notice Paid verification: see IReceipts.
/// @dev Solvency: the token balance of this contract equals, over every settled round, its budget
/// less what was paid. Loops are bounded by the job's samples (at most 32) and the Merkle depth.
contract Receipts is IReceipts, ReentrancyGuard {
    using SafeERC20 for IERC20;

    IJobMarket private immutable _market;
    IStakeRegistry private immutable _registry;
    IRandomnessSource private immutable _randomness;
    IERC20 private immutable _token;
    /// @notice The shortest publish phase (C/4) a round opens with: the probe randomness must come
    /// into existence well inside it (a deployment sets it from its block time and randomness delay).
    uint256 public immutable minPublishWindow;

    mapping(JobId jobId => ReceiptRound) private _rounds;
    mapping(JobId jobId => mapping(address verifier => Receipt)) private _receipts;

    constructor(
        IJobMarket market_,
        IStakeRegistry registry_,
        IRandomnessSource randomness_,
        uint256 minPublishWindow_
    ) {
        _market = market_;
        minPublishWindow = minPublishWindow_;
        _registry = registry_;
        _randomness = randomness_;
        _token = IERC20(registry_.token());
    }

    modifier onlyMarket() {
        // INVARIANT: only the job market opens and settles rounds.
        if (msg.sender != address(_market)) revert ReceiptsOnlyMarket(msg.sender);
        _;
    }

    /// @inheritdoc IReceipts
    // INVARIANT: only the market opens a round (at openSamples), so every round belongs to an opened job.
    function open(
        JobId jobId,
        uint256 challengeWindow,
        uint256 checkpointInterval,
        uint256 checkpoints,
        uint256 samples,
        bytes32 seed
    ) external onlyMarket {
        // A window whose publish phase the probe randomness may not fit in offers no receipts: an
        // honest provider could not publish in time.
        if (challengeWindow / 4 < minPublishWindow) return;
        ReceiptRound storage r = _rounds[jobId];
        r.openedAt = uint40(block.timestamp);
        r.window = uint32(challengeWindow);
        // INVARIANT: weights as they stood before the open's block, so stake that lands in the same
        // block, after the open, does not count.
        r.snapshot = uint32(block.number - 1);
        r.checkpointInterval = uint32(checkpointInterval);
        r.checkpoints = uint32(checkpoints);
        r.samples = uint8(samples);
        // INVARIANT: publishing never depends on a block hash that may have expired by then.
        r.seed = seed;
        (uint256 commitUntil, uint256 publishUntil, uint256 revealUntil) = _phases(r);
        emit ReceiptsOpened(jobId, r.snapshot, commitUntil, publishUntil, revealUntil);
    }

    /// @inheritdoc IReceipts
    function commitReceipt(JobId jobId, bytes32 commitment) external {
        ReceiptRound storage r = _round(jobId);
        (uint256 commitUntil, , ) = _phases(r);
        // INVARIANT: every commitment predates the probe steps, which are drawn after the commit phase.
        if (block.timestamp > commitUntil) revert ReceiptsTooLate(jobId, commitUntil);
        // INVARIANT: weights are read at a finished block (the registry reads only past snapshots).
        if (block.number <= r.snapshot) revert ReceiptsTooEarly(jobId, r.snapshot + 1);
        (address submitter, address provider, ) = _market.disputeParties(jobId);
        // INVARIANT: nobody is paid to verify their own job (docs/protocol.md §1).
        if (msg.sender == provider || msg.sender == submitter)
            revert ReceiptPartyCannotCommit(jobId, msg.sender);
        Receipt storage receipt = _receipts[jobId][msg.sender];
        // INVARIANT: one receipt per verifier and job, so its weight counts once.
        if (receipt.commitment != bytes32(0)) revert ReceiptExists(jobId, msg.sender);
        // INVARIANT: pay follows committee weight at the open, so stake split over addresses, or
        // staked after the job was seen, earns nothing more.
        uint256 weight = _registry.verifierWeightAt(msg.sender, r.snapshot);
        if (weight == 0 || commitment == bytes32(0)) revert ReceiptNotEligible(jobId, msg.sender);
        receipt.commitment = commitment;
        receipt.weight = uint128(weight);
        ++r.committed;
        emit ReceiptCommitted(jobId, msg.sender, weight);
    }

    /// @inheritdoc IReceipts
    function requestProbes(JobId jobId) external {
        ReceiptRound storage r = _round(jobId);
        (uint256 commitUntil, , ) = _phases(r);
        // INVARIANT: the probe steps are drawn after every commitment, so a receipt cannot have been
        // computed for the probed steps alone.
        if (block.timestamp <= commitUntil) revert ReceiptsTooEarly(jobId, commitUntil + 1);
        // INVARIANT: a provider owes probes only to a round with a commitment.
        if (r.committed == 0) revert ProbesNotDue(jobId);
        // INVARIANT: once published, the probe steps and digests never change.
        if (r.probesHash != bytes32(0)) revert ProbesAlreadyPublished(jobId);
        // INVARIANT: a request is renewed only once its value is gone (a block hash is served for 256
        // blocks and nobody recorded it): a griefer who requests early cannot run the provider out of
        // randomness, and nobody re-rolls probe steps that anyone kept.
        if (
            r.probeRequest != 0 &&
            (block.number <= r.probeRequest || _randomness.randomness(r.probeRequest) != bytes32(0))
        ) revert ProbesAlreadyRequested(jobId);
        uint256 request = _randomness.request();
        r.probeRequest = uint32(request);
        // INVARIANT: the round stores the very request id the source returned (it fits 32 bits).
        if (r.probeRequest != request) revert ProbesRandomnessPending(jobId, request);
        emit ProbesRequested(jobId, request);
    }

    /// @inheritdoc IReceipts
    function publishProbes(JobId jobId, bytes32[] calldata digests) external {
        ReceiptRound storage r = _round(jobId);
        (, uint256 publishEnd, ) = _phases(r);
        // INVARIANT: probes come within the publish phase, leaving verifiers the reveal phase to match them.
        if (block.timestamp > publishEnd) revert ReceiptsTooLate(jobId, publishEnd);
        (, address provider, ) = _market.disputeParties(jobId);
        // INVARIANT: only the job's provider speaks for its trace.
        if (msg.sender != provider) revert ProbesNotProvider(jobId, msg.sender);
        // INVARIANT: probe digests are published once, never replaced.
        if (r.probesHash != bytes32(0)) revert ProbesAlreadyPublished(jobId);
        (uint256[] memory segments, uint256[] memory steps) = _probeSteps(jobId, r);
        // INVARIANT: one non-zero digest per sampled segment's probe step.
        if (digests.length != segments.length) revert ProbesMismatch(jobId);
        for (uint256 s; s < digests.length; ++s) if (digests[s] == bytes32(0)) revert ProbesMismatch(jobId);
        r.probesHash = keccak256(abi.encode(Probes({segments: segments, steps: steps, digests: digests})));
        emit ProbesPublished(jobId, segments, steps, digests);
    }

    /// @inheritdoc IReceipts
    function revealReceipt(
        JobId jobId,
        bytes32[] calldata roots,
        bytes32 salt,
        Probes calldata probes,
        bytes32[][] calldata proofs
    ) external {
        ReceiptRound storage r = _round(jobId);
        (, , uint256 revealEnd) = _phases(r);
        // INVARIANT: every match is in by the window's end, before the job can finalize.
        if (block.timestamp > revealEnd) revert ReceiptsTooLate(jobId, revealEnd);
        _checkProbes(jobId, r, probes);
        Receipt storage receipt = _receipts[jobId][msg.sender];
        // INVARIANT: only a committed receipt matches, and at most once.
        if (receipt.commitment == bytes32(0) || receipt.matched) revert ReceiptUnknown(jobId, msg.sender);
        // INVARIANT: the commitment binds the verifier's address: a copied commitment cannot be revealed.
        if (keccak256(abi.encode(jobId, roots, salt, msg.sender)) != receipt.commitment) {
            revert ReceiptCommitmentMismatch(jobId, msg.sender);
        }
        uint256 count = probes.segments.length;
        // INVARIANT: a receipt answers every probed segment, with one root and one proof each.
        if (roots.length != count || proofs.length != count)
            revert ReceiptCommitmentMismatch(jobId, msg.sender);
        uint256 depth = MerkleLib.depthOf(r.checkpointInterval - 1);
        for (uint256 s; s < count; ++s) {
            uint256 segment = probes.segments[s];
            uint256 step = probes.steps[s];
            bytes32 leaf = keccak256(abi.encode(segment, step, probes.digests[s]));
            // INVARIANT: a receipt matches only if its digest at every probe step is the provider's.
            if (MerkleLib.rootFromProof(depth, step - 1, leaf, proofs[s]) != roots[s]) {
                revert ReceiptDigestMismatch(jobId, segment);
            }
        }
        receipt.matched = true;
        ++r.matched;
        r.matchedWeight += receipt.weight;
        emit ReceiptMatched(jobId, msg.sender, receipt.weight);
    }

    /// @inheritdoc IReceipts
    // INVARIANT: only the market settles a round (at finalize), with the budget it then transfers.
    function settle(JobId jobId, uint256 budget) external onlyMarket returns (bool toReceipts) {
        ReceiptRound storage r = _rounds[jobId];
        toReceipts = r.matchedWeight > 0 && budget > 0;
        if (toReceipts) r.budget = uint128(budget);
        emit ReceiptsSettled(jobId, toReceipts ? budget : 0, r.matchedWeight);
    }

    /// @inheritdoc IReceipts
    function claimReceipt(JobId jobId) external nonReentrant returns (uint256 amount) {
        ReceiptRound storage r = _rounds[jobId];
        Receipt storage receipt = _receipts[jobId][msg.sender];
        amount = _claimable(r, receipt);
        // INVARIANT: a receipt is paid once, and only its share of a settled budget.
        if (amount == 0) revert ReceiptNothingToClaim(jobId, msg.sender);
        receipt.claimed = true;
        r.paid += uint128(amount);
        ++r.claimed;
        emit ReceiptPaid(jobId, msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IReceipts
    function probesMissed(JobId jobId) external view returns (bool) {
        ReceiptRound storage r = _rounds[jobId];
        if (r.committed == 0 || r.probesHash != bytes32(0)) return false;
        (, uint256 publishEnd, ) = _phases(r);
        return block.timestamp > publishEnd;
    }

    /// @inheritdoc IReceipts
    function probeOf(
        JobId jobId,
        uint256 segment,
        Probes calldata probes
    ) external view returns (uint256 step, bytes32 digest) {
        _checkProbes(jobId, _round(jobId), probes);
        for (uint256 s; s < probes.segments.length; ++s) {
            if (probes.segments[s] == segment) return (probes.steps[s], probes.digests[s]);
        }
        // INVARIANT: a probe dispute is about a segment that was probed.
        revert ProbesNotSampled(jobId, segment);
    }

    /// @inheritdoc IReceipts
    function probeSteps(
        JobId jobId
    ) external view returns (uint256[] memory segments, uint256[] memory steps) {
        return _probeSteps(jobId, _round(jobId));
    }

    /// @inheritdoc IReceipts
    function segmentsOf(JobId jobId) external view returns (uint256[] memory) {
        ReceiptRound storage r = _round(jobId);
        return SamplerLib.sample(r.seed, r.checkpoints, r.samples);
    }

    /// @inheritdoc IReceipts
    function commitEnd(JobId jobId) external view returns (uint256) {
        ReceiptRound storage r = _rounds[jobId];
        if (r.openedAt == 0) return 0;
        (uint256 commitUntil, , ) = _phases(r);
        return commitUntil;
    }

    /// @inheritdoc IReceipts
    function roundOf(JobId jobId) external view returns (ReceiptRound memory) {
        return _rounds[jobId];
    }

    /// @inheritdoc IReceipts
    function receiptOf(JobId jobId, address verifier) external view returns (Receipt memory) {
        return _receipts[jobId][verifier];
    }

    /// @inheritdoc IReceipts
    function claimable(JobId jobId, address verifier) external view returns (uint256) {
        return _claimable(_rounds[jobId], _receipts[jobId][verifier]);
    }

    // ---------------------------------------------------------------- internals

    function _round(JobId jobId) private view returns (ReceiptRound storage r) {
        r = _rounds[jobId];
        // INVARIANT: only a round that was opened is read or moved.
        if (r.openedAt == 0) revert ReceiptsNotOffered(jobId);
    }

    /// @dev Commit until t + C/2, publish by t + 3C/4, reveal until t + C: all inside the challenge
    /// window, so everything is settled before the job can finalize.
    function _phases(
        ReceiptRound storage r
    ) private view returns (uint256 commitUntil, uint256 publishUntil, uint256 revealUntil) {
        uint256 t = r.openedAt;
        uint256 c = r.window;
        return (t + c / 2, t + (3 * c) / 4, t + c);
    }

    /// @dev Probe step of sampled segment s: 1 + keccak256(value, jobId, segment) mod (k − 1).
    function _probeSteps(
        JobId jobId,
        ReceiptRound storage r
    ) private view returns (uint256[] memory segments, uint256[] memory steps) {
        // INVARIANT: probe steps come only from requested randomness that exists (drawn after every commit).
        if (r.probeRequest == 0) revert ProbesNotRequested(jobId);
        bytes32 value = _randomness.randomness(r.probeRequest);
        if (value == bytes32(0)) revert ProbesRandomnessPending(jobId, r.probeRequest);
        segments = SamplerLib.sample(r.seed, r.checkpoints, r.samples);
        steps = new uint256[](segments.length);
        uint256 inner = r.checkpointInterval - 1;
        for (uint256 s; s < segments.length; ++s) {
            steps[s] = 1 + (uint256(keccak256(abi.encode(value, jobId, segments[s]))) % inner);
        }
    }

    function _checkProbes(JobId jobId, ReceiptRound storage r, Probes calldata probes) private view {
        // INVARIANT: the probes quoted are exactly those the provider published.
        if (r.probesHash == bytes32(0)) revert ProbesNotPublished(jobId);
        if (keccak256(abi.encode(probes)) != r.probesHash) revert ProbesMismatch(jobId);
    }

    function _claimable(ReceiptRound storage r, Receipt storage receipt) private view returns (uint256) {
        if (r.budget == 0 || !receipt.matched || receipt.claimed) return 0;
        // The last matching receipt takes what rounding left, so the budget is paid out exactly.
        if (r.claimed + 1 == r.matched) return r.budget - r.paid;
        return (uint256(r.budget) * receipt.weight) / r.matchedWeight;
    }
}
