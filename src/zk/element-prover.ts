// Groth16 proofs of one fixed-point element over hiding Poseidon commitments (the leaf
// check of docs/protocol.md §6). Inputs are validated against the circuit's parameters before
// snarkjs runs, so a bad input fails with a message naming the offending value instead of
// a witness-assertion failure deep inside the wasm.
import { groth16, type Groth16ProofJson } from "snarkjs";
import { z } from "zod";

import { commitVector } from "./commitment.ts";
import { loadElementCircuit, type ElementCircuit } from "./element-circuit.ts";
import { signedRange, type ElementParams } from "./element-params.ts";
import { ElementInputError, ProofGenerationError, ProverClosedError } from "./errors.ts";
import { SNARK_SCALAR_FIELD, toField } from "./field.ts";
import { dot, requantize } from "./fixed-point.ts";
import { formatIssues } from "../zod-issues.ts";

/** The public statement: commitments to a, b and out (in the circuit's order). */
export interface ElementCommitments {
  commitA: bigint;
  commitB: bigint;
  commitOut: bigint;
}

/** A Groth16 proof as affine coordinates; G2 coordinates in snarkjs order [c0, c1]. */
export interface Groth16Proof {
  a: readonly [bigint, bigint];
  b: readonly [readonly [bigint, bigint], readonly [bigint, bigint]];
  c: readonly [bigint, bigint];
}

/** The same proof in the layout the generated Solidity verifier takes (G2 as [c1, c0]). */
export interface SolidityProof {
  a: readonly [bigint, bigint];
  b: readonly [readonly [bigint, bigint], readonly [bigint, bigint]];
  c: readonly [bigint, bigint];
}

export interface ElementProofInput {
  a: readonly (bigint | number)[];
  b: readonly (bigint | number)[];
  /** The claimed output; when given it must equal the element, when omitted it is computed. */
  out?: bigint | number;
  saltA: bigint;
  saltB: bigint;
  saltOut: bigint;
}

export interface ElementProofResult {
  commitments: ElementCommitments;
  proof: Groth16Proof;
  out: bigint;
}

const integer = z.union([
  z.bigint(),
  z.number().int().refine(Number.isSafeInteger, "a safe integer").transform(BigInt),
]);
const salt = z
  .bigint()
  .min(0n)
  .max(SNARK_SCALAR_FIELD - 1n, "a field element");
const inputSchema = z.object({
  a: z.array(integer),
  b: z.array(integer),
  out: integer.optional(),
  saltA: salt,
  saltB: salt,
  saltOut: salt,
});

/** An element input after validation: bigint vectors in range and the element `out`. */
export interface ValidatedElementInput {
  a: bigint[];
  b: bigint[];
  out: bigint;
  saltA: bigint;
  saltB: bigint;
  saltOut: bigint;
}

function checkVector(name: string, v: readonly bigint[], n: number, bits: number): void {
  if (v.length !== n)
    throw new ElementInputError(`${name} has ${v.length} elements, the circuit takes N = ${n}`);
  const { min, max } = signedRange(bits);
  const bad = v.findIndex((x) => x < min || x > max);
  if (bad >= 0)
    throw new ElementInputError(
      `${name}[${bad}] = ${v[bad]} is outside the signed ${bits}-bit range [${min}, ${max}]`,
    );
}

/** Parses and range-checks an element input against `params`; computes or checks `out`. */
export function validateElementInput(
  input: ElementProofInput,
  params: ElementParams,
): ValidatedElementInput {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success)
    throw new ElementInputError(`invalid element input: ${formatIssues(parsed.error)}`, {
      cause: parsed.error,
    });
  const { a, b, out, saltA, saltB, saltOut } = parsed.data;
  checkVector("a", a, params.n, params.aBits);
  checkVector("b", b, params.n, params.bBits);
  const expected = requantize(dot(a, b), params.shift, params.outBits);
  if (out !== undefined && out !== expected) {
    const { min, max } = signedRange(params.outBits);
    const why =
      out < min || out > max
        ? `outside the signed ${params.outBits}-bit range [${min}, ${max}]`
        : `not the element of a and b, which is ${expected}`;
    throw new ElementInputError(`out = ${out} is ${why}`);
  }
  return { a, b, out: expected, saltA, saltB, saltOut };
}

/** The commitments of an element's data (what a proof's public signals must equal). */
export async function commitElement(
  input: ElementProofInput,
  params: ElementParams,
): Promise<ElementCommitments & { out: bigint }> {
  const v = validateElementInput(input, params);
  return { ...(await commitValidated(v, params)), out: v.out };
}

async function commitValidated(
  v: ValidatedElementInput,
  params: ElementParams,
): Promise<ElementCommitments> {
  return {
    commitA: await commitVector(v.a, params.aBits, v.saltA, "a"),
    commitB: await commitVector(v.b, params.bBits, v.saltB, "b"),
    commitOut: await commitVector([v.out], params.outBits, v.saltOut, "out"),
  };
}

const fieldString = z.string().regex(/^\d+$/).transform(BigInt);
const pair = z.tuple([fieldString, fieldString]);
const proofJsonSchema = z.object({
  pi_a: z.tuple([fieldString, fieldString, z.literal("1")]),
  pi_b: z.tuple([pair, pair, z.tuple([z.literal("1"), z.literal("0")])]),
  pi_c: z.tuple([fieldString, fieldString, z.literal("1")]),
});

function fromSnarkjs(json: Groth16ProofJson): Groth16Proof {
  const parsed = proofJsonSchema.safeParse(json);
  if (!parsed.success)
    throw new ProofGenerationError("snarkjs returned a proof of an unexpected shape", {
      cause: parsed.error,
    });
  const { pi_a, pi_b, pi_c } = parsed.data;
  return {
    a: [pi_a[0], pi_a[1]],
    b: [
      [pi_b[0][0], pi_b[0][1]],
      [pi_b[1][0], pi_b[1][1]],
    ],
    c: [pi_c[0], pi_c[1]],
  };
}

function toSnarkjs(proof: Groth16Proof): Groth16ProofJson {
  return {
    pi_a: [String(proof.a[0]), String(proof.a[1]), "1"],
    pi_b: [
      [String(proof.b[0][0]), String(proof.b[0][1])],
      [String(proof.b[1][0]), String(proof.b[1][1])],
      ["1", "0"],
    ],
    pi_c: [String(proof.c[0]), String(proof.c[1]), "1"],
    protocol: "groth16",
    curve: "bn128",
  };
}

/** Reorders the G2 point for the EVM pairing precompile (EIP-197 takes [c1, c0]). */
export function toSolidityProof(proof: Groth16Proof): SolidityProof {
  return {
    a: proof.a,
    b: [
      [proof.b[0][1], proof.b[0][0]],
      [proof.b[1][1], proof.b[1][0]],
    ],
    c: proof.c,
  };
}

const proofSchema = z.object({
  a: z.tuple([z.bigint(), z.bigint()]),
  b: z.tuple([z.tuple([z.bigint(), z.bigint()]), z.tuple([z.bigint(), z.bigint()])]),
  c: z.tuple([z.bigint(), z.bigint()]),
});
const commitmentsSchema = z.object({
  commitA: z.bigint(),
  commitB: z.bigint(),
  commitOut: z.bigint(),
});

// snarkjs keeps one multi-threaded bn128 curve per process (globalThis.curve_bn128) and
// never stops its worker threads, which keeps the process alive. Provers share it; the
// last one to close terminates it.
let openProvers = 0;

/** Terminates snarkjs's shared bn128 worker threads, if any (the next proof starts new ones). */
export async function releaseZkWorkers(): Promise<void> {
  const holder = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  const curve = holder.curve_bn128;
  if (curve) await curve.terminate();
}

/**
 * Proves and verifies element computations against the committed circuit. Holds
 * snarkjs's worker threads between calls (warm proofs); `close()` releases them.
 */
export class ElementProver {
  readonly circuit: ElementCircuit;
  private _closed = false;
  private readonly _inFlight = new Set<Promise<unknown>>();

  private constructor(circuit: ElementCircuit) {
    this.circuit = circuit;
  }

  /** Opens a prover on `circuit`, or on the committed circuit (digests checked) by default. */
  static async open(circuit?: ElementCircuit): Promise<ElementProver> {
    const prover = new ElementProver(circuit ?? (await loadElementCircuit()));
    openProvers++;
    return prover;
  }

  get params(): ElementParams {
    return this.circuit.params;
  }

  /** Proves `out = requant(Σ a[i]·b[i])` for the commitments of a, b and out under their salts. */
  prove(input: ElementProofInput): Promise<ElementProofResult> {
    return this._track(this._prove(input));
  }

  /** Whether `proof` proves the element relation for these commitments. */
  verify(commitments: ElementCommitments, proof: Groth16Proof): Promise<boolean> {
    return this._track(this._verify(commitments, proof));
  }

  /** Waits for running calls, then releases the worker threads if no other prover is open. */
  async close(): Promise<void> {
    if (this._closed) return;
    this._closed = true;
    await Promise.allSettled([...this._inFlight]);
    openProvers--;
    if (openProvers === 0) await releaseZkWorkers();
  }

  private _track<T>(work: Promise<T>): Promise<T> {
    if (this._closed) return Promise.reject(new ProverClosedError("the element prover is closed"));
    this._inFlight.add(work);
    const forget = (): void => void this._inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  private async _prove(input: ElementProofInput): Promise<ElementProofResult> {
    const params = this.circuit.params;
    const v = validateElementInput(input, params);
    const commitments = await commitValidated(v, params);
    const witnessInput = {
      commitA: commitments.commitA.toString(),
      commitB: commitments.commitB.toString(),
      commitOut: commitments.commitOut.toString(),
      a: v.a.map((x) => toField(x).toString()),
      b: v.b.map((x) => toField(x).toString()),
      out: toField(v.out).toString(),
      saltA: v.saltA.toString(),
      saltB: v.saltB.toString(),
      saltOut: v.saltOut.toString(),
    };
    let result: { proof: Groth16ProofJson; publicSignals: string[] };
    try {
      result = await groth16.fullProve(witnessInput, this.circuit.wasmPath, this.circuit.zkeyPath);
    } catch (cause) {
      throw new ProofGenerationError("snarkjs could not prove a validated element input", {
        cause,
      });
    }
    const signals = result.publicSignals.map((s) => BigInt(s));
    const expected = [commitments.commitA, commitments.commitB, commitments.commitOut];
    if (signals.length !== 3 || signals.some((s, i) => s !== expected[i]))
      throw new ProofGenerationError(
        `the proof's public signals [${signals.join(", ")}] differ from the commitments`,
      );
    return { commitments, proof: fromSnarkjs(result.proof), out: v.out };
  }

  private async _verify(commitments: ElementCommitments, proof: Groth16Proof): Promise<boolean> {
    const c = commitmentsSchema.safeParse(commitments);
    const p = proofSchema.safeParse(proof);
    if (!c.success || !p.success)
      throw new ElementInputError("verify takes bigint commitments and a bigint proof", {
        cause: c.error ?? p.error,
      });
    const publicSignals = [commitments.commitA, commitments.commitB, commitments.commitOut];
    // Out-of-field public inputs would be reduced by snarkjs; the on-chain verifier rejects them.
    if (publicSignals.some((s) => s < 0n || s >= SNARK_SCALAR_FIELD)) return false;
    try {
      return await groth16.verify(
        this.circuit.verificationKey,
        publicSignals.map(String),
        toSnarkjs(proof),
      );
    } catch {
      // snarkjs throws on coordinates that are not field elements or points off the
      // curve: such a proof proves nothing.
      return false;
    }
  }
}
