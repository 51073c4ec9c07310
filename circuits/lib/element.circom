pragma circom 2.1.0;

// The leaf check of the dispute game (docs/protocol.md §6): one element of one operator,
// proven over hiding commitments so that weights and data stay off chain.
//
// Public:  commitA, commitB, commitOut (PackedCommitment of a, b and [out]).
// Private: a[N] (signed Ba-bit), b[N] (signed Bb-bit), out (signed Bo-bit), three salts.
// Statement: the committed out is exactly the docs/fixed-point.md element of a and b.

include "./fixed-point.circom";
include "./commitment.circom";

template ElementProof(N, Ba, Bb, s, Bo) {
    assert(N >= 1 && Ba >= 2 && Bb >= 2 && Bo >= 2 && s >= 0);
    // The engine's int32 accumulator never overflows (docs/fixed-point.md), so the
    // exact integer sum proven here is the engine's.
    assert(N * (1 << (Ba - 1)) * (1 << (Bb - 1)) < (1 << 31));

    signal input commitA;
    signal input commitB;
    signal input commitOut;

    signal input a[N];
    signal input b[N];
    signal input out;
    signal input saltA;
    signal input saltB;
    signal input saltOut;

    // Range checks: they make every integer below meaningful (no wrap-around mod p).
    component rangeA[N];
    component rangeB[N];
    for (var i = 0; i < N; i++) {
        rangeA[i] = SignedRange(Ba);
        rangeA[i].in <== a[i];
        rangeB[i] = SignedRange(Bb);
        rangeB[i].in <== b[i];
    }
    component rangeOut = SignedRange(Bo);
    rangeOut.in <== out;

    // Exact accumulator: |acc| <= N·2^(Ba−1)·2^(Bb−1) < 2^(accBits−1).
    signal product[N];
    var acc = 0;
    for (var i = 0; i < N; i++) {
        product[i] <== a[i] * b[i];
        acc += product[i];
    }
    var accBits = bitLength(N * (1 << (Ba + Bb - 2))) + 1;

    component requant = Requantize(accBits, s, Bo);
    requant.in <== acc;
    out === requant.out;

    component hashA = PackedCommitment(N, Ba);
    component hashB = PackedCommitment(N, Bb);
    component hashOut = PackedCommitment(1, Bo);
    for (var i = 0; i < N; i++) {
        hashA.biased[i] <== rangeA[i].biased;
        hashB.biased[i] <== rangeB[i].biased;
    }
    hashA.salt <== saltA;
    hashB.salt <== saltB;
    hashOut.biased[0] <== rangeOut.biased;
    hashOut.salt <== saltOut;

    commitA === hashA.out;
    commitB === hashB.out;
    commitOut === hashOut.out;
}
