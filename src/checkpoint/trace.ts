// The trace of a training run (docs/protocol.md §3): checkpoint records, their leaves and the
// trace root, computed exactly as on chain (src/protocol/leaf.ts, merkle.ts), and the
// trace manifest — the content-addressed list of leaf preimages and checkpoint CIDs a
// provider submits so verifiers can rebuild the tree and fetch any checkpoint.
import { z } from "zod";
import type { Hex } from "viem";

import { hashLeaf, UINT64_MAX, type TraceLeaf } from "../protocol/leaf.ts";
import { merkleRoot } from "../protocol/merkle.ts";
import { canonicalJson } from "../protocol/job-spec.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { digestFromCid } from "../protocol/cid.ts";
import { StateError } from "../engine/errors.ts";
import { formatIssues } from "../zod-issues.ts";

/** Checkpoint i: the state after i·k steps (index 0 is the initial state, which has no leaf). */
export interface CheckpointRecord {
  index: number;
  step: number;
  /** CID of the canonical state bytes; its digest is the leaf's stateDigest. */
  cid: string;
  stateDigest: Hex;
  /** Leaf fields (0 for checkpoint 0). */
  lossBits: bigint;
  updateNorm: bigint;
}

export function leafOf(record: CheckpointRecord): TraceLeaf {
  return {
    index: BigInt(record.index),
    stateDigest: record.stateDigest,
    lossBits: record.lossBits,
    updateNorm: record.updateNorm,
  };
}

/** Leaves 1..n of the records (checkpoint 0 carries none). */
export function traceLeaves(jobId: bigint, records: readonly CheckpointRecord[]): Hex[] {
  return records.filter((r) => r.index >= 1).map((r) => hashLeaf(jobId, leafOf(r)));
}

export function traceRoot(jobId: bigint, records: readonly CheckpointRecord[]): Hex {
  return merkleRoot(traceLeaves(jobId, records));
}

export const TRACE_MANIFEST_FORMAT = "assay.trace/1";

const uint64String = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/)
  .refine((s) => BigInt(s) <= UINT64_MAX, "exceeds uint64");
const manifestSchema = z.strictObject({
  format: z.literal(TRACE_MANIFEST_FORMAT),
  jobId: z.string().regex(/^(0|[1-9][0-9]*)$/),
  specHash: z.string().regex(/^0x[0-9a-f]{64}$/),
  checkpointInterval: z.number().int().positive(),
  checkpoints: z
    .array(
      z.strictObject({
        index: z.number().int().min(0),
        step: z.number().int().min(0),
        cid: z.string(),
        lossBits: uint64String,
        updateNorm: uint64String,
      }),
    )
    .min(1),
  root: z.string().regex(/^0x[0-9a-f]{64}$/),
});

export interface TraceManifest {
  jobId: bigint;
  specHash: Hex;
  checkpointInterval: number;
  records: CheckpointRecord[];
  root: Hex;
}

/** Canonical JSON of a manifest (bigints as decimal strings; digests implied by CIDs). */
export function encodeTraceManifest(manifest: TraceManifest): Uint8Array {
  return new TextEncoder().encode(
    canonicalJson({
      format: TRACE_MANIFEST_FORMAT,
      jobId: manifest.jobId.toString(),
      specHash: manifest.specHash.toLowerCase(),
      checkpointInterval: manifest.checkpointInterval,
      checkpoints: manifest.records.map((r) => ({
        index: r.index,
        step: r.step,
        cid: r.cid,
        lossBits: r.lossBits.toString(),
        updateNorm: r.updateNorm.toString(),
      })),
      root: manifest.root.toLowerCase(),
    }),
  );
}

/** Parses a manifest and checks it: consecutive checkpoints, steps i·k, and the root. */
export function decodeTraceManifest(bytes: Uint8Array): TraceManifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new StateError("trace manifest is not UTF-8 JSON", { cause });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success)
    throw new StateError(`trace manifest is invalid: ${formatIssues(parsed.error)}`);
  const m = parsed.data;
  const records = m.checkpoints.map((c, i): CheckpointRecord => {
    if (c.index !== i || c.step !== i * m.checkpointInterval)
      throw new StateError(`trace manifest checkpoint #${i} has index ${c.index}, step ${c.step}`);
    let stateDigest: Hex;
    try {
      stateDigest = digestFromCid(c.cid);
    } catch (cause) {
      throw new StateError(`trace manifest checkpoint #${i} has a bad CID`, { cause });
    }
    return {
      index: c.index,
      step: c.step,
      cid: c.cid,
      stateDigest,
      lossBits: BigInt(c.lossBits),
      updateNorm: BigInt(c.updateNorm),
    };
  });
  const jobId = BigInt(m.jobId);
  if (records[0]!.lossBits !== 0n || records[0]!.updateNorm !== 0n)
    throw new StateError(
      "trace manifest checkpoint 0 carries no leaf: its lossBits and updateNorm must be 0",
    );
  if (records.length < 2) throw new StateError("trace manifest has no leaves");
  const root = traceRoot(jobId, records);
  if (root !== m.root)
    throw new StateError(`trace manifest root ${m.root} does not match its leaves (${root})`);
  return {
    jobId,
    specHash: m.specHash as Hex,
    checkpointInterval: m.checkpointInterval,
    records,
    root,
  };
}

export async function publishTraceManifest(
  store: BlobStore,
  manifest: TraceManifest,
): Promise<string> {
  return store.put(encodeTraceManifest(manifest));
}
