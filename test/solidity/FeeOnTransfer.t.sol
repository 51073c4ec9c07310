// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ICreditLedger} from "../../contracts/interfaces/ICreditLedger.sol";
import {IStakeRegistry} from "../../contracts/interfaces/IStakeRegistry.sol";
import {FeeOnTransferToken} from "../../contracts/mocks/FeeOnTransferToken.sol";
import {JobParams} from "../../contracts/types/JobTypes.sol";
import {StakeRole} from "../../contracts/types/StakeTypes.sol";
import {AssayFixture} from "./utils/AssayFixture.sol";

/// @notice A token that delivers less than it is asked to move would make the contracts owe more
/// than they hold: stake and createJob measure what arrived and refuse the difference.
contract FeeOnTransferTest is AssayFixture {
    address private constant USER = address(0xFEE);

    FeeOnTransferToken private token;
    Deployment private d;

    function setUp() public {
        token = new FeeOnTransferToken();
        d = _deployAssay(token, address(0x7EA5));
        token.mint(USER, type(uint128).max);
        vm.startPrank(USER);
        token.approve(address(d.registry), type(uint256).max);
        token.approve(address(d.market), type(uint256).max);
        vm.stopPrank();
    }

    function testFuzz_stake_feeOnTransfer_reverts(uint256 amount, bool asVerifier) public {
        amount = bound(amount, 100, type(uint128).max);
        StakeRole role = asVerifier ? StakeRole.Verifier : StakeRole.Provider;
        vm.expectRevert(
            abi.encodeWithSelector(
                IStakeRegistry.StakeFeeOnTransferToken.selector,
                amount,
                amount - amount / 100
            )
        );
        vm.prank(USER);
        d.registry.stake(role, amount);
        assertEq(token.balanceOf(address(d.registry)), 0, "registry kept tokens");
    }

    /// @dev The check is on what arrived, not on the token: below 100 units this mock takes no fee,
    /// and the stake is then exact and accepted.
    function testFuzz_stake_exactDelivery_accepted(uint256 amount) public {
        amount = bound(amount, 1, 99);
        vm.prank(USER);
        d.registry.stake(StakeRole.Provider, amount);
        assertEq(d.registry.freeStake(USER, StakeRole.Provider), amount, "free stake");
        assertEq(token.balanceOf(address(d.registry)), amount, "registry balance");
    }

    function testFuzz_createJob_feeOnTransfer_reverts(uint256 amount) public {
        JobParams memory p = _defaultJobParams();
        // Job amounts are stored in 96 bits (JobMarket refuses more).
        p.amount = uint128(bound(amount, 100, type(uint96).max));
        p.collateral = p.amount;
        vm.expectRevert(
            abi.encodeWithSelector(
                ICreditLedger.CreditFeeOnTransferToken.selector,
                p.amount,
                p.amount - p.amount / 100
            )
        );
        vm.prank(USER);
        d.market.createJob(p);
        assertEq(d.market.jobCount(), 0, "a job was created");
        assertEq(token.balanceOf(address(d.market)), 0, "market kept tokens");
    }
}
