// A small deterministic PRNG (xoshiro128**, seeded from sha-256 of a label) for initial
// parameters and synthetic data. Integer-only arithmetic, so every platform draws the
// same numbers; it is not a cryptographic generator and never decides anything a
// provider could profit from (batch order is derived from sha-256, src/data/batch-schedule.ts).
import { createHash } from "node:crypto";

export interface SeededRandom {
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** A uniform integer in [0, bound), bound ≤ 2^32, without modulo bias. */
  nextInt(bound: number): number;
  /** A uniform float in [0, 1) with 32 bits of randomness. */
  nextFloat(): number;
}

export function seededRandom(label: string): SeededRandom {
  const seed = createHash("sha256").update(label).digest();
  const s = new Uint32Array(4);
  for (let i = 0; i < 4; i++) s[i] = seed.readUInt32LE(4 * i);
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
  return {
    nextUint32,
    nextInt(bound) {
      if (!Number.isInteger(bound) || bound < 1 || bound > 2 ** 32)
        throw new RangeError(`bound must be an integer in [1, 2^32], got ${bound}`);
      // Rejection sampling: accept draws below the largest multiple of bound.
      const limit = 2 ** 32 - (2 ** 32 % bound);
      for (;;) {
        const x = nextUint32();
        if (x < limit) return x % bound;
      }
    },
    nextFloat() {
      return nextUint32() / 2 ** 32;
    },
  };
}

/**
 * round(f·n) distinct indices of 1..n (at least one, all of them when f = 1), drawn by `label`
 * (a Fisher–Yates shuffle), ascending.
 */
export function chooseFraction(n: number, f: number, label: string): number[] {
  const count = Math.min(n, Math.max(1, Math.round(f * n)));
  const random = seededRandom(label);
  const pool = Array.from({ length: n }, (_, i) => i + 1);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count).sort((a, b) => a - b);
}
