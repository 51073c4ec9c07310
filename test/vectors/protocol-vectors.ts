// The shared TypeScript/Solidity test vectors of the protocol encodings (docs/protocol.md §3–4): leaf
// hashes, Merkle roots and proofs, job seeds and sampled indices, computed by src/protocol. They are
// committed twice — protocol.json for TypeScript and other implementations, and a generated Solidity
// library for the contract tests — and test/ts/protocol/vectors.test.ts fails when either copy drifts
// from what src/protocol computes now. scripts/gen-vectors.ts rewrites both files.
import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";

import * as prettier from "prettier";
import { keccak256, toHex, type Hex } from "viem";
import { z } from "zod";

import {
  encodeNormFromSquaredRaw,
  encodeNormQ32,
  float32LossBits,
  hashLeaf,
  int64LossBits,
  UINT64_MAX,
  type TraceLeaf,
} from "../../src/protocol/leaf.ts";
import { buildLevels, merkleProof, multiProof, treeDepth } from "../../src/protocol/merkle.ts";
import { jobSeed, sampleSegments } from "../../src/protocol/sampler.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
export const VECTORS_JSON_PATH = path.join(here, "protocol.json");
export const VECTORS_SOL_PATH = path.resolve(here, "../solidity/generated/ProtocolVectors.sol");

const UINT256_MAX = (1n << 256n) - 1n;

// ------------------------------------------------------------------ schema

const hex32 = z.custom<Hex>(
  (v) => typeof v === "string" && /^0x[0-9a-f]{64}$/.test(v),
  "a lower-case 0x-prefixed 32-byte hex string",
);
const uint = (max: bigint) =>
  z
    .string()
    .regex(/^(0|[1-9]\d*)$/, "a decimal integer without leading zeros")
    .refine((v) => BigInt(v) <= max, `at most ${max}`);
const uint64 = uint(UINT64_MAX);
const uint256 = uint(UINT256_MAX);
const position = z.number().int().nonnegative();

const LeafVectorSchema = z
  .object({
    jobId: uint256,
    index: uint256,
    stateDigest: hex32,
    lossBits: uint64,
    updateNorm: uint64,
    hash: hex32,
  })
  .strict();
const TreeVectorSchema = z
  .object({ n: position, depth: position, leaves: z.array(hex32), root: hex32 })
  .strict();
const ProofVectorSchema = z
  .object({
    n: position,
    depth: position,
    position,
    leaf: hex32,
    proof: z.array(hex32),
    root: hex32,
  })
  .strict();
const MultiProofVectorSchema = z
  .object({
    n: position,
    depth: position,
    positions: z.array(position).min(1),
    leaves: z.array(hex32).min(1),
    proof: z.array(hex32),
    root: hex32,
  })
  .strict();
const SeedVectorSchema = z.object({ randomness: hex32, jobId: uint256, seed: hex32 }).strict();
const SampleVectorSchema = z
  .object({ seed: hex32, n: uint256, q: position, indices: z.array(uint256) })
  .strict();

export const ProtocolVectorsSchema = z
  .object({
    version: z.literal(1),
    generator: z.literal("scripts/gen-vectors.ts"),
    leaves: z.array(LeafVectorSchema).min(1),
    trees: z.array(TreeVectorSchema).min(1),
    proofs: z.array(ProofVectorSchema).min(1),
    multiProofs: z.array(MultiProofVectorSchema).min(1),
    seeds: z.array(SeedVectorSchema).min(1),
    samples: z.array(SampleVectorSchema).min(1),
  })
  .strict();
export type ProtocolVectors = z.infer<typeof ProtocolVectorsSchema>;

// ------------------------------------------------------------------ generation

/** The job id every tree vector's leaves are bound to. */
const TREE_JOB_ID = 7n;
const TREE_SIZES = [1, 2, 3, 5, 16] as const;
/** (n, position) pairs for single proofs: first, middle and last leaves, and the padded edge. */
const PROOF_CASES: readonly (readonly [number, number])[] = [
  [1, 0],
  [2, 1],
  [3, 2],
  [5, 0],
  [5, 4],
  [16, 0],
  [16, 9],
  [16, 15],
];
/** (n, positions) for multi-proofs: siblings shared, pairs known, and every leaf (empty proof). */
const MULTI_PROOF_CASES: readonly (readonly [number, readonly number[]])[] = [
  [3, [1, 2]],
  [5, [0, 3, 4]],
  [16, [0, 1, 5, 9, 15]],
  [16, Array.from({ length: 16 }, (_, i) => i)],
];

function sha256Hex(text: string): Hex {
  return `0x${createHash("sha256").update(text).digest("hex")}`;
}

/** The deterministic trace behind the tree vectors: sha-256 state digests, varied losses and norms. */
export function vectorTrace(n: number): TraceLeaf[] {
  return Array.from({ length: n }, (_, i) => ({
    index: BigInt(i + 1),
    stateDigest: sha256Hex(`assay vector state ${i + 1}`),
    lossBits: float32LossBits(2.5 / (i + 1)),
    updateNorm: encodeNormQ32(1 / (i + 2)),
  }));
}

function leafVector(jobId: bigint, leaf: TraceLeaf): ProtocolVectors["leaves"][number] {
  return {
    jobId: jobId.toString(),
    index: leaf.index.toString(),
    stateDigest: leaf.stateDigest,
    lossBits: leaf.lossBits.toString(),
    updateNorm: leaf.updateNorm.toString(),
    hash: hashLeaf(jobId, leaf),
  };
}

/** Computes every vector from src/protocol as it is now. */
export function buildVectors(): ProtocolVectors {
  const leafInputs: [bigint, TraceLeaf][] = [
    // A tolerance-mode leaf: float32 loss bits, Q32.32 norm.
    [
      1n,
      {
        index: 1n,
        stateDigest: sha256Hex("assay"),
        lossBits: float32LossBits(2.302585),
        updateNorm: encodeNormQ32(0.5),
      },
    ],
    // Every field at zero.
    [0n, { index: 0n, stateDigest: `0x${"00".repeat(32)}`, lossBits: 0n, updateNorm: 0n }],
    // Every field at its maximum.
    [
      UINT256_MAX,
      {
        index: UINT256_MAX,
        stateDigest: `0x${"ff".repeat(32)}`,
        lossBits: UINT64_MAX,
        updateNorm: UINT64_MAX,
      },
    ],
    // Exact mode: a negative int64 loss (two's complement) and a norm from raw fixed-point squares.
    [
      42n,
      {
        index: 1024n,
        stateDigest: sha256Hex("exact"),
        lossBits: int64LossBits(-1234567n),
        updateNorm: encodeNormFromSquaredRaw(123_456_789n, 16),
      },
    ],
    [
      2n ** 64n,
      {
        index: 2n ** 20n,
        stateDigest: sha256Hex("int64 min"),
        lossBits: int64LossBits(-(1n << 63n)),
        updateNorm: encodeNormQ32(1e12), // saturates at 2^64 − 1
      },
    ],
  ];

  const levelsBySize = new Map<number, Hex[][]>();
  const leavesBySize = new Map<number, Hex[]>();
  for (const n of TREE_SIZES) {
    const leaves = vectorTrace(n).map((leaf) => hashLeaf(TREE_JOB_ID, leaf));
    leavesBySize.set(n, leaves);
    levelsBySize.set(n, buildLevels(leaves));
  }
  const levelsOf = (n: number): Hex[][] => {
    const levels = levelsBySize.get(n);
    if (levels === undefined) throw new RangeError(`no tree vector of ${n} leaves`);
    return levels;
  };
  const rootOf = (n: number): Hex => levelsOf(n).at(-1)![0]!;

  const randomness = keccak256(toHex("assay vector randomness"));
  const seedInputs: [Hex, bigint][] = [
    [randomness, 1n],
    [`0x${"00".repeat(32)}`, 0n],
    [`0x${"ff".repeat(32)}`, UINT256_MAX],
  ];
  const seed = jobSeed(randomness, 1n);
  const sampleInputs: [Hex, bigint, number][] = [
    [seed, 16n, 4],
    [seed, 5n, 5], // q = n: a permutation
    [seed, 1n, 1],
    [seed, 32n, 32],
    [seed, 10n, 0],
    [jobSeed(randomness, 2n), 1000n, 8],
    [jobSeed(randomness, 3n), 1n << 20n, 32], // the market's largest job
  ];

  return {
    version: 1,
    generator: "scripts/gen-vectors.ts",
    leaves: leafInputs.map(([jobId, leaf]) => leafVector(jobId, leaf)),
    trees: TREE_SIZES.map((n) => ({
      n,
      depth: treeDepth(n),
      leaves: leavesBySize.get(n)!,
      root: rootOf(n),
    })),
    proofs: PROOF_CASES.map(([n, pos]) => ({
      n,
      depth: treeDepth(n),
      position: pos,
      leaf: levelsOf(n)[0]![pos]!,
      proof: merkleProof(levelsOf(n), pos),
      root: rootOf(n),
    })),
    multiProofs: MULTI_PROOF_CASES.map(([n, positions]) => ({
      n,
      depth: treeDepth(n),
      positions: [...positions],
      leaves: positions.map((p) => levelsOf(n)[0]![p]!),
      proof: multiProof(levelsOf(n), positions),
      root: rootOf(n),
    })),
    seeds: seedInputs.map(([value, jobId]) => ({
      randomness: value,
      jobId: jobId.toString(),
      seed: jobSeed(value, jobId),
    })),
    samples: sampleInputs.map(([s, n, q]) => ({
      seed: s,
      n: n.toString(),
      q,
      indices: sampleSegments(s, n, q).map((i) => i.toString()),
    })),
  };
}

// ------------------------------------------------------------------ rendering

async function format(source: string, filepath: string): Promise<string> {
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(source, { ...options, filepath });
}

/** protocol.json as committed: the vectors, formatted by the project's prettier settings. */
export async function renderJson(vectors: ProtocolVectors): Promise<string> {
  return format(JSON.stringify(vectors), VECTORS_JSON_PATH);
}

function bytes32Array(target: string, values: readonly string[]): string[] {
  return [
    `${target} = new bytes32[](${values.length});`,
    ...values.map((v, i) => `${target}[${i}] = ${v};`),
  ];
}

function uintArray(target: string, values: readonly (string | number)[]): string[] {
  return [
    `${target} = new uint256[](${values.length});`,
    ...values.map((v, i) => `${target}[${i}] = ${v};`),
  ];
}

function fn(name: string, struct: string, count: number, body: string[]): string {
  return [
    `function ${name}() internal pure returns (${struct}[] memory v) {`,
    `v = new ${struct}[](${count});`,
    ...body,
    "}",
  ].join("\n");
}

/** test/solidity/generated/ProtocolVectors.sol: the same vectors as Solidity constants. */
export async function renderSolidity(vectors: ProtocolVectors): Promise<string> {
  const v = ProtocolVectorsSchema.parse(vectors);
  const source = [
    "// SPDX-License-Identifier: Apache-2.0",
    "// generated by scripts/gen-vectors.ts — do not edit",
    "pragma solidity 0.8.30;",
    "",
    "// Data tables, one function per kind of vector: long by nature.",
    "// solhint-disable function-max-lines",
    "",
    "/// @notice Protocol test vectors computed by src/protocol (test/vectors/protocol.json).",
    "library ProtocolVectors {",
    "struct LeafVector { uint256 jobId; uint256 index; bytes32 stateDigest; uint64 lossBits; uint64 updateNorm; bytes32 hash; }",
    "struct TreeVector { uint256 n; uint256 depth; bytes32[] leaves; bytes32 root; }",
    "struct ProofVector { uint256 n; uint256 depth; uint256 position; bytes32 leaf; bytes32[] proof; bytes32 root; }",
    "struct MultiProofVector { uint256 n; uint256 depth; uint256[] positions; bytes32[] leaves; bytes32[] proof; bytes32 root; }",
    "struct SeedVector { bytes32 randomness; uint256 jobId; bytes32 seed; }",
    "struct SampleVector { bytes32 seed; uint256 n; uint256 q; uint256[] indices; }",
    "",
    fn(
      "leaves",
      "LeafVector",
      v.leaves.length,
      v.leaves.map(
        (l, i) =>
          `v[${i}] = LeafVector({jobId: ${l.jobId}, index: ${l.index}, stateDigest: ${l.stateDigest}, ` +
          `lossBits: ${l.lossBits}, updateNorm: ${l.updateNorm}, hash: ${l.hash}});`,
      ),
    ),
    fn(
      "trees",
      "TreeVector",
      v.trees.length,
      v.trees.flatMap((t, i) => [
        `v[${i}].n = ${t.n};`,
        `v[${i}].depth = ${t.depth};`,
        `v[${i}].root = ${t.root};`,
        ...bytes32Array(`v[${i}].leaves`, t.leaves),
      ]),
    ),
    fn(
      "proofs",
      "ProofVector",
      v.proofs.length,
      v.proofs.flatMap((p, i) => [
        `v[${i}].n = ${p.n};`,
        `v[${i}].depth = ${p.depth};`,
        `v[${i}].position = ${p.position};`,
        `v[${i}].leaf = ${p.leaf};`,
        `v[${i}].root = ${p.root};`,
        ...bytes32Array(`v[${i}].proof`, p.proof),
      ]),
    ),
    fn(
      "multiProofs",
      "MultiProofVector",
      v.multiProofs.length,
      v.multiProofs.flatMap((m, i) => [
        `v[${i}].n = ${m.n};`,
        `v[${i}].depth = ${m.depth};`,
        `v[${i}].root = ${m.root};`,
        ...uintArray(`v[${i}].positions`, m.positions),
        ...bytes32Array(`v[${i}].leaves`, m.leaves),
        ...bytes32Array(`v[${i}].proof`, m.proof),
      ]),
    ),
    fn(
      "seeds",
      "SeedVector",
      v.seeds.length,
      v.seeds.map(
        (s, i) =>
          `v[${i}] = SeedVector({randomness: ${s.randomness}, jobId: ${s.jobId}, seed: ${s.seed}});`,
      ),
    ),
    fn(
      "samples",
      "SampleVector",
      v.samples.length,
      v.samples.flatMap((s, i) => [
        `v[${i}].seed = ${s.seed};`,
        `v[${i}].n = ${s.n};`,
        `v[${i}].q = ${s.q};`,
        ...uintArray(`v[${i}].indices`, s.indices),
      ]),
    ),
    "}",
  ].join("\n");
  return format(source, VECTORS_SOL_PATH);
}
