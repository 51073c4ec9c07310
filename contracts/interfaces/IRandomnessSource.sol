// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title A source of randomness that nobody can predict when it is requested
/// @notice The job market asks for a value at submission and reads it when samples are opened.
/// The default is a future block hash (BlockhashRandomness); a VRF adapter implements the same
/// interface, keeping request ids below 2^32 (a counter or a block number; the dispute game stores
/// them in 32 bits, the job market in 48).
interface IRandomnessSource {
    /// @notice Asks for a value that does not exist yet.
    /// @return requestId Identifies the request; must fit in 32 bits.
    function request() external returns (uint256 requestId);

    /// @notice The value of a request, or zero while it is not (or no longer) available.
    function randomness(uint256 requestId) external view returns (bytes32 value);
}
