// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {SamplerLib} from "../../../contracts/libraries/SamplerLib.sol";
import {ProtocolLibHarness} from "../../../contracts/mocks/ProtocolLibHarness.sol";
import {JobId} from "../../../contracts/types/Ids.sol";
import {Test} from "../utils/Test.sol";

/// @notice SamplerLib draws q distinct indices in [1, n] with bounded gas (docs/protocol.md §4 Sample).
contract SamplerLibTest is Test {
    uint256 private constant MAX_N = 1 << 20; // JobMarket.MAX_CHECKPOINTS
    uint256 private constant MAX_Q = 32; // JobMarket.MAX_SAMPLES
    /// @dev Measured 94,690 gas for q = 32 through the harness (call, ABI encoding of the result
    /// included); the bound leaves room for compiler changes but fails on a rejection loop or worse.
    uint256 private constant GAS_BOUND_Q32 = 150_000;

    ProtocolLibHarness private harness;

    function setUp() public {
        harness = new ProtocolLibHarness();
    }

    function _counts(uint256 nSeed, uint256 qSeed) private pure returns (uint256 n, uint256 q) {
        n = bound(nSeed, 1, MAX_N);
        q = bound(qSeed, 0, n < MAX_Q ? n : MAX_Q);
    }

    function testFuzz_sample_distinctIndicesInRange(bytes32 seed, uint256 nSeed, uint256 qSeed) public pure {
        (uint256 n, uint256 q) = _counts(nSeed, qSeed);
        uint256[] memory picked = SamplerLib.sample(seed, n, q);
        assertEq(picked.length, q, "one index per draw");
        for (uint256 i; i < q; ++i) {
            assertGe(picked[i], 1, "index below 1");
            assertLe(picked[i], n, "index above n");
            for (uint256 j; j < i; ++j) assertTrue(picked[i] != picked[j], "index drawn twice");
        }
    }

    function testFuzz_sample_matchesNaiveReference(bytes32 seed, uint256 nSeed, uint256 qSeed) public pure {
        (uint256 n, uint256 q) = _counts(nSeed, qSeed);
        uint256[] memory picked = SamplerLib.sample(seed, n, q);
        uint256[] memory expected = _naiveFloyd(seed, n, q);
        for (uint256 i; i < q; ++i) assertEq(picked[i], expected[i], "differs from the reference");
    }

    /// @dev q = n must draw every index exactly once: a permutation of 1..n.
    function testFuzz_sample_fullDrawIsPermutation(bytes32 seed, uint256 nSeed) public pure {
        uint256 n = bound(nSeed, 1, MAX_Q);
        uint256[] memory picked = SamplerLib.sample(seed, n, n);
        uint256 seen;
        for (uint256 i; i < n; ++i) seen |= uint256(1) << picked[i];
        assertEq(seen, ((uint256(1) << (n + 1)) - 1) & ~uint256(1), "not every index of 1..n drawn");
    }

    function testFuzz_sample_gasBounded(bytes32 seed, uint256 nSeed) public view {
        uint256 n = bound(nSeed, MAX_Q, MAX_N);
        uint256 before = gasleft();
        harness.sample(seed, n, MAX_Q);
        uint256 used = before - gasleft();
        assertLe(used, GAS_BOUND_Q32, "sampling 32 segments costs too much gas");
    }

    function test_sample_zeroCheckpoints_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(SamplerLib.SamplerInvalidCount.selector, 0, 0));
        harness.sample(bytes32(0), 0, 0);
    }

    function testFuzz_sample_moreDrawsThanCheckpoints_reverts(uint256 nSeed, uint256 extra) public {
        uint256 n = bound(nSeed, 1, MAX_N);
        uint256 q = n + bound(extra, 1, 64);
        vm.expectRevert(abi.encodeWithSelector(SamplerLib.SamplerInvalidCount.selector, n, q));
        harness.sample(keccak256("seed"), n, q);
    }

    function test_sample_zeroDraws_isEmpty() public pure {
        assertEq(SamplerLib.sample(keccak256("seed"), 7, 0).length, 0, "q = 0 draws nothing");
    }

    /// @dev A coarse uniformity check with fixed seeds (deterministic, so it cannot flake): over 1,600
    /// draws of 3 out of 8, every index is expected 600 times; an off-by-one that never draws 1 or n,
    /// or a bias towards the fallback m, lands far outside [450, 750] (≈ 7 standard deviations).
    function test_sample_roughlyUniform() public pure {
        uint256[9] memory hits;
        for (uint256 s; s < 1600; ++s) {
            uint256[] memory picked = SamplerLib.sample(keccak256(abi.encode("uniform", s)), 8, 3);
            for (uint256 i; i < 3; ++i) ++hits[picked[i]];
        }
        for (uint256 i = 1; i <= 8; ++i) {
            assertGe(hits[i], 450, "index drawn too rarely");
            assertLe(hits[i], 750, "index drawn too often");
        }
    }

    function testFuzz_jobSeed_bindsRandomnessToJob(bytes32 randomness, uint256 jobId) public pure {
        assertEq(
            SamplerLib.jobSeed(randomness, JobId.wrap(jobId)),
            keccak256(abi.encodePacked(randomness, bytes32(jobId))),
            "jobSeed is keccak256(abi.encode(randomness, jobId))"
        );
    }

    /// @dev Floyd's algorithm as docs/protocol.md and src/protocol/sampler.ts state it, written without
    /// sharing code with the library: packed encoding, a separate membership scan.
    function _naiveFloyd(bytes32 seed, uint256 n, uint256 q) private pure returns (uint256[] memory out) {
        out = new uint256[](q);
        for (uint256 j; j < q; ++j) {
            uint256 m = n - q + 1 + j;
            uint256 draw = uint256(keccak256(abi.encodePacked(seed, bytes32(j))));
            uint256 t = (draw % m) + 1;
            out[j] = _contains(out, j, t) ? m : t;
        }
    }

    function _contains(uint256[] memory values, uint256 len, uint256 x) private pure returns (bool) {
        for (uint256 i; i < len; ++i) if (values[i] == x) return true;
        return false;
    }
}
