// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ICreditLedger} from "./ICreditLedger.sol";
import {IReceipts} from "./IReceipts.sol";
import {JobId} from "../types/Ids.sol";
import {DisputeContext, DisputeStart, Job, JobParams, JobStatus, OpenedLeaf} from "../types/JobTypes.sol";

/// @title Escrowed training jobs with committed, sampled checkpoint traces (docs/protocol.md §4)
/// @notice A submitter escrows `amount` and posts a job; a staked provider accepts it by locking
/// collateral, trains, and submits the trace root over its checkpoint leaves; a future random seed
/// picks `samples` segments that the provider opens with Merkle proofs, together with its `topQ`
/// largest-update segments; after the challenge window the job finalizes and everyone pulls their
/// credit. A missed deadline expires the job: the payment returns to the submitter and, once the job
/// was accepted, the collateral is slashed between the submitter and the treasury.
interface IJobMarket is ICreditLedger {
    error JobNotFound(JobId jobId);
    error JobWrongStatus(JobId jobId, JobStatus status);
    error JobInvalidParameter(bytes32 parameter, uint256 value);
    error JobNotSubmitter(JobId jobId, address caller);
    error JobNotProvider(JobId jobId, address caller);
    error JobSubmitterCannotAccept(JobId jobId);
    error JobDeadlinePassed(JobId jobId, uint256 deadline);
    error JobDeadlineNotReached(JobId jobId, uint256 deadline);
    error JobDisputesOpen(JobId jobId, uint256 openDisputes);
    error JobProgressNotIncreasing(JobId jobId, uint256 progress, uint256 committed);
    error JobSeedUnavailable(JobId jobId, uint256 requestId);
    error JobOpeningMismatch(JobId jobId, uint256 position, uint256 index);
    error JobOpeningIncomplete(JobId jobId, uint256 expected, uint256 provided);
    error JobTopIndicesInvalid(JobId jobId, uint256 position, uint256 index);
    error JobInvalidProof(JobId jobId);
    /// @notice The provider owed probe digests (IReceipts) and missed their deadline: see `expire`.
    error JobProbesMissing(JobId jobId);
    error JobParameterOutOfBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max);

    /// @notice A job was posted and `amount` escrowed.
    event JobCreated(
        JobId indexed jobId,
        address indexed submitter,
        bytes32 specHash,
        uint256 amount,
        uint256 collateral
    );
    /// @notice The submitter withdrew an open job.
    event JobCancelled(JobId indexed jobId);
    /// @notice A provider locked collateral and must submit by `submitDeadline`.
    event JobAccepted(JobId indexed jobId, address indexed provider, uint256 submitDeadline);
    /// @notice The provider committed the root over its first `checkpoints` leaves.
    event ProgressCommitted(JobId indexed jobId, uint256 checkpoints, bytes32 partialRoot);
    /// @notice The provider committed the trace; `resultDigest` and `leavesDigest` are sha-256 digests of
    /// the final model and of the leaf preimage list (CIDv1 raw sha2-256 content addresses).
    event TraceSubmitted(
        JobId indexed jobId,
        bytes32 traceRoot,
        bytes32 finalDigest,
        bytes32 resultDigest,
        bytes32 leavesDigest,
        uint256 randomnessRequest,
        uint256 openDeadline
    );
    /// @notice The provider opened the sampled segments (`sampledSegments`) and its top-Q segments;
    /// challenges run until `challengeEnd`.
    event SamplesOpened(
        JobId indexed jobId,
        bytes32 seed,
        uint256[] topIndices,
        uint64 minTopNorm,
        uint256 challengeEnd
    );
    /// @notice The leaves `openSamples` opened, with their multi-proof against the trace root: what
    /// verifiers audit from (the checkpoint digests they name), and what a challenge may quote,
    /// whether or not the provider's trace manifest can be fetched.
    event LeavesOpened(JobId indexed jobId, OpenedLeaf[] leaves, bytes32[] proof);
    /// @notice The last open dispute on the job ended: the challenge window moved to `challengeEnd`,
    /// extended by the time disputes were open on it.
    event ChallengeWindowExtended(JobId indexed jobId, uint256 challengeEnd);
    /// @notice The job ended well: the provider is paid and its collateral released.
    event JobFinalized(JobId indexed jobId, uint256 providerPayment, uint256 budgetRefund);
    /// @notice A deadline was missed; `slashed` is the collateral taken from the provider (zero before accept).
    event JobExpired(JobId indexed jobId, JobStatus from, uint256 slashed);
    /// @notice A governance parameter changed.
    event ParameterSet(bytes32 indexed parameter, uint256 value);
    /// @notice A dispute on the job started (`openDisputes` counts those not yet resolved).
    event DisputeBegan(JobId indexed jobId, uint256 openDisputes);
    /// @notice A dispute on the job ended; `providerLost` slashes the job.
    event DisputeEnded(JobId indexed jobId, bool providerLost, uint256 openDisputes);
    /// @notice The provider was found cheating: the payment is refunded and the job ends as Slashed.
    event JobSlashed(JobId indexed jobId);

    /// @notice Posts a job and escrows `params.amount` from the caller (approve the market first).
    /// @dev Fee-on-transfer tokens are rejected.
    function createJob(JobParams calldata params) external returns (JobId jobId);

    /// @notice Withdraws an open job; the escrow is credited back to the submitter.
    function cancel(JobId jobId) external;

    /// @notice Accepts an open job, locking `collateral` of the caller's free provider stake.
    function accept(JobId jobId) external;

    /// @notice Commits the root over the first `checkpoints` leaves while training (progress signal).
    function commitProgress(JobId jobId, uint256 checkpoints, bytes32 partialRoot) external;

    /// @notice Commits the trace root over all n leaves and the final state digest; requests the seed.
    function submit(
        JobId jobId,
        bytes32 traceRoot,
        bytes32 finalDigest,
        bytes32 resultDigest,
        bytes32 leavesDigest
    ) external;

    /// @notice Opens the sampled segments and the claimed top-Q segments.
    /// @param leaves Every leaf i−1 (i ≥ 2) and i of each sampled and top-Q segment i, strictly
    /// increasing by index, each exactly once.
    /// @param topIndices The provider's `topQ` segments with the largest update norms, distinct.
    /// @param proof Positional multi-proof of `leaves` against the trace root (see MerkleLib).
    function openSamples(
        JobId jobId,
        OpenedLeaf[] calldata leaves,
        uint256[] calldata topIndices,
        bytes32[] calldata proof
    ) external;

    /// @notice Ends a job whose challenge window passed with no open dispute: the provider's payment
    /// is credited and the collateral released; the verification budget goes to the matching
    /// receipts (IReceipts), or back to the submitter when none matched. Reverts while the provider
    /// owes probe digests it did not publish in time (then the job expires). Anyone may call.
    function finalize(JobId jobId) external;

    /// @notice Expires a job whose current deadline passed (accept, submit or open), or an opened job
    /// whose provider missed the deadline of the probe digests it owed (IReceipts). Anyone may call.
    function expire(JobId jobId) external;

    /// @notice The stored job.
    function getJob(JobId jobId) external view returns (Job memory);

    /// @notice The q segment indices sampled for a submitted job, once the seed exists.
    function sampledSegments(JobId jobId) external view returns (uint256[] memory);

    /// @notice Whether `expire` would succeed now.
    function isExpirable(JobId jobId) external view returns (bool);

    /// @notice Number of jobs created; ids run from 1.
    function jobCount() external view returns (uint256);

    /// @notice The protocol token (the registry's).
    function token() external view returns (address);

    /// @notice The stake registry.
    function registry() external view returns (address);

    /// @notice The source of sample seeds.
    function randomnessSource() external view returns (address);

    /// @notice Receives the protocol's share of slashes.
    function treasury() external view returns (address);

    /// @notice The receipts contract (IReceipts) that pays verification; zero until set.
    function receipts() external view returns (address);

    /// @notice Minimum collateral, in basis points of the job amount.
    function minCollateralBps() external view returns (uint256);

    /// @notice Submitter's share of collateral slashed at expiry, in basis points.
    function expirySubmitterBps() external view returns (uint256);

    /// @notice Registers a dispute on an opened job during its challenge window; the job cannot
    /// finalize until every dispute has ended. DISPUTE_ROLE only.
    function beginDispute(JobId jobId) external returns (DisputeStart memory);

    /// @notice Ends a dispute. When the provider lost, the job is slashed (once): the submitter is
    /// credited the escrow back and the caller must slash the collateral. DISPUTE_ROLE only.
    /// @return slashedNow True when this call moved the job to Slashed.
    /// @return collateral The job's collateral, for the caller to slash when `slashedNow`.
    function endDispute(
        JobId jobId,
        bool providerLost
    ) external returns (bool slashedNow, uint256 collateral);

    /// @notice Slashes an opened (or disputed) job on an objective fraud proof checked by the caller.
    /// DISPUTE_ROLE only.
    function slashByFraudProof(JobId jobId) external returns (address provider, uint256 collateral);

    /// @notice What the dispute game needs to know about a job.
    function disputeContext(JobId jobId) external view returns (DisputeContext memory);

    /// @notice The parties of a job and its committee size (a cheaper subset of `disputeContext`).
    function disputeParties(
        JobId jobId
    ) external view returns (address submitter, address provider, uint256 committeeSize);

    /// @notice Sets the minimum collateral, in basis points of the job amount. GOVERNOR_ROLE only.
    function setMinCollateralBps(uint256 value) external;

    /// @notice Sets the submitter's share of collateral slashed at expiry, in bps. GOVERNOR_ROLE only.
    function setExpirySubmitterBps(uint256 value) external;

    /// @notice Sets the treasury that receives the protocol's share of slashes. GOVERNOR_ROLE only.
    function setTreasury(address value) external;

    /// @notice Sets the receipts contract, once. GOVERNOR_ROLE only.
    function setReceipts(IReceipts value) external;
}
