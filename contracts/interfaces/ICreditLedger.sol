// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Pull payments
/// @notice Payouts are credited to their owner, who pulls them; nothing is pushed to an arbitrary address.
interface ICreditLedger {
    error CreditNone(address account);
    error CreditFeeOnTransferToken(uint256 expected, uint256 received);

    /// @notice `account` is owed `amount` more, from job or dispute `ref` (the contract's own ids:
    /// job ids in JobMarket and FraudProofs, dispute ids in DisputeGame); it pulls it with `claimCredit`.
    event Credited(address indexed account, uint256 indexed ref, uint256 amount);
    /// @notice `account` pulled its credit.
    event CreditClaimed(address indexed account, uint256 amount);

    /// @notice Pays out the caller's credit.
    function claimCredit() external returns (uint256 amount);

    /// @notice Credit waiting for `account`.
    function creditOf(address account) external view returns (uint256);
}
