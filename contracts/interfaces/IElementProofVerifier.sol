// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Element proof verifier
/// @notice Answers "this fixed-point element computation is correct for these commitments":
/// a Groth16 proof (circuits/element.circom) that the value committed by `commitOut` equals
/// clamp(round-half-up(Σ a[i]·b[i] / 2^s)) for the vectors committed by `commitA` and
/// `commitB` (docs/fixed-point.md, "The element operation"). The commitments are hiding
/// Poseidon commitments (docs/circuits.md), so neither weights nor data reach the chain.
/// @dev The leaf check of the dispute game's trustless stage (docs/protocol.md §6). With the
/// development setup (a public beacon, not a ceremony) anyone can forge proofs: a production
/// deployment must use a verifier from a multi-party phase-2 ceremony.
interface IElementProofVerifier {
    /// @notice A Groth16 proof in the EVM layout: G2 coordinates as [c1, c0] (EIP-197).
    struct Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
    }

    /// @notice Parameters of the proven relation: ElementProof(N, Ba, Bb, s, Bo).
    struct ElementParams {
        uint32 n;
        uint8 aBits;
        uint8 bBits;
        uint8 shift;
        uint8 outBits;
    }

    /// @notice The proof does not prove the element relation for these commitments.
    error ElementProofInvalid(uint256 commitA, uint256 commitB, uint256 commitOut);
    /// @notice A commitment is not an element of the BN254 scalar field, so no proof can cover it.
    error ElementCommitmentNotInField(uint256 commitment);
    /// @notice The constructor was given the zero address as the Groth16 verifier.
    error ElementVerifierZeroAddress();
    /// @notice The constructor was given parameters no element circuit can have.
    error ElementParamsInvalid(ElementParams params);

    /// @notice The snarkjs-generated Groth16 verifier this adapter calls.
    /// @return The verifier's address.
    function verifier() external view returns (address);

    /// @notice The (N, Ba, Bb, s, Bo) of the circuit behind `verifier()`, as recorded in circuits/manifest.json.
    /// @return The element parameters.
    function elementParams() external view returns (ElementParams memory);

    /// @notice Whether `proof` proves the element relation for the three commitments.
    /// @param commitA Commitment to a (signed Ba-bit vector of length N).
    /// @param commitB Commitment to b (signed Bb-bit vector of length N).
    /// @param commitOut Commitment to out (signed Bo-bit scalar).
    /// @param proof The Groth16 proof.
    /// @return True iff the proof verifies; false for invalid proofs and out-of-field commitments.
    function verifyElement(
        uint256 commitA,
        uint256 commitB,
        uint256 commitOut,
        Proof calldata proof
    ) external view returns (bool);

    /// @notice Reverts unless `proof` proves the element relation for the three commitments.
    /// @dev Reverts with ElementCommitmentNotInField or ElementProofInvalid.
    /// @param commitA Commitment to a.
    /// @param commitB Commitment to b.
    /// @param commitOut Commitment to out.
    /// @param proof The Groth16 proof.
    function requireValidElement(
        uint256 commitA,
        uint256 commitB,
        uint256 commitOut,
        Proof calldata proof
    ) external view;
}
