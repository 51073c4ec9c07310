// Checkpoints in a content-addressed store: states are stored as their canonical bytes
// and read back only after their digest, their format and (for a program) their tensor
// list and value ranges have been checked. A store is untrusted: even if its own
// integrity check were missing, bytes that do not hash to the requested address are refused.
import type { BlobStore } from "../store/blob-store.ts";
import { digestFromCid, sha256Hex } from "../protocol/cid.ts";
import { StateError } from "../engine/errors.ts";
import type { ProgramInfo } from "../engine/program-info.ts";
import {
  assertStateInRange,
  assertStateMatches,
  type TrainingState,
} from "../engine/training-state.ts";
import { deserializeState, encodeState, type EncodedState } from "./state-codec.ts";

export async function putState(store: BlobStore, state: TrainingState): Promise<EncodedState> {
  const encoded = encodeState(state);
  const cid = await store.put(encoded.bytes);
  if (cid !== encoded.cid)
    throw new StateError(`store returned address ${cid} for state ${encoded.cid}`);
  return encoded;
}

/** Fetches, verifies and decodes a state; with `info`, also checks it fits the program. */
export async function getState(
  store: BlobStore,
  cid: string,
  info?: ProgramInfo,
): Promise<TrainingState> {
  const want = digestFromCid(cid);
  const bytes = await store.get(cid);
  const got = sha256Hex(bytes);
  if (got !== want)
    throw new StateError(
      `state ${cid} does not hash to its address (got ${got}); the blob was tampered with`,
    );
  return stateFromBytes(bytes, `state ${cid}`, info);
}

/** Decodes state bytes already checked against their digest; with `info`, checks the program fit. */
export function stateFromBytes(
  bytes: Uint8Array,
  label: string,
  info?: ProgramInfo,
): TrainingState {
  const state = deserializeState(bytes, label);
  if (info !== undefined) {
    assertStateMatches(info, state);
    assertStateInRange(info, state);
  }
  return state;
}
