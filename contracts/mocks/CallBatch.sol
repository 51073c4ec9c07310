// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice Test attacker: makes several calls in one transaction, in the order given, and reverts
/// with the first failing call's error. Any contract or batching wallet can do this, so one
/// transaction may move several disputes (or a dispute and a job) at once; the explorer must tell
/// from the events themselves which dispute each slash belongs to (docs/explorer.md).
contract CallBatch {
    struct Call {
        address target;
        bytes data;
    }

    /// @notice Makes `calls` in order, as this contract.
    function run(Call[] calldata calls) external {
        for (uint256 i; i < calls.length; ++i) {
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory reason) = calls[i].target.call(calls[i].data);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(reason, 32), mload(reason))
                }
            }
        }
    }
}
