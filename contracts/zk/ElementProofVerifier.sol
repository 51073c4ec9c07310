// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IElementGroth16Verifier} from "../interfaces/IElementGroth16Verifier.sol";
import {IElementProofVerifier} from "../interfaces/IElementProofVerifier.sol";

/// @title Element proof verifier
/// @notice Adapter over the generated Groth16 verifier of the element circuit; see IElementProofVerifier.
/// @dev Composition, not inheritance: the generated verifier stays an untouched, separately
/// deployed unit, and replacing the setup (a real ceremony) means deploying a new pair.
contract ElementProofVerifier is IElementProofVerifier {
    /// @dev r of BN254: Groth16 public inputs are elements of this field.
    uint256 private constant _SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    IElementGroth16Verifier private immutable _verifier;
    uint32 private immutable _n;
    uint8 private immutable _aBits;
    uint8 private immutable _bBits;
    uint8 private immutable _shift;
    uint8 private immutable _outBits;

    /// @param verifier_ The snarkjs-generated verifier of circuits/artifacts/element.zkey.
    /// @param params_ The circuit's parameters, from circuits/manifest.json.
    constructor(IElementGroth16Verifier verifier_, ElementParams memory params_) {
        // INVARIANT: every call goes to a real verifier.
        if (address(verifier_) == address(0)) revert ElementVerifierZeroAddress();
        // INVARIANT: the advertised relation is one the circuit template accepts.
        if (params_.n == 0 || params_.aBits < 2 || params_.bBits < 2 || params_.outBits < 2) {
            revert ElementParamsInvalid(params_);
        }
        _verifier = verifier_;
        _n = params_.n;
        _aBits = params_.aBits;
        _bBits = params_.bBits;
        _shift = params_.shift;
        _outBits = params_.outBits;
    }

    /// @inheritdoc IElementProofVerifier
    function verifier() external view returns (address) {
        return address(_verifier);
    }

    /// @inheritdoc IElementProofVerifier
    function elementParams() external view returns (ElementParams memory) {
        return ElementParams({n: _n, aBits: _aBits, bBits: _bBits, shift: _shift, outBits: _outBits});
    }

    /// @inheritdoc IElementProofVerifier
    function verifyElement(
        uint256 commitA,
        uint256 commitB,
        uint256 commitOut,
        Proof calldata proof
    ) public view returns (bool) {
        // The generated verifier returns false for out-of-field signals itself.
        return _verifier.verifyProof(proof.a, proof.b, proof.c, [commitA, commitB, commitOut]);
    }

    /// @inheritdoc IElementProofVerifier
    function requireValidElement(
        uint256 commitA,
        uint256 commitB,
        uint256 commitOut,
        Proof calldata proof
    ) external view {
        // INVARIANT: a commitment is a field element, else a proof for its reduction mod r
        // would be taken for a proof about a different value.
        if (commitA >= _SNARK_SCALAR_FIELD) revert ElementCommitmentNotInField(commitA);
        if (commitB >= _SNARK_SCALAR_FIELD) revert ElementCommitmentNotInField(commitB);
        if (commitOut >= _SNARK_SCALAR_FIELD) revert ElementCommitmentNotInField(commitOut);
        // INVARIANT: requireValidElement returns only for a proof the Groth16 verifier accepts.
        if (!verifyElement(commitA, commitB, commitOut, proof)) {
            revert ElementProofInvalid(commitA, commitB, commitOut);
        }
    }
}
