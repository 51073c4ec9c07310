// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {JobId} from "../types/Ids.sol";

/// @title Segment sampling (docs/protocol.md §4)
/// @notice q distinct segment indices in [1, n], uniformly, by Floyd's algorithm: exactly q draws and
/// no rejection loop, so gas is bounded by q². The TypeScript twin is src/protocol/sampler.ts.
library SamplerLib {
    error SamplerInvalidCount(uint256 n, uint256 q);

    /// @notice The per-job seed: the randomness source's value bound to the job id.
    function jobSeed(bytes32 randomness, JobId jobId) internal pure returns (bytes32) {
        return keccak256(abi.encode(randomness, jobId));
    }

    /// @notice for j < q: m = n − q + 1 + j; t = 1 + keccak256(abi.encode(seed, j)) mod m;
    /// take t unless already taken, else m. Modulo bias is below 2^−224 for n < 2^32.
    function sample(bytes32 seed, uint256 n, uint256 q) internal pure returns (uint256[] memory picked) {
        // INVARIANT: q distinct segments out of n ≥ 1 exist (Floyd's algorithm needs q ≤ n).
        if (n == 0 || q > n) revert SamplerInvalidCount(n, q);
        picked = new uint256[](q);
        for (uint256 j; j < q; ++j) {
            uint256 m = n - q + 1 + j;
            uint256 t = 1 + (uint256(keccak256(abi.encode(seed, j))) % m);
            for (uint256 i; i < j; ++i) {
                if (picked[i] == t) {
                    t = m;
                    break;
                }
            }
            picked[j] = t;
        }
    }
}
