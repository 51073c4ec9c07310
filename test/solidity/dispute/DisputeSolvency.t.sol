// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {SybilVerifiers} from "../../../contracts/mocks/SybilVerifiers.sol";
import {TestToken} from "../../../contracts/mocks/TestToken.sol";
import {Dispute, DisputePhase} from "../../../contracts/types/DisputeTypes.sol";
import {Job, JobStatus} from "../../../contracts/types/JobTypes.sol";
import {StakeRole} from "../../../contracts/types/StakeTypes.sol";
import {Invariant} from "../utils/Invariant.sol";
import {AssayFixture} from "../utils/AssayFixture.sol";
import {DisputeHandler} from "./DisputeHandler.sol";

/// @notice Dispute solvency (docs/protocol.md §6, §7): after any sequence of challenges, dissection moves,
/// timeouts, committee draws, votes, resolutions, fraud proofs, finalizations and claims, every
/// contract holds exactly what it owes — the game its unresolved bonds plus its credits, the market
/// its live escrow plus its credits, the registry the stakes, fraud proofs its credits — every credit
/// is what the rules give, and no token is created or lost.
contract DisputeSolvencyTest is AssayFixture, Invariant {
    address private constant TREASURY = address(0x7EA5);

    TestToken private token;
    Deployment private sys;
    DisputeHandler private handler;
    uint256 private initialSupply;

    function setUp() public {
        token = new TestToken();
        sys = _deployAssay(token, TREASURY);
        handler = new DisputeHandler(
            token,
            sys.registry,
            sys.randomness,
            sys.market,
            sys.disputeGame,
            sys.fraudProofs,
            new SybilVerifiers()
        );
        initialSupply = token.totalSupply();

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
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    // ------------------------------------------------------------- invariants

    function invariant_solvency() public view {
        _assertGameSolvent();
        _assertMarketSolvent();
        _assertRegistrySolvent();
        _assertFraudProofsSolvent();
        _assertTokensConserved();
        _assertGhostMatchesChain();
        _assertNoSurprise();
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
        uint256[] memory ids = handler.disputeIds();
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

    function _accounts() private view returns (address[] memory accounts) {
        address[] memory actors = handler.actors();
        accounts = new address[](actors.length + 1);
        for (uint256 i; i < actors.length; ++i) accounts[i] = actors[i];
        accounts[actors.length] = TREASURY;
    }

    /// @dev balanceOf(game) == Σ bonds of unresolved disputes + Σ credits; each credit is the rules'.
    function _assertGameSolvent() private view {
        uint256 owed;
        uint256 count = sys.disputeGame.disputeCount();
        for (uint256 id = 1; id <= count; ++id) {
            Dispute memory d = sys.disputeGame.getDispute(id);
            if (d.phase != DisputePhase.Resolved) owed += d.bond;
        }
        address[] memory accounts = _accounts();
        for (uint256 i; i < accounts.length; ++i) {
            uint256 credit = sys.disputeGame.creditOf(accounts[i]);
            assertEq(credit, handler.ghostGameCredit(accounts[i]), "game credit differs from the rules");
            owed += credit;
        }
        assertEq(
            token.balanceOf(address(sys.disputeGame)),
            owed,
            "game balance != unresolved bonds + credits"
        );
    }

    /// @dev balanceOf(market) == Σ escrow of live jobs + Σ credits; each credit is the rules'.
    function _assertMarketSolvent() private view {
        uint256 owed;
        uint256 count = sys.market.jobCount();
        for (uint256 id = 1; id <= count; ++id) {
            Job memory job = sys.market.getJob(id);
            if (job.status >= JobStatus.Open && job.status <= JobStatus.Disputed) owed += job.amount;
        }
        address[] memory accounts = _accounts();
        for (uint256 i; i < accounts.length; ++i) {
            uint256 credit = sys.market.creditOf(accounts[i]);
            assertEq(credit, handler.ghostMarketCredit(accounts[i]), "market credit differs from the rules");
            owed += credit;
        }
        assertEq(token.balanceOf(address(sys.market)), owed, "market balance != live escrow + credits");
    }

    function _assertRegistrySolvent() private view {
        address[] memory actors = handler.actors();
        uint256 owed;
        for (uint256 i; i < actors.length; ++i) {
            for (uint8 role = 1; role <= 2; ++role) {
                (uint128 free, uint128 locked, uint128 unbonding, , ) = sys.registry.accountOf(
                    actors[i],
                    StakeRole(role)
                );
                owed += uint256(free) + locked + unbonding;
            }
        }
        // The polluter's entries hold stake too (unbonding).
        address[] memory dead = handler.deadVerifiers();
        for (uint256 i; i < dead.length; ++i) {
            (uint128 free, uint128 locked, uint128 unbonding, , ) = sys.registry.accountOf(
                dead[i],
                StakeRole.Verifier
            );
            owed += uint256(free) + locked + unbonding;
        }
        assertEq(token.balanceOf(address(sys.registry)), owed, "registry balance != stakes");
    }

    function _assertFraudProofsSolvent() private view {
        address[] memory accounts = _accounts();
        uint256 owed;
        for (uint256 i; i < accounts.length; ++i) {
            uint256 credit = sys.fraudProofs.creditOf(accounts[i]);
            assertEq(credit, handler.ghostFraudCredit(accounts[i]), "fraud credit differs from the rules");
            owed += credit;
        }
        assertEq(token.balanceOf(address(sys.fraudProofs)), owed, "fraud proofs balance != credits");
    }

    function _assertTokensConserved() private view {
        address[] memory accounts = _accounts();
        uint256 sum =
            token.balanceOf(address(sys.market)) +
                token.balanceOf(address(sys.registry)) +
                token.balanceOf(address(sys.disputeGame)) +
                token.balanceOf(address(sys.fraudProofs));
        for (uint256 i; i < accounts.length; ++i) sum += token.balanceOf(accounts[i]);
        uint256 supply = initialSupply + handler.pollutionMinted();
        assertEq(token.totalSupply(), supply, "supply changed");
        assertEq(sum, supply, "balances do not add up to the supply");
    }

    /// @dev The handler's model of every job and dispute is the chain's.
    function _assertGhostMatchesChain() private view {
        uint256[] memory jobIds = handler.jobIds();
        assertEq(jobIds.length, sys.market.jobCount(), "job count");
        for (uint256 i; i < jobIds.length; ++i) {
            Job memory job = sys.market.getJob(jobIds[i]);
            DisputeHandler.GhostJob memory ghost = handler.ghostJob(jobIds[i]);
            assertEq(uint256(job.status), uint256(ghost.status), "job status");
            assertEq(job.openDisputes, ghost.openDisputes, "open disputes");
        }
        uint256[] memory ids = handler.disputeIds();
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

    function _assertNoSurprise() private view {
        if (handler.unexpectedReverts() != 0 || handler.forbiddenSuccesses() != 0) {
            revert AssertionFailed(
                string.concat(
                    "unexpected outcome in ",
                    handler.firstFailureAction(),
                    ": ",
                    _hex(handler.firstFailureData())
                )
            );
        }
    }

    function _name(bytes32 action) private view returns (string memory) {
        uint256 len;
        while (len < 32 && action[len] != 0) ++len;
        bytes memory out = new bytes(len);
        for (uint256 i; i < len; ++i) out[i] = action[i];
        return string.concat("never reached: ", string(out), " (walk: ", _summary(), ")");
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
            uint256 len;
            while (len < 32 && actions[i][len] != 0) ++len;
            bytes memory label = new bytes(len);
            for (uint256 k; k < len; ++k) label[k] = actions[i][k];
            out = string.concat(out, string(label), "=", _decimal(handler.done(actions[i])), " ");
        }
    }

    function _decimal(uint256 value) private pure returns (string memory) {
        if (value == 0) return "0";
        bytes memory digits = new bytes(78);
        uint256 len;
        for (; value != 0; value /= 10) digits[len++] = bytes1(uint8(48 + (value % 10)));
        bytes memory out = new bytes(len);
        for (uint256 i; i < len; ++i) out[i] = digits[len - 1 - i];
        return string(out);
    }

    function _hex(bytes memory data) private pure returns (string memory) {
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
