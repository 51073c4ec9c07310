// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {JobMarket} from "../../../contracts/JobMarket.sol";
import {StakeRegistry} from "../../../contracts/StakeRegistry.sol";
import {ICreditLedger} from "../../../contracts/interfaces/ICreditLedger.sol";
import {TestToken} from "../../../contracts/mocks/TestToken.sol";
import {BlockhashRandomness} from "../../../contracts/randomness/BlockhashRandomness.sol";
import {JobId} from "../../../contracts/types/Ids.sol";
import {JobStatus} from "../../../contracts/types/JobTypes.sol";
import {AssayFixture} from "./AssayFixture.sol";
import {Labels} from "./Labels.sol";
import {Test} from "./Test.sol";

/// @notice What the random-walk handlers share: the deployment they drive; funded actors and the
/// treasuries, which only receive; the jobs they created and a picker over them; the chain clock,
/// kept as ghost state and re-applied before every action (the invariant runner resets it between
/// calls); and the call accounting the invariant tests read — a call the model says must succeed and
/// reverts is an `unexpectedReverts`, one that must fail and succeeds a `forbiddenSuccesses`; the
/// first of either is kept.
abstract contract Walk is Test {
    TestToken public immutable token;
    StakeRegistry public immutable registry;
    BlockhashRandomness public immutable randomness;
    JobMarket public immutable market;

    uint256 public ghostTime;
    uint256 public ghostBlock;

    uint256 public unexpectedReverts;
    uint256 public forbiddenSuccesses;
    string public firstFailureAction;
    bytes public firstFailureData;
    mapping(bytes32 action => uint256 count) public done;
    mapping(bytes32 action => uint256 count) public skipped;

    /// @dev The accounts that act, funded and approving the protocol's contracts (see `_addActors`).
    address[] internal _actors;
    /// @dev Accounts that only receive (the market's treasury first): they hold credit and claim it.
    address[] internal _treasuries;
    /// @dev Every job the walk created, in creation order.
    JobId[] internal _jobIds;

    constructor(TestToken token_, AssayFixture.Deployment memory sys) {
        token = token_;
        registry = sys.registry;
        randomness = sys.randomness;
        market = sys.market;
        _treasuries.push(sys.market.treasury());
        ghostTime = block.timestamp;
        ghostBlock = block.number;
    }

    modifier syncClock() {
        vm.warp(ghostTime);
        vm.roll(ghostBlock);
        _;
    }

    // ------------------------------------------------------------- views for the invariants

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    /// @notice Everyone who can hold credit or tokens: the actors, then the treasuries.
    function accounts() external view returns (address[] memory all) {
        all = new address[](_actors.length + _treasuries.length);
        for (uint256 i; i < _actors.length; ++i) all[i] = _actors[i];
        for (uint256 i; i < _treasuries.length; ++i) all[_actors.length + i] = _treasuries[i];
    }

    function jobIds() external view returns (JobId[] memory) {
        return _jobIds;
    }

    // ------------------------------------------------------------- actors

    /// @dev `count` actors at `first`, `first` + 1, …, each minted `funds` and approving the registry,
    /// the market and the dispute game for everything it holds.
    function _addActors(
        TestToken token_,
        AssayFixture.Deployment memory sys,
        uint160 first,
        uint256 count,
        uint256 funds
    ) internal {
        for (uint256 i; i < count; ++i) {
            address actor = address(first + uint160(i));
            vm.label(actor, string.concat("actor", Labels.decimal(_actors.length)));
            _actors.push(actor);
            token_.mint(actor, funds);
            vm.startPrank(actor);
            token_.approve(address(sys.registry), type(uint256).max);
            token_.approve(address(sys.market), type(uint256).max);
            token_.approve(address(sys.disputeGame), type(uint256).max);
            vm.stopPrank();
        }
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % _actors.length];
    }

    /// @dev An actor or a treasury, by `seed`.
    function _account(uint256 seed) internal view returns (address) {
        uint256 pick = seed % (_actors.length + _treasuries.length);
        return pick < _actors.length ? _actors[pick] : _treasuries[pick - _actors.length];
    }

    // ------------------------------------------------------------- picking jobs

    function _mask(JobStatus status) internal pure returns (uint256) {
        return uint256(1) << uint8(status);
    }

    /// @dev The first job at or after `seed` (cyclically) whose status is in `statuses` (see `_mask`).
    function _findJob(uint256 seed, uint256 statuses) internal view returns (bool found, JobId jobId) {
        return _findJob(seed, statuses, false);
    }

    /// @dev The same, skipping jobs whose deadline has passed when `beforeDeadline`.
    function _findJob(
        uint256 seed,
        uint256 statuses,
        bool beforeDeadline
    ) internal view returns (bool found, JobId jobId) {
        uint256 count = _jobIds.length;
        if (count == 0) return (false, JobId.wrap(0));
        uint256 start = seed % count;
        for (uint256 k; k < count; ++k) {
            jobId = _jobIds[(start + k) % count];
            if ((statuses >> uint8(_jobStatus(jobId))) & 1 == 0) continue;
            if (beforeDeadline && ghostTime > _jobDeadline(jobId)) continue;
            return (true, jobId);
        }
        return (false, JobId.wrap(0));
    }

    /// @dev A job's status as `_findJob` sees it: the chain's, unless the handler models it.
    function _jobStatus(JobId jobId) internal view virtual returns (JobStatus) {
        return market.getJob(jobId).status;
    }

    /// @dev A job's current deadline as `_findJob` sees it: the chain's, unless the handler models it.
    function _jobDeadline(JobId jobId) internal view virtual returns (uint256) {
        return market.getJob(jobId).deadline;
    }

    // ------------------------------------------------------------- clocks and randomness

    /// @dev Moves the clock to `t`, never backwards.
    function _setTime(uint256 t) internal {
        if (t > ghostTime) ghostTime = t;
        vm.warp(ghostTime);
    }

    function _roll(uint256 number) internal {
        ghostBlock = number;
        vm.roll(number);
    }

    /// @dev Makes the hash of block `number` readable: mines past it and gives it `_blockHash(number)`,
    /// unless it fell out of the EVM's 256-block window. Whether the randomness source now answers.
    function _ensureBlockHash(uint256 number) internal returns (bool) {
        if (ghostBlock <= number) _roll(number + 1);
        if (randomness.randomness(number) == bytes32(0) && ghostBlock - number <= 256) {
            vm.setBlockhash(number, _blockHash(number));
        }
        return randomness.randomness(number) != bytes32(0);
    }

    /// @dev The hash a block gets from `_ensureBlockHash`.
    function _blockHash(uint256 number) internal view virtual returns (bytes32) {
        return keccak256(abi.encode("block", number));
    }

    // ------------------------------------------------------------- money out

    /// @dev `account` claims its credit from `ledger`, whose debt to it the model puts at `owed`: with
    /// nothing owed the claim must fail; otherwise it must pay exactly `owed`. Whether it paid.
    function _claim(
        ICreditLedger ledger,
        address account,
        uint256 owed,
        bytes32 action
    ) internal returns (bool) {
        uint256 before = token.balanceOf(account);
        vm.prank(account);
        try ledger.claimCredit() returns (uint256 paid) {
            if (owed == 0) {
                _forbidden(string.concat(Labels.name(action), " without credit"));
                return false;
            }
            if (paid != owed || token.balanceOf(account) != before + owed) {
                _unexpected(string.concat(Labels.name(action), " amount"), "");
            }
            _done(action);
            return true;
        } catch (bytes memory err) {
            if (owed == 0) _skip(action);
            else _unexpected(Labels.name(action), err);
            return false;
        }
    }

    // ------------------------------------------------------------- call accounting

    function _done(bytes32 action) internal {
        ++done[action];
    }

    function _skip(bytes32 action) internal {
        ++skipped[action];
    }

    function _unexpected(string memory action, bytes memory err) internal {
        if (unexpectedReverts == 0 && forbiddenSuccesses == 0) {
            firstFailureAction = action;
            firstFailureData = err;
        }
        ++unexpectedReverts;
    }

    function _forbidden(string memory action) internal {
        if (unexpectedReverts == 0 && forbiddenSuccesses == 0) firstFailureAction = action;
        ++forbiddenSuccesses;
    }
}
