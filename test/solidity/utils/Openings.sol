// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {OpenedLeaf} from "../../../contracts/types/JobTypes.sol";
import {MerkleBuilder} from "./MerkleBuilder.sol";

/// @notice The leaves a challenge of one segment quotes (DisputeGame.revealChallenge), with their
/// multi-proof: leaf segment − 1 (none for segment 1) and leaf segment of a trace.
library Openings {
    function segment(
        OpenedLeaf[] memory leaves,
        bytes32[] memory hashes,
        uint256 index
    ) internal pure returns (OpenedLeaf[] memory opened, bytes32[] memory proof) {
        uint256 count = index == 1 ? 1 : 2;
        opened = new OpenedLeaf[](count);
        uint256[] memory positions = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            positions[i] = index - count + i;
            opened[i] = leaves[positions[i]];
        }
        proof = MerkleBuilder.multiProof(MerkleBuilder.build(hashes), positions);
    }
}
