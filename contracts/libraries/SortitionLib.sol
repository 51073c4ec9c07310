// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title Stake-weighted sortition with history
/// @notice Members hold weights in at most CAPACITY slots. A Fenwick tree sums them, and every node
/// (and every slot's owner) keeps its value per block, so a draw reads the tree as it stood at a
/// past block (its snapshot) whatever changed since: nobody can reshape the pool once a draw's
/// randomness is known. A member with zero weight holds no slot; a freed slot is reused, so the
/// slots in use are exactly the members with weight, however many came and went.
/// @dev Costs: `set` writes at most DEPTH + 1 nodes (and a slot's owner and its member's slot when
/// the slot changes hands); `find` reads DEPTH nodes and one owner, each in O(1) when nothing
/// changed since the snapshot (the latest checkpoint answers), O(log #recent checkpoints)
/// otherwise. Nothing is proportional to the number of members, past or present.
library SortitionLib {
    using Checkpoints for Checkpoints.Trace208;

    uint256 internal constant DEPTH = 16;
    /// @notice Members with weight at once (slots 1..CAPACITY).
    uint256 internal constant CAPACITY = 1 << DEPTH;

    /// @notice Every slot holds a member with weight.
    error SortitionFull(uint256 capacity);

    struct Tree {
        /// @dev Fenwick nodes 1..CAPACITY: node i sums the weights of slots (i − lowbit(i), i].
        mapping(uint256 node => Checkpoints.Trace208) sums;
        /// @dev Each slot's owner over time (an address as uint160). An owner changes only while
        /// the slot's weight is zero, so a slot with weight at a block had one owner then.
        mapping(uint256 slot => Checkpoints.Trace208) owners;
        mapping(address member => uint256 slot) slotOf;
        /// @dev Each member's slot over time (0: none), so a draw knows where a member's weight lay
        /// at its snapshot whatever the member did since.
        mapping(address member => Checkpoints.Trace208) slotHistory;
        mapping(uint256 slot => uint256 weight) weights;
        /// @dev Freed slots, reused first.
        uint256[] released;
        /// @dev Slots ever handed out: 1..assigned.
        uint256 assigned;
    }

    /// @notice Sets `member`'s weight from now on; zero frees its slot.
    function set(Tree storage t, address member, uint256 weight) internal {
        uint256 slot = t.slotOf[member];
        uint256 old = slot == 0 ? 0 : t.weights[slot];
        if (weight == old) return;
        uint48 now_ = SafeCast.toUint48(block.number);
        if (slot == 0) slot = _assign(t, member, now_);
        t.weights[slot] = weight;
        for (uint256 i = slot; i <= CAPACITY; i += i & (~i + 1)) {
            uint256 sum = t.sums[i].latest();
            t.sums[i].push(
                now_,
                SafeCast.toUint208(weight > old ? sum + (weight - old) : sum - (old - weight))
            );
        }
        if (weight == 0) {
            delete t.slotOf[member];
            t.slotHistory[member].push(now_, 0);
            t.released.push(slot);
        }
    }

    /// @notice `member`'s weight now.
    function weightOf(Tree storage t, address member) internal view returns (uint256) {
        uint256 slot = t.slotOf[member];
        return slot == 0 ? 0 : t.weights[slot];
    }

    /// @notice `member`'s weight at the end of block `at`: 2 · (DEPTH + 1) node reads at most.
    function weightAt(Tree storage t, address member, uint48 at) internal view returns (uint256) {
        uint256 slot = slotAt(t, member, at);
        return slot == 0 ? 0 : prefixAt(t, slot, at) - prefixAt(t, slot - 1, at);
    }

    /// @notice The slot `member` held at the end of block `at` (0: none).
    function slotAt(Tree storage t, address member, uint48 at) internal view returns (uint256) {
        return _at(t.slotHistory[member], at);
    }

    /// @notice The sum of all weights at the end of block `at`.
    function totalAt(Tree storage t, uint48 at) internal view returns (uint256) {
        return _at(t.sums[CAPACITY], at);
    }

    /// @notice The sum of the weights of slots 1..slot at the end of block `at`. DEPTH + 1 reads at most.
    function prefixAt(Tree storage t, uint256 slot, uint48 at) internal view returns (uint256 sum) {
        for (uint256 i = slot; i > 0; i -= i & (~i + 1)) sum += _at(t.sums[i], at);
    }

    /// @notice Who held slot `slot` at the end of block `at` (meaningful when it had weight then).
    function ownerAt(Tree storage t, uint256 slot, uint48 at) internal view returns (address) {
        return address(uint160(_at(t.owners[slot], at)));
    }

    /// @notice The slot that covers `point` (< totalAt(at)) on the line of weights laid end to end at
    /// block `at`, and its owner then: a member is found with probability weight / total.
    /// log2(slots ever assigned) ≤ DEPTH node reads: the peak number of verifiers with weight at
    /// once, not how many came and went.
    function find(
        Tree storage t,
        uint256 point,
        uint48 at
    ) internal view returns (uint256 slot, address owner) {
        // Weight lies only in slots 1..assigned (never fewer than at any past block), and the
        // Fenwick nodes up to a power of two form a tree of their own: descend from there.
        uint256 top = 1;
        while (top < t.assigned) top <<= 1;
        uint256 pos;
        for (uint256 bit = top >> 1; bit > 0; bit >>= 1) {
            uint256 sum = _at(t.sums[pos + bit], at);
            if (sum <= point) {
                pos += bit;
                point -= sum;
            }
        }
        slot = pos + 1;
        owner = ownerAt(t, slot, at);
    }

    function _assign(Tree storage t, address member, uint48 now_) private returns (uint256 slot) {
        uint256 count = t.released.length;
        if (count > 0) {
            slot = t.released[count - 1];
            t.released.pop();
        } else {
            // INVARIANT: slots stay within 1 … CAPACITY, the Fenwick tree's size.
            if (t.assigned == CAPACITY) revert SortitionFull(CAPACITY);
            slot = ++t.assigned;
        }
        t.slotOf[member] = slot;
        t.slotHistory[member].push(now_, uint208(slot));
        t.owners[slot].push(now_, uint208(uint160(member)));
    }

    /// @dev A node's value at the end of block `at`: the latest checkpoint when it is not newer
    /// (the usual case: a draw reads a recent snapshot), else a search of the recent ones.
    function _at(Checkpoints.Trace208 storage c, uint48 at) private view returns (uint256) {
        (bool exists, uint48 key, uint208 value) = c.latestCheckpoint();
        if (!exists) return 0;
        if (key <= at) return value;
        return c.upperLookupRecent(at);
    }
}
