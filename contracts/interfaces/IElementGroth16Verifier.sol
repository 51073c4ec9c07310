// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title The generated Groth16 verifier of the element circuit
/// @notice The ABI of snarkjs's `Groth16Verifier` (contracts/verifiers/ElementGroth16Verifier.sol,
/// generated from circuits/artifacts/element.zkey, never edited) for three public inputs.
interface IElementGroth16Verifier {
    /// @notice Whether (pA, pB, pC) is a valid proof for the public signals.
    /// @dev Returns false, never reverts, for invalid proofs and for signals outside the scalar field.
    /// @param pA The proof's A point (G1).
    /// @param pB The proof's B point (G2, coordinates as [c1, c0] per EIP-197).
    /// @param pC The proof's C point (G1).
    /// @param pubSignals [commitA, commitB, commitOut].
    /// @return Whether the proof verifies.
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[3] calldata pubSignals
    ) external view returns (bool);
}
