// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {IStakeRegistry} from "./interfaces/IStakeRegistry.sol";
import {IUnbondingConsumer} from "./interfaces/IUnbondingConsumer.sol";
import {SortitionLib} from "./libraries/SortitionLib.sol";
import {StakeAccount, StakeRole} from "./types/StakeTypes.sol";

/// @title StakeRegistry
/// @notice Holds provider and verifier stakes in the protocol token. See IStakeRegistry.
/// @dev Solvency: the token balance of this contract always equals Σ (free + locked + unbonding)
/// over all accounts; every function keeps it (test/solidity/Solvency.t.sol).
contract StakeRegistry is IStakeRegistry, AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SortitionLib for SortitionLib.Tree;

    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice The job market: locks and unlocks provider collateral.
    bytes32 public constant LOCKER_ROLE = keccak256("LOCKER_ROLE");
    /// @notice The dispute game and the job market (missed deadlines): take stake.
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");

    /// @notice Bounds on governance parameters.
    uint256 public constant MIN_UNBONDING_DELAY = 1 days;
    /// @notice Bound on the consumers `setUnbondingDelay` consults (one call each).
    uint256 public constant MAX_UNBONDING_CONSUMERS = 8;
    uint256 public constant MAX_UNBONDING_DELAY = 90 days;
    uint256 public constant MAX_MIN_STAKE = type(uint128).max;
    /// @notice Draw attempts per committee seat (see drawVerifiers).
    uint256 public constant DRAW_ATTEMPTS_PER_SEAT = 4;
    /// @notice Verifiers with weight at once.
    uint256 public constant MAX_VERIFIERS = SortitionLib.CAPACITY;

    IERC20 private immutable _token;
    uint256 private _minProviderStake;
    uint256 private _minVerifierStake;
    uint256 private _unbondingDelay;

    mapping(address account => mapping(StakeRole role => StakeAccount)) private _accounts;
    /// @dev Contracts whose required unbonding delay bounds `setUnbondingDelay` from below.
    IUnbondingConsumer[] private _consumers;
    /// @dev Committee weights, per block (see SortitionLib).
    SortitionLib.Tree private _sortition;

    constructor(
        IERC20 token_,
        address governor,
        uint256 minProviderStake_,
        uint256 minVerifierStake_,
        uint256 unbondingDelay_
    ) {
        _token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, governor);
        _grantRole(GOVERNOR_ROLE, governor);
        _setMinProviderStake(minProviderStake_);
        _setMinVerifierStake(minVerifierStake_);
        _setUnbondingDelay(unbondingDelay_);
    }

    // ---------------------------------------------------------------- staking

    /// @inheritdoc IStakeRegistry
    function stake(StakeRole role, uint256 amount) external nonReentrant {
        _requireStakeRole(role);
        // INVARIANT: every stake deposit is of a positive amount.
        if (amount == 0) revert StakeZeroAmount();
        StakeAccount storage acct = _accounts[msg.sender][role];
        // INVARIANT: an ejected account stays out; new stake cannot buy it back in.
        if (acct.ejected) revert StakeAccountEjected(msg.sender, role);
        uint256 free = uint256(acct.free) + amount;
        acct.free = _u128(free);
        emit Staked(msg.sender, role, amount, free);
        if (role == StakeRole.Verifier) _syncWeight(msg.sender, true);
        _pull(msg.sender, amount);
    }

    /// @inheritdoc IStakeRegistry
    function requestUnstake(StakeRole role, uint256 amount) external {
        _requireStakeRole(role);
        // INVARIANT: an unstake request moves a positive amount (an empty one would only restart the
        // account's unbonding clock).
        if (amount == 0) revert StakeZeroAmount();
        StakeAccount storage acct = _accounts[msg.sender][role];
        // INVARIANT: only free stake starts unbonding; locked collateral stays until its job ends.
        if (acct.free < amount) revert StakeInsufficientFree(msg.sender, role, acct.free, amount);
        acct.free -= uint128(amount);
        acct.unbonding += uint128(amount);
        // INVARIANT: the delay exceeds any challenge window (checked by the job market at create),
        // so stake that could be slashed for a job cannot leave before that job's disputes end.
        uint256 unlockAt = block.timestamp + _unbondingDelay;
        acct.unlockAt = uint64(unlockAt);
        emit UnstakeRequested(msg.sender, role, amount, unlockAt);
        if (role == StakeRole.Verifier) _syncWeight(msg.sender, false);
    }

    /// @inheritdoc IStakeRegistry
    function withdraw(StakeRole role) external nonReentrant returns (uint256 amount) {
        _requireStakeRole(role);
        StakeAccount storage acct = _accounts[msg.sender][role];
        amount = acct.unbonding;
        // INVARIANT: stake leaves only after unbonding for the full delay, so it stays slashable until then.
        if (amount == 0) revert StakeNothingUnbonding(msg.sender, role);
        if (block.timestamp < acct.unlockAt) revert StakeStillUnbonding(msg.sender, role, acct.unlockAt);
        acct.unbonding = 0;
        emit Withdrawn(msg.sender, role, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- collateral and slashing

    /// @inheritdoc IStakeRegistry
    // INVARIANT: only the job market (LOCKER_ROLE) moves provider stake from free to locked.
    function lock(address provider, uint256 amount) external onlyRole(LOCKER_ROLE) {
        StakeAccount storage acct = _accounts[provider][StakeRole.Provider];
        // INVARIANT: an ejected provider takes no new job.
        if (acct.ejected) revert StakeAccountEjected(provider, StakeRole.Provider);
        uint256 bonded = uint256(acct.free) + acct.locked;
        // INVARIANT: only a provider bonded at least the minimum stake takes a job.
        if (bonded < _minProviderStake) {
            revert StakeBelowMinimum(provider, StakeRole.Provider, bonded, _minProviderStake);
        }
        // INVARIANT: collateral is locked only out of the provider's own free stake, never created.
        if (acct.free < amount) revert StakeInsufficientFree(provider, StakeRole.Provider, acct.free, amount);
        acct.free -= uint128(amount);
        acct.locked += uint128(amount);
        emit CollateralLocked(provider, amount, acct.locked);
    }

    /// @inheritdoc IStakeRegistry
    // INVARIANT: only the job market (LOCKER_ROLE) releases locked collateral.
    function unlock(address provider, uint256 amount) external onlyRole(LOCKER_ROLE) {
        StakeAccount storage acct = _accounts[provider][StakeRole.Provider];
        // INVARIANT: only collateral that is locked is released: locked never underflows.
        if (acct.locked < amount) revert StakeInsufficientLocked(provider, acct.locked, amount);
        acct.locked -= uint128(amount);
        acct.free += uint128(amount);
        emit CollateralUnlocked(provider, amount, acct.locked);
    }

    /// @inheritdoc IStakeRegistry
    // INVARIANT: only SLASHER_ROLE (the dispute game, fraud proofs, the market on a missed deadline)
    // takes stake.
    function slash(
        address account,
        StakeRole role,
        uint256 lockedAmount,
        uint256 freeAmount
    ) external onlyRole(SLASHER_ROLE) nonReentrant returns (uint256 taken) {
        _requireStakeRole(role);
        StakeAccount storage acct = _accounts[account][role];
        // INVARIANT: a slash takes no more collateral than is locked.
        if (acct.locked < lockedAmount) revert StakeInsufficientLocked(account, acct.locked, lockedAmount);
        acct.locked -= uint128(lockedAmount);
        taken = lockedAmount;
        // Free stake first, then stake on its way out: unbonding does not shield from a slash.
        uint256 fromFree = freeAmount < acct.free ? freeAmount : acct.free;
        acct.free -= uint128(fromFree);
        uint256 rest = freeAmount - fromFree;
        uint256 fromUnbonding = rest < acct.unbonding ? rest : acct.unbonding;
        acct.unbonding -= uint128(fromUnbonding);
        taken += fromFree + fromUnbonding;
        emit Slashed(account, role, msg.sender, taken);
        if (role == StakeRole.Provider) {
            if (!acct.ejected && uint256(acct.free) + acct.locked < _minProviderStake) {
                acct.ejected = true;
                emit Ejected(account, role);
            }
        } else {
            _syncWeight(account, false);
        }
        if (taken > 0) _token.safeTransfer(msg.sender, taken);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IStakeRegistry
    function accountOf(
        address account,
        StakeRole role
    ) external view returns (uint128 free, uint128 locked, uint128 unbonding, uint64 unlockAt, bool ejected) {
        StakeAccount storage acct = _accounts[account][role];
        return (acct.free, acct.locked, acct.unbonding, acct.unlockAt, acct.ejected);
    }

    /// @inheritdoc IStakeRegistry
    function freeStake(address account, StakeRole role) external view returns (uint256) {
        return _accounts[account][role].free;
    }

    /// @inheritdoc IStakeRegistry
    function lockedStake(address provider) external view returns (uint256) {
        return _accounts[provider][StakeRole.Provider].locked;
    }

    /// @inheritdoc IStakeRegistry
    function isActiveProvider(address provider) external view returns (bool) {
        StakeAccount storage acct = _accounts[provider][StakeRole.Provider];
        return !acct.ejected && uint256(acct.free) + acct.locked >= _minProviderStake;
    }

    /// @inheritdoc IStakeRegistry
    function isEligibleVerifier(address verifier) public view returns (bool) {
        StakeAccount storage acct = _accounts[verifier][StakeRole.Verifier];
        return !acct.ejected && acct.free >= _minVerifierStake && acct.free > 0;
    }

    /// @inheritdoc IStakeRegistry
    function verifierWeight(address verifier) external view returns (uint256) {
        return _sortition.weightOf(verifier);
    }

    /// @inheritdoc IStakeRegistry
    function verifierWeightAt(address verifier, uint256 blockNumber) external view returns (uint256) {
        return _sortition.weightAt(verifier, _snapshot(blockNumber));
    }

    /// @inheritdoc IStakeRegistry
    function totalVerifierWeight() external view returns (uint256) {
        return _sortition.totalAt(type(uint48).max);
    }

    /// @inheritdoc IStakeRegistry
    function totalVerifierWeightAt(uint256 blockNumber) external view returns (uint256) {
        return _sortition.totalAt(_snapshot(blockNumber));
    }

    /// @inheritdoc IStakeRegistry
    function refreshVerifier(address verifier) external {
        _syncWeight(verifier, true);
    }

    /// @inheritdoc IStakeRegistry
    function drawVerifiers(
        bytes32 seed,
        uint256 snapshot,
        uint256 seats,
        address[3] calldata excluded
    ) external view returns (address[] memory members) {
        uint48 at = _snapshot(snapshot);
        // INVARIANT: the parties' weight is cut out of the line, so a party never sits and, however
        // much verifier stake it holds, cannot crowd the attempts out.
        (uint256[3] memory starts, uint256[3] memory widths, uint256 cut) = _excludedRanges(excluded, at);
        uint256 remaining = _sortition.totalAt(at) - cut;
        members = new address[](seats);
        uint256 found;
        for (uint256 a; a < seats * DRAW_ATTEMPTS_PER_SEAT && found < seats && remaining > 0; ++a) {
            uint256 point = uint256(keccak256(abi.encode(seed, a))) % remaining;
            // Back onto the whole line: step over each cut range at or before the point (ascending).
            for (uint256 j; j < 3 && widths[j] > 0; ++j) if (point >= starts[j]) point += widths[j];
            (, address owner) = _sortition.find(point, at);
            // Unreachable (the parties' ranges are cut), kept as a guard.
            if (owner == excluded[0] || owner == excluded[1] || owner == excluded[2]) continue;
            // INVARIANT: nothing read here postdates the snapshot, so nobody can change the draw once
            // the randomness is public. A referee's weight was free stake of at least the minimum,
            // which can since only move to unbonding (locked past the round, requiredUnbondingDelay)
            // or be slashed: its penalty stays within reach.
            members[found++] = owner;
        }
        assembly ("memory-safe") {
            mstore(members, found)
        }
    }

    /// @inheritdoc IStakeRegistry
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IStakeRegistry
    function minProviderStake() external view returns (uint256) {
        return _minProviderStake;
    }

    /// @inheritdoc IStakeRegistry
    function minVerifierStake() external view returns (uint256) {
        return _minVerifierStake;
    }

    /// @inheritdoc IStakeRegistry
    function unbondingDelay() external view returns (uint256) {
        return _unbondingDelay;
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IStakeRegistry
    // INVARIANT: only governance (GOVERNOR_ROLE) moves the provider minimum.
    function setMinProviderStake(uint256 value) external onlyRole(GOVERNOR_ROLE) {
        _setMinProviderStake(value);
    }

    /// @inheritdoc IStakeRegistry
    // INVARIANT: only governance (GOVERNOR_ROLE) moves the verifier minimum.
    function setMinVerifierStake(uint256 value) external onlyRole(GOVERNOR_ROLE) {
        _setMinVerifierStake(value);
    }

    /// @inheritdoc IStakeRegistry
    // INVARIANT: only governance (GOVERNOR_ROLE) moves the unbonding delay.
    function setUnbondingDelay(uint256 value) external onlyRole(GOVERNOR_ROLE) {
        _setUnbondingDelay(value);
    }

    /// @inheritdoc IStakeRegistry
    // INVARIANT: only governance (GOVERNOR_ROLE) adds a contract the unbonding delay must cover.
    function addUnbondingConsumer(IUnbondingConsumer consumer) external onlyRole(GOVERNOR_ROLE) {
        // INVARIANT: setting the delay makes at most MAX_UNBONDING_CONSUMERS calls: it cannot run out of gas.
        if (_consumers.length >= MAX_UNBONDING_CONSUMERS) {
            revert StakeParameterOutOfBounds("consumers", _consumers.length + 1, 0, MAX_UNBONDING_CONSUMERS);
        }
        _consumers.push(consumer);
        // The delay in force must already satisfy it.
        _checkConsumers(_unbondingDelay);
        emit UnbondingConsumerAdded(address(consumer));
    }

    // ---------------------------------------------------------------- internals

    function _setMinProviderStake(uint256 value) private {
        // INVARIANT: the provider minimum is positive (a slashed-out provider is ejected) and fits 128 bits.
        if (value == 0 || value > MAX_MIN_STAKE) {
            revert StakeParameterOutOfBounds("minProviderStake", value, 1, MAX_MIN_STAKE);
        }
        _minProviderStake = value;
        emit ParameterSet("minProviderStake", value);
    }

    function _setMinVerifierStake(uint256 value) private {
        // INVARIANT: the verifier minimum is positive and fits the 128-bit stake fields.
        if (value == 0 || value > MAX_MIN_STAKE) {
            revert StakeParameterOutOfBounds("minVerifierStake", value, 1, MAX_MIN_STAKE);
        }
        _minVerifierStake = value;
        emit ParameterSet("minVerifierStake", value);
    }

    function _setUnbondingDelay(uint256 value) private {
        // INVARIANT: unbonding takes at least MIN_UNBONDING_DELAY and at most MAX_UNBONDING_DELAY.
        if (value < MIN_UNBONDING_DELAY || value > MAX_UNBONDING_DELAY) {
            revert StakeParameterOutOfBounds(
                "unbondingDelay",
                value,
                MIN_UNBONDING_DELAY,
                MAX_UNBONDING_DELAY
            );
        }
        // INVARIANT (D2): never shorter than what a dispute needs, whichever side governance changes.
        _checkConsumers(value);
        _unbondingDelay = value;
        emit ParameterSet("unbondingDelay", value);
    }

    /// @dev Sets `verifier`'s committee weight to its free stake while eligible, else zero; unless
    /// `mayRaise`, only lowers it (an unstake or a slash never needs a slot, so a full tree cannot
    /// block them). At most SortitionLib.DEPTH + 3 checkpoint writes.
    function _syncWeight(address verifier, bool mayRaise) private {
        uint256 weight = isEligibleVerifier(verifier) ? _accounts[verifier][StakeRole.Verifier].free : 0;
        uint256 current = _sortition.weightOf(verifier);
        if (weight == current || (!mayRaise && weight > current)) return;
        _sortition.set(verifier, weight);
        emit VerifierWeightSet(verifier, weight);
    }

    /// @dev Where each excluded address's weight lay on the line at block `at`, ascending, and the
    /// total cut: all read at the snapshot, whatever the address did since. Duplicates count once.
    /// 3 · (2 · DEPTH + 3) reads at most.
    function _excludedRanges(
        address[3] calldata excluded,
        uint48 at
    ) private view returns (uint256[3] memory starts, uint256[3] memory widths, uint256 cut) {
        uint256[3] memory slots;
        uint256 n;
        for (uint256 i; i < 3; ++i) {
            uint256 slot = _sortition.slotAt(excluded[i], at);
            if (slot == 0) continue;
            bool seen;
            for (uint256 j; j < n; ++j) seen = seen || slots[j] == slot;
            if (seen) continue;
            uint256 start = _sortition.prefixAt(slot - 1, at);
            uint256 width = _sortition.prefixAt(slot, at) - start;
            if (width == 0) continue;
            // Insertion by start: at most three entries.
            uint256 k = n++;
            while (k > 0 && starts[k - 1] > start) {
                starts[k] = starts[k - 1];
                widths[k] = widths[k - 1];
                slots[k] = slots[k - 1];
                --k;
            }
            starts[k] = start;
            widths[k] = width;
            slots[k] = slot;
            cut += width;
        }
    }

    function _snapshot(uint256 blockNumber) private view returns (uint48) {
        // INVARIANT: weights are read only at finished blocks, which nothing can change any more.
        if (blockNumber >= block.number) revert StakeSnapshotNotPast(blockNumber, block.number);
        return uint48(blockNumber);
    }

    /// @dev Reverts unless `delay` is at least every consumer's requirement. At most
    /// MAX_UNBONDING_CONSUMERS calls.
    function _checkConsumers(uint256 delay) private view {
        for (uint256 i; i < _consumers.length; ++i) {
            uint256 required = _consumers[i].requiredUnbondingDelay();
            // INVARIANT (D2): the unbonding delay is at least what every consumer requires.
            if (delay < required) {
                revert StakeParameterOutOfBounds("unbondingDelay", delay, required, MAX_UNBONDING_DELAY);
            }
        }
    }

    /// @dev Pulls exactly `amount`; a token that delivers less (fee on transfer) is refused.
    function _pull(address from, uint256 amount) private {
        uint256 before = _token.balanceOf(address(this));
        _token.safeTransferFrom(from, address(this), amount);
        uint256 received = _token.balanceOf(address(this)) - before;
        // INVARIANT: the balance grows by exactly the stake booked, so it equals the sum of all accounts.
        if (received != amount) revert StakeFeeOnTransferToken(amount, received);
    }

    function _requireStakeRole(StakeRole role) private pure {
        // INVARIANT: stake is held only under the two roles; StakeRole.None never holds tokens.
        if (role != StakeRole.Provider && role != StakeRole.Verifier) revert StakeInvalidRole(role);
    }

    function _u128(uint256 value) private pure returns (uint128) {
        // INVARIANT: a stake field never wraps: a stake beyond 2^128 would be a token bug.
        if (value > type(uint128).max) revert StakeParameterOutOfBounds("stake", value, 0, type(uint128).max);
        return uint128(value);
    }
}
