// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {MerkleLib} from "../libraries/MerkleLib.sol";
import {SamplerLib} from "../libraries/SamplerLib.sol";
import {TraceLib} from "../libraries/TraceLib.sol";
import {JobId} from "../types/Ids.sol";

/// @notice Exposes the pure protocol libraries so TypeScript tests can check them against src/protocol.
contract ProtocolLibHarness {
    function leafHash(
        JobId jobId,
        uint256 index,
        bytes32 stateDigest,
        uint64 lossBits,
        uint64 updateNorm
    ) external pure returns (bytes32) {
        return TraceLib.leafHash(jobId, index, stateDigest, lossBits, updateNorm);
    }

    function depthOf(uint256 leafCount) external pure returns (uint256) {
        return MerkleLib.depthOf(leafCount);
    }

    function rootFromProof(
        uint256 depth,
        uint256 position,
        bytes32 leaf,
        bytes32[] calldata proof
    ) external pure returns (bytes32) {
        return MerkleLib.rootFromProof(depth, position, leaf, proof);
    }

    // MerkleLib overwrites both arrays in place, so they must be memory.
    // solhint-disable-next-line gas-calldata-parameters
    function rootFromMultiProof(
        uint256 depth,
        uint256[] memory positions,
        bytes32[] memory nodes,
        bytes32[] calldata proof
    ) external pure returns (bytes32) {
        return MerkleLib.rootFromMultiProof(depth, positions, nodes, proof);
    }

    function jobSeed(bytes32 randomness, JobId jobId) external pure returns (bytes32) {
        return SamplerLib.jobSeed(randomness, jobId);
    }

    function sample(bytes32 seed, uint256 n, uint256 q) external pure returns (uint256[] memory) {
        return SamplerLib.sample(seed, n, q);
    }
}
