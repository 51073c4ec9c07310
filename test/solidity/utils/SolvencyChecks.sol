// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ICreditLedger} from "../../../contracts/interfaces/ICreditLedger.sol";
import {TestToken} from "../../../contracts/mocks/TestToken.sol";
import {Dispute, DisputePhase} from "../../../contracts/types/DisputeTypes.sol";
import {DisputeId, JobId} from "../../../contracts/types/Ids.sol";
import {Job, JobStatus} from "../../../contracts/types/JobTypes.sol";
import {StakeRole} from "../../../contracts/types/StakeTypes.sol";
import {AssayFixture} from "./AssayFixture.sol";
import {Invariant} from "./Invariant.sol";
import {Labels} from "./Labels.sol";
import {Walk} from "./Walk.sol";

/// @notice What the invariant tests share (Optimism's dispute-game invariants): a fresh deployment,
/// one handler as the campaign's only target, and the solvency checks — each contract's token balance
/// equals what it owes, each credit is what the handler's model gave, no token is created or lost.
abstract contract SolvencyChecks is AssayFixture, Invariant {
    address internal constant TREASURY = address(0x7EA5);

    TestToken internal token;
    Deployment internal sys;
    /// @dev The supply once the handler has funded its actors.
    uint256 internal initialSupply;

    /// @dev A fresh token and deployment; the caller builds its handler on `sys`, then calls `_target`.
    function _deploy() internal {
        token = new TestToken();
        sys = _deployAssay(token, TREASURY);
    }

    /// @dev Makes `handler` the campaign's only target, called through `selectors` (a selector listed
    /// twice is drawn twice as often), and records the supply its actors start from.
    function _target(Walk handler, bytes4[] memory selectors) internal {
        initialSupply = token.totalSupply();
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    // ------------------------------------------------------------- reads

    /// @dev Every job as the market stores it (index i is job i + 1), read once per check: a failing
    /// test is re-run with stack traces over every call, so fewer calls keep that re-run small.
    function _jobs() internal view returns (Job[] memory jobs) {
        jobs = new Job[](sys.market.jobCount());
        for (uint256 i; i < jobs.length; ++i) jobs[i] = sys.market.getJob(JobId.wrap(i + 1));
    }

    /// @dev Open, Accepted, Submitted, Opened or Disputed: the market still holds the escrow.
    function _isLive(JobStatus s) internal pure returns (bool) {
        return s >= JobStatus.Open && s <= JobStatus.Disputed;
    }

    function _credits(ICreditLedger ledger, address[] memory accounts) internal view returns (uint256 sum) {
        for (uint256 i; i < accounts.length; ++i) sum += ledger.creditOf(accounts[i]);
    }

    function _concat(address[] memory a, address[] memory b) internal pure returns (address[] memory all) {
        all = new address[](a.length + b.length);
        for (uint256 i; i < a.length; ++i) all[i] = a[i];
        for (uint256 i; i < b.length; ++i) all[a.length + i] = b[i];
    }

    // ------------------------------------------------------------- the checks

    /// @dev balanceOf(market) == Σ escrow of live jobs + Σ credits of `accounts`.
    function _assertMarketSolvent(Job[] memory jobs, address[] memory accounts) internal view {
        uint256 owed = _credits(sys.market, accounts);
        for (uint256 i; i < jobs.length; ++i) if (_isLive(jobs[i].status)) owed += jobs[i].amount;
        assertEq(token.balanceOf(address(sys.market)), owed, "market balance != live escrow + credits");
    }

    /// @dev balanceOf(game) == Σ bonds of unresolved disputes + Σ credits of `accounts`.
    function _assertGameSolvent(address[] memory accounts) internal view {
        uint256 owed = _credits(sys.disputeGame, accounts);
        uint256 count = sys.disputeGame.disputeCount();
        for (uint256 id = 1; id <= count; ++id) {
            Dispute memory d = sys.disputeGame.getDispute(DisputeId.wrap(id));
            if (d.phase != DisputePhase.Resolved) owed += d.bond;
        }
        assertEq(
            token.balanceOf(address(sys.disputeGame)),
            owed,
            "game balance != unresolved bonds + credits"
        );
    }

    /// @dev balanceOf(registry) == Σ (free + locked + unbonding) over both roles of `accounts`.
    function _assertRegistrySolvent(address[] memory accounts) internal view {
        uint256 owed;
        for (uint256 i; i < accounts.length; ++i) {
            for (uint8 role = 1; role <= 2; ++role) {
                (uint128 free, uint128 locked, uint128 unbonding, , ) = sys.registry.accountOf(
                    accounts[i],
                    StakeRole(role)
                );
                owed += uint256(free) + locked + unbonding;
            }
        }
        assertEq(token.balanceOf(address(sys.registry)), owed, "registry balance != stakes");
    }

    /// @dev balanceOf(fraudProofs) == Σ credits of `accounts`.
    function _assertFraudProofsSolvent(address[] memory accounts) internal view {
        assertEq(
            token.balanceOf(address(sys.fraudProofs)),
            _credits(sys.fraudProofs, accounts),
            "fraud proofs balance != credits"
        );
    }

    /// @dev Each of `accounts`' credits at `ledger` is what the rules gave it: the handler's `ghost`.
    function _assertCreditsModelled(
        ICreditLedger ledger,
        address[] memory accounts,
        function(address) external view returns (uint256) ghost,
        string memory what
    ) internal view {
        for (uint256 i; i < accounts.length; ++i) {
            assertEq(
                ledger.creditOf(accounts[i]),
                ghost(accounts[i]),
                string.concat(what, " differs from the rules")
            );
        }
    }

    /// @dev Tokens move, never appear or vanish: the supply is the initial one plus `minted`, and
    /// `accounts` and the protocol's contracts hold all of it.
    function _assertTokensConserved(address[] memory accounts, uint256 minted) internal view {
        uint256 sum =
            token.balanceOf(address(sys.market)) +
                token.balanceOf(address(sys.registry)) +
                token.balanceOf(address(sys.disputeGame)) +
                token.balanceOf(address(sys.fraudProofs)) +
                token.balanceOf(address(sys.receipts));
        for (uint256 i; i < accounts.length; ++i) sum += token.balanceOf(accounts[i]);
        uint256 supply = initialSupply + minted;
        assertEq(token.totalSupply(), supply, "supply changed");
        assertEq(sum, supply, "balances do not add up to the supply");
    }

    /// @dev Valid calls succeeded and forbidden ones failed; the first surprise is named, with the
    /// revert data of a call that should have succeeded.
    function _assertNoSurprise(Walk handler) internal view {
        if (handler.unexpectedReverts() != 0 || handler.forbiddenSuccesses() != 0) {
            revert AssertionFailed(
                string.concat(
                    "unexpected outcome in ",
                    handler.firstFailureAction(),
                    ": ",
                    Labels.hexOf(handler.firstFailureData())
                )
            );
        }
    }
}
