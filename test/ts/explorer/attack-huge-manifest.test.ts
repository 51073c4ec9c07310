// ATTACK (explorer, availability): a provider names a huge blob as its trace manifest and the
// explorer downloads and parses all of it, up to the store's 256 MiB limit, per job.
//
// TraceSubmitted's leavesDigest is whatever the provider sends; the explorer turns it into a CID and
// src/explorer/manifests.ts view() does `bytes = await this.#store.get(trace.manifestCid)` (the
// whole blob, up to the client's maxBytes, 256 MiB by default) and then decodeTraceManifest(bytes)
// (UTF-8 decode + JSON.parse of all of it) before it checks anything about the job, although a job
// of n checkpoints has a manifest of a few hundred bytes per checkpoint. This runs inside the state
// build that every refresh awaits (state.ts), in the explorer's process (in `assay devnet`, the
// devnet's own process). A provider (or a submitter that is its own provider, posting cheap jobs)
// that points several jobs at a 256 MiB blob of JSON (e.g. `[{},{},...]`, ~90 M objects) makes each
// state build download and parse gigabytes, stalling every page and risking an out-of-memory crash
// of the explorer for everyone, on every restart (the cache lives in memory).
//
// Expected once fixed: the explorer reads no more than a bound derived from the job's n (ask the
// store for the size first, or read a stream with a limit) and names the manifest as too large.
// Here: a 16-checkpoint job whose "manifest" is a 32 MiB blob; the explorer must pull at most 1 MiB.
import { expect } from "chai";

import { startDevnet, type Devnet } from "../../../src/devnet/index.ts";
import { until } from "../../../src/devnet/poll.ts";
import type { Explorer } from "../../../src/explorer/server.ts";
import type { BlobStore } from "../../../src/store/blob-store.ts";
import { HttpBlobStore } from "../../../src/store/http-client.ts";
import { chainStory, explorerOn } from "./chain-story.ts";

describe("attack: a huge blob named as a trace manifest", function () {
  this.timeout(240_000);
  let devnet: Devnet;
  let explorer: Explorer;

  before(async function () {
    devnet = await startDevnet({ speed: 20, tickMs: 100 });
  });

  after(async function () {
    await explorer?.close();
    await devnet?.close();
  });

  it("reads no more of the store than a 16-checkpoint manifest can need", async function () {
    const story = await chainStory(devnet);
    await story.stakeParties();
    const jobId = await story.post("huge");
    await story.accept(jobId);
    const store = new HttpBlobStore({ url: devnet.storeUrl });
    const huge = new TextEncoder().encode(`[${"{},".repeat(11 * 1024 * 1024)}{}]`); // ~32 MiB
    const hugeCid = await store.put(huge);
    await story.submit(jobId, { manifestCid: hugeCid });

    let pulled = 0;
    const counting = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === "get")
          return async (cid: string, options?: { signal?: AbortSignal }) => {
            const bytes = await target.get(cid, options);
            pulled += bytes.byteLength;
            return bytes;
          };
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === "function"
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    }) as BlobStore;

    ({ explorer } = await explorerOn(devnet, { store: counting }));
    const view = await until(
      "the job's manifest verdict",
      async () => {
        // Read beside the state: "being read" first, then the verdict.
        const seen = explorer.current().jobs.find((j) => j.id === jobId)?.trace?.manifest;
        return seen !== undefined && !("unavailable" in seen) ? seen : undefined;
      },
      30_000,
    );
    expect(view).to.have.property("invalid");
    expect(
      pulled,
      `bytes the explorer pulled from the store for a 16-checkpoint job's manifest`,
    ).to.be.at.most(1024 * 1024);
  });
});
