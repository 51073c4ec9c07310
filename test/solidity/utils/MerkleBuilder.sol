// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice Builds positional trace trees and their proofs in Solidity, the way src/protocol/merkle.ts
/// does: padded with zero leaves to a power of two, proofs from the leaf level up, multi-proof siblings
/// level by level, left to right. Tests use it to produce inputs for MerkleLib and for openSamples.
library MerkleBuilder {
    /// @dev levels[0] are the padded leaves, levels[depth][0] the root.
    function build(bytes32[] memory leaves) internal pure returns (bytes32[][] memory levels) {
        uint256 depth;
        while ((uint256(1) << depth) < leaves.length) ++depth;
        levels = new bytes32[][](depth + 1);
        uint256 width = uint256(1) << depth;
        levels[0] = new bytes32[](width);
        for (uint256 i; i < leaves.length; ++i) levels[0][i] = leaves[i];
        for (uint256 d; d < depth; ++d) {
            bytes32[] memory below = levels[d];
            bytes32[] memory level = new bytes32[](below.length / 2);
            for (uint256 i; i < level.length; ++i) {
                level[i] = keccak256(abi.encodePacked(below[2 * i], below[2 * i + 1]));
            }
            levels[d + 1] = level;
        }
    }

    function depthOf(bytes32[][] memory levels) internal pure returns (uint256) {
        return levels.length - 1;
    }

    function root(bytes32[][] memory levels) internal pure returns (bytes32) {
        return levels[levels.length - 1][0];
    }

    function rootOf(bytes32[] memory leaves) internal pure returns (bytes32) {
        return root(build(leaves));
    }

    function proof(
        bytes32[][] memory levels,
        uint256 position
    ) internal pure returns (bytes32[] memory siblings) {
        uint256 depth = levels.length - 1;
        siblings = new bytes32[](depth);
        for (uint256 d; d < depth; ++d) {
            siblings[d] = levels[d][position ^ 1];
            position >>= 1;
        }
    }

    /// @dev `positions` must strictly increase (the caller's job: this is a test helper).
    function multiProof(
        bytes32[][] memory levels,
        uint256[] memory positions
    ) internal pure returns (bytes32[] memory siblings) {
        uint256 depth = levels.length - 1;
        // At most one sibling per position per level.
        bytes32[] memory out = new bytes32[](positions.length * depth);
        uint256 used;
        uint256[] memory current = new uint256[](positions.length);
        for (uint256 i; i < positions.length; ++i) current[i] = positions[i];
        uint256 len = positions.length;
        for (uint256 d; d < depth; ++d) {
            uint256 w;
            for (uint256 i; i < len; ++i) {
                uint256 p = current[i];
                if (p & 1 == 0 && i + 1 < len && current[i + 1] == p + 1) {
                    ++i;
                } else {
                    out[used++] = levels[d][p ^ 1];
                }
                current[w++] = p >> 1;
            }
            len = w;
        }
        siblings = new bytes32[](used);
        for (uint256 i; i < used; ++i) siblings[i] = out[i];
    }
}
