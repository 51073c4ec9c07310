// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice Stake is held per (account, role): one address may be provider and verifier at once.
enum StakeRole {
    None,
    Provider,
    Verifier
}

/// @notice One stake account. `locked` is job collateral; `unbonding` waits for `unlockAt`.
struct StakeAccount {
    uint128 free;
    uint128 locked;
    uint128 unbonding;
    uint64 unlockAt;
    bool ejected;
}
