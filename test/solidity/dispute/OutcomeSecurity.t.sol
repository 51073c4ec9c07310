// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {MAX_RECOVERABLE_BPS} from "../../../contracts/types/DisputeTypes.sol";
import {JobId} from "../../../contracts/types/Ids.sol";
import {JobStatus} from "../../../contracts/types/JobTypes.sol";
import {Labels} from "../utils/Labels.sol";
import {SolvencyChecks} from "../utils/SolvencyChecks.sol";
import {OutcomeHandler} from "./OutcomeHandler.sol";

/// @notice Security outcomes of disputes, beyond solvency (docs/protocol.md §8): after any sequence of
/// jobs (honest, or fabricating one checkpoint), honest and lying challenges, a provider's sock
/// puppet challenging its own job to win or to lose, committees voting the truth (with silent seats
/// and redraws), finalizations and claims — an honest provider is never slashed; a cheating job that
/// was honestly challenged never finalizes; a puppet never wins back more than MAX_RECOVERABLE_BPS of
/// the collateral (plus its bond); every contract holds exactly what it owes.
contract OutcomeSecurityTest is SolvencyChecks {
    OutcomeHandler private handler;

    function setUp() public {
        _deploy();
        handler = new OutcomeHandler(token, sys);
        bytes4[] memory selectors = new bytes4[](8);
        selectors[0] = OutcomeHandler.openJob.selector;
        selectors[1] = OutcomeHandler.challenge.selector;
        selectors[2] = OutcomeHandler.challenge.selector;
        selectors[3] = OutcomeHandler.advance.selector;
        selectors[4] = OutcomeHandler.advance.selector;
        selectors[5] = OutcomeHandler.finalize.selector;
        selectors[6] = OutcomeHandler.claim.selector;
        selectors[7] = OutcomeHandler.warp.selector;
        _target(handler, selectors);
    }

    function invariant_outcomes() public view {
        _assertNoSurprise(handler);
        JobId[] memory ids = handler.jobIds();
        for (uint256 i; i < ids.length; ++i) {
            OutcomeHandler.GhostJob memory g = handler.ghostJob(ids[i]);
            JobStatus status = sys.market.getJob(ids[i]).status;
            if (g.bad == 0) assertTrue(status != JobStatus.Slashed, "an honest provider was slashed");
            if (g.honestlyChallenged) {
                assertTrue(status != JobStatus.Finalized, "an honestly challenged cheat was paid");
            }
            // What the puppet was credited, less the bonds it posted, is at most the bound.
            assertLe(
                g.puppetGain,
                (g.collateral * MAX_RECOVERABLE_BPS) / 10_000 + g.puppetBonds,
                "a sock puppet won back more than the bound"
            );
        }
        address[] memory accounts = handler.accounts();
        _assertGameSolvent(accounts);
        _assertMarketSolvent(_jobs(), accounts);
        _assertRegistrySolvent(accounts);
        assertEq(token.totalSupply(), initialSupply, "supply changed");
    }

    /// @dev A fixed walk; every path must be taken, the invariants hold at every tenth step.
    function test_walk_cheatersLoseHonestProvidersDoNot() public {
        for (uint256 i; i < 300; ++i) {
            uint256 seed = uint256(keccak256(abi.encode("outcome walk", i)));
            uint256 kind = seed % 16;
            uint256 a = uint256(keccak256(abi.encode(seed, 1)));
            uint256 b = uint256(keccak256(abi.encode(seed, 2)));
            if (kind < 2) handler.openJob(a);
            else if (kind < 6) handler.challenge(a, b, b >> 64);
            else if (kind < 12) handler.advance(a, b);
            else if (kind == 12) handler.finalize(a);
            else if (kind == 13) handler.claim(a);
            else handler.warp(a);
            if (i % 10 == 9) invariant_outcomes();
        }
        invariant_outcomes();
        bytes32[9] memory required = [
            bytes32("openJob"),
            "honestChallenge",
            "lyingChallenge",
            "puppetWins",
            "puppetLoses",
            "challengerWon",
            "providerWon",
            "noMajorityRedrawn",
            "copyRefused"
        ];
        for (uint256 r; r < required.length; ++r)
            assertGt(
                handler.done(required[r]),
                0,
                string.concat("never happened: ", Labels.name(required[r]))
            );
        assertGt(handler.done("finalize"), 0, "never finalized");
    }
}
