// The wire format shared by the store's HTTP server and client (docs/store.md).
import { z } from "zod";

/** The media type of a raw block, as IPFS trustless gateways serve it. */
export const RAW_CONTENT_TYPE = "application/vnd.ipld.raw";
/** Sent with 413 answers: the size limit that was exceeded. */
export const MAX_BYTES_HEADER = "x-store-max-bytes";

/** Every error answer: `{ "error": { "code", "message" } }`. */
export const ErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** A successful PUT /ipfs/<cid> or POST /ipfs answer. */
export const PutResponseSchema = z.object({ cid: z.string() });
export type PutResponse = z.infer<typeof PutResponseSchema>;
