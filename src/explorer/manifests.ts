// Every checkpoint of a submitted trace, for the job page: the trace manifest read from the store
// (the blob whose digest TraceSubmitted committed), decoded and checked against the committed trace
// root, so the page shows the provider's committed claims for all n checkpoints and nothing else
// (the chain holds only the opened ones). A manifest is immutable: kept once read and checked; one
// the store cannot serve now is asked for again at the next refresh.
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

/** The job page's view of a manifest: every checkpoint, or why it cannot be shown. */
export type ManifestView =
  { checkpoints: CheckpointClaims[] } | { unavailable: string } | { invalid: string };

export class TraceManifests {
  readonly #store: BlobStore;
  /** Checked manifests by CID: what a CID names never changes. */
  readonly #read = new Map<string, ManifestView>();

  constructor(store: BlobStore) {
    this.#store = store;
  }

  /** Job `jobId`'s manifest, checked against its committed root and its n checkpoints. */
  async view(
    jobId: bigint,
    trace: { root: Hex; manifestCid: string },
    checkpoints: number,
  ): Promise<ManifestView> {
    const key = `${jobId}:${trace.manifestCid}:${trace.root}`;
    const known = this.#read.get(key);
    if (known !== undefined) return known;
    let bytes: Uint8Array;
    try {
      bytes = await this.#store.get(trace.manifestCid);
    } catch (error) {
      return { unavailable: `the store does not serve it now (${oneLine(error)})` };
    }
    let view: ManifestView;
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
      view =
        problem === undefined
          ? {
              checkpoints: manifest.records
                .filter((r) => r.index >= 1)
                .map((r) => ({ index: r.index, lossBits: r.lossBits, updateNorm: r.updateNorm })),
            }
          : { invalid: problem };
    } catch (error) {
      view = { invalid: oneLine(error) };
    }
    this.#read.set(key, view);
    return view;
  }
}
