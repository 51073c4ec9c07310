// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {TraceLib} from "../../../contracts/libraries/TraceLib.sol";
import {JobId} from "../../../contracts/types/Ids.sol";
import {Test} from "../utils/Test.sol";

/// @notice TraceLib.leafHash is keccak256(abi.encode(jobId, i, h_i, lossBits_i, updateNorm_i)) (docs/protocol.md §3).
contract TraceLibTest is Test {
    function testFuzz_leafHash_equalsAbiEncode(
        uint256 jobId,
        uint256 index,
        bytes32 stateDigest,
        uint64 lossBits,
        uint64 updateNorm
    ) public pure {
        assertEq(
            TraceLib.leafHash(JobId.wrap(jobId), index, stateDigest, lossBits, updateNorm),
            keccak256(abi.encode(jobId, index, stateDigest, lossBits, updateNorm)),
            "leaf hash differs from keccak256(abi.encode(...))"
        );
    }

    /// @dev The library hashes in scratch memory past the free pointer: it must neither move the
    /// pointer nor touch memory already allocated.
    function testFuzz_leafHash_leavesMemoryIntact(
        uint256 jobId,
        bytes32 stateDigest,
        uint64 norm
    ) public pure {
        bytes32[] memory before = new bytes32[](3);
        before[0] = stateDigest;
        before[1] = bytes32(jobId);
        before[2] = bytes32(uint256(norm));
        uint256 freeBefore;
        uint256 freeAfter;
        assembly ("memory-safe") {
            freeBefore := mload(0x40)
        }
        TraceLib.leafHash(JobId.wrap(jobId), 1, stateDigest, type(uint64).max, norm);
        assembly ("memory-safe") {
            freeAfter := mload(0x40)
        }
        assertEq(freeAfter, freeBefore, "free memory pointer moved");
        assertEq(before[0], stateDigest, "allocated memory overwritten");
        assertEq(before[1], bytes32(jobId), "allocated memory overwritten");
        assertEq(before[2], bytes32(uint256(norm)), "allocated memory overwritten");
    }

    function testFuzz_leafHash_everyFieldMatters(
        uint256 jobId,
        uint256 index,
        bytes32 digest,
        uint64 loss
    ) public pure {
        bytes32 leaf = TraceLib.leafHash(JobId.wrap(jobId), index, digest, loss, 7);
        assertTrue(leaf != TraceLib.leafHash(JobId.wrap(jobId ^ 1), index, digest, loss, 7), "jobId ignored");
        assertTrue(leaf != TraceLib.leafHash(JobId.wrap(jobId), index ^ 1, digest, loss, 7), "index ignored");
        assertTrue(
            leaf != TraceLib.leafHash(JobId.wrap(jobId), index, digest ^ bytes32(uint256(1)), loss, 7),
            "digest ignored"
        );
        assertTrue(
            leaf != TraceLib.leafHash(JobId.wrap(jobId), index, digest, loss ^ 1, 7),
            "lossBits ignored"
        );
        assertTrue(
            leaf != TraceLib.leafHash(JobId.wrap(jobId), index, digest, loss, 6),
            "updateNorm ignored"
        );
    }
}
