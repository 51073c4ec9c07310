pragma circom 2.1.0;

// The element circuit instance that is set up, committed and verified on chain.
// Parameters: ElementProof(N, Ba, Bb, s, Bo) — see docs/circuits.md. To change them, edit
// this one line and run `npm run circuits:setup` (the manifest records them).
//
// (64, 8, 15, 7, 21) is the exact-mode MLP's layer-1 weight gradient Aᵀ · dZ₁
// (docs/fixed-point.md, "Operators of one step"): N = batch 64, 8-bit activations,
// 15-bit output gradients, rounding shift 7 (gradShift), 21-bit result.

include "./lib/element.circom";

component main {public [commitA, commitB, commitOut]} = ElementProof(64, 8, 15, 7, 21);
