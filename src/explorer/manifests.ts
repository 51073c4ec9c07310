// Every checkpoint of a submitted trace, for the job page: the trace manifest read from the store
// (the blob whose digest TraceSubmitted committed), decoded and checked against the committed trace
// root, so the page shows the provider's committed claims for all n checkpoints and nothing else
// (the chain holds only the opened ones).
//
// The store is read beside the state, never inside it: a page is built from what is known now
// ("being read"), the read runs in the background with a deadline, and `onRead` asks for a new
// state when it ends. A store that never answers, or a provider that names a huge blob as its
// manifest (ATTACK: test/ts/explorer/attack-hanging-store.test.ts, attack-huge-manifest.test.ts),
// so costs one bounded read, not a frozen explorer. A blob larger than a manifest of n checkpoints
// can be is refused by its size, before it is fetched where the store can tell the size. A
// checked manifest is kept (a CID's bytes never change); a failed read is tried again after
// RETRY_MS.
import type { Hex } from "viem";

import { decodeTraceManifest } from "../checkpoint/trace.ts";
import { oneLine } from "../errors.ts";
import type { BlobStore } from "../store/blob-store.ts";

/** One checkpoint's committed claims (checkpoint 0, the initial state, has none). */
export interface CheckpointClaims {
  index: number;
  lossBits: bigint;
  updateNorm: bigint;
}

/** The job page's view of a manifest: every checkpoint, or why it cannot be shown (yet). */
export type ManifestView =
  { checkpoints: CheckpointClaims[] } | { unavailable: string } | { invalid: string };

/** How long one read may take, and how long a failed one waits before the next try. */
const READ_MS = 10_000;
const RETRY_MS = 30_000;

/** The most bytes a canonical manifest of n checkpoints can take (each entry is under 200). */
export function manifestByteBound(checkpoints: number): number {
  return 1_024 + (checkpoints + 1) * 256;
}

function tooLarge(size: number, checkpoints: number, bound: number): ManifestView {
  return {
    invalid: `it is ${size} bytes, more than a manifest of ${checkpoints} checkpoints can be (${bound})`,
  };
}

export class TraceManifests {
  readonly #store: BlobStore;
  readonly #onRead: () => void;
  readonly #now: () => number;
  /** Settled views by job, CID and root; a failed read is kept with the time to try again. */
  readonly #views = new Map<string, { view: ManifestView; retryAt?: number }>();
  readonly #reading = new Set<string>();

  constructor(
    store: BlobStore,
    onRead: () => void = () => undefined,
    now: () => number = Date.now,
  ) {
    this.#store = store;
    this.#onRead = onRead;
    this.#now = now;
  }

  /** What is known now of job `jobId`'s manifest; starts a read when nothing is (or a retry is due). */
  view(
    jobId: bigint,
    trace: { root: Hex; manifestCid: string },
    checkpoints: number,
  ): ManifestView {
    const key = `${jobId}:${trace.manifestCid}:${trace.root}`;
    const known = this.#views.get(key);
    const due =
      known === undefined || (known.retryAt !== undefined && this.#now() >= known.retryAt);
    if (due && !this.#reading.has(key)) {
      this.#reading.add(key);
      void this.#read(jobId, trace, checkpoints).then((view) => {
        this.#views.set(key, {
          view,
          ...("unavailable" in view ? { retryAt: this.#now() + RETRY_MS } : {}),
        });
        this.#reading.delete(key);
        this.#onRead();
      });
    }
    return known?.view ?? { unavailable: "being read from the store" };
  }

  /** Reads and checks one manifest; never throws, never takes longer than READ_MS. */
  async #read(
    jobId: bigint,
    trace: { root: Hex; manifestCid: string },
    checkpoints: number,
  ): Promise<ManifestView> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<ManifestView>((resolve) => {
      timer = setTimeout(
        () => resolve({ unavailable: `the store did not answer within ${READ_MS / 1000} s` }),
        READ_MS,
      );
      timer.unref();
    });
    try {
      return await Promise.race([this.#fetchAndCheck(jobId, trace, checkpoints), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #fetchAndCheck(
    jobId: bigint,
    trace: { root: Hex; manifestCid: string },
    checkpoints: number,
  ): Promise<ManifestView> {
    const bound = manifestByteBound(checkpoints);
    let bytes: Uint8Array;
    try {
      // Refused before it is fetched where the store can tell its size; the IPFS store tells only
      // of blobs in its own repo, and bounds what it fetches by its blob limit itself.
      const size = await this.#store.size(trace.manifestCid);
      if (size !== undefined && size > bound) return tooLarge(size, checkpoints, bound);
      bytes = await this.#store.get(trace.manifestCid);
    } catch (error) {
      return { unavailable: `the store does not serve it now (${oneLine(error)})` };
    }
    if (bytes.byteLength > bound) return tooLarge(bytes.byteLength, checkpoints, bound);
    try {
      const manifest = decodeTraceManifest(bytes);
      const problem =
        manifest.jobId !== jobId
          ? `it is job ${manifest.jobId}'s`
          : manifest.root !== trace.root.toLowerCase()
            ? "its leaves do not hash to the committed trace root"
            : manifest.records.length !== checkpoints + 1
              ? `it has ${manifest.records.length - 1} checkpoints, not ${checkpoints}`
              : undefined;
      if (problem !== undefined) return { invalid: problem };
      return {
        checkpoints: manifest.records
          .filter((r) => r.index >= 1)
          .map((r) => ({ index: r.index, lossBits: r.lossBits, updateNorm: r.updateNorm })),
      };
    } catch (error) {
      return { invalid: oneLine(error) };
    }
  }
}
