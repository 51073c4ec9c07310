pragma circom 2.1.0;

// Hiding Poseidon commitment to a vector of n signed `bits`-bit integers (docs/circuits.md,
// "Commitments", is the normative description that src/zk/commitment.ts reproduces):
//   1. bias: u[i] = v[i] + 2^(bits−1), an integer in [0, 2^bits);
//   2. pack: K = floor(248 / bits) values per field element, little-endian,
//      w[j] = Σ_{k<K} u[j·K + k] · 2^(bits·k) (the last word takes what is left);
//   3. items = [header, w[0], …, w[W−1]] with header = bits + 256·n;
//   4. chain over chunks of at most 15 items: state = salt, then for each chunk
//      state = Poseidon(state, chunk…); the commitment is the final state.
// The salt (uniform in the field, private) makes it hiding; packing keeps the number of
// Poseidon calls small (one call for 64 eight-bit values).

include "circomlib/circuits/poseidon.circom";

template PackedCommitment(n, bits) {
    assert(n >= 1 && n < (1 << 32));
    assert(bits >= 1 && bits <= 128);
    // The biased values, each already range-checked by the caller to [0, 2^bits).
    signal input biased[n];
    signal input salt;
    signal output out;

    var perWord = 248 \ bits;
    var nWords = (n + perWord - 1) \ perWord;
    var nItems = nWords + 1;
    var nChunks = (nItems + 14) \ 15;

    // Linear combinations of the inputs: packing costs no constraints.
    var items[nItems];
    items[0] = bits + 256 * n;
    for (var j = 0; j < nWords; j++) {
        var word = 0;
        for (var k = 0; k < perWord && j * perWord + k < n; k++) {
            word += biased[j * perWord + k] * (1 << (bits * k));
        }
        items[j + 1] = word;
    }

    component hash[nChunks];
    var state = salt;
    for (var c = 0; c < nChunks; c++) {
        var len = nItems - 15 * c < 15 ? nItems - 15 * c : 15;
        hash[c] = Poseidon(len + 1);
        hash[c].inputs[0] <== state;
        for (var k = 0; k < len; k++) {
            hash[c].inputs[k + 1] <== items[15 * c + k];
        }
        state = hash[c].out;
    }
    out <== state;
}
