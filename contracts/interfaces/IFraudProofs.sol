// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {OpenedLeaf} from "../types/JobTypes.sol";
import {ICreditLedger} from "./ICreditLedger.sol";

/// @title Objective fraud proofs against an opened job (PROTOCOL.md §4 Sample)
/// @notice Anyone who shows, with a Merkle proof against the trace root, a leaf that contradicts
/// what the provider claimed gets the provider slashed as if it had lost a dispute: the job ends as
/// Slashed, the payment is refunded, and the collateral is shared between the prover and the treasury.
/// Two contradictions are checkable on chain. Top-Q: at opening the market stores the smallest norm
/// m among the provider's Q claimed largest-update segments and how many of them (a) exceed m; an
/// honest claim means exactly a leaves of the whole trace exceed m, so a + 1 distinct leaves with
/// norms above m prove that a larger update was left out. Final digest: a last leaf that is not the
/// submitted model. Proofs are accepted while the job is Opened or Disputed (until it finalizes).
interface IFraudProofs is ICreditLedger {
    error FraudNotShown(uint256 jobId, uint256 index);
    error FraudInvalidProof(uint256 jobId);
    error FraudParameterOutOfBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max);

    /// @notice A provider was slashed on a fraud proof of `kind`.
    event FraudProven(
        uint256 indexed jobId,
        address indexed prover,
        uint256 index,
        bytes32 kind,
        uint256 slashed
    );
    /// @notice A governance parameter changed.
    event ParameterSet(bytes32 indexed parameter, uint256 value);

    /// @notice Slashes the provider given `topAbove + 1` distinct leaves (strictly increasing indices)
    /// whose update norms exceed the job's `minTopNorm`, with their multi-proof against the trace root.
    function proveTopQFraud(uint256 jobId, OpenedLeaf[] calldata leaves, bytes32[] calldata proof) external;

    /// @notice Slashes the provider if the last leaf is not the submitted final digest.
    function proveFinalDigestFraud(
        uint256 jobId,
        OpenedLeaf calldata leaf,
        bytes32[] calldata proof
    ) external;

    /// @notice Share of the slashed collateral paid to the prover, in basis points.
    function proverShareBps() external view returns (uint256);

    /// @notice Sets the prover's share. GOVERNOR_ROLE only.
    function setProverShareBps(uint256 value) external;
}
