// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Devnet and test token: anyone may mint. Never deploy it where value is at stake.
contract TestToken is ERC20 {
    constructor() ERC20("Assay Test Token", "tASY") {}

    /// @notice Mints `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
