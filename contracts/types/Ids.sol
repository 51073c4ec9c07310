// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice A job, numbered by JobMarket's counter from 1 (0 names no job).
/// @dev Jobs and disputes are numbered by separate counters, so a dispute id passed where a job id
/// belongs names some other, unrelated job: with distinct types that is a compile error. The ABI
/// encodes both as their underlying uint256, and so does abi.encode: selectors, event topics,
/// calldata and every hash that binds an id are unchanged. Wrapped at the counter; unwrapped only
/// where the raw number is meant (the packed Dispute.jobId, the ledger's `Credited.ref`).
type JobId is uint256;

/// @notice A dispute, numbered by DisputeGame's counter from 1 (0 names no dispute).
type DisputeId is uint256;
