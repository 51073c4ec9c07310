// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice Test fixture: a call whose gas grows with a number anyone may raise. A transaction whose
/// gas was estimated before another raised it, and mined after, runs out of gas, as a stake does
/// when other verifiers' stakes move the sortition tree between its estimate and its block.
contract GasHog {
    error TooManyRounds(uint256 rounds, uint256 max);

    /// @notice Hash rounds each `burn` does.
    uint256 public rounds;
    /// @notice Completed `burn` calls.
    uint256 public burns;
    bytes32 public last;

    function setRounds(uint256 n) external {
        rounds = n;
    }

    /// @notice Hashes `rounds` times; reverts TooManyRounds when `rounds` exceeds `max`.
    function burn(uint256 max) external {
        uint256 n = rounds;
        if (n > max) revert TooManyRounds(n, max);
        bytes32 h = last;
        for (uint256 i; i < n; ++i) h = keccak256(abi.encode(h, i));
        last = h;
        burns += 1;
    }
}
