// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {BlockhashRandomness} from "../../../contracts/randomness/BlockhashRandomness.sol";
import {Test} from "./Test.sol";

/// @notice What the random-walk handlers share: the chain clock, kept as ghost state and re-applied
/// before every action (the invariant runner resets it between calls), and the call accounting the
/// invariant tests read — a call the model says must succeed and reverts is an `unexpectedReverts`,
/// one that must fail and succeeds a `forbiddenSuccesses`; the first of either is kept.
abstract contract Walk is Test {
    uint256 public ghostTime;
    uint256 public ghostBlock;

    uint256 public unexpectedReverts;
    uint256 public forbiddenSuccesses;
    string public firstFailureAction;
    bytes public firstFailureData;
    mapping(bytes32 action => uint256 count) public done;

    constructor() {
        ghostTime = block.timestamp;
        ghostBlock = block.number;
    }

    modifier syncClock() {
        vm.warp(ghostTime);
        vm.roll(ghostBlock);
        _;
    }

    /// @dev Moves the clock to `t`, never backwards.
    function _setTime(uint256 t) internal {
        if (t > ghostTime) ghostTime = t;
        vm.warp(ghostTime);
    }

    function _roll(uint256 number) internal {
        ghostBlock = number;
        vm.roll(number);
    }

    /// @dev Mines past block `number` and gives it a hash while the EVM would still serve one.
    function _ensureBlockHash(BlockhashRandomness randomness, uint256 number) internal {
        if (ghostBlock <= number) _roll(number + 1);
        if (randomness.randomness(number) == bytes32(0) && ghostBlock - number <= 256) {
            vm.setBlockhash(number, keccak256(abi.encode("block", number)));
        }
    }

    function _done(bytes32 action) internal {
        ++done[action];
    }

    function _unexpected(string memory action, bytes memory err) internal {
        if (unexpectedReverts == 0 && forbiddenSuccesses == 0) {
            firstFailureAction = action;
            firstFailureData = err;
        }
        ++unexpectedReverts;
    }

    function _forbidden(string memory action) internal {
        if (unexpectedReverts == 0 && forbiddenSuccesses == 0) firstFailureAction = action;
        ++forbiddenSuccesses;
    }
}
