// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title 16-ary dissection of a disputed step range (docs/protocol.md §6)
/// @notice The provider posts digests at up to POINTS_PER_MOVE interior points of [lo, hi]; the
/// challenger names the first sub-range it disputes. The TypeScript twin is
/// src/protocol/dissection.ts.
library DissectionLib {
    /// @notice Interior points per provider move: ⌈log₁₆ k⌉ rounds (3 at k = 1024 instead of 10
    /// halvings), each within the per-move gas budget.
    uint256 internal constant POINTS_PER_MOVE = 15;

    /// @notice How many interior points [lo, hi] gets (requires hi > lo).
    function pointCount(uint256 lo, uint256 hi) internal pure returns (uint256) {
        uint256 interior = hi - lo - 1;
        return interior < POINTS_PER_MOVE ? interior : POINTS_PER_MOVE;
    }

    /// @notice Interior point `j` (0-based) of [lo, hi] when it has `count` of them: evenly spread,
    /// strictly increasing, strictly inside (lo, hi).
    function point(uint256 lo, uint256 hi, uint256 count, uint256 j) internal pure returns (uint256) {
        return lo + ((hi - lo) * (j + 1)) / (count + 1);
    }

    /// @notice All interior points of [lo, hi].
    function points(uint256 lo, uint256 hi) internal pure returns (uint256[] memory steps) {
        if (hi <= lo + 1) return steps;
        uint256 count = pointCount(lo, hi);
        steps = new uint256[](count);
        for (uint256 j; j < count; ++j) steps[j] = point(lo, hi, count, j);
    }

    /// @notice The range after the challenger disputes sub-range `choice` (0 … count).
    function narrowed(
        uint256 lo,
        uint256 hi,
        uint256 choice
    ) internal pure returns (uint256 newLo, uint256 newHi) {
        uint256 count = pointCount(lo, hi);
        newLo = choice == 0 ? lo : point(lo, hi, count, choice - 1);
        newHi = choice < count ? point(lo, hi, count, choice) : hi;
    }
}
