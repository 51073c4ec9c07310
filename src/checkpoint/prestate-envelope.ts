// The pre-state envelope: how the challenger of an exact state dispute publishes the agreed
// pre-state of the disputed step for its committee (docs/protocol.md §6, DisputeGame's
// publishPreState and PreStatePublished). The state's canonical bytes (state-codec.ts) behind a
// fixed header that names the dispute, so the blob has a content address of its own:
//
//   0   "ASPE"                 magic, as a little-endian u32 (Assay Pre-state Envelope)
//   4   u32 version = 1        little-endian
//   8   u256 disputeId         big-endian, as the chain writes it
//  40   the state's canonical bytes: their sha-256 is the dispute's agreed pre-digest
//
// Why not the bare state: when the dissection ends at a segment's first step, the pre-state is
// the provider's own checkpoint segment − 1, byte for byte, under the same address. A challenger
// that stored it would serve, and answer for, a checkpoint the provider withholds, and make an
// availability referee vote Provider against another honest challenger. The envelope never hashes
// to a state (it starts with another magic) and never to another dispute's envelope.
import type { Hex } from "viem";

import { cidFromDigest, sha256Hex } from "../protocol/cid.ts";
import { MAX_COMMITTED_BLOB_BYTES } from "../protocol/limits.ts";
import { EngineError } from "../engine/errors.ts";
import type { ProgramInfo } from "../engine/program-info.ts";
import type { TrainingState } from "../engine/training-state.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { stateFromBytes } from "./checkpoint-store.ts";
import { encodeState } from "./state-codec.ts";

export const PRESTATE_ENVELOPE_MAGIC = 0x45505341; // "ASPE" as a little-endian u32
export const PRESTATE_ENVELOPE_VERSION = 1;
export const PRESTATE_ENVELOPE_HEADER_BYTES = 40;
/**
 * The largest envelope: the protocol's per-blob limit, which every referee reads whatever its own
 * store's limit and bitswap moves in one block. A state within the header's 40 bytes of that limit
 * cannot be enveloped (its challenger publishes nothing; the committee falls back on copies of the
 * state and re-derivation).
 */
export const MAX_PRESTATE_ENVELOPE_BYTES = MAX_COMMITTED_BLOB_BYTES;

const UINT256_MAX = (1n << 256n) - 1n;

/** An envelope that cannot be made, does not parse, or is not the one a dispute asks for. */
export class PreStateEnvelopeError extends EngineError {
  override name = "PreStateEnvelopeError";
  override readonly code = "invalid_pre_state_envelope";
}

/** The envelope of `state` (canonical state bytes) for dispute `disputeId`. */
export function encodePreStateEnvelope(disputeId: bigint, state: Uint8Array): Uint8Array {
  if (disputeId < 0n || disputeId > UINT256_MAX)
    throw new PreStateEnvelopeError(`dispute id ${disputeId} is not a uint256`);
  const total = PRESTATE_ENVELOPE_HEADER_BYTES + state.byteLength;
  if (total > MAX_PRESTATE_ENVELOPE_BYTES)
    throw new PreStateEnvelopeError(
      `a pre-state of ${state.byteLength} bytes makes an envelope of ${total} bytes, over the limit of ${MAX_PRESTATE_ENVELOPE_BYTES}`,
    );
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, PRESTATE_ENVELOPE_MAGIC, true);
  view.setUint32(4, PRESTATE_ENVELOPE_VERSION, true);
  for (let i = 0; i < 4; i++)
    view.setBigUint64(8 + 8 * i, (disputeId >> BigInt(64 * (3 - i))) & 0xffff_ffff_ffff_ffffn);
  out.set(state, PRESTATE_ENVELOPE_HEADER_BYTES);
  return out;
}

/** Parses an envelope: the dispute it names and the state bytes it carries (not yet checked). */
export function decodePreStateEnvelope(
  bytes: Uint8Array,
  label = "pre-state envelope",
): { disputeId: bigint; state: Uint8Array } {
  const fail = (why: string): never => {
    throw new PreStateEnvelopeError(`${label}: ${why}`);
  };
  if (bytes.byteLength > MAX_PRESTATE_ENVELOPE_BYTES)
    fail(`${bytes.byteLength} bytes is over the limit of ${MAX_PRESTATE_ENVELOPE_BYTES}`);
  if (bytes.byteLength <= PRESTATE_ENVELOPE_HEADER_BYTES)
    fail(
      `${bytes.byteLength} bytes holds no state after the ${PRESTATE_ENVELOPE_HEADER_BYTES}-byte header`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== PRESTATE_ENVELOPE_MAGIC) fail('does not start with "ASPE"');
  const version = view.getUint32(4, true);
  if (version !== PRESTATE_ENVELOPE_VERSION)
    fail(`version ${version} is not ${PRESTATE_ENVELOPE_VERSION}`);
  let disputeId = 0n;
  for (let i = 0; i < 4; i++) disputeId = (disputeId << 64n) | view.getBigUint64(8 + 8 * i);
  return { disputeId, state: bytes.subarray(PRESTATE_ENVELOPE_HEADER_BYTES) };
}

export interface PublishedPreState {
  /** The sha-256 digest of the envelope (its raw CIDv1's): what PreStatePublished names. */
  envelopeDigest: Hex;
  /** The digest of the state inside: the dispute's agreed pre-digest. */
  stateDigest: Hex;
}

/** Stores `state` in its envelope for dispute `disputeId`; never the bare state. */
export async function putPreStateEnvelope(
  store: BlobStore,
  disputeId: bigint,
  state: TrainingState,
): Promise<PublishedPreState> {
  const encoded = encodeState(state);
  const envelope = encodePreStateEnvelope(disputeId, encoded.bytes);
  const envelopeDigest = sha256Hex(envelope);
  const cid = await store.put(envelope);
  if (cid !== cidFromDigest(envelopeDigest))
    throw new PreStateEnvelopeError(
      `store returned address ${cid} for pre-state envelope ${cidFromDigest(envelopeDigest)}`,
    );
  return { envelopeDigest, stateDigest: encoded.digest };
}

/**
 * Fetches the envelope at `envelopeDigest` and returns the state inside, once the envelope hashes
 * to its address, names dispute `disputeId`, and carries a state whose digest is `stateDigest`
 * (and, with `info`, one that fits the program). Anything else throws: StoreError from the store,
 * PreStateEnvelopeError or StateError for the bytes.
 */
export async function getPreStateEnvelope(
  store: BlobStore,
  envelopeDigest: Hex,
  expected: { disputeId: bigint; stateDigest: Hex },
  info?: ProgramInfo,
): Promise<TrainingState> {
  const cid = cidFromDigest(envelopeDigest);
  const label = `pre-state envelope ${cid}`;
  const bytes = await store.get(cid);
  const got = sha256Hex(bytes);
  if (got !== envelopeDigest.toLowerCase())
    throw new PreStateEnvelopeError(`${label} does not hash to its address (got ${got})`);
  const { disputeId, state } = decodePreStateEnvelope(bytes, label);
  if (disputeId !== expected.disputeId)
    throw new PreStateEnvelopeError(
      `${label} is for dispute ${disputeId}, not ${expected.disputeId}`,
    );
  const digest = sha256Hex(state);
  if (digest !== expected.stateDigest.toLowerCase())
    throw new PreStateEnvelopeError(
      `${label} carries state ${digest}, not the agreed pre-state ${expected.stateDigest}`,
    );
  return stateFromBytes(state, label, info);
}
