// Hiding Poseidon commitments to small signed vectors, bit for bit the circuit's
// PackedCommitment (circuits/lib/commitment.circom; normative text in docs/circuits.md):
// bias each value by 2^(bits−1), pack floor(248 / bits) of them per field element,
// prefix a header (bits + 256·n), then chain Poseidon over chunks of at most 15 items
// starting from the salt.
import { buildPoseidon, type Poseidon } from "circomlibjs";

import { signedRange } from "./element-params.ts";
import { ElementInputError } from "./errors.ts";
import { SNARK_SCALAR_FIELD } from "./field.ts";

/** Payload bits per packed field element: 31 whole bytes, safely below the 254-bit field. */
export const PACKED_WORD_BITS = 248;
/** Items per Poseidon call besides the chaining state (circomlib's Poseidon takes ≤ 16 inputs). */
export const ITEMS_PER_CHUNK = 15;

let poseidonPromise: Promise<Poseidon> | undefined;

/** circomlibjs Poseidon, built once per process (single-threaded: it leaves no workers). */
function getPoseidon(): Promise<Poseidon> {
  poseidonPromise ??= buildPoseidon();
  return poseidonPromise;
}

/** Poseidon over 1 to 16 field elements, as circomlib's `Poseidon(n)` template computes it. */
export async function poseidonHash(inputs: readonly bigint[]): Promise<bigint> {
  if (inputs.length < 1 || inputs.length > 16)
    throw new RangeError(`Poseidon takes 1 to 16 inputs, got ${inputs.length}`);
  for (const x of inputs)
    if (x < 0n || x >= SNARK_SCALAR_FIELD)
      throw new RangeError(`Poseidon input ${x} is not a field element`);
  const poseidon = await getPoseidon();
  return poseidon.F.toObject(poseidon(inputs));
}

/**
 * The items a commitment hashes: the header, then the packed words. Throws
 * ElementInputError naming the first value outside the signed `bits`-bit range.
 */
export function commitmentItems(
  values: readonly bigint[],
  bits: number,
  label = "value",
): bigint[] {
  if (!Number.isInteger(bits) || bits < 1 || bits > 128)
    throw new RangeError(`bits must be an integer in [1, 128], got ${bits}`);
  if (values.length < 1) throw new RangeError("cannot commit to an empty vector");
  const { min, max } = signedRange(bits);
  const bias = 1n << BigInt(bits - 1);
  const perWord = Math.floor(PACKED_WORD_BITS / bits);
  const items: bigint[] = [BigInt(bits) + 256n * BigInt(values.length)];
  for (let start = 0; start < values.length; start += perWord) {
    let word = 0n;
    const end = Math.min(start + perWord, values.length);
    for (let i = start; i < end; i++) {
      const v = values[i]!;
      if (v < min || v > max)
        throw new ElementInputError(
          `${label}[${i}] = ${v} is outside the signed ${bits}-bit range [${min}, ${max}]`,
        );
      word += (v + bias) << BigInt(bits * (i - start));
    }
    items.push(word);
  }
  return items;
}

/** The hiding commitment to `values` (signed `bits`-bit integers) under `salt`. */
export async function commitVector(
  values: readonly bigint[],
  bits: number,
  salt: bigint,
  label = "value",
): Promise<bigint> {
  if (salt < 0n || salt >= SNARK_SCALAR_FIELD)
    throw new ElementInputError(`the salt of ${label} is not a field element: ${salt}`);
  const items = commitmentItems(values, bits, label);
  let state = salt;
  for (let c = 0; c < items.length; c += ITEMS_PER_CHUNK)
    state = await poseidonHash([state, ...items.slice(c, c + ITEMS_PER_CHUNK)]);
  return state;
}
