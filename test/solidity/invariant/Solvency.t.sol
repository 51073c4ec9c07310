// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {TestToken} from "../../../contracts/mocks/TestToken.sol";
import {Job, JobStatus} from "../../../contracts/types/JobTypes.sol";
import {StakeRole} from "../../../contracts/types/StakeTypes.sol";
import {AssayFixture} from "../utils/AssayFixture.sol";
import {Invariant} from "../utils/Invariant.sol";
import {MarketHandler} from "./MarketHandler.sol";

/// @notice No party can take escrowed or staked funds other than by the rules (docs/protocol.md §8):
/// after any sequence of MarketHandler actions, each contract's token balance equals what it owes,
/// locked stake is exactly the collateral of live jobs, and no token is created or lost.
contract SolvencyInvariantTest is AssayFixture, Invariant {
    address private constant TREASURY = address(0x7EA5);

    TestToken private token;
    Deployment private d;
    MarketHandler private handler;
    uint256 private initialSupply;

    function setUp() public {
        token = new TestToken();
        d = _deployAssay(token, TREASURY);
        handler = new MarketHandler(token, d.registry, d.randomness, d.market, d.fraudProofs);
        d.market.grantRole(d.market.GOVERNOR_ROLE(), address(handler));
        d.registry.grantRole(d.registry.GOVERNOR_ROLE(), address(handler));
        d.fraudProofs.grantRole(d.fraudProofs.GOVERNOR_ROLE(), address(handler));
        initialSupply = token.totalSupply();

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
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    // ------------------------------------------------------------- invariants

    /// @dev Deeper walks than the project default (64 × 40), so that jobs get through opening and
    /// fraud proofs within one run; about 10 s on the 2-core machine.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 60
    function invariant_accounting() public view {
        Job[] memory jobs = _jobs();
        _assertMarketSolvent(jobs);
        _assertRegistrySolvent();
        _assertFraudProofsSolvent();
        _assertLockedIsLiveCollateral(jobs);
        _assertCreditsBounded();
        _assertTokensConserved();
        _assertGhostMatchesChain(jobs);
        _assertVerifierSet();
        _assertNoSurprise();
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
        for (uint256 p; p < phases.length; ++p) assertGt(handler.done(phases[p]), 0, _name(phases[p]));
        uint256 expired =
            handler.done("expireOpen") + handler.done("expireAccepted") + handler.done("expireSubmitted");
        assertGt(expired, 0, "expire");
        assertGt(handler.done("expireAccepted") + handler.done("expireSubmitted"), 0, "slash on expiry");
        // Nothing is stuck: once every job has ended and everyone has claimed and withdrawn, the
        // contracts hold nothing and the actors and treasuries hold the whole supply.
        assertEq(token.balanceOf(address(d.market)), 0, "market kept tokens");
        assertEq(token.balanceOf(address(d.registry)), 0, "registry kept tokens");
        assertEq(token.balanceOf(address(d.fraudProofs)), 0, "fraud proofs kept tokens");
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
        assertEq(token.balanceOf(address(d.fraudProofs)), 0, "fraud proofs kept tokens");
    }

    /// @dev Ends every job (expire or finalize, waiting out deadlines), claims every credit, unstakes
    /// and withdraws every stake, through the handler so that the ghost state follows.
    function _settleEverything() private {
        uint256 jobs = d.market.jobCount();
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

    function _isLive(JobStatus s) private pure returns (bool) {
        return
            s == JobStatus.Open ||
            s == JobStatus.Accepted ||
            s == JobStatus.Submitted ||
            s == JobStatus.Opened ||
            s == JobStatus.Disputed;
    }

    function _holdsCollateral(JobStatus s) private pure returns (bool) {
        return
            s == JobStatus.Accepted ||
            s == JobStatus.Submitted ||
            s == JobStatus.Opened ||
            s == JobStatus.Disputed;
    }

    /// @dev Every account that can hold credit or tokens: the actors and both treasuries.
    function _accounts() private view returns (address[] memory accounts) {
        address[] memory actors = handler.actors();
        accounts = new address[](actors.length + 2);
        for (uint256 i; i < actors.length; ++i) accounts[i] = actors[i];
        accounts[actors.length] = handler.treasuryA();
        accounts[actors.length + 1] = handler.treasuryB();
    }

    /// @dev Every job as the market stores it (index i is job i + 1), read once per check: a failing
    /// test is re-run with stack traces over every call, so fewer calls keep that re-run small.
    function _jobs() private view returns (Job[] memory jobs) {
        jobs = new Job[](d.market.jobCount());
        for (uint256 i; i < jobs.length; ++i) jobs[i] = d.market.getJob(i + 1);
    }

    /// @dev token.balanceOf(market) == Σ escrow of live jobs + Σ unclaimed credits, read from the chain.
    function _assertMarketSolvent(Job[] memory jobs) private view {
        uint256 owed;
        for (uint256 i; i < jobs.length; ++i) if (_isLive(jobs[i].status)) owed += jobs[i].amount;
        address[] memory accounts = _accounts();
        for (uint256 i; i < accounts.length; ++i) owed += d.market.creditOf(accounts[i]);
        assertEq(token.balanceOf(address(d.market)), owed, "market balance != live escrow + credits");
    }

    /// @dev token.balanceOf(registry) == Σ (free + locked + unbonding) over every stake account.
    function _assertRegistrySolvent() private view {
        address[] memory actors = handler.actors();
        uint256 owed;
        for (uint256 i; i < actors.length; ++i) {
            for (uint8 role = 1; role <= 2; ++role) {
                (uint128 free, uint128 locked, uint128 unbonding, , ) = d.registry.accountOf(
                    actors[i],
                    StakeRole(role)
                );
                owed += uint256(free) + locked + unbonding;
            }
        }
        assertEq(token.balanceOf(address(d.registry)), owed, "registry balance != stakes");
    }

    /// @dev token.balanceOf(fraudProofs) == Σ its unclaimed credits, each exactly what the rules gave.
    function _assertFraudProofsSolvent() private view {
        address[] memory accounts = _accounts();
        uint256 owed;
        for (uint256 i; i < accounts.length; ++i) {
            uint256 credit = d.fraudProofs.creditOf(accounts[i]);
            assertEq(credit, handler.ghostFraudCredit(accounts[i]), "fraud credit differs from the rules");
            owed += credit;
        }
        uint256 balance = token.balanceOf(address(d.fraudProofs));
        assertEq(balance, owed, "fraud proofs balance != credits");
        assertEq(balance, handler.ghostFraudIn() - handler.ghostFraudClaimed(), "fraud proofs: in - claimed");
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
            assertEq(d.registry.lockedStake(actors[i]), collateral, "locked stake != live collateral");
            (, uint128 verifierLocked, , , ) = d.registry.accountOf(actors[i], StakeRole.Verifier);
            assertEq(verifierLocked, 0, "verifier stake locked");
        }
    }

    /// @dev No credit beyond what was paid in: credits granted ≤ escrow posted + collateral slashed,
    /// and every account's credit is exactly what the rules gave it.
    function _assertCreditsBounded() private view {
        assertLe(handler.ghostCredited(), handler.ghostMarketIn(), "credited more than paid in");
        assertLe(handler.ghostClaimed(), handler.ghostCredited(), "claimed more than credited");
        address[] memory accounts = _accounts();
        for (uint256 i; i < accounts.length; ++i) {
            assertEq(
                d.market.creditOf(accounts[i]),
                handler.ghostCredit(accounts[i]),
                "credit differs from the rules"
            );
        }
        assertEq(
            token.balanceOf(address(d.market)),
            handler.ghostMarketIn() - handler.ghostClaimed(),
            "market balance != paid in - claimed"
        );
    }

    /// @dev Tokens move, never appear or vanish: actors, treasuries and the contracts hold the supply.
    /// The walk opens no dispute, so the dispute game holds nothing.
    function _assertTokensConserved() private view {
        address[] memory accounts = _accounts();
        assertEq(token.balanceOf(address(d.disputeGame)), 0, "dispute game holds tokens");
        uint256 sum =
            token.balanceOf(address(d.market)) +
                token.balanceOf(address(d.registry)) +
                token.balanceOf(address(d.fraudProofs));
        for (uint256 i; i < accounts.length; ++i) sum += token.balanceOf(accounts[i]);
        assertEq(token.totalSupply(), initialSupply, "supply changed");
        assertEq(sum, initialSupply, "balances do not add up to the supply");
    }

    /// @dev The handler's model of every job and stake is the chain's.
    function _assertGhostMatchesChain(Job[] memory jobs) private view {
        uint256[] memory ids = handler.jobIds();
        assertEq(ids.length, jobs.length, "job count");
        for (uint256 i; i < ids.length; ++i) {
            assertEq(ids[i], i + 1, "job ids run from 1");
            Job memory job = jobs[i];
            MarketHandler.GhostJob memory ghost = handler.ghostJob(ids[i]);
            assertEq(uint256(job.status), uint256(ghost.status), "job status");
            assertEq(job.provider, ghost.provider, "job provider");
            assertEq(job.deadline, ghost.deadline, "job deadline");
        }
        address[] memory actors = handler.actors();
        for (uint256 i; i < actors.length; ++i) {
            for (uint8 role = 1; role <= 2; ++role) {
                (uint128 free, uint128 locked, uint128 unbonding, , bool ejected) = d.registry.accountOf(
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
            uint256 weight = d.registry.verifierWeight(actors[a]);
            uint256 expected =
                d.registry.isEligibleVerifier(actors[a])
                    ? d.registry.freeStake(actors[a], StakeRole.Verifier)
                    : 0;
            assertEq(weight, expected, "committee weight");
            sum += weight;
        }
        assertEq(d.registry.totalVerifierWeight(), sum, "total committee weight");
    }

    /// @dev Valid calls succeeded and forbidden ones failed (the first surprise is named).
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

    function _name(bytes32 phase) private pure returns (string memory) {
        uint256 len;
        while (len < 32 && phase[len] != 0) ++len;
        bytes memory out = new bytes(len);
        for (uint256 i; i < len; ++i) out[i] = phase[i];
        return string.concat("never reached: ", string(out));
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
