// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {JobId} from "../types/Ids.sol";
import {Probes, Receipt, ReceiptRound} from "../types/ReceiptTypes.sol";

/// @title Paid verification by receipts (docs/protocol.md §5, docs/receipts.md)
/// @notice Honest checking earns the job's verification budget. When a job with k > 1 and a
/// non-zero budget opens, a receipt round starts; with C its challenge window and t the open:
/// - until t + C/2, a verifier with committee weight at the open's block commits to the roots of
///   the state digests after every step inside each sampled segment (one Merkle root per segment,
///   over steps 1..k − 1), bound to its address;
/// - then anyone requests the probe randomness, and by t + 3C/4 the provider publishes, for each
///   sampled segment, the probe step drawn inside it and the digest after that step (a claim a
///   state dispute can contest, IDisputeGame.revealProbeChallenge);
/// - until t + C, a verifier reveals its roots and proves each published digest at its probe step.
/// Rounds open only when C/4 is at least `minPublishWindow`; weights are read at the block before the
/// open. While commits run, no dissection of the job's disputes may start (DisputeGame), so nobody
/// can make the provider post interior digests a lazy verifier would copy.
/// At finalize the budget is shared by snapshot weight among the matching receipts (none: it
/// returns to the submitter). Probe steps are drawn after the commitments, so a receipt is paid
/// only with the probability that the verifier computed the probed steps: skipping a fraction of
/// the work loses about that fraction of the pay. A provider that does not publish the probes it
/// owes misses a deadline, and the job expires (JobMarket.expire).
interface IReceipts {
    error ReceiptsOnlyMarket(address caller);
    error ReceiptsNotOffered(JobId jobId);
    error ReceiptsTooEarly(JobId jobId, uint256 from);
    error ReceiptsTooLate(JobId jobId, uint256 until);
    error ReceiptPartyCannotCommit(JobId jobId, address account);
    error ReceiptNotEligible(JobId jobId, address verifier);
    error ReceiptExists(JobId jobId, address verifier);
    error ReceiptUnknown(JobId jobId, address verifier);
    error ReceiptCommitmentMismatch(JobId jobId, address verifier);
    error ReceiptDigestMismatch(JobId jobId, uint256 segment);
    error ReceiptNothingToClaim(JobId jobId, address verifier);
    error ProbesNotRequested(JobId jobId);
    error ProbesAlreadyRequested(JobId jobId);
    error ProbesNotDue(JobId jobId);
    error ProbesRandomnessPending(JobId jobId, uint256 requestId);
    error ProbesNotProvider(JobId jobId, address caller);
    error ProbesAlreadyPublished(JobId jobId);
    error ProbesNotPublished(JobId jobId);
    error ProbesMismatch(JobId jobId);
    error ProbesNotSampled(JobId jobId, uint256 segment);

    /// @notice A receipt round began: commits until `commitEnd`, probes by `publishEnd`, reveals
    /// until `revealEnd`, weights as of block `snapshot`.
    event ReceiptsOpened(
        JobId indexed jobId,
        uint256 snapshot,
        uint256 commitEnd,
        uint256 publishEnd,
        uint256 revealEnd
    );
    event ReceiptCommitted(JobId indexed jobId, address indexed verifier, uint256 weight);
    event ProbesRequested(JobId indexed jobId, uint256 requestId);
    event ProbesPublished(JobId indexed jobId, uint256[] segments, uint256[] steps, bytes32[] digests);
    event ReceiptMatched(JobId indexed jobId, address indexed verifier, uint256 weight);
    /// @notice At finalize: `budget` goes to the matching receipts (0: none matched, it returned to
    /// the submitter).
    event ReceiptsSettled(JobId indexed jobId, uint256 budget, uint256 matchedWeight);
    event ReceiptPaid(JobId indexed jobId, address indexed verifier, uint256 amount);

    /// @notice JobMarket, when job `jobId` opens with k > 1 and a non-zero budget: its window, k, n,
    /// q and sample seed (kept, so the probes never depend on a block hash that expired).
    function open(
        JobId jobId,
        uint256 challengeWindow,
        uint256 checkpointInterval,
        uint256 checkpoints,
        uint256 samples,
        bytes32 seed
    ) external;

    /// @notice The job's sampled segments (the market's `sampledSegments`, from the kept seed).
    function segmentsOf(JobId jobId) external view returns (uint256[] memory);

    /// @notice Commits a receipt: `commitment` = keccak256(abi.encode(jobId, roots, salt, msg.sender)),
    /// `roots[s]` the Merkle root (MerkleLib) over leaves keccak256(abi.encode(segment, step,
    /// digest)) for steps 1..k − 1 of the s-th sampled segment. One per verifier and job.
    function commitReceipt(JobId jobId, bytes32 commitment) external;

    /// @notice Requests the randomness that draws the probe steps, once the commit phase is over and
    /// some receipt was committed. Anyone may call; again only when the value of the previous request
    /// can no longer be read (BlockhashRandomness: 256 blocks, unless someone recorded it).
    function requestProbes(JobId jobId) external;

    /// @notice The provider publishes the digest after each probe step (`probeSteps` gives them),
    /// in `sampledSegments` order.
    function publishProbes(JobId jobId, bytes32[] calldata digests) external;

    /// @notice Reveals a receipt and proves that each published probe digest is in its root at its
    /// step. `proofs[s]` is the Merkle proof for segment s. Reverts on any mismatch.
    function revealReceipt(
        JobId jobId,
        bytes32[] calldata roots,
        bytes32 salt,
        Probes calldata probes,
        bytes32[][] calldata proofs
    ) external;

    /// @notice JobMarket, at finalize: whether the matching receipts take `budget` (then JobMarket
    /// transfers it here), or it returns to the submitter.
    function settle(JobId jobId, uint256 budget) external returns (bool toReceipts);

    /// @notice Pays the caller's share of a settled budget: budget · weight / matchedWeight.
    function claimReceipt(JobId jobId) external returns (uint256 amount);

    /// @notice Whether the provider owes probes and missed their deadline.
    function probesMissed(JobId jobId) external view returns (bool);

    /// @notice The probe step and the provider's digest for `segment`, from the published `probes`.
    function probeOf(
        JobId jobId,
        uint256 segment,
        Probes calldata probes
    ) external view returns (uint256 step, bytes32 digest);

    /// @notice The probe step of each sampled segment, once the probe randomness is known.
    function probeSteps(
        JobId jobId
    ) external view returns (uint256[] memory segments, uint256[] memory steps);

    /// @notice The end of the job's commit phase (0: the job has no receipt round). DisputeGame holds
    /// back dissections until then, so no digest inside a segment is on chain while receipts commit.
    function commitEnd(JobId jobId) external view returns (uint256);

    function roundOf(JobId jobId) external view returns (ReceiptRound memory);

    function receiptOf(JobId jobId, address verifier) external view returns (Receipt memory);

    /// @notice What `verifier` would be paid for job `jobId` now (0 when nothing is claimable).
    function claimable(JobId jobId, address verifier) external view returns (uint256);
}
