// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {JobId} from "../../../contracts/types/Ids.sol";
import {Job, JobStatus} from "../../../contracts/types/JobTypes.sol";
import {StakeRole} from "../../../contracts/types/StakeTypes.sol";
import {Labels} from "../utils/Labels.sol";
import {SolvencyChecks} from "../utils/SolvencyChecks.sol";
import {MarketHandler} from "./MarketHandler.sol";

/// @notice No party can take escrowed or staked funds other than by the rules (docs/protocol.md §8):
/// after any sequence of MarketHandler actions, each contract's token balance equals what it owes,
/// locked stake is exactly the collateral of live jobs, and no token is created or lost.
contract SolvencyInvariantTest is SolvencyChecks {
    MarketHandler private handler;

    function setUp() public {
        _deploy();
        handler = new MarketHandler(token, sys);
        sys.market.grantRole(sys.market.GOVERNOR_ROLE(), address(handler));
        sys.registry.grantRole(sys.registry.GOVERNOR_ROLE(), address(handler));
        sys.fraudProofs.grantRole(sys.fraudProofs.GOVERNOR_ROLE(), address(handler));

        bytes4[] memory selectors = new bytes4[](19);
        selectors[0] = MarketHandler.stake.selector;
        selectors[1] = MarketHandler.requestUnstake.selector;
        selectors[2] = MarketHandler.withdraw.selector;
        selectors[3] = MarketHandler.createJob.selector;
        selectors[4] = MarketHandler.cancel.selector;
        selectors[5] = MarketHandler.accept.selector;
        selectors[6] = MarketHandler.commitProgress.selector;
        selectors[7] = MarketHandler.submit.selector;
        selectors[8] = MarketHandler.openSamples.selector;
        selectors[9] = MarketHandler.openSamplesTampered.selector;
        selectors[10] = MarketHandler.finalize.selector;
        selectors[11] = MarketHandler.expire.selector;
        selectors[12] = MarketHandler.claimCredit.selector;
        selectors[13] = MarketHandler.warp.selector;
        selectors[14] = MarketHandler.rollBlocks.selector;
        // The happy path twice as likely as any exit, so walks reach Opened and Finalized.
        selectors[15] = MarketHandler.createJob.selector;
        selectors[16] = MarketHandler.governance.selector;
        selectors[17] = MarketHandler.proveFraud.selector;
        selectors[18] = MarketHandler.claimFraudCredit.selector;
        _target(handler, selectors);
    }

    // ------------------------------------------------------------- invariants

    /// @dev Deeper walks than the project default (64 × 40), so that jobs get through opening and
    /// fraud proofs within one run; about 10 s on the 2-core machine.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 60
    function invariant_accounting() public view {
        Job[] memory jobs = _jobs();
        address[] memory accounts = handler.accounts();
        _assertMarketSolvent(jobs, accounts);
        _assertRegistrySolvent(accounts);
        _assertFraudProofsSolvent(accounts);
        _assertFraudProofsModelled(accounts);
        _assertLockedIsLiveCollateral(jobs);
        _assertCreditsBounded(accounts);
        // The walk opens no dispute, so the dispute game holds nothing.
        assertEq(token.balanceOf(address(sys.disputeGame)), 0, "dispute game holds tokens");
        _assertTokensConserved(accounts, 0);
        _assertGhostMatchesChain(jobs);
        _assertVerifierSet();
        _assertNoSurprise(handler);
    }

    // ------------------------------------------------------------- a fixed long walk

    /// @dev A fixed pseudo-random walk of 300 actions, every invariant checked after every tenth, then
    /// everything settled; it must pass through every phase (the fuzzed campaign above has no coverage
    /// report, this does) and leave no token behind in any contract.
    /// Kept to this size because a failing test is re-run with full stack traces, whose memory grows
    /// with the number of calls (a 400-step walk checked at every step took > 20 GB).
    function test_walk_reachesEveryPhaseAndKeepsInvariants() public {
        for (uint256 i; i < 300; ++i) {
            _step(uint256(keccak256(abi.encode("walk", i))));
            if (i % 10 == 9) invariant_accounting();
        }
        _settleEverything();
        invariant_accounting();
        bytes32[12] memory phases = [
            bytes32("createJob"),
            "accept",
            "commitProgress",
            "submit",
            "openSamples",
            "openSamplesTampered",
            "finalize",
            "claimCredit",
            "cancel",
            "withdraw",
            "governance",
            "proveFraud"
        ];
        for (uint256 p; p < phases.length; ++p) {
            assertGt(handler.done(phases[p]), 0, string.concat("never reached: ", Labels.name(phases[p])));
        }
        uint256 expired =
            handler.done("expireOpen") + handler.done("expireAccepted") + handler.done("expireSubmitted");
        assertGt(expired, 0, "expire");
        assertGt(handler.done("expireAccepted") + handler.done("expireSubmitted"), 0, "slash on expiry");
        // Nothing is stuck: once every job has ended and everyone has claimed and withdrawn, the
        // contracts hold nothing and the actors and treasuries hold the whole supply.
        assertEq(token.balanceOf(address(sys.market)), 0, "market kept tokens");
        assertEq(token.balanceOf(address(sys.registry)), 0, "registry kept tokens");
        assertEq(token.balanceOf(address(sys.fraudProofs)), 0, "fraud proofs kept tokens");
    }

    /// @dev One job at a time, honest or cheating in turn, taken to an opening and proven against:
    /// fraud proofs slash exactly the detectable cheats, the books balance after each round.
    function test_fraudProofs_slashDetectableCheatsOnly() public {
        for (uint256 round; round < 45; ++round) {
            uint256 seed = uint256(keccak256(abi.encode("fraud", round)));
            handler.createJob(seed, seed >> 8, seed >> 16, seed >> 24);
            handler.accept(0, seed);
            handler.submit(0, round % 3); // honest, final digest, top-Q
            handler.openSamples(0);
            handler.proveFraud(0, seed >> 32);
            // Whatever is left ends before the next round, so each round has one job in play.
            handler.finalize(0, 0);
            handler.expire(0, 0);
            invariant_accounting();
        }
        for (uint256 k; k < handler.ACTOR_COUNT() + 2; ++k) handler.claimFraudCredit(k);
        invariant_accounting();
        assertGt(handler.done("fraudSlashFinal"), 0, "no final-digest cheat was slashed");
        assertGt(handler.done("fraudSlashTopQ"), 0, "no top-Q cheat was slashed");
        assertGt(handler.done("fraudRefused"), 0, "no proof against an honest job was tried");
        assertGt(handler.done("openRefused"), 0, "no opening with a wrong last leaf was tried");
        assertGt(handler.done("claimFraudCredit"), 0, "no fraud credit was claimed");
        assertEq(token.balanceOf(address(sys.fraudProofs)), 0, "fraud proofs kept tokens");
    }

    /// @dev Ends every job (expire or finalize, waiting out deadlines), claims every credit, unstakes
    /// and withdraws every stake, through the handler so that the ghost state follows.
    function _settleEverything() private {
        uint256 jobs = sys.market.jobCount();
        for (uint256 k; k < jobs; ++k) {
            handler.expire(k, k);
            handler.finalize(k, k);
        }
        address[] memory actors = handler.actors();
        for (uint256 k; k < actors.length; ++k) {
            for (uint256 role; role < 2; ++role) {
                handler.requestUnstake(k, role == 1, 0); // 0: everything free
                handler.withdraw(k, role == 1, 0); // 0: waits out the delay
            }
        }
        for (uint256 k; k < actors.length + 2; ++k) {
            handler.claimCredit(k);
            handler.claimFraudCredit(k);
        }
    }

    /// @dev Weighted choice of the next action: the lifecycle steps and fraud proofs more often than
    /// the exits, so that opened jobs live long enough to be proven against.
    function _step(uint256 r) private {
        uint256 a = r % 28;
        uint256 s1 = uint256(keccak256(abi.encode(r, 1)));
        uint256 s2 = uint256(keccak256(abi.encode(r, 2)));
        uint256 s3 = uint256(keccak256(abi.encode(r, 3)));
        if (a < 3) handler.createJob(s1, s2, s3, uint256(keccak256(abi.encode(r, 4))));
        else if (a < 6) handler.accept(s1, s2);
        else if (a < 7) handler.commitProgress(s1, s2);
        else if (a < 10) handler.submit(s1, s2);
        else if (a < 13) handler.openSamples(s1);
        else if (a < 14) handler.openSamplesTampered(s1, s2);
        else if (a < 15) handler.finalize(s1, s2);
        else if (a < 16) handler.expire(s1, s2);
        else if (a < 17) handler.cancel(s1);
        else if (a < 18) handler.claimCredit(s1);
        else if (a < 19) handler.stake(s1, s2 % 3 == 0, s3);
        else if (a < 20) handler.requestUnstake(s1, s2 % 3 == 0, s3);
        else if (a < 21) handler.withdraw(s1, s2 % 3 == 0, s3);
        else if (a < 22) handler.warp(s1);
        else if (a < 25) handler.proveFraud(s1, s2);
        else if (a < 26) handler.claimFraudCredit(s1);
        else if (a < 27 && s3 % 2 == 0) handler.governance(s1, s2);
        else handler.rollBlocks(s1, bytes32(s2));
    }

    // ------------------------------------------------------------- the properties

    function _holdsCollateral(JobStatus s) private pure returns (bool) {
        return
            s == JobStatus.Accepted ||
            s == JobStatus.Submitted ||
            s == JobStatus.Opened ||
            s == JobStatus.Disputed;
    }

    /// @dev Every fraud-proof credit is exactly what the rules gave, and the contract holds what
    /// was slashed into it less what was claimed.
    function _assertFraudProofsModelled(address[] memory accounts) private view {
        _assertCreditsModelled(sys.fraudProofs, accounts, handler.ghostFraudCredit, "fraud credit");
        assertEq(
            token.balanceOf(address(sys.fraudProofs)),
            handler.ghostFraudIn() - handler.ghostFraudClaimed(),
            "fraud proofs: in - claimed"
        );
    }

    /// @dev Each provider's locked stake is exactly the collateral of its live accepted jobs.
    function _assertLockedIsLiveCollateral(Job[] memory jobs) private view {
        address[] memory actors = handler.actors();
        for (uint256 i; i < actors.length; ++i) {
            uint256 collateral;
            for (uint256 k; k < jobs.length; ++k) {
                if (jobs[k].provider == actors[i] && _holdsCollateral(jobs[k].status))
                    collateral += jobs[k].collateral;
            }
            assertEq(sys.registry.lockedStake(actors[i]), collateral, "locked stake != live collateral");
            (, uint128 verifierLocked, , , ) = sys.registry.accountOf(actors[i], StakeRole.Verifier);
            assertEq(verifierLocked, 0, "verifier stake locked");
        }
    }

    /// @dev No credit beyond what was paid in: credits granted ≤ escrow posted + collateral slashed,
    /// and every account's credit is exactly what the rules gave it.
    function _assertCreditsBounded(address[] memory accounts) private view {
        assertLe(handler.ghostCredited(), handler.ghostMarketIn(), "credited more than paid in");
        assertLe(handler.ghostClaimed(), handler.ghostCredited(), "claimed more than credited");
        _assertCreditsModelled(sys.market, accounts, handler.ghostCredit, "credit");
        assertEq(
            token.balanceOf(address(sys.market)),
            handler.ghostMarketIn() - handler.ghostClaimed(),
            "market balance != paid in - claimed"
        );
    }

    /// @dev The handler's model of every job and stake is the chain's.
    function _assertGhostMatchesChain(Job[] memory jobs) private view {
        JobId[] memory ids = handler.jobIds();
        assertEq(ids.length, jobs.length, "job count");
        for (uint256 i; i < ids.length; ++i) {
            assertEq(JobId.unwrap(ids[i]), i + 1, "job ids run from 1");
            Job memory job = jobs[i];
            MarketHandler.GhostJob memory ghost = handler.ghostJob(ids[i]);
            assertEq(uint256(job.status), uint256(ghost.status), "job status");
            assertEq(job.provider, ghost.provider, "job provider");
            assertEq(job.deadline, ghost.deadline, "job deadline");
        }
        address[] memory actors = handler.actors();
        for (uint256 i; i < actors.length; ++i) {
            for (uint8 role = 1; role <= 2; ++role) {
                (uint128 free, uint128 locked, uint128 unbonding, , bool ejected) = sys.registry.accountOf(
                    actors[i],
                    StakeRole(role)
                );
                MarketHandler.GhostStake memory ghost = handler.ghostStake(actors[i], StakeRole(role));
                assertEq(free, ghost.free, "free stake");
                assertEq(locked, ghost.locked, "locked stake");
                assertEq(unbonding, ghost.unbonding, "unbonding stake");
                assertTrue(ejected == ghost.ejected, "ejection");
            }
        }
    }

    /// @dev Committee weights follow stake: each actor's weight is its free verifier stake while
    /// eligible, else zero (nothing here changes the minimum), and the actors hold all the weight.
    function _assertVerifierSet() private view {
        address[] memory actors = handler.actors();
        uint256 sum;
        for (uint256 a; a < actors.length; ++a) {
            uint256 weight = sys.registry.verifierWeight(actors[a]);
            uint256 expected =
                sys.registry.isEligibleVerifier(actors[a])
                    ? sys.registry.freeStake(actors[a], StakeRole.Verifier)
                    : 0;
            assertEq(weight, expected, "committee weight");
            sum += weight;
        }
        assertEq(sys.registry.totalVerifierWeight(), sum, "total committee weight");
    }
}
