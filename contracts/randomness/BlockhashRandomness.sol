// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";

/// @title Randomness from the hash of a block that did not exist at request time
/// @notice `request()` names block `number + delay`; its hash becomes readable once that block is
/// mined and stays readable for 256 blocks — anyone can `record` it to keep it for good. Whoever
/// builds that block can bias the value: withhold the block, or choose among many hashes by its
/// contents (extraData, transaction order). Swap in a VRF adapter where that matters.
contract BlockhashRandomness is IRandomnessSource {
    error RandomnessInvalidDelay(uint256 delay);
    error RandomnessNotAvailable(uint256 requestId);

    event RandomnessRecorded(uint256 indexed requestId, bytes32 value);

    /// @notice Blocks between a request and the block whose hash answers it.
    uint256 public immutable delay;

    mapping(uint256 requestId => bytes32 value) private _recorded;

    constructor(uint256 delay_) {
        // INVARIANT: the answering block does not exist at request time (a zero delay would use a hash
        // the requester could already see) and its hash stays readable a while (256 is the EVM's horizon).
        if (delay_ == 0 || delay_ > 128) revert RandomnessInvalidDelay(delay_);
        delay = delay_;
    }

    /// @inheritdoc IRandomnessSource
    function request() external view returns (uint256 requestId) {
        return block.number + delay;
    }

    /// @inheritdoc IRandomnessSource
    function randomness(uint256 requestId) public view returns (bytes32 value) {
        value = _recorded[requestId];
        if (value == bytes32(0) && requestId < block.number) value = blockhash(requestId);
    }

    /// @notice Stores the hash of block `requestId` while the EVM still serves it. Anyone may call.
    function record(uint256 requestId) external returns (bytes32 value) {
        value = randomness(requestId);
        // INVARIANT: only a real block hash is recorded; zero means "not available" everywhere.
        if (value == bytes32(0)) revert RandomnessNotAvailable(requestId);
        if (_recorded[requestId] == bytes32(0)) {
            _recorded[requestId] = value;
            emit RandomnessRecorded(requestId, value);
        }
    }
}
