// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {SybilVerifiers} from "../../../contracts/mocks/SybilVerifiers.sol";
import {Dispute, DisputePhase} from "../../../contracts/types/DisputeTypes.sol";
import {DisputeId, JobId} from "../../../contracts/types/Ids.sol";
import {Job} from "../../../contracts/types/JobTypes.sol";
import {Labels} from "../utils/Labels.sol";
import {SolvencyChecks} from "../utils/SolvencyChecks.sol";
import {DisputeHandler} from "./DisputeHandler.sol";

/// @notice Dispute solvency (docs/protocol.md §6, §7): after any sequence of challenges, dissection moves,
/// timeouts, committee draws, votes, resolutions, fraud proofs, finalizations and claims, every
/// contract holds exactly what it owes — the game its unresolved bonds plus its credits, the market
/// its live escrow plus its credits, the registry the stakes, fraud proofs its credits — every credit
/// is what the rules give, and no token is created or lost.
contract DisputeSolvencyTest is SolvencyChecks {
    DisputeHandler private handler;

    function setUp() public {
        _deploy();
        handler = new DisputeHandler(token, sys, new SybilVerifiers());
        bytes4[] memory selectors = new bytes4[](17);
        selectors[0] = DisputeHandler.openJob.selector;
        selectors[1] = DisputeHandler.commitChallenge.selector;
        selectors[2] = DisputeHandler.revealChallenge.selector;
        // Dispute moves weigh most, so walks of 40 calls reach committees and resolutions.
        selectors[3] = DisputeHandler.advance.selector;
        selectors[4] = DisputeHandler.advance.selector;
        selectors[5] = DisputeHandler.advance.selector;
        selectors[6] = DisputeHandler.advance.selector;
        selectors[7] = DisputeHandler.timeout.selector;
        selectors[8] = DisputeHandler.resolveLate.selector;
        selectors[9] = DisputeHandler.finalize.selector;
        selectors[10] = DisputeHandler.proveFraud.selector;
        selectors[11] = DisputeHandler.claimCredit.selector;
        selectors[12] = DisputeHandler.topUpVerifier.selector;
        selectors[13] = DisputeHandler.warp.selector;
        selectors[14] = DisputeHandler.rollBlocks.selector;
        selectors[15] = DisputeHandler.commitChallenge.selector;
        selectors[16] = DisputeHandler.pollute.selector;
        _target(handler, selectors);
    }

    // ------------------------------------------------------------- invariants

    function invariant_solvency() public view {
        address[] memory accounts = handler.accounts();
        _assertGameSolvent(accounts);
        _assertCreditsModelled(sys.disputeGame, accounts, handler.ghostGameCredit, "game credit");
        _assertMarketSolvent(_jobs(), accounts);
        _assertCreditsModelled(sys.market, accounts, handler.ghostMarketCredit, "market credit");
        // The polluter's entries hold stake too (unbonding).
        _assertRegistrySolvent(_concat(accounts, handler.deadVerifiers()));
        _assertFraudProofsSolvent(accounts);
        _assertCreditsModelled(sys.fraudProofs, accounts, handler.ghostFraudCredit, "fraud credit");
        _assertTokensConserved(accounts, handler.pollutionMinted());
        _assertGhostMatchesChain();
        _assertNoSurprise(handler);
    }

    // ------------------------------------------------------------- a fixed walk

    /// @dev A fixed pseudo-random walk, invariants checked every tenth step: disputes must reach
    /// Resolved with each outcome, by vote and by timeout, and a fraud proof must land mid-walk.
    function test_walk_resolvesDisputesBothWaysAndStaysSolvent() public {
        for (uint256 i; i < 400; ++i) {
            _step(uint256(keccak256(abi.encode("dispute walk", i))));
            if (i % 10 == 9) invariant_solvency();
        }
        invariant_solvency();
        bytes32[17] memory required = [
            bytes32("openJob"),
            "revealChallenge",
            "revealClaims",
            "revealAvailability",
            "answerAvailability",
            "withdrawChallenge",
            "postPoints",
            "narrow",
            "drawCommittee",
            "commitVote",
            "revealVote",
            "claimCredit",
            "finalize",
            "pollute",
            "votedNoMajority",
            "redraw",
            "penalizeSplitRound"
        ];
        for (uint256 r; r < required.length; ++r) assertGt(handler.done(required[r]), 0, _name(required[r]));
        assertGt(handler.done("votedChallengerWon"), 0, _name("votedChallengerWon"));
        assertGt(handler.done("votedProviderWon"), 0, _name("votedProviderWon"));
        assertGt(
            handler.done("timeoutProviderLost") + handler.done("timeoutChallengerLost"),
            0,
            _name("timeout")
        );
        uint256 resolved;
        DisputeId[] memory ids = handler.disputeIds();
        for (uint256 i; i < ids.length; ++i) {
            if (sys.disputeGame.getDispute(ids[i]).phase == DisputePhase.Resolved) ++resolved;
        }
        assertGt(resolved, 0, "no dispute resolved on chain");
    }

    /// @dev The walk's action mix: mostly dispute moves, each taken twice on the same dispute so that
    /// a committee votes before its windows close; jobs, challenges, time and claims in between.
    function _step(uint256 seed) private {
        uint256 kind = seed % 20;
        uint256 a = uint256(keccak256(abi.encode(seed, 1)));
        uint256 b = uint256(keccak256(abi.encode(seed, 2)));
        if (kind == 0) handler.openJob(a);
        else if (kind < 4) handler.commitChallenge(a, b, a >> 32);
        else if (kind < 6) handler.revealChallenge(_newestPending(a));
        else if (kind < 15) {
            handler.advance(a, b);
            handler.advance(a, b >> 1);
        } else if (kind == 15) handler.timeout(a);
        else if (kind == 16) handler.resolveLate(a);
        else if (kind == 17 && b % 4 == 0) handler.finalize(a);
        else if (kind == 17 && b % 4 == 1) handler.pollute(a);
        else if (kind == 17) handler.advance(a, b);
        else if (kind == 18) handler.proveFraud(a, b);
        else if (b % 3 == 0) handler.warp(a);
        else if (b % 3 == 1) handler.rollBlocks(a, bytes32(b));
        else handler.claimCredit(a, b >> 8);
    }

    /// @dev The newest pending challenge, or the one before it, so that most reveals come while
    /// their job can still be challenged (the handler picks `seed % pending`).
    function _newestPending(uint256 seed) private view returns (uint256) {
        uint256 n = handler.pendingChallenges();
        if (n < 2) return 0;
        return n - 1 - (seed % 2);
    }

    // ------------------------------------------------------------- the checks

    /// @dev The handler's model of every job and dispute is the chain's.
    function _assertGhostMatchesChain() private view {
        JobId[] memory jobIds = handler.jobIds();
        assertEq(jobIds.length, sys.market.jobCount(), "job count");
        for (uint256 i; i < jobIds.length; ++i) {
            Job memory job = sys.market.getJob(jobIds[i]);
            DisputeHandler.GhostJob memory ghost = handler.ghostJob(jobIds[i]);
            assertEq(uint256(job.status), uint256(ghost.status), "job status");
            assertEq(job.openDisputes, ghost.openDisputes, "open disputes");
        }
        DisputeId[] memory ids = handler.disputeIds();
        assertEq(ids.length, sys.disputeGame.disputeCount(), "dispute count");
        for (uint256 i; i < ids.length; ++i) {
            Dispute memory d = sys.disputeGame.getDispute(ids[i]);
            DisputeHandler.GhostDispute memory ghost = handler.ghostDispute(ids[i]);
            assertEq(uint256(d.phase), uint256(ghost.phase), "dispute phase");
            assertEq(uint256(d.outcome), uint256(ghost.outcome), "dispute outcome");
            assertEq(d.lo, ghost.lo, "dispute lo");
            assertEq(d.hi, ghost.hi, "dispute hi");
            assertEq(d.round, ghost.round, "dispute round");
            if (d.phase == DisputePhase.Dissection) {
                assertEq(d.providerClock, ghost.providerClock, "provider clock");
                assertEq(d.challengerClock, ghost.challengerClock, "challenger clock");
            }
        }
    }

    function _name(bytes32 action) private view returns (string memory) {
        return string.concat("never reached: ", Labels.name(action), " (walk: ", _summary(), ")");
    }

    /// @dev How often each action took effect in the walk, for the failure message.
    function _summary() private view returns (string memory out) {
        bytes32[22] memory actions = [
            bytes32("openJob"),
            "revealChallenge",
            "revealRefused",
            "revealClaims",
            "revealAvailability",
            "answerAvailability",
            "withdrawChallenge",
            "postPoints",
            "narrow",
            "drawCommittee",
            "committeeShort",
            "firstRound",
            "redraw",
            "pollute",
            "commitVote",
            "revealVote",
            "votedChallengerWon",
            "votedProviderWon",
            "votedNoMajority",
            "penalizeSplitRound",
            "timeoutProviderLost",
            "timeoutChallengerLost"
        ];
        for (uint256 i; i < actions.length; ++i) {
            out = string.concat(
                out,
                Labels.name(actions[i]),
                "=",
                Labels.decimal(handler.done(actions[i])),
                " "
            );
        }
    }
}
