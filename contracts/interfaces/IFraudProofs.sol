// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {JobId} from "../types/Ids.sol";
import {OpenedLeaf} from "../types/JobTypes.sol";
import {ICreditLedger} from "./ICreditLedger.sol";

/// @title Objective fraud proofs against an opened job (docs/protocol.md §4 Sample)
/// @notice Anyone who shows, with a Merkle proof against the trace root, a leaf that contradicts
/// what the provider claimed gets the provider slashed as if it had lost a dispute: the job ends as
/// Slashed, the payment is refunded, and the collateral is shared between the prover and the treasury.
/// Two contradictions are checkable on chain. Top-Q: at opening the market stores the smallest norm
/// m among the provider's Q claimed largest-update segments and how many of them (a) exceed m; an
/// honest claim means exactly a leaves of the whole trace exceed m, so a + 1 distinct leaves with
/// norms above m prove that a larger update was left out. Final digest: a last leaf that is not the
/// submitted model. Proofs are accepted while the job is Opened or Disputed (until it finalizes).
///
/// A proof is committed first — keccak256(abi.encode(kind, jobId, evidence, salt, prover)), where
/// `evidence` hashes the leaves and the proof (`topQEvidence`, `finalDigestEvidence`) — and revealed
/// at least one block later by the same address, so a proof seen in the mempool cannot be copied by
/// another sender. The job's provider and submitter cannot prove fraud on it.
interface IFraudProofs is ICreditLedger {
    error FraudNotShown(JobId jobId, uint256 index);
    error FraudInvalidProof(JobId jobId);
    error FraudParameterOutOfBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max);
    error FraudCommitmentUnknown(bytes32 commitment);
    error FraudCommitmentTooRecent(bytes32 commitment, uint256 committedAt);
    error FraudCommitmentExists(bytes32 commitment);
    error FraudPartyCannotProve(JobId jobId, address account);

    /// @notice A provider was slashed on a fraud proof of `kind`.
    event FraudProven(
        JobId indexed jobId,
        address indexed prover,
        uint256 index,
        bytes32 kind,
        uint256 slashed
    );
    /// @notice A fraud proof was committed (its content stays hidden until the reveal).
    event FraudCommitted(bytes32 indexed commitment, address indexed prover);
    /// @notice A governance parameter changed.
    event ParameterSet(bytes32 indexed parameter, uint256 value);

    /// @notice Commits to a fraud proof (see the contract notice for the commitment).
    function commitProof(bytes32 commitment) external;

    /// @notice Reveals a committed proof: slashes the provider given `topAbove + 1` distinct leaves
    /// (strictly increasing indices) whose update norms exceed the job's `minTopNorm`, with their
    /// multi-proof against the trace root.
    function proveTopQFraud(
        JobId jobId,
        OpenedLeaf[] calldata leaves,
        bytes32[] calldata proof,
        bytes32 salt
    ) external;

    /// @notice Reveals a committed proof: slashes the provider if the last leaf is not the
    /// submitted final digest.
    function proveFinalDigestFraud(
        JobId jobId,
        OpenedLeaf calldata leaf,
        bytes32[] calldata proof,
        bytes32 salt
    ) external;

    /// @notice keccak256(abi.encode(leaves, proof)): the evidence a top-Q commitment binds.
    function topQEvidence(
        OpenedLeaf[] calldata leaves,
        bytes32[] calldata proof
    ) external pure returns (bytes32);

    /// @notice keccak256(abi.encode(leaf, proof)): the evidence a final-digest commitment binds.
    function finalDigestEvidence(
        OpenedLeaf calldata leaf,
        bytes32[] calldata proof
    ) external pure returns (bytes32);

    /// @notice Share of the slashed collateral paid to the prover, in basis points.
    function proverShareBps() external view returns (uint256);

    /// @notice Sets the prover's share. GOVERNOR_ROLE only.
    function setProverShareBps(uint256 value) external;
}
