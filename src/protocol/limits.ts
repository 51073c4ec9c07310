// Protocol-wide limits on the blobs a job commits to (docs/protocol.md §3). They are the protocol's,
// not a store's: an availability verdict must not depend on how a referee configured its own store
// (test/ts/ipfs-review/ipfs-referee-size-limit.test.ts), so every party uses these numbers.

/**
 * The largest blob a provider may commit to: each checkpoint, and the trace manifest (the blobs an
 * availability dispute judges), and the largest spec a provider accepts. It is the largest raw
 * block bitswap moves (IPFS_MAX_BLOCK_BYTES in src/store/ipfs-options.ts), so every committed blob
 * can be served and judged over IPFS as over HTTP. A provider refuses a job whose blobs would
 * exceed it (committedBlobProblem in src/node/job-reader.ts); availability reads accept blobs up to
 * it whatever the reader's local store limit (src/store/ipfs-store.ts, the served-now view); and a
 * reader whose own limit is below it does not count a larger blob as unavailable
 * (isUnavailable in src/training/reexecute.ts).
 */
export const MAX_COMMITTED_BLOB_BYTES = 4_193_648;
