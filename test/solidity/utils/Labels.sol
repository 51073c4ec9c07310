// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice Text for assertion messages: a walk's action names and counts, revert data.
library Labels {
    /// @dev A bytes32 action name without its trailing zeros.
    function name(bytes32 action) internal pure returns (string memory) {
        uint256 len;
        while (len < 32 && action[len] != 0) ++len;
        bytes memory out = new bytes(len);
        for (uint256 i; i < len; ++i) out[i] = action[i];
        return string(out);
    }

    function decimal(uint256 value) internal pure returns (string memory) {
        if (value == 0) return "0";
        bytes memory out = new bytes(78);
        uint256 i = 78;
        while (value > 0) {
            out[--i] = bytes1(uint8(48 + (value % 10)));
            value /= 10;
        }
        bytes memory trimmed = new bytes(78 - i);
        for (uint256 j; j < trimmed.length; ++j) trimmed[j] = out[i + j];
        return string(trimmed);
    }

    /// @dev `data` as 0x-prefixed hex.
    function hexOf(bytes memory data) internal pure returns (string memory) {
        bytes memory digits = "0123456789abcdef";
        bytes memory out = new bytes(2 + data.length * 2);
        out[0] = "0";
        out[1] = "x";
        for (uint256 i; i < data.length; ++i) {
            out[2 + 2 * i] = digits[uint8(data[i]) >> 4];
            out[3 + 2 * i] = digits[uint8(data[i]) & 15];
        }
        return string(out);
    }
}
