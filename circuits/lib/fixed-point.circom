pragma circom 2.1.0;

// The fixed-point element operation of docs/fixed-point.md ("The element operation"):
//   acc = Σ a[i]·b[i],  out = clamp(floor((acc + 2^(s−1)) / 2^s), −2^(Bo−1), 2^(Bo−1) − 1)
// (for s = 0: out = clamp(acc, …)). Signed integers live in the field as x mod p; every
// bound below is tiny next to p, so no sum or product can wrap around.

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// Smallest n with 2^n > x, for 0 <= x < 2^200 (compile time only).
function bitLength(x) {
    var n = 0;
    while ((1 << n) <= x) {
        n++;
    }
    return n;
}

// floor(t / 2^s) of a signed value t with |t| < p/2 (witness computation only). circom
// compares field elements as signed values (val(z) = z − p above p/2) but divides their
// non-negative representatives, so the negative case is rounded by hand.
function floorShift(t, s) {
    var d = 1 << s;
    if (t < 0) {
        return -((-t + d - 1) \ d);
    }
    return t \ d;
}

// Signed width of floor(in / 2^s) when |in| < 2^(inBits−1): the quotient lies in
// [−max(2^(inBits−1−s), 1), 2^(inBits−1−s)), inside [−2^(inBits−s), 2^(inBits−s)).
function floorShiftBits(inBits, s) {
    return inBits - s + 1 > 2 ? inBits - s + 1 : 2;
}

// Constrains −2^(bits−1) <= in < 2^(bits−1) and outputs in + 2^(bits−1), which is then
// a non-negative integer below 2^bits (the form the commitments pack).
template SignedRange(bits) {
    assert(bits >= 1 && bits <= 128);
    signal input in;
    signal output biased;

    biased <== in + (1 << (bits - 1));
    component n2b = Num2Bits(bits);
    n2b.in <== biased;
}

// out = floor(in / 2^s) for a signed `in` with |in| < 2^(inBits−1), s >= 1. The quotient
// and remainder are witnessed and pinned by in = q·2^s + r, 0 <= r < 2^s and a range on
// q: the span of (q, r) is far below p, so the decomposition is unique.
template FloorShift(inBits, s) {
    assert(s >= 1 && inBits >= 1 && inBits + 2 <= 128);
    signal input in;
    signal output out;

    var qBits = floorShiftBits(inBits, s);

    out <-- floorShift(in, s);
    signal rem;
    rem <-- in - out * (1 << s);
    in === out * (1 << s) + rem;

    component remRange = Num2Bits(s);
    remRange.in <== rem;
    component quotRange = SignedRange(qBits);
    quotRange.in <== out;
}

// Saturates a signed `in` (range-checked by the caller to −2^(inBits−1) <= in < 2^(inBits−1))
// into [−2^(outBits−1), 2^(outBits−1) − 1].
template SignedClamp(inBits, outBits) {
    assert(inBits >= 1 && inBits <= 250 && outBits >= 1);
    signal input in;
    signal output out;

    if (outBits >= inBits) {
        // Nothing to saturate: every admissible input is already in the output range.
        out <== in;
    } else {
        var lo = -(1 << (outBits - 1));
        var hi = (1 << (outBits - 1)) - 1;
        // Shifting by 2^(inBits−1) maps in, lo and hi into [0, 2^inBits), the domain on
        // which LessThan(inBits) is sound.
        var shift = 1 << (inBits - 1);

        component below = LessThan(inBits);
        below.in[0] <== in + shift;
        below.in[1] <== lo + shift;
        component above = LessThan(inBits);
        above.in[0] <== hi + shift;
        above.in[1] <== in + shift;

        // lo < hi, so at most one of the two corrections is non-zero.
        signal toLo;
        signal toHi;
        toLo <== below.out * (lo - in);
        toHi <== above.out * (hi - in);
        out <== in + toLo + toHi;
    }
}

// The requantization step: round half up by an arithmetic shift of acc + 2^(s−1), then
// saturate to Bo bits. `in` (the accumulator) must satisfy |in| < 2^(accBits−1); the
// caller guarantees it from the ranges of the operands.
template Requantize(accBits, s, outBits) {
    assert(s >= 0);
    signal input in;
    signal output out;

    if (s == 0) {
        component clampAcc = SignedClamp(accBits, outBits);
        clampAcc.in <== in;
        out <== clampAcc.out;
    } else {
        // |acc + 2^(s−1)| < 2^(accBits−1) + 2^(s−1) <= 2^(max(accBits, s)).
        var tBits = (accBits > s ? accBits : s) + 1;
        component shifted = FloorShift(tBits, s);
        shifted.in <== in + (1 << (s - 1));
        var qBits = floorShiftBits(tBits, s);
        component clampQ = SignedClamp(qBits, outBits);
        clampQ.in <== shifted.out;
        out <== clampQ.out;
    }
}
