// The address a put stores bytes under: their own CID, checked against the one the caller expects
// (PutOptions.expectedCid). One check for every store, so none can store a blob fetched from an
// untrusted peer under an address it does not hash to.
import { canonicalCid, cidOf } from "../protocol/cid.ts";
import { IntegrityError } from "./errors.ts";

/** The CID of `bytes`; throws IntegrityError when `expectedCid` is given and differs. */
export function checkedCid(bytes: Uint8Array, expectedCid: string | undefined): string {
  const expected = expectedCid === undefined ? undefined : canonicalCid(expectedCid);
  const cid = cidOf(bytes);
  if (expected !== undefined && cid !== expected)
    throw new IntegrityError(
      expected,
      cid,
      `refused to store ${bytes.byteLength} bytes under ${expected}: they hash to ${cid}`,
    );
  return cid;
}
