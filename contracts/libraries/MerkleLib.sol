// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Positional Merkle trees over trace leaves (docs/protocol.md §3)
/// @notice The tree is padded with zero leaves to a power of two; node = keccak256(left ‖ right);
/// leaf i (1-based) sits at position i − 1. Proofs carry exactly `depth` siblings, so an inner node
/// never passes as a leaf. The TypeScript twin is src/protocol/merkle.ts.
library MerkleLib {
    /// @notice Deepest tree supported (2^32 leaves).
    uint256 internal constant MAX_DEPTH = 32;

    error MerkleDepthTooLarge(uint256 depth);
    error MerklePositionOutOfRange(uint256 position, uint256 width);
    error MerklePositionsNotIncreasing(uint256 index);
    error MerkleProofLength(uint256 expected, uint256 provided);
    error MerkleLengthMismatch(uint256 positions, uint256 leaves);

    /// @notice ⌈log₂ leafCount⌉, the depth of the padded tree.
    function depthOf(uint256 leafCount) internal pure returns (uint256 depth) {
        while ((uint256(1) << depth) < leafCount) ++depth;
    }

    function hashPair(bytes32 left, bytes32 right) internal pure returns (bytes32 parent) {
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            parent := keccak256(0x00, 0x40)
        }
    }

    /// @notice Root computed from one leaf and its `depth` siblings (leaf level first).
    function rootFromProof(
        uint256 depth,
        uint256 position,
        bytes32 leaf,
        bytes32[] calldata proof
    ) internal pure returns (bytes32 node) {
        // INVARIANT: trees are at most MAX_DEPTH deep, so positions and loops stay bounded.
        if (depth > MAX_DEPTH) revert MerkleDepthTooLarge(depth);
        // INVARIANT: a proof has exactly `depth` siblings, so an inner node never passes as a leaf.
        if (proof.length != depth) revert MerkleProofLength(depth, proof.length);
        // INVARIANT: the position is inside the tree, so a proof verifies for one position only.
        if (position >> depth != 0) revert MerklePositionOutOfRange(position, uint256(1) << depth);
        node = leaf;
        for (uint256 d; d < depth; ++d) {
            node = (position >> d) & 1 == 1 ? hashPair(proof[d], node) : hashPair(node, proof[d]);
        }
    }

    /// @notice Root computed from leaves at strictly increasing positions and a multi-proof: the
    /// siblings that cannot be derived from the leaves, level by level from the bottom, left to right.
    /// @dev Overwrites `positions` and `nodes`. Cost is O(leaves · depth): both are bounded by callers.
    function rootFromMultiProof(
        uint256 depth,
        uint256[] memory positions,
        bytes32[] memory nodes,
        bytes32[] calldata proof
    ) internal pure returns (bytes32) {
        // INVARIANT: trees are at most MAX_DEPTH deep, so positions and loops stay bounded.
        if (depth > MAX_DEPTH) revert MerkleDepthTooLarge(depth);
        uint256 len = positions.length;
        // INVARIANT: at least one leaf, and one node per position.
        if (len == 0 || len != nodes.length) revert MerkleLengthMismatch(len, nodes.length);
        uint256 width = uint256(1) << depth;
        // INVARIANT: positions lie inside the tree and strictly increase: distinct leaves, in tree order.
        for (uint256 i; i < len; ++i) {
            if (positions[i] >= width) revert MerklePositionOutOfRange(positions[i], width);
            if (i > 0 && positions[i] <= positions[i - 1]) revert MerklePositionsNotIncreasing(i);
        }
        (uint256 used, bool short) = _foldLevels(depth, len, positions, nodes, proof);
        // INVARIANT: a short proof never yields a root.
        if (short) revert MerkleProofLength(used, proof.length);
        // INVARIANT: every sibling is consumed, so one root has exactly one valid proof per leaf set.
        if (used != proof.length) revert MerkleProofLength(used, proof.length);
        return nodes[0];
    }

    /// @dev Folds the known nodes level by level up to the root (left in nodes[0]); returns how many
    /// siblings were consumed and whether the proof ran short.
    // One assembly loop, long only because the formatter gives each Yul `for` header five lines.
    // solhint-disable-next-line function-max-lines
    function _foldLevels(
        uint256 depth,
        uint256 len,
        uint256[] memory positions,
        bytes32[] memory nodes,
        bytes32[] calldata proof
    ) private pure returns (uint256 used, bool short) {
        // Hot loop in assembly: O(leaves · depth) iterations whose checked-arithmetic and bounds-check
        // jumps cost more than the hashing. Indices stay below `len` ≤ positions.length, positions and
        // nodes are rewritten in place (w ≤ i), and siblings are read only below proof.length.
        assembly ("memory-safe") {
            let posData := add(positions, 0x20)
            let nodeData := add(nodes, 0x20)
            for {
                let d := 0
            } lt(d, depth) {
                d := add(d, 1)
            } {
                let w := 0
                for {
                    let i := 0
                } lt(i, len) {
                    i := add(i, 1)
                } {
                    let p := mload(add(posData, shl(5, i)))
                    let node := mload(add(nodeData, shl(5, i)))
                    let j := add(i, 1)
                    let pairs := 0
                    if and(iszero(and(p, 1)), lt(j, len)) {
                        pairs := eq(mload(add(posData, shl(5, j))), add(p, 1))
                    }
                    switch pairs
                    case 1 {
                        // Both children are known.
                        mstore(0x00, node)
                        mstore(0x20, mload(add(nodeData, shl(5, j))))
                        i := j
                    }
                    default {
                        let sibling := 0
                        switch lt(used, proof.length)
                        case 1 {
                            sibling := calldataload(add(proof.offset, shl(5, used)))
                        }
                        default {
                            short := 1
                        }
                        used := add(used, 1)
                        switch and(p, 1)
                        case 1 {
                            mstore(0x00, sibling)
                            mstore(0x20, node)
                        }
                        default {
                            mstore(0x00, node)
                            mstore(0x20, sibling)
                        }
                    }
                    mstore(add(posData, shl(5, w)), shr(1, p))
                    mstore(add(nodeData, shl(5, w)), keccak256(0x00, 0x40))
                    w := add(w, 1)
                }
                len := w
            }
        }
    }
}
