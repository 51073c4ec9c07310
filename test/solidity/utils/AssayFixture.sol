// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {DisputeGame} from "../../../contracts/DisputeGame.sol";
import {FraudProofs} from "../../../contracts/FraudProofs.sol";
import {JobMarket} from "../../../contracts/JobMarket.sol";
import {Receipts} from "../../../contracts/Receipts.sol";
import {StakeRegistry} from "../../../contracts/StakeRegistry.sol";
import {BlockhashRandomness} from "../../../contracts/randomness/BlockhashRandomness.sol";
import {JobParams, Numerics} from "../../../contracts/types/JobTypes.sol";
import {Test} from "./Test.sol";

/// @notice Deploys the contracts the way deploy/deploy-assay.ts does — registry, randomness, market,
/// dispute game, fraud proofs and receipts, with their roles — and its devnet parameters (DEVNET_PARAMS), so
/// the Solidity tests exercise the same wiring as the devnet.
abstract contract AssayFixture is Test {
    uint256 internal constant MIN_PROVIDER_STAKE = 1_000e18;
    uint256 internal constant MIN_VERIFIER_STAKE = 100e18;
    uint256 internal constant UNBONDING_DELAY = 7 days;
    uint256 internal constant RANDOMNESS_DELAY_BLOCKS = 2;
    uint256 internal constant MIN_COLLATERAL_BPS = 5_000;
    uint256 internal constant EXPIRY_SUBMITTER_BPS = 5_000;
    /// @dev DEVNET_PARAMS.dispute.challengerShareBps, also the fraud prover's share.
    uint256 internal constant CHALLENGER_SHARE_BPS = 800;
    /// @dev DEVNET_PARAMS.receiptsMinPublishWindow.
    uint256 internal constant RECEIPTS_MIN_PUBLISH_WINDOW = 60;

    struct Deployment {
        IERC20 token;
        StakeRegistry registry;
        BlockhashRandomness randomness;
        JobMarket market;
        DisputeGame disputeGame;
        FraudProofs fraudProofs;
        Receipts receipts;
        address treasury;
    }

    /// @dev The caller (the test contract) is deployer and governor of both contracts.
    function _deployAssay(IERC20 token, address treasury) internal returns (Deployment memory d) {
        d.token = token;
        d.treasury = treasury;
        d.registry = new StakeRegistry(
            token,
            address(this),
            MIN_PROVIDER_STAKE,
            MIN_VERIFIER_STAKE,
            UNBONDING_DELAY
        );
        d.randomness = new BlockhashRandomness(RANDOMNESS_DELAY_BLOCKS);
        d.market = new JobMarket(
            d.registry,
            d.randomness,
            address(this),
            treasury,
            MIN_COLLATERAL_BPS,
            EXPIRY_SUBMITTER_BPS
        );
        d.disputeGame = new DisputeGame(d.market, d.registry, d.randomness, address(this), _disputeParams());
        d.fraudProofs = new FraudProofs(d.market, d.registry, address(this), CHALLENGER_SHARE_BPS);
        d.receipts = new Receipts(d.market, d.registry, d.randomness, RECEIPTS_MIN_PUBLISH_WINDOW);
        d.market.setReceipts(d.receipts);
        d.registry.grantRole(d.registry.LOCKER_ROLE(), address(d.market));
        d.registry.grantRole(d.registry.SLASHER_ROLE(), address(d.market));
        d.registry.grantRole(d.registry.SLASHER_ROLE(), address(d.disputeGame));
        d.market.grantRole(d.market.DISPUTE_ROLE(), address(d.disputeGame));
        d.registry.grantRole(d.registry.SLASHER_ROLE(), address(d.fraudProofs));
        d.market.grantRole(d.market.DISPUTE_ROLE(), address(d.fraudProofs));
    }

    /// @dev DEVNET_PARAMS.dispute.
    function _disputeParams() internal pure returns (DisputeGame.Parameters memory) {
        return
            DisputeGame.Parameters({
                challengeBond: 50e18,
                clockBudget: 6 hours,
                voteCommitWindow: 1 hours,
                voteRevealWindow: 1 hours,
                redrawDelay: 1 hours,
                challengerShareBps: CHALLENGER_SHARE_BPS,
                refereeShareBps: 200,
                refereePenalty: 10e18
            });
    }

    /// @dev The TypeScript fixtures' default job (test/ts/contracts/fixtures.ts jobParams), n = 16.
    function _defaultJobParams() internal pure returns (JobParams memory) {
        return
            JobParams({
                specHash: keccak256("spec"),
                initialStateDigest: keccak256("h0"),
                amount: 100e18,
                collateral: 200e18,
                totalSteps: 160,
                checkpointInterval: 10,
                numerics: Numerics.Exact,
                deltaPpm: 0,
                samples: 4,
                topQ: 2,
                committeeSize: 3,
                verificationBps: 1_000,
                acceptWindow: 1 hours,
                trainWindow: 6 hours,
                openWindow: 1 hours,
                challengeWindow: 2 hours
            });
    }
}
