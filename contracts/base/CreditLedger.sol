// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";

/// @title CreditLedger
/// @notice Credits pulled by their owners, and exact pulls that refuse fee-on-transfer tokens.
abstract contract CreditLedger is ICreditLedger, ReentrancyGuard {
    using SafeERC20 for IERC20;

    IERC20 internal immutable _token;
    mapping(address account => uint256 amount) private _credits;

    constructor(IERC20 token_) {
        _token = token_;
    }

    /// @inheritdoc ICreditLedger
    function claimCredit() external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender];
        // INVARIANT: a claim pays only credit owed to its caller, and zeroes it before the transfer.
        if (amount == 0) revert CreditNone(msg.sender);
        _credits[msg.sender] = 0;
        emit CreditClaimed(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ICreditLedger
    function creditOf(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @dev Owes `account` `amount` more, from job or dispute `ref`; nothing moves until it pulls.
    function _credit(address account, uint256 ref, uint256 amount) internal {
        if (amount == 0) return;
        _credits[account] += amount;
        emit Credited(account, ref, amount);
    }

    /// @dev Pulls exactly `amount`; a token that delivers less (fee on transfer) is refused.
    function _pull(address from, uint256 amount) internal {
        uint256 before = _token.balanceOf(address(this));
        _token.safeTransferFrom(from, address(this), amount);
        uint256 received = _token.balanceOf(address(this)) - before;
        // INVARIANT: the balance grows by exactly the amount booked, so solvency stays a plain sum.
        if (received != amount) revert CreditFeeOnTransferToken(amount, received);
    }
}
