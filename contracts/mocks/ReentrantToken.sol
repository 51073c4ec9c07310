// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Test token that, once armed, calls back into `target` with `payload` during a transfer,
/// as a malicious token would. Records whether the reentrant call succeeded.
contract ReentrantToken is ERC20 {
    address public reentryTarget;
    bytes public payload;
    bool public reentered;
    bool public reentrySucceeded;
    bytes public reentryError;

    constructor() ERC20("Reentrant Token", "REE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the callback for the next transfer.
    function arm(address target_, bytes calldata payload_) external {
        reentryTarget = target_;
        payload = payload_;
        reentered = false;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (reentryTarget != address(0) && !reentered) {
            reentered = true;
            // The arbitrary callback is the point of this mock.
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory err) = reentryTarget.call(payload);
            reentrySucceeded = ok;
            reentryError = err;
        }
    }
}
