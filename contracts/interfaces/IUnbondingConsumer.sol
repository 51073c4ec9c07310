// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title A contract whose safety needs stake to stay slashable for a while after it leaves
/// @notice StakeRegistry refuses an unbonding delay shorter than any registered consumer requires,
/// so governance on either side cannot open a window in which stake escapes a slash it is owed.
interface IUnbondingConsumer {
    /// @notice The shortest unbonding delay, in seconds, this contract is safe with now.
    function requiredUnbondingDelay() external view returns (uint256);
}
