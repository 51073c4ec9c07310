// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {CreditLedger} from "./base/CreditLedger.sol";
import {IFraudProofs} from "./interfaces/IFraudProofs.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IStakeRegistry} from "./interfaces/IStakeRegistry.sol";
import {MerkleLib} from "./libraries/MerkleLib.sol";
import {TraceLib} from "./libraries/TraceLib.sol";
import {MAX_RECOVERABLE_BPS} from "./types/DisputeTypes.sol";
import {JobId} from "./types/Ids.sol";
import {DisputeContext, OpenedLeaf} from "./types/JobTypes.sol";
import {StakeRole} from "./types/StakeTypes.sol";

/// @title FraudProofs
/// @notice Slashes providers on objective, Merkle-proven contradictions. See IFraudProofs.
/// @dev Solvency: the token balance equals the unclaimed credits; slashed collateral arrives from the
/// registry and is credited in the same call.
contract FraudProofs is IFraudProofs, CreditLedger, AccessControl {
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    uint256 private constant _BPS = 10_000;

    IJobMarket private immutable _market;
    IStakeRegistry private immutable _registry;
    uint256 private _proverShareBps;
    mapping(bytes32 commitment => uint256 blockNumber) private _commits;

    constructor(
        IJobMarket market_,
        IStakeRegistry registry_,
        address governor,
        uint256 proverShareBps_
    ) CreditLedger(IERC20(registry_.token())) {
        _market = market_;
        _registry = registry_;
        _grantRole(DEFAULT_ADMIN_ROLE, governor);
        _grantRole(GOVERNOR_ROLE, governor);
        _setProverShareBps(proverShareBps_);
    }

    /// @inheritdoc IFraudProofs
    function commitProof(bytes32 commitment) external {
        // INVARIANT: a commitment's block never changes once set: a re-commit cannot reset its age.
        if (_commits[commitment] != 0) revert FraudCommitmentExists(commitment);
        _commits[commitment] = block.number;
        emit FraudCommitted(commitment, msg.sender);
    }

    /// @inheritdoc IFraudProofs
    function proveTopQFraud(
        JobId jobId,
        OpenedLeaf[] calldata leaves,
        bytes32[] calldata proof,
        bytes32 salt
    ) external nonReentrant {
        DisputeContext memory ctx = _market.disputeContext(jobId);
        _reveal("topQ", jobId, ctx, topQEvidence(leaves, proof), salt);
        // INVARIANT: a top-Q proof is one leaf more than an honest claim leaves above its smallest norm
        // (`topAbove`, those of its own segments that exceed it): one more proves a larger update
        // outside the claim. Q = 0 claims nothing.
        uint256 needed = uint256(ctx.topAbove) + 1;
        if (ctx.topQ == 0 || leaves.length != needed) revert FraudNotShown(jobId, leaves.length);
        uint256[] memory positions = new uint256[](needed);
        bytes32[] memory nodes = new bytes32[](needed);
        for (uint256 i; i < needed; ++i) {
            OpenedLeaf calldata leaf = leaves[i];
            // INVARIANT: every leaf of the proof is a trace leaf whose norm exceeds the claim's smallest.
            if (leaf.index == 0 || leaf.index > ctx.checkpoints || leaf.updateNorm <= ctx.minTopNorm) {
                revert FraudNotShown(jobId, leaf.index);
            }
            positions[i] = leaf.index - 1;
            nodes[i] = TraceLib.leafHash(jobId, leaf.index, leaf.stateDigest, leaf.lossBits, leaf.updateNorm);
        }
        // INVARIANT: the leaves are the trace's own, and distinct (the multi-proof requires strictly
        // increasing positions).
        if (
            MerkleLib.rootFromMultiProof(MerkleLib.depthOf(ctx.checkpoints), positions, nodes, proof) !=
            ctx.traceRoot
        ) {
            revert FraudInvalidProof(jobId);
        }
        _slash(jobId, leaves[0].index, "topQ");
    }

    /// @inheritdoc IFraudProofs
    function proveFinalDigestFraud(
        JobId jobId,
        OpenedLeaf calldata leaf,
        bytes32[] calldata proof,
        bytes32 salt
    ) external nonReentrant {
        DisputeContext memory ctx = _market.disputeContext(jobId);
        _reveal("finalDigest", jobId, ctx, finalDigestEvidence(leaf, proof), salt);
        // INVARIANT: a final-digest proof shows leaf n differing from the submitted final digest.
        if (leaf.index != ctx.checkpoints || leaf.stateDigest == ctx.finalDigest) {
            revert FraudNotShown(jobId, leaf.index);
        }
        _requireLeaf(jobId, ctx, leaf, proof);
        _slash(jobId, leaf.index, "finalDigest");
    }

    /// @inheritdoc IFraudProofs
    function topQEvidence(
        OpenedLeaf[] calldata leaves,
        bytes32[] calldata proof
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(leaves, proof));
    }

    /// @inheritdoc IFraudProofs
    function finalDigestEvidence(
        OpenedLeaf calldata leaf,
        bytes32[] calldata proof
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(leaf, proof));
    }

    /// @inheritdoc IFraudProofs
    function proverShareBps() external view returns (uint256) {
        return _proverShareBps;
    }

    /// @inheritdoc IFraudProofs
    // INVARIANT: only governance (GOVERNOR_ROLE) moves the prover's share.
    function setProverShareBps(uint256 value) external onlyRole(GOVERNOR_ROLE) {
        _setProverShareBps(value);
    }

    function _requireLeaf(
        JobId jobId,
        DisputeContext memory ctx,
        OpenedLeaf calldata leaf,
        bytes32[] calldata proof
    ) private pure {
        // INVARIANT: the proven leaf is a leaf of the trace (1 … n) ...
        if (leaf.index == 0 || leaf.index > ctx.checkpoints) revert FraudNotShown(jobId, leaf.index);
        bytes32 node = TraceLib.leafHash(jobId, leaf.index, leaf.stateDigest, leaf.lossBits, leaf.updateNorm);
        // INVARIANT: ... and the one committed in the job's trace root.
        if (
            MerkleLib.rootFromProof(MerkleLib.depthOf(ctx.checkpoints), leaf.index - 1, node, proof) !=
            ctx.traceRoot
        ) {
            revert FraudInvalidProof(jobId);
        }
    }

    /// @dev Consumes the sender's commitment to this evidence (at least a block old) and refuses the
    /// job's own parties.
    function _reveal(
        bytes32 kind,
        JobId jobId,
        DisputeContext memory ctx,
        bytes32 evidence,
        bytes32 salt
    ) private {
        bytes32 commitment = keccak256(abi.encode(kind, jobId, evidence, salt, msg.sender));
        uint256 committedAt = _commits[commitment];
        // INVARIANT: the commitment binds the evidence and the prover's address, and is at least a
        // block old: a reveal copied from the mempool by another sender has no commitment.
        if (committedAt == 0) revert FraudCommitmentUnknown(commitment);
        if (committedAt >= block.number) revert FraudCommitmentTooRecent(commitment, committedAt);
        delete _commits[commitment];
        // INVARIANT: nobody proves fraud on (and so recovers part of) their own job.
        if (msg.sender == ctx.provider || msg.sender == ctx.submitter) {
            revert FraudPartyCannotProve(jobId, msg.sender);
        }
    }

    function _slash(JobId jobId, uint256 index, bytes32 kind) private {
        // Reverts unless the job is Opened or Disputed; refunds the submitter there.
        (address provider, uint256 collateral) = _market.slashByFraudProof(jobId);
        uint256 taken = _registry.slash(provider, StakeRole.Provider, collateral, 0);
        emit FraudProven(jobId, msg.sender, index, kind, taken);
        uint256 toProver = (taken * _proverShareBps) / _BPS;
        _credit(msg.sender, JobId.unwrap(jobId), toProver);
        _credit(_market.treasury(), JobId.unwrap(jobId), taken - toProver);
    }

    function _setProverShareBps(uint256 value) private {
        // INVARIANT (self-challenge): a provider's puppet proving its fraud wins back at most
        // MAX_RECOVERABLE_BPS of the collateral.
        if (value > MAX_RECOVERABLE_BPS)
            revert FraudParameterOutOfBounds("proverShareBps", value, 0, MAX_RECOVERABLE_BPS);
        _proverShareBps = value;
        emit ParameterSet("proverShareBps", value);
    }
}
