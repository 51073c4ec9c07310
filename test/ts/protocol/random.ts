// A seeded generator for property tests: deterministic, so a failure reproduces, and varied
// through ASSAY_TEST_SEED when someone wants to explore more inputs.
import { keccak256, numberToHex, type Hex } from "viem";

export interface Random {
  /** The seed, printed in failure messages so a failing case can be replayed. */
  readonly seed: bigint;
  /** Uniform in [0, 2^bits). */
  bits(bits: number): bigint;
  /** Uniform integer in [min, max] (both inclusive, max − min < 2^53). */
  int(min: number, max: number): number;
  /** A 32-byte hex value. */
  bytes32(): Hex;
  /** Pick one element. */
  pick<T>(values: readonly T[]): T;
}

export function seededRandom(label: string): Random {
  const fromEnv = process.env.ASSAY_TEST_SEED;
  const seed = BigInt(keccak256(new TextEncoder().encode(`${label}:${fromEnv ?? "0"}`)));
  let counter = 0n;
  const next256 = (): bigint => {
    counter += 1n;
    return BigInt(keccak256(numberToHex(seed ^ counter, { size: 32 })));
  };
  const bits = (n: number): bigint => {
    let value = 0n;
    for (let have = 0; have < n; have += 256) value = (value << 256n) | next256();
    return value & ((1n << BigInt(n)) - 1n);
  };
  const int = (min: number, max: number): number => {
    if (max < min) throw new RangeError(`empty range [${min}, ${max}]`);
    return min + Number(bits(64) % BigInt(max - min + 1));
  };
  return {
    seed,
    bits,
    int,
    bytes32: () => numberToHex(bits(256), { size: 32 }),
    pick: <T>(values: readonly T[]): T => values[int(0, values.length - 1)]!,
  };
}
