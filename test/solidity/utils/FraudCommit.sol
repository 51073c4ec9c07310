// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IFraudProofs} from "../../../contracts/interfaces/IFraudProofs.sol";
import {JobId} from "../../../contracts/types/Ids.sol";
import {OpenedLeaf} from "../../../contracts/types/JobTypes.sol";
import {VM_ADDRESS, Vm} from "./Vm.sol";

/// @notice Commits fraud proofs for tests the way a prover does (FraudProofs' commit–reveal): the
/// commitment binds the kind, the job, the evidence, a salt and the prover. The caller moves to a
/// later block before revealing with the same salt and prover.
library FraudCommit {
    Vm private constant VM = Vm(VM_ADDRESS);

    function finalDigest(
        IFraudProofs fraudProofs,
        JobId jobId,
        OpenedLeaf memory leaf,
        bytes32[] memory proof,
        bytes32 salt,
        address prover
    ) internal {
        _commit(
            fraudProofs,
            "finalDigest",
            jobId,
            fraudProofs.finalDigestEvidence(leaf, proof),
            salt,
            prover
        );
    }

    function topQ(
        IFraudProofs fraudProofs,
        JobId jobId,
        OpenedLeaf[] memory leaves,
        bytes32[] memory proof,
        bytes32 salt,
        address prover
    ) internal {
        _commit(fraudProofs, "topQ", jobId, fraudProofs.topQEvidence(leaves, proof), salt, prover);
    }

    function _commit(
        IFraudProofs fraudProofs,
        bytes32 kind,
        JobId jobId,
        bytes32 evidence,
        bytes32 salt,
        address prover
    ) private {
        VM.prank(prover);
        fraudProofs.commitProof(keccak256(abi.encode(kind, jobId, evidence, salt, prover)));
    }
}
