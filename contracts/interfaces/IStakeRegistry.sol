// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {StakeRole} from "../types/StakeTypes.sol";
import {IUnbondingConsumer} from "./IUnbondingConsumer.sol";

/// @title Provider and verifier stakes (docs/protocol.md §7)
/// @notice Stake is deposited in the protocol token, held per (account, role), and leaves in two
/// steps: `requestUnstake` starts an unbonding delay longer than any challenge window, `withdraw`
/// pays out after it, so stake cannot leave ahead of a slash. Only the job market locks and unlocks
/// provider collateral (LOCKER_ROLE); only slashers (the dispute game, and the job market for missed
/// deadlines) slash (SLASHER_ROLE). Committees are drawn by stake-weighted sortition: a verifier's
/// weight is its free stake while that is at least the minimum, kept per block so that a draw reads
/// the weights at a past block (docs/disputes.md, "Committees").
interface IStakeRegistry {
    error StakeZeroAmount();
    error StakeInvalidRole(StakeRole role);
    error StakeInsufficientFree(address account, StakeRole role, uint256 free, uint256 needed);
    error StakeInsufficientLocked(address account, uint256 locked, uint256 needed);
    error StakeNothingUnbonding(address account, StakeRole role);
    error StakeStillUnbonding(address account, StakeRole role, uint256 unlockAt);
    error StakeAccountEjected(address account, StakeRole role);
    error StakeBelowMinimum(address account, StakeRole role, uint256 stake, uint256 minimum);
    error StakeFeeOnTransferToken(uint256 expected, uint256 received);
    error StakeParameterOutOfBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max);
    /// @notice A draw must read a block that is over: the weights of the current one can still change.
    error StakeSnapshotNotPast(uint256 snapshot, uint256 blockNumber);

    /// @notice `account` deposited `amount` into its `role` stake.
    event Staked(address indexed account, StakeRole indexed role, uint256 amount, uint256 free);
    /// @notice `amount` moved from free stake to unbonding, withdrawable at `unlockAt`.
    event UnstakeRequested(address indexed account, StakeRole indexed role, uint256 amount, uint256 unlockAt);
    /// @notice Unbonded stake was paid out.
    event Withdrawn(address indexed account, StakeRole indexed role, uint256 amount);
    /// @notice Provider collateral was locked for a job.
    event CollateralLocked(address indexed provider, uint256 amount, uint256 locked);
    /// @notice Provider collateral was released.
    event CollateralUnlocked(address indexed provider, uint256 amount, uint256 locked);
    /// @notice Stake was taken by `slasher`, which received the tokens to distribute.
    event Slashed(address indexed account, StakeRole indexed role, address indexed slasher, uint256 amount);
    /// @notice An account was ejected: it can no longer take jobs or sit on committees.
    event Ejected(address indexed account, StakeRole indexed role);
    /// @notice `verifier`'s committee weight changed (zero: it left the draw).
    event VerifierWeightSet(address indexed verifier, uint256 weight);
    /// @notice `consumer` now bounds the unbonding delay from below.
    event UnbondingConsumerAdded(address indexed consumer);
    /// @notice A governance parameter changed.
    event ParameterSet(bytes32 indexed parameter, uint256 value);

    /// @notice Deposits `amount` of the protocol token into the caller's `role` stake.
    /// @dev Fee-on-transfer tokens are rejected: the received amount must equal `amount`.
    function stake(StakeRole role, uint256 amount) external;

    /// @notice Starts unbonding `amount` of free stake; the delay restarts for everything unbonding.
    function requestUnstake(StakeRole role, uint256 amount) external;

    /// @notice Pays out the caller's unbonded stake once the delay has passed.
    function withdraw(StakeRole role) external returns (uint256 amount);

    /// @notice Locks `amount` of `provider`'s free stake as job collateral. LOCKER_ROLE only.
    /// @dev Reverts when the provider is ejected or its bonded stake is below the minimum.
    function lock(address provider, uint256 amount) external;

    /// @notice Releases `amount` of `provider`'s locked collateral to free stake. LOCKER_ROLE only.
    function unlock(address provider, uint256 amount) external;

    /// @notice Takes `lockedAmount` of locked collateral and up to `freeAmount` of free then unbonding
    /// stake from `account`, and transfers it to the caller. SLASHER_ROLE only.
    /// @dev A provider whose bonded stake (free + locked) is then below the minimum is ejected.
    /// @return taken The amount transferred to the caller.
    function slash(
        address account,
        StakeRole role,
        uint256 lockedAmount,
        uint256 freeAmount
    ) external returns (uint256 taken);

    /// @notice The stake account of `account` in `role`.
    function accountOf(
        address account,
        StakeRole role
    ) external view returns (uint128 free, uint128 locked, uint128 unbonding, uint64 unlockAt, bool ejected);

    /// @notice Free (unlocked, not unbonding) stake.
    function freeStake(address account, StakeRole role) external view returns (uint256);

    /// @notice Collateral locked in jobs.
    function lockedStake(address provider) external view returns (uint256);

    /// @notice Whether `provider` may take jobs (not ejected, bonded stake free + locked at least the minimum).
    function isActiveProvider(address provider) external view returns (bool);

    /// @notice Whether `verifier` may sit on committees now.
    function isEligibleVerifier(address verifier) external view returns (bool);

    /// @notice `verifier`'s committee weight now: its free stake while eligible, else zero.
    /// @dev Staking and `refreshVerifier` (anyone may call it) set it; unstaking and slashes only
    /// lower it. A change of the minimum does not move anyone until refreshed.
    function verifierWeight(address verifier) external view returns (uint256);

    /// @notice `verifier`'s committee weight at the end of block `blockNumber` (a past block).
    function verifierWeightAt(address verifier, uint256 blockNumber) external view returns (uint256);

    /// @notice The sum of all committee weights now.
    function totalVerifierWeight() external view returns (uint256);

    /// @notice The sum of all committee weights at the end of block `blockNumber` (a past block).
    function totalVerifierWeightAt(uint256 blockNumber) external view returns (uint256);

    /// @notice Recomputes `verifier`'s committee weight under the current minimum. Anyone may call.
    function refreshVerifier(address verifier) external;

    /// @notice Draws `seats` referees by weight as it stood at the end of block `snapshot` (which
    /// must be past), with replacement: a verifier may hold several seats, in proportion to its
    /// stake. The `excluded` addresses (the parties) are never drawn: their weight at the snapshot is
    /// taken out of the line before drawing. Everything the draw reads is as of the snapshot, so the
    /// result cannot change once the seed is known. Returns no members when no weight is left.
    /// @dev O(seats · DEPTH) storage reads, whatever the number of verifiers, past or present.
    function drawVerifiers(
        bytes32 seed,
        uint256 snapshot,
        uint256 seats,
        address[3] calldata excluded
    ) external view returns (address[] memory members);

    /// @notice The protocol token.
    function token() external view returns (address);

    function minProviderStake() external view returns (uint256);

    function minVerifierStake() external view returns (uint256);

    function unbondingDelay() external view returns (uint256);

    /// @notice Sets the minimum provider stake. GOVERNOR_ROLE only, within bounds.
    function setMinProviderStake(uint256 value) external;

    /// @notice Sets the minimum verifier stake. GOVERNOR_ROLE only, within bounds.
    function setMinVerifierStake(uint256 value) external;

    /// @notice Sets the unbonding delay. GOVERNOR_ROLE only, within bounds, and never shorter than
    /// any unbonding consumer requires.
    function setUnbondingDelay(uint256 value) external;

    /// @notice Makes `consumer` (the dispute game) bound the unbonding delay from below: its
    /// `requiredUnbondingDelay` must hold now and after every later change. GOVERNOR_ROLE only.
    function addUnbondingConsumer(IUnbondingConsumer consumer) external;
}
