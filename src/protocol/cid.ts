// Content addresses (docs/protocol.md §2): CIDv1, raw codec, sha2-256, so any IPFS node or
// gateway can serve the same bytes. The chain stores only the 32-byte sha-256 digest.
import { createHash } from "node:crypto";

import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { create as createDigest } from "multiformats/hashes/digest";
import { sha256 } from "multiformats/hashes/sha2";
import { bytesToHex, hexToBytes, type Hex } from "viem";

import { AssayError } from "../errors.ts";

/** A string that is not a CIDv1 with the raw codec and sha2-256: never retried. */
export class InvalidCidError extends AssayError {
  override name = "InvalidCidError";
  override readonly code = "invalid_cid";
}

export const SHA256_CODE = sha256.code;

export function sha256Bytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

export function sha256Hex(bytes: Uint8Array): Hex {
  return bytesToHex(sha256Bytes(bytes));
}

/** The CIDv1 (raw, sha2-256) of a sha-256 digest. */
export function cidFromDigest(digest: Hex | Uint8Array): string {
  const bytes = typeof digest === "string" ? hexToBytes(digest) : digest;
  if (bytes.length !== 32)
    throw new RangeError(`a sha-256 digest has 32 bytes, got ${bytes.length}`);
  return CID.createV1(raw.code, createDigest(SHA256_CODE, bytes)).toString();
}

export function cidOf(bytes: Uint8Array): string {
  return cidFromDigest(sha256Bytes(bytes));
}

/** Parses a CID string and returns its sha-256 digest; rejects other versions, codecs and hashes. */
export function digestFromCid(cid: string): Hex {
  let parsed: CID;
  try {
    parsed = CID.parse(cid);
  } catch (cause) {
    throw new InvalidCidError(`not a CID: ${JSON.stringify(cid)}`, { cause });
  }
  if (parsed.version !== 1 || parsed.code !== raw.code || parsed.multihash.code !== SHA256_CODE) {
    throw new InvalidCidError(`${cid} is not a CIDv1 with the raw codec and sha2-256`);
  }
  return bytesToHex(parsed.multihash.digest);
}

/**
 * The canonical form of a CID (base32, lowercase, as `cidOf` writes it). Other spellings
 * of the same address (e.g. base58btc) map to it; everything else throws InvalidCidError.
 * Stores key blobs by this string, never by what a caller typed.
 */
export function canonicalCid(cid: string): string {
  return cidFromDigest(digestFromCid(cid));
}

/** Incremental sha-256 over a stream of chunks; `cid()` ends it. */
export interface CidHasher {
  update(chunk: Uint8Array): void;
  /** Bytes hashed so far. */
  readonly bytes: number;
  /** The CID of everything hashed; call once, at the end. */
  cid(): string;
}

export function createCidHasher(): CidHasher {
  const hash = createHash("sha256");
  let bytes = 0;
  return {
    update(chunk: Uint8Array): void {
      hash.update(chunk);
      bytes += chunk.byteLength;
    },
    get bytes(): number {
      return bytes;
    },
    cid(): string {
      return cidFromDigest(new Uint8Array(hash.digest()));
    },
  };
}
