// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IFraudProofs} from "../../../contracts/interfaces/IFraudProofs.sol";
import {OpenedLeaf} from "../../../contracts/types/JobTypes.sol";
import {VM_ADDRESS, Vm} from "./Vm.sol";

/// @notice Commits fraud proofs for tests the way a prover does (FraudProofs' commit–reveal): the
/// commitment binds the kind, the job, the evidence, a salt and the prover. The caller moves to a
/// later block before revealing with the same salt and prover.
library FraudCommit {
    Vm private constant VM = Vm(VM_ADDRESS);

    function finalDigest(
        IFraudProofs fraudProofs,
        uint256 jobId,
        OpenedLeaf memory leaf,
        bytes32[] memory proof,
        bytes32 salt,
        address prover
    ) internal {
        bytes32 evidence = fraudProofs.finalDigestEvidence(leaf, proof);
        VM.prank(prover);
        fraudProofs.commitProof(keccak256(abi.encode(bytes32("finalDigest"), jobId, evidence, salt, prover)));
    }

    function topQ(
        IFraudProofs fraudProofs,
        uint256 jobId,
        OpenedLeaf[] memory leaves,
        bytes32[] memory proof,
        bytes32 salt,
        address prover
    ) internal {
        bytes32 evidence = fraudProofs.topQEvidence(leaves, proof);
        VM.prank(prover);
        fraudProofs.commitProof(keccak256(abi.encode(bytes32("topQ"), jobId, evidence, salt, prover)));
    }
}
