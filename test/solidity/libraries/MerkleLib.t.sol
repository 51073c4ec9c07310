// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {MerkleLib} from "../../../contracts/libraries/MerkleLib.sol";
import {ProtocolLibHarness} from "../../../contracts/mocks/ProtocolLibHarness.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {Test} from "../utils/Test.sol";

/// @notice MerkleLib against trees built in Solidity from fuzzed leaves: every honest proof verifies,
/// every tampered one is rejected (docs/protocol.md §3).
contract MerkleLibTest is Test {
    uint256 private constant MAX_LEAVES = 64;

    ProtocolLibHarness private harness;

    function setUp() public {
        harness = new ProtocolLibHarness();
    }

    // ------------------------------------------------------------- builders

    function _leaves(bytes32 salt, uint256 n) private pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) leaves[i] = keccak256(abi.encode(salt, i));
    }

    /// @dev Positions of the set bits of `mask` below n; one position drawn from `mask` when none is set.
    function _positions(uint256 mask, uint256 n) private pure returns (uint256[] memory positions) {
        uint256 bits = n == 256 ? mask : mask & ((uint256(1) << n) - 1);
        if (bits == 0) bits = uint256(1) << (mask % n);
        uint256 count;
        for (uint256 b = bits; b != 0; b &= b - 1) ++count;
        positions = new uint256[](count);
        uint256 k;
        for (uint256 p; p < n; ++p) if ((bits >> p) & 1 == 1) positions[k++] = p;
    }

    function _pick(
        bytes32[] memory leaves,
        uint256[] memory positions
    ) private pure returns (bytes32[] memory nodes) {
        nodes = new bytes32[](positions.length);
        for (uint256 i; i < positions.length; ++i) nodes[i] = leaves[positions[i]];
    }

    struct Multi {
        bytes32[][] levels;
        uint256 depth;
        bytes32 root;
        uint256[] positions;
        bytes32[] nodes;
        bytes32[] proof;
    }

    function _multi(bytes32 salt, uint256 nSeed, uint256 mask) private pure returns (Multi memory m) {
        uint256 n = bound(nSeed, 1, MAX_LEAVES);
        bytes32[] memory leaves = _leaves(salt, n);
        m.levels = MerkleBuilder.build(leaves);
        m.depth = MerkleBuilder.depthOf(m.levels);
        m.root = MerkleBuilder.root(m.levels);
        m.positions = _positions(mask, n);
        m.nodes = _pick(leaves, m.positions);
        m.proof = MerkleBuilder.multiProof(m.levels, m.positions);
    }

    function _copy(uint256[] memory a) private pure returns (uint256[] memory b) {
        b = new uint256[](a.length);
        for (uint256 i; i < a.length; ++i) b[i] = a[i];
    }

    function _copy(bytes32[] memory a) private pure returns (bytes32[] memory b) {
        b = new bytes32[](a.length);
        for (uint256 i; i < a.length; ++i) b[i] = a[i];
    }

    /// @dev The harness may revert (a malformed proof) or return a root; either way not `root`.
    function _multiRejected(
        Multi memory m,
        uint256[] memory positions,
        bytes32[] memory nodes,
        bytes32[] memory proof
    ) private view returns (bool) {
        try harness.rootFromMultiProof(m.depth, positions, nodes, proof) returns (bytes32 r) {
            return r != m.root;
        } catch {
            return true;
        }
    }

    // ------------------------------------------------------------- honest proofs

    function testFuzz_depthOf_isCeilLog2(uint256 nSeed) public pure {
        uint256 n = bound(nSeed, 1, uint256(1) << 32);
        uint256 depth = MerkleLib.depthOf(n);
        assertGe(uint256(1) << depth, n, "tree too shallow");
        if (depth > 0) assertTrue((uint256(1) << (depth - 1)) < n, "tree too deep");
    }

    function testFuzz_singleProof_everyLeafVerifies(bytes32 salt, uint256 nSeed) public view {
        uint256 n = bound(nSeed, 1, MAX_LEAVES);
        bytes32[] memory leaves = _leaves(salt, n);
        bytes32[][] memory levels = MerkleBuilder.build(leaves);
        uint256 depth = MerkleBuilder.depthOf(levels);
        assertEq(harness.depthOf(n), depth, "depth");
        bytes32 root = MerkleBuilder.root(levels);
        for (uint256 p; p < n; ++p) {
            bytes32 got = harness.rootFromProof(depth, p, leaves[p], MerkleBuilder.proof(levels, p));
            assertEq(got, root, "an honest single proof failed");
        }
    }

    function testFuzz_multiProof_verifies(bytes32 salt, uint256 nSeed, uint256 mask) public view {
        Multi memory m = _multi(salt, nSeed, mask);
        assertEq(
            harness.rootFromMultiProof(m.depth, m.positions, m.nodes, m.proof),
            m.root,
            "honest multi-proof failed"
        );
    }

    /// @dev With one leaf the multi-proof is the single proof.
    function testFuzz_multiProof_ofOneLeafIsItsSingleProof(
        bytes32 salt,
        uint256 nSeed,
        uint256 pSeed
    ) public pure {
        uint256 n = bound(nSeed, 1, MAX_LEAVES);
        bytes32[][] memory levels = MerkleBuilder.build(_leaves(salt, n));
        uint256[] memory positions = new uint256[](1);
        positions[0] = bound(pSeed, 0, n - 1);
        bytes32[] memory multi = MerkleBuilder.multiProof(levels, positions);
        bytes32[] memory single = MerkleBuilder.proof(levels, positions[0]);
        assertEq(multi.length, single.length, "length");
        for (uint256 i; i < single.length; ++i) assertEq(multi[i], single[i], "sibling");
    }

    /// @dev Padding leaves are zero and provable as such: it is the market, not the library, that
    /// refuses to open indices beyond n.
    function testFuzz_paddingLeafIsZero(bytes32 salt, uint256 nSeed) public view {
        uint256 n = bound(nSeed, 3, MAX_LEAVES);
        bytes32[][] memory levels = MerkleBuilder.build(_leaves(salt, n));
        uint256 width = levels[0].length;
        vm.assume(width > n);
        bytes32 got = harness.rootFromProof(
            levels.length - 1,
            width - 1,
            bytes32(0),
            MerkleBuilder.proof(levels, width - 1)
        );
        assertEq(got, MerkleBuilder.root(levels), "padding");
    }

    // ------------------------------------------------------------- tampered single proofs

    function testFuzz_singleProof_flippedLeafBit_rejected(
        bytes32 salt,
        uint256 nSeed,
        uint256 pSeed,
        uint8 bit
    ) public view {
        uint256 n = bound(nSeed, 1, MAX_LEAVES);
        bytes32[] memory leaves = _leaves(salt, n);
        bytes32[][] memory levels = MerkleBuilder.build(leaves);
        uint256 p = bound(pSeed, 0, n - 1);
        bytes32 tampered = leaves[p] ^ bytes32(uint256(1) << bit);
        bytes32 got = harness.rootFromProof(levels.length - 1, p, tampered, MerkleBuilder.proof(levels, p));
        assertTrue(got != MerkleBuilder.root(levels), "a flipped leaf bit verified");
    }

    function testFuzz_singleProof_flippedSiblingBit_rejected(
        bytes32 salt,
        uint256 nSeed,
        uint256 pSeed,
        uint256 dSeed,
        uint8 bit
    ) public view {
        uint256 n = bound(nSeed, 2, MAX_LEAVES);
        bytes32[] memory leaves = _leaves(salt, n);
        bytes32[][] memory levels = MerkleBuilder.build(leaves);
        uint256 p = bound(pSeed, 0, n - 1);
        bytes32[] memory proof = MerkleBuilder.proof(levels, p);
        uint256 d = bound(dSeed, 0, proof.length - 1);
        proof[d] ^= bytes32(uint256(1) << bit);
        assertTrue(
            harness.rootFromProof(proof.length, p, leaves[p], proof) != MerkleBuilder.root(levels),
            "a flipped sibling bit verified"
        );
    }

    function testFuzz_singleProof_flippedPositionBit_rejected(
        bytes32 salt,
        uint256 nSeed,
        uint256 pSeed,
        uint256 bSeed
    ) public view {
        uint256 n = bound(nSeed, 2, MAX_LEAVES);
        bytes32[] memory leaves = _leaves(salt, n);
        bytes32[][] memory levels = MerkleBuilder.build(leaves);
        uint256 depth = levels.length - 1;
        uint256 p = bound(pSeed, 0, n - 1);
        uint256 moved = p ^ (uint256(1) << bound(bSeed, 0, depth - 1));
        bytes32 got = harness.rootFromProof(depth, moved, leaves[p], MerkleBuilder.proof(levels, p));
        assertTrue(got != MerkleBuilder.root(levels), "a leaf verified at another position");
    }

    function testFuzz_singleProof_positionOutsideTree_reverts(
        bytes32 salt,
        uint256 nSeed,
        uint256 high
    ) public {
        uint256 n = bound(nSeed, 1, MAX_LEAVES);
        bytes32[][] memory levels = MerkleBuilder.build(_leaves(salt, n));
        uint256 depth = levels.length - 1;
        uint256 width = uint256(1) << depth;
        uint256 p = bound(high, width, type(uint256).max);
        bytes32[] memory proof = MerkleBuilder.proof(levels, 0);
        vm.expectRevert(abi.encodeWithSelector(MerkleLib.MerklePositionOutOfRange.selector, p, width));
        harness.rootFromProof(depth, p, levels[0][0], proof);
    }

    function testFuzz_singleProof_extraElement_reverts(bytes32 salt, uint256 nSeed, bytes32 extra) public {
        uint256 n = bound(nSeed, 1, MAX_LEAVES);
        bytes32[][] memory levels = MerkleBuilder.build(_leaves(salt, n));
        uint256 depth = levels.length - 1;
        bytes32[] memory proof = MerkleBuilder.proof(levels, 0);
        bytes32[] memory longer = new bytes32[](depth + 1);
        for (uint256 i; i < depth; ++i) longer[i] = proof[i];
        longer[depth] = extra;
        vm.expectRevert(abi.encodeWithSelector(MerkleLib.MerkleProofLength.selector, depth, depth + 1));
        harness.rootFromProof(depth, 0, levels[0][0], longer);
    }

    /// @dev A proof one element short is a proof of an inner node: refused by length, never hashed.
    function testFuzz_singleProof_missingElement_reverts(bytes32 salt, uint256 nSeed) public {
        uint256 n = bound(nSeed, 2, MAX_LEAVES);
        bytes32[][] memory levels = MerkleBuilder.build(_leaves(salt, n));
        uint256 depth = levels.length - 1;
        bytes32[] memory proof = MerkleBuilder.proof(levels, 0);
        bytes32[] memory shorter = new bytes32[](depth - 1);
        for (uint256 i = 1; i < depth; ++i) shorter[i - 1] = proof[i];
        vm.expectRevert(abi.encodeWithSelector(MerkleLib.MerkleProofLength.selector, depth, depth - 1));
        harness.rootFromProof(depth, 0, levels[1][0], shorter);
    }

    function test_depthAboveMax_reverts() public {
        bytes32[] memory proof = new bytes32[](33);
        vm.expectRevert(abi.encodeWithSelector(MerkleLib.MerkleDepthTooLarge.selector, 33));
        harness.rootFromProof(33, 0, bytes32(0), proof);
        uint256[] memory positions = new uint256[](1);
        bytes32[] memory nodes = new bytes32[](1);
        vm.expectRevert(abi.encodeWithSelector(MerkleLib.MerkleDepthTooLarge.selector, 33));
        harness.rootFromMultiProof(33, positions, nodes, proof);
    }

    // ------------------------------------------------------------- tampered multi-proofs

    function testFuzz_multiProof_flippedLeafBit_rejected(
        bytes32 salt,
        uint256 nSeed,
        uint256 mask,
        uint256 k,
        uint8 bit
    ) public view {
        Multi memory m = _multi(salt, nSeed, mask);
        bytes32[] memory nodes = _copy(m.nodes);
        nodes[bound(k, 0, nodes.length - 1)] ^= bytes32(uint256(1) << bit);
        assertTrue(_multiRejected(m, _copy(m.positions), nodes, m.proof), "a flipped leaf bit verified");
    }

    function testFuzz_multiProof_flippedSiblingBit_rejected(
        bytes32 salt,
        uint256 nSeed,
        uint256 mask,
        uint256 k,
        uint8 bit
    ) public view {
        Multi memory m = _multi(salt, nSeed, mask);
        vm.assume(m.proof.length > 0);
        bytes32[] memory proof = _copy(m.proof);
        proof[bound(k, 0, proof.length - 1)] ^= bytes32(uint256(1) << bit);
        assertTrue(
            _multiRejected(m, _copy(m.positions), _copy(m.nodes), proof),
            "a flipped sibling bit verified"
        );
    }

    function testFuzz_multiProof_flippedPositionBit_rejected(
        bytes32 salt,
        uint256 nSeed,
        uint256 mask,
        uint256 k,
        uint8 bit
    ) public view {
        Multi memory m = _multi(salt, nSeed, mask);
        uint256[] memory positions = _copy(m.positions);
        positions[bound(k, 0, positions.length - 1)] ^= uint256(1) << bit;
        assertTrue(_multiRejected(m, positions, _copy(m.nodes), m.proof), "a moved leaf verified");
    }

    function testFuzz_multiProof_extraElement_reverts(
        bytes32 salt,
        uint256 nSeed,
        uint256 mask,
        bytes32 extra
    ) public {
        Multi memory m = _multi(salt, nSeed, mask);
        bytes32[] memory longer = new bytes32[](m.proof.length + 1);
        for (uint256 i; i < m.proof.length; ++i) longer[i] = m.proof[i];
        longer[m.proof.length] = extra;
        vm.expectRevert(
            abi.encodeWithSelector(MerkleLib.MerkleProofLength.selector, m.proof.length, m.proof.length + 1)
        );
        harness.rootFromMultiProof(m.depth, m.positions, m.nodes, longer);
    }

    function testFuzz_multiProof_missingElement_reverts(
        bytes32 salt,
        uint256 nSeed,
        uint256 mask,
        uint256 k
    ) public {
        Multi memory m = _multi(salt, nSeed, mask);
        vm.assume(m.proof.length > 0);
        uint256 drop = bound(k, 0, m.proof.length - 1);
        bytes32[] memory shorter = new bytes32[](m.proof.length - 1);
        for (uint256 i; i < shorter.length; ++i) shorter[i] = m.proof[i < drop ? i : i + 1];
        assertTrue(_multiRejected(m, _copy(m.positions), _copy(m.nodes), shorter), "a short proof verified");
        // Whatever sibling is dropped, the verifier runs out of siblings before the root.
        vm.expectRevert(
            abi.encodeWithSelector(MerkleLib.MerkleProofLength.selector, m.proof.length, m.proof.length - 1)
        );
        harness.rootFromMultiProof(m.depth, m.positions, m.nodes, shorter);
    }

    function testFuzz_multiProof_nonIncreasingPositions_reverts(
        bytes32 salt,
        uint256 nSeed,
        uint256 mask,
        uint256 k
    ) public {
        Multi memory m = _multi(salt, nSeed, mask);
        vm.assume(m.positions.length > 1);
        uint256 i = bound(k, 1, m.positions.length - 1);
        uint256[] memory positions = _copy(m.positions);
        // Either a repeat of the previous position or a swap with it.
        if (k % 2 == 0) {
            positions[i] = positions[i - 1];
        } else {
            (positions[i], positions[i - 1]) = (positions[i - 1], positions[i]);
        }
        vm.expectRevert(abi.encodeWithSelector(MerkleLib.MerklePositionsNotIncreasing.selector, i));
        harness.rootFromMultiProof(m.depth, positions, m.nodes, m.proof);
    }

    function testFuzz_multiProof_lengthMismatch_reverts(bytes32 salt, uint256 nSeed, uint256 mask) public {
        Multi memory m = _multi(salt, nSeed, mask);
        bytes32[] memory nodes = new bytes32[](m.nodes.length + 1);
        vm.expectRevert(
            abi.encodeWithSelector(MerkleLib.MerkleLengthMismatch.selector, m.positions.length, nodes.length)
        );
        harness.rootFromMultiProof(m.depth, m.positions, nodes, m.proof);
    }

    function test_multiProof_empty_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(MerkleLib.MerkleLengthMismatch.selector, 0, 0));
        harness.rootFromMultiProof(3, new uint256[](0), new bytes32[](0), new bytes32[](0));
    }
}
