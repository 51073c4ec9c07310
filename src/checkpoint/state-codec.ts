// The canonical serialization of a training state (docs/commitments.md). Checkpoint
// digests h_i = sha256(these bytes) go on chain, so the layout is fixed and versioned:
//
//   0   "ASST"                     magic
//   4   u32 version = 1
//   8   u64 step                   steps taken
//  16   u32 tensorCount
//  20   descriptors, per tensor in the program's canonical order:
//         u8 nameLength, name (ASCII [a-z0-9_.]), u8 role (0 param, 1 optimizer),
//         u8 dtype (ONNX code: 1 float32, 6 int32), u8 fracBits, u8 rank, u32 dims[rank]
//   ..  zero padding to a multiple of 8
//   ..  data, per tensor in the same order: row-major little-endian elements, each
//       block followed by zero padding to a multiple of 8
//
// All integers little-endian. Parsing is strict: every length, code and padding byte
// is checked and trailing bytes are rejected, so one state has exactly one encoding.
import { endianness } from "node:os";

import type { Hex } from "viem";

import { cidFromDigest, sha256Hex } from "../protocol/cid.ts";
import { StateError } from "../engine/errors.ts";
import { elementCount, type StateTensorSpec } from "../engine/program-info.ts";
import type { StateArray, TrainingState } from "../engine/training-state.ts";

export const STATE_MAGIC = 0x54535341; // "ASST" as a little-endian u32
export const STATE_VERSION = 1;
const HEADER_BYTES = 20;
const DTYPE_CODE = { float32: 1, int32: 6 } as const;
const NAME_PATTERN = /^[a-z][a-z0-9_.]{0,62}$/;
const MAX_TENSORS = 256;

if (endianness() !== "LE")
  throw new StateError(
    "the state codec writes typed arrays directly and needs a little-endian host",
  );

const pad8 = (n: number): number => (n + 7) & ~7;

function descriptorBytes(spec: StateTensorSpec): number {
  return 1 + spec.name.length + 4 + 4 * spec.shape.length;
}

export function serializeState(state: TrainingState): Uint8Array {
  const { specs, values } = state;
  if (specs.length !== values.length || specs.length > MAX_TENSORS)
    throw new StateError("state specs and values do not line up");
  let offset = HEADER_BYTES;
  for (const spec of specs) offset += descriptorBytes(spec);
  const dataStart = pad8(offset);
  let total = dataStart;
  for (const v of values) total += pad8(v.byteLength);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, STATE_MAGIC, true);
  view.setUint32(4, STATE_VERSION, true);
  view.setBigUint64(8, BigInt(state.step), true);
  view.setUint32(16, specs.length, true);
  let at = HEADER_BYTES;
  specs.forEach((spec, i) => {
    if (!NAME_PATTERN.test(spec.name))
      throw new StateError(`tensor name "${spec.name}" is not canonical`);
    const data = values[i]!;
    const want = spec.dtype === "float32" ? Float32Array : Int32Array;
    if (!(data instanceof want) || data.length !== elementCount(spec.shape))
      throw new StateError(
        `tensor ${spec.name} data does not match its ${spec.dtype}[${spec.shape.join("×")}] spec`,
      );
    out[at++] = spec.name.length;
    for (let c = 0; c < spec.name.length; c++) out[at++] = spec.name.charCodeAt(c);
    out[at++] = spec.role === "param" ? 0 : 1;
    out[at++] = DTYPE_CODE[spec.dtype];
    out[at++] = spec.fracBits;
    out[at++] = spec.shape.length;
    for (const d of spec.shape) {
      view.setUint32(at, d, true);
      at += 4;
    }
  });
  at = dataStart;
  for (const v of values) {
    out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at);
    at += pad8(v.byteLength);
  }
  return out;
}

export function deserializeState(bytes: Uint8Array, label = "state"): TrainingState {
  const fail = (why: string): never => {
    throw new StateError(`${label}: ${why}`);
  };
  if (bytes.length < HEADER_BYTES) fail(`${bytes.length} bytes is shorter than the header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== STATE_MAGIC) fail('does not start with the magic "ASST"');
  const version = view.getUint32(4, true);
  if (version !== STATE_VERSION) fail(`version ${version} is not ${STATE_VERSION}`);
  const step = view.getBigUint64(8, true);
  if (step > BigInt(Number.MAX_SAFE_INTEGER)) fail(`step ${step} is out of range`);
  const count = view.getUint32(16, true);
  if (count < 1 || count > MAX_TENSORS) fail(`tensor count ${count} outside [1, ${MAX_TENSORS}]`);
  const specs: StateTensorSpec[] = [];
  let at = HEADER_BYTES;
  const need = (n: number): void => {
    if (at + n > bytes.length) fail("truncated descriptor");
  };
  for (let i = 0; i < count; i++) {
    need(1);
    const nameLength = bytes[at++]!;
    need(nameLength + 4);
    const name = String.fromCharCode(...bytes.subarray(at, at + nameLength));
    at += nameLength;
    if (!NAME_PATTERN.test(name)) fail(`tensor #${i} has a non-canonical name`);
    const roleCode = bytes[at++]!;
    const dtypeCode = bytes[at++]!;
    const fracBits = bytes[at++]!;
    const rank = bytes[at++]!;
    if (roleCode > 1) fail(`tensor ${name} has unknown role code ${roleCode}`);
    if (dtypeCode !== DTYPE_CODE.float32 && dtypeCode !== DTYPE_CODE.int32)
      fail(`tensor ${name} has unsupported dtype code ${dtypeCode}`);
    if (fracBits > 32) fail(`tensor ${name} has ${fracBits} fractional bits`);
    if (rank < 1 || rank > 4) fail(`tensor ${name} has rank ${rank}`);
    need(4 * rank);
    const shape: number[] = [];
    for (let d = 0; d < rank; d++) {
      const dim = view.getUint32(at, true);
      at += 4;
      if (dim < 1) fail(`tensor ${name} has a zero dimension`);
      shape.push(dim);
    }
    specs.push({
      name,
      role: roleCode === 0 ? "param" : "optimizer",
      dtype: dtypeCode === DTYPE_CODE.float32 ? "float32" : "int32",
      shape,
      fracBits,
    });
  }
  const dataStart = pad8(at);
  if (dataStart > bytes.length) fail("truncated before the data");
  for (let p = at; p < dataStart; p++) if (bytes[p] !== 0) fail("non-zero header padding");
  at = dataStart;
  const values: StateArray[] = [];
  for (const spec of specs) {
    const n = elementCount(spec.shape);
    if (!Number.isSafeInteger(n * 4) || at + pad8(n * 4) > bytes.length)
      fail(`tensor ${spec.name} data runs past the end`);
    // Copy into a fresh, aligned buffer: the source may be a misaligned slice.
    const block = bytes.slice(at, at + n * 4);
    values.push(
      spec.dtype === "float32" ? new Float32Array(block.buffer) : new Int32Array(block.buffer),
    );
    for (let p = at + n * 4; p < at + pad8(n * 4); p++)
      if (bytes[p] !== 0) fail("non-zero data padding");
    at += pad8(n * 4);
  }
  if (at !== bytes.length) fail(`${bytes.length - at} trailing bytes`);
  const names = new Set(specs.map((s) => s.name));
  if (names.size !== specs.length) fail("duplicate tensor names");
  return { step: Number(step), specs, values };
}

/** sha-256 of the canonical bytes: the checkpoint digest h_i of docs/protocol.md §3. */
export function stateDigest(state: TrainingState): Hex {
  return sha256Hex(serializeState(state));
}

export interface EncodedState {
  bytes: Uint8Array;
  digest: Hex;
  cid: string;
}

export function encodeState(state: TrainingState): EncodedState {
  const bytes = serializeState(state);
  const digest = sha256Hex(bytes);
  return { bytes, digest, cid: cidFromDigest(digest) };
}
