// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {DissectionLib} from "../../../contracts/libraries/DissectionLib.sol";
import {Test} from "../utils/Test.sol";

/// @notice Exposes DissectionLib's internal functions as external calls, so the fuzz tests go through
/// the ABI the way DisputeGame's callers see the result (`pointsOf`).
contract DissectionLibHarness {
    function pointCount(uint256 lo, uint256 hi) external pure returns (uint256) {
        return DissectionLib.pointCount(lo, hi);
    }

    function point(uint256 lo, uint256 hi, uint256 count, uint256 j) external pure returns (uint256) {
        return DissectionLib.point(lo, hi, count, j);
    }

    function points(uint256 lo, uint256 hi) external pure returns (uint256[] memory) {
        return DissectionLib.points(lo, hi);
    }

    function narrowed(uint256 lo, uint256 hi, uint256 choice) external pure returns (uint256, uint256) {
        return DissectionLib.narrowed(lo, hi, choice);
    }
}

/// @notice 16-ary dissection (docs/protocol.md §6): for any range [lo, hi] that a dispute can hold (steps
/// are uint32 in storage), the provider is asked for min(15, hi − lo − 1) strictly increasing interior
/// points, every challenger choice narrows to a strictly smaller sub-range bounded by posted points,
/// and any sequence of choices reaches one step in ⌈log₁₆(hi − lo)⌉ + 1 rounds at most.
contract DissectionLibTest is Test {
    /// @dev Dispute.lo/hi are uint32 and a segment has at most 2^32 − 1 steps; 2^32 keeps the bound.
    uint256 private constant MAX_STEP = 1 << 32;
    uint256 private constant POINTS = 15;

    DissectionLibHarness private harness;

    function setUp() public {
        harness = new DissectionLibHarness();
    }

    /// @dev lo < hi ≤ 2^32, with half of the runs on short ranges, where the rounding matters most.
    function _range(uint256 loSeed, uint256 widthSeed) private pure returns (uint256 lo, uint256 hi) {
        uint256 maxWidth = widthSeed % 2 == 0 ? 64 : MAX_STEP;
        uint256 width = bound(widthSeed >> 1, 1, maxWidth);
        lo = bound(loSeed, 0, MAX_STEP - width);
        hi = lo + width;
    }

    function testFuzz_pointCount_isMinOf15AndInterior(uint256 loSeed, uint256 widthSeed) public view {
        (uint256 lo, uint256 hi) = _range(loSeed, widthSeed);
        uint256 interior = hi - lo - 1;
        assertEq(harness.pointCount(lo, hi), interior < POINTS ? interior : POINTS, "pointCount");
        assertEq(harness.points(lo, hi).length, interior < POINTS ? interior : POINTS, "points length");
    }

    function testFuzz_points_strictlyIncreasingInsideRange(uint256 loSeed, uint256 widthSeed) public view {
        (uint256 lo, uint256 hi) = _range(loSeed, widthSeed);
        uint256[] memory steps = harness.points(lo, hi);
        uint256 previous = lo;
        for (uint256 j; j < steps.length; ++j) {
            assertGt(steps[j], previous, "point not above lo or the previous point");
            assertEq(steps[j], harness.point(lo, hi, steps.length, j), "points[j] != point(j)");
            previous = steps[j];
        }
        assertTrue(steps.length == 0 || steps[steps.length - 1] < hi, "last point not below hi");
    }

    /// @dev Every choice 0 … count yields lo ≤ newLo < newHi ≤ hi, bounded by lo/hi or posted points,
    /// narrower than before; choices tile the range: sub-range c ends where c + 1 starts.
    function testFuzz_narrowed_subRangeOfPostedPoints(uint256 loSeed, uint256 widthSeed) public view {
        (uint256 lo, uint256 hi) = _range(loSeed, widthSeed);
        vm.assume(hi - lo > 1);
        uint256[] memory steps = harness.points(lo, hi);
        uint256 count = steps.length;
        for (uint256 choice; choice <= count; ++choice) {
            (uint256 newLo, uint256 newHi) = harness.narrowed(lo, hi, choice);
            assertLe(lo, newLo, "newLo below lo");
            assertGt(newHi, newLo, "empty sub-range");
            assertLe(newHi, hi, "newHi above hi");
            assertGt(hi - lo, newHi - newLo, "width did not shrink");
            assertEq(newLo, choice == 0 ? lo : steps[choice - 1], "newLo is not lo or a posted point");
            assertEq(newHi, choice == count ? hi : steps[choice], "newHi is not hi or a posted point");
        }
    }

    /// @dev One fuzzed choice per round (taken modulo count + 1, so every choice is reachable):
    /// width 1 within ⌈log₁₆ w⌉ + 1 rounds, the loop bounded so that a stuck range fails, not hangs.
    function testFuzz_narrowed_reachesOneStepInLogRounds(
        uint256 loSeed,
        uint256 widthSeed,
        uint256[12] memory choices
    ) public view {
        (uint256 lo, uint256 hi) = _range(loSeed, widthSeed);
        uint256 limit = _ceilLog16(hi - lo) + 1;
        uint256 rounds;
        while (hi - lo > 1) {
            assertLe(rounds, choices.length - 1, "more rounds than the test has choices");
            uint256 choice = choices[rounds] % (harness.pointCount(lo, hi) + 1);
            uint256 width = hi - lo;
            (lo, hi) = harness.narrowed(lo, hi, choice);
            assertGt(width, hi - lo, "width did not shrink");
            ++rounds;
        }
        assertEq(hi - lo, 1, "did not end on one step");
        assertLe(rounds, limit, "more rounds than ceil(log16 w) + 1");
    }

    /// @dev The adversarial path: always the widest sub-range (the last one, which takes the rounding
    /// remainder). Even then the count stays within the bound.
    function testFuzz_narrowed_widestPathWithinBound(uint256 loSeed, uint256 widthSeed) public view {
        (uint256 lo, uint256 hi) = _range(loSeed, widthSeed);
        uint256 limit = _ceilLog16(hi - lo) + 1;
        uint256 rounds;
        while (hi - lo > 1 && rounds <= limit) {
            uint256 count = harness.pointCount(lo, hi);
            uint256 bestLo;
            uint256 bestHi;
            for (uint256 c; c <= count; ++c) {
                (uint256 a, uint256 b) = harness.narrowed(lo, hi, c);
                if (b - a > bestHi - bestLo) (bestLo, bestHi) = (a, b);
            }
            (lo, hi) = (bestLo, bestHi);
            ++rounds;
        }
        assertEq(hi - lo, 1, "widest path did not reach one step within the bound");
    }

    /// @dev Differential: the library against the textbook formula, written independently —
    /// p_j = lo + ⌊(j + 1)·(hi − lo) / (count + 1)⌋, sub-range c = [p_{c−1}, p_c] with p_{−1} = lo,
    /// p_count = hi.
    function testFuzz_matchesNaiveReference(
        uint256 loSeed,
        uint256 widthSeed,
        uint256 choiceSeed
    ) public view {
        (uint256 lo, uint256 hi) = _range(loSeed, widthSeed);
        uint256 count;
        for (uint256 s = lo + 1; s < hi && count < POINTS; ++s) ++count;
        uint256[] memory expected = new uint256[](count + 2);
        expected[0] = lo;
        for (uint256 j; j < count; ++j) expected[j + 1] = lo + ((j + 1) * (hi - lo)) / (count + 1);
        expected[count + 1] = hi;

        uint256[] memory steps = harness.points(lo, hi);
        assertEq(steps.length, count, "count differs from the reference");
        for (uint256 j; j < count; ++j)
            assertEq(steps[j], expected[j + 1], "point differs from the reference");
        if (hi - lo > 1) {
            uint256 choice = choiceSeed % (count + 1);
            (uint256 newLo, uint256 newHi) = harness.narrowed(lo, hi, choice);
            assertEq(newLo, expected[choice], "newLo differs from the reference");
            assertEq(newHi, expected[choice + 1], "newHi differs from the reference");
        }
    }

    /// @dev Known values: k = 1024 takes 3 rounds (docs/protocol.md §6), 16 takes 1, 17 takes 2.
    function test_knownWidths_roundCounts() public view {
        assertEq(_worstRounds(1024), 3, "k = 1024");
        assertEq(_worstRounds(16), 1, "k = 16");
        assertEq(_worstRounds(17), 2, "k = 17");
        assertEq(_worstRounds(2), 1, "k = 2");
        assertEq(_worstRounds(1), 0, "k = 1");
        uint256[] memory steps = harness.points(0, 32);
        assertEq(steps.length, 15, "k = 32 points");
        assertEq(steps[0], 2, "k = 32 first point");
        assertEq(steps[14], 30, "k = 32 last point");
    }

    function _worstRounds(uint256 width) private view returns (uint256 rounds) {
        uint256 lo;
        uint256 hi = width;
        while (hi - lo > 1) {
            (lo, hi) = harness.narrowed(lo, hi, harness.pointCount(lo, hi));
            ++rounds;
        }
    }

    /// @dev ⌈log₁₆ w⌉ for w ≥ 1, by counting: the smallest r with 16^r ≥ w.
    function _ceilLog16(uint256 w) private pure returns (uint256 r) {
        uint256 p = 1;
        while (p < w) {
            p *= 16;
            ++r;
        }
    }
}
