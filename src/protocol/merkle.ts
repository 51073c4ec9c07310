// The trace tree (docs/protocol.md §3): positional, padded with zero leaves to a power of
// two, node = keccak256(left ‖ right). Leaf i (1-based) sits at position i − 1. Proofs
// have exactly `depth` siblings, so an inner node can never pass as a leaf.
// The Solidity twin is contracts/libraries/MerkleLib.sol.
import { concatHex, keccak256, type Hex } from "viem";

export const ZERO_HASH: Hex = `0x${"00".repeat(32)}`;
export const MAX_DEPTH = 32;

export function treeDepth(leafCount: number): number {
  if (!Number.isInteger(leafCount) || leafCount < 1)
    throw new RangeError("a tree needs at least one leaf");
  let depth = 0;
  while (2 ** depth < leafCount) depth += 1;
  if (depth > MAX_DEPTH)
    throw new RangeError(`tree of ${leafCount} leaves exceeds depth ${MAX_DEPTH}`);
  return depth;
}

export function hashPair(left: Hex, right: Hex): Hex {
  return keccak256(concatHex([left, right]));
}

/** All levels of the padded tree, leaves first; levels[depth][0] is the root. */
export function buildLevels(leaves: readonly Hex[]): Hex[][] {
  const depth = treeDepth(leaves.length);
  const width = 2 ** depth;
  const levels: Hex[][] = [[...leaves, ...Array<Hex>(width - leaves.length).fill(ZERO_HASH)]];
  for (let d = 0; d < depth; d++) {
    const below = levels[d]!;
    const level: Hex[] = [];
    for (let i = 0; i < below.length; i += 2) level.push(hashPair(below[i]!, below[i + 1]!));
    levels.push(level);
  }
  return levels;
}

export function merkleRoot(leaves: readonly Hex[]): Hex {
  return buildLevels(leaves).at(-1)![0]!;
}

/** Siblings from the leaf up, for the leaf at `position` (0-based). */
export function merkleProof(levels: readonly Hex[][], position: number): Hex[] {
  const proof: Hex[] = [];
  let pos = position;
  for (let d = 0; d < levels.length - 1; d++) {
    proof.push(levels[d]![pos ^ 1]!);
    pos >>= 1;
  }
  return proof;
}

export function verifyProof(
  root: Hex,
  depth: number,
  position: number,
  leaf: Hex,
  proof: readonly Hex[],
): boolean {
  if (proof.length !== depth || position < 0 || position >= 2 ** depth) return false;
  let node = leaf;
  let pos = position;
  for (const sibling of proof) {
    node = pos & 1 ? hashPair(sibling, node) : hashPair(node, sibling);
    pos >>= 1;
  }
  return node === root;
}

/**
 * Positional multi-proof. For strictly increasing leaf positions, the siblings that
 * cannot be computed from the proven leaves, in the order the verifier consumes them:
 * level by level from the leaves up, left to right within a level.
 */
export function multiProof(levels: readonly Hex[][], positions: readonly number[]): Hex[] {
  assertIncreasing(positions, 2 ** (levels.length - 1));
  const proof: Hex[] = [];
  let current = [...positions];
  for (let d = 0; d < levels.length - 1; d++) {
    const next: number[] = [];
    for (let i = 0; i < current.length; i++) {
      const pos = current[i]!;
      if ((pos & 1) === 0 && current[i + 1] === pos + 1) {
        i += 1; // both children known
      } else {
        proof.push(levels[d]![pos ^ 1]!);
      }
      next.push(pos >> 1);
    }
    current = next;
  }
  return proof;
}

/** Recomputes the root from leaves at strictly increasing positions and a multi-proof. */
export function multiProofRoot(
  depth: number,
  positions: readonly number[],
  leaves: readonly Hex[],
  proof: readonly Hex[],
): Hex {
  if (positions.length === 0 || positions.length !== leaves.length) {
    throw new RangeError("a multi-proof needs as many positions as leaves, at least one");
  }
  assertIncreasing(positions, 2 ** depth);
  let pos = [...positions];
  let nodes = [...leaves];
  let used = 0;
  for (let d = 0; d < depth; d++) {
    const nextPos: number[] = [];
    const nextNodes: Hex[] = [];
    for (let i = 0; i < pos.length; i++) {
      const p = pos[i]!;
      let parent: Hex;
      if ((p & 1) === 0 && pos[i + 1] === p + 1) {
        parent = hashPair(nodes[i]!, nodes[i + 1]!);
        i += 1;
      } else {
        const sibling = proof[used++];
        if (sibling === undefined) throw new RangeError("multi-proof too short");
        parent = p & 1 ? hashPair(sibling, nodes[i]!) : hashPair(nodes[i]!, sibling);
      }
      nextPos.push(p >> 1);
      nextNodes.push(parent);
    }
    pos = nextPos;
    nodes = nextNodes;
  }
  if (used !== proof.length) throw new RangeError("multi-proof too long");
  return nodes[0]!;
}

function assertIncreasing(positions: readonly number[], width: number): void {
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!;
    if (!Number.isInteger(p) || p < 0 || p >= width)
      throw new RangeError(`leaf position ${p} outside the tree`);
    if (i > 0 && p <= positions[i - 1]!)
      throw new RangeError("leaf positions must be strictly increasing");
  }
}
