// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {DisputeGame} from "../../../contracts/DisputeGame.sol";
import {FraudProofs} from "../../../contracts/FraudProofs.sol";
import {JobMarket} from "../../../contracts/JobMarket.sol";
import {StakeRegistry} from "../../../contracts/StakeRegistry.sol";
import {BlockhashRandomness} from "../../../contracts/randomness/BlockhashRandomness.sol";
import {Test} from "../utils/Test.sol";

/// @notice The full system wired as deploy/deploy-assay.ts wires it (LOCKER to the market; SLASHER to
/// the market, the dispute game and fraud proofs; DISPUTE_ROLE on the market to the game and fraud
/// proofs) with DEVNET_PARAMS. Kept here rather than in utils/AssayFixture.sol, which another area owns.
abstract contract DisputeFixture is Test {
    uint256 internal constant MIN_PROVIDER_STAKE = 1_000e18;
    uint256 internal constant MIN_VERIFIER_STAKE = 100e18;
    uint256 internal constant UNBONDING_DELAY = 7 days;
    uint256 internal constant RANDOMNESS_DELAY_BLOCKS = 2;
    uint256 internal constant MIN_COLLATERAL_BPS = 5_000;
    uint256 internal constant EXPIRY_SUBMITTER_BPS = 5_000;
    uint256 internal constant CHALLENGER_SHARE_BPS = 5_000;

    struct System {
        IERC20 token;
        StakeRegistry registry;
        BlockhashRandomness randomness;
        JobMarket market;
        DisputeGame game;
        FraudProofs fraudProofs;
        address treasury;
    }

    function _deploySystem(IERC20 token, address treasury) internal returns (System memory s) {
        s.token = token;
        s.treasury = treasury;
        s.registry = new StakeRegistry(
            token,
            address(this),
            MIN_PROVIDER_STAKE,
            MIN_VERIFIER_STAKE,
            UNBONDING_DELAY
        );
        s.randomness = new BlockhashRandomness(RANDOMNESS_DELAY_BLOCKS);
        s.market = new JobMarket(
            s.registry,
            s.randomness,
            address(this),
            treasury,
            MIN_COLLATERAL_BPS,
            EXPIRY_SUBMITTER_BPS
        );
        s.game = new DisputeGame(s.market, s.registry, s.randomness, address(this), devnetDisputeParams());
        s.fraudProofs = new FraudProofs(s.market, s.registry, address(this), CHALLENGER_SHARE_BPS);
        s.registry.grantRole(s.registry.LOCKER_ROLE(), address(s.market));
        s.registry.grantRole(s.registry.SLASHER_ROLE(), address(s.market));
        s.registry.grantRole(s.registry.SLASHER_ROLE(), address(s.game));
        s.registry.grantRole(s.registry.SLASHER_ROLE(), address(s.fraudProofs));
        s.market.grantRole(s.market.DISPUTE_ROLE(), address(s.game));
        s.market.grantRole(s.market.DISPUTE_ROLE(), address(s.fraudProofs));
    }

    /// @dev DEVNET_PARAMS.dispute in deploy/deploy-assay.ts.
    function devnetDisputeParams() internal pure returns (DisputeGame.Parameters memory) {
        return
            DisputeGame.Parameters({
                challengeBond: 50e18,
                clockBudget: 6 hours,
                voteCommitWindow: 1 hours,
                voteRevealWindow: 1 hours,
                redrawDelay: 1 hours,
                challengerShareBps: CHALLENGER_SHARE_BPS,
                refereeShareBps: 1_000,
                refereePenalty: 10e18
            });
    }
}
