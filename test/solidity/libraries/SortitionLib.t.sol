// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {SortitionLib} from "../../../contracts/libraries/SortitionLib.sol";
import {Test} from "../utils/Test.sol";

/// @notice SortitionLib against a naive model: random weight changes over several blocks (members
/// leaving and slots reused), then every past block's totals, prefixes, owners, member slots and
/// `find` compared with plain arrays kept per block.
contract SortitionLibTest is Test {
    using SortitionLib for SortitionLib.Tree;

    uint256 private constant MEMBERS = 12;
    uint256 private constant BLOCKS = 6;

    SortitionLib.Tree private _tree;

    /// @dev The model: each member's weight at the end of each block.
    uint256[MEMBERS][BLOCKS] private _weights;

    function _member(uint256 i) private pure returns (address) {
        return address(uint160(0x1000 + i));
    }

    function testFuzz_matchesNaiveModelAtEveryPastBlock(uint256 seed) public {
        uint256 first = 100;
        uint256[MEMBERS] memory now_;
        for (uint256 b; b < BLOCKS; ++b) {
            vm.roll(first + b);
            // Several changes per block, some to zero (leaving), some back (a reused slot).
            for (uint256 c; c < 8; ++c) {
                uint256 r = uint256(keccak256(abi.encode(seed, b, c)));
                uint256 i = r % MEMBERS;
                uint256 w = (r >> 8) % 4 == 0 ? 0 : 1 + ((r >> 16) % 1000);
                _tree.set(_member(i), w);
                now_[i] = w;
                assertEq(_tree.weightOf(_member(i)), w, "weight now");
            }
            _weights[b] = now_;
        }
        vm.roll(first + BLOCKS);
        for (uint256 b; b < BLOCKS; ++b) {
            uint48 at = uint48(first + b);
            uint256 total;
            for (uint256 i; i < MEMBERS; ++i) total += _weights[b][i];
            assertEq(_tree.totalAt(at), total, "total at a past block");
            // Each member with weight then: where its slot lay, its owner, and the range it covers.
            for (uint256 i; i < MEMBERS; ++i) {
                uint256 slot = _tree.slotAt(_member(i), at);
                if (_weights[b][i] == 0) {
                    assertEq(slot, 0, "no slot without weight");
                    continue;
                }
                assertTrue(slot != 0, "a slot with weight");
                assertEq(_tree.ownerAt(slot, at), _member(i), "owner at a past block");
                uint256 start = _tree.prefixAt(slot - 1, at);
                assertEq(_tree.prefixAt(slot, at) - start, _weights[b][i], "range width");
                (uint256 lo, address ownerLo) = _tree.find(start, at);
                (uint256 hi, address ownerHi) = _tree.find(start + _weights[b][i] - 1, at);
                assertEq(lo, slot, "find: first point of the range");
                assertEq(hi, slot, "find: last point of the range");
                assertEq(ownerLo, _member(i), "find: owner");
                assertEq(ownerHi, _member(i), "find: owner");
            }
        }
    }

    function test_freedSlotsAreReused() public {
        vm.roll(10);
        for (uint256 i; i < 4; ++i) _tree.set(_member(i), 5);
        vm.roll(11);
        _tree.set(_member(1), 0);
        _tree.set(_member(4), 7);
        assertEq(_tree.slotAt(_member(4), 11), 2, "the freed slot is reused");
        assertEq(_tree.ownerAt(2, 10), _member(1), "the old owner at the old block");
        assertEq(_tree.ownerAt(2, 11), _member(4), "the new owner at the new block");
        assertEq(_tree.slotAt(_member(1), 11), 0, "the old owner holds no slot");
        assertEq(_tree.slotAt(_member(1), 10), 2, "... but did before");
    }
}
