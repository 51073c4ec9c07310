// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";

import {IStakeRegistry} from "../interfaces/IStakeRegistry.sol";
import {StakeRole} from "../types/StakeTypes.sol";

/// @notice Test attacker: one verifier address that stakes `amount` and, if `leave`, asks to unstake
/// it all at once — a dead entry that cost only gas (and an unbonding delay).
contract SybilVerifier {
    constructor(IStakeRegistry registry, IERC20 token, uint256 amount, bool leave) {
        token.approve(address(registry), amount);
        registry.stake(StakeRole.Verifier, amount);
        if (leave) registry.requestUnstake(StakeRole.Verifier, amount);
    }
}

/// @notice Test attacker: creates sybil verifiers in batches, funded from its own token balance.
contract SybilVerifiers {
    using SafeERC20 for IERC20;

    event Created(address sybil);

    uint256 private _created;

    /// @notice Creates `count` sybils staking `amount` each (dead ones if `leave`).
    function create(
        IStakeRegistry registry,
        IERC20 token,
        uint256 amount,
        uint256 count,
        bool leave
    ) external returns (address[] memory sybils) {
        sybils = new address[](count);
        for (uint256 i; i < count; ++i) {
            // The sybil's address is known before it exists (CREATE2): fund it, then create it.
            bytes32 salt = bytes32(++_created);
            bytes memory code = abi.encodePacked(
                type(SybilVerifier).creationCode,
                abi.encode(registry, token, amount, leave)
            );
            token.safeTransfer(Create2.computeAddress(salt, keccak256(code)), amount);
            sybils[i] = Create2.deploy(0, salt, code);
            emit Created(sybils[i]);
        }
    }
}
