// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {JobId} from "../types/Ids.sol";

/// @title Trace leaves (docs/protocol.md §3)
/// @notice leaf_i = keccak256(abi.encode(jobId, i, h_i, lossBits_i, updateNorm_i)). The TypeScript
/// twin is src/protocol/leaf.ts; test/vectors/ holds vectors both sides check.
library TraceLib {
    function leafHash(
        JobId jobId,
        uint256 index,
        bytes32 stateDigest,
        uint64 lossBits,
        uint64 updateNorm
    ) internal pure returns (bytes32 leaf) {
        // Same bytes as keccak256(abi.encode(...)), without allocating memory per leaf.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, jobId)
            mstore(add(ptr, 0x20), index)
            mstore(add(ptr, 0x40), stateDigest)
            mstore(add(ptr, 0x60), and(lossBits, 0xffffffffffffffff))
            mstore(add(ptr, 0x80), and(updateNorm, 0xffffffffffffffff))
            leaf := keccak256(ptr, 0xa0)
        }
    }
}
