pragma circom 2.1.0;

// The element circuit instance that is set up, committed and verified on chain.
// Parameters: ElementProof(N, Ba, Bb, s, Bo) — see docs/circuits.md. To change them, edit
// this one line and run `npm run circuits:setup` (the manifest records them).

include "./lib/element.circom";

component main {public [commitA, commitB, commitOut]} = ElementProof(64, 8, 8, 8, 16);
