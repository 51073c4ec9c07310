// FINDING: IpfsBlobStore hands out Node Buffers, and an honest provider's checkpoints then do not
// decode: every verifier and referee on IPFS finds honest checkpoints "not available intact".
//
// IpfsBlobStore.get returns what Helia yields: a Buffer read from the on-disk repo (blockstore-fs),
// or, for a block fetched from a peer, a Buffer VIEW into the bitswap message (byteOffset > 0).
// FsBlobStore turns its Buffer into a plain Uint8Array (src/store/fs-store.ts) and the engine
// relies on that: Buffer#slice does not copy, so deserializeState's "copy into a fresh, aligned
// buffer" (`bytes.slice(...).buffer`) is the WHOLE underlying buffer. Result, for the honest bytes
// under the right CID:
//   - from a peer:     RangeError "byte length of Int32Array should be a multiple of 4";
//   - from the repo:   StateError "state tensor layer0.weight data is not 320 int32".
// Consequences (each tested below): fetchJobSpec of an honest job fails (a provider with an
// on-disk repo drops every job; a fetched one is retried forever); fetchCommitted says the honest
// checkpoint is "not available intact" (isUnavailable: neither error is retryable), so an auditor
// reports an availability fault and a REFEREE votes Challenger in an availability dispute against
// an honest provider that serves every blob — the honest provider is slashed, the challenger wins.
// CachingBlobStore does not help: its `.slice()` of a Buffer is a view again.
import { expect } from "chai";

import { getState } from "../../../src/checkpoint/checkpoint-store.ts";
import { fetchJobSpec } from "../../../src/node/job-reader.ts";
import { CachingBlobStore } from "../../../src/store/caching-store.ts";
import { fetchCommitted } from "../../../src/training/reexecute.ts";
import { adjudicate, verifiableJob } from "../../../verifier/segment-check.ts";
import { question } from "../verifier/questions.ts";
import { tempRoot } from "../store/fixtures.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { honestJob, Nodes, publishOn, type HonestJob } from "./helpers.ts";

async function outcomeOf(body: () => Promise<unknown>): Promise<string> {
  try {
    await body();
    return "ok";
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

describe("attack review: honest checkpoints read through IpfsBlobStore", function () {
  this.timeout(30_000);
  const nodes = new Nodes();
  const removals: (() => Promise<void>)[] = [];
  let job: HonestJob;

  before(async () => {
    job = await honestJob();
  });
  afterEach(async () => {
    await nodes.stopAll();
    for (const remove of removals.splice(0)) await remove();
  });

  async function providerWithRepo() {
    const { root, remove } = await tempRoot();
    removals.push(remove);
    const provider = await nodes.start({ repoDir: root });
    await publishOn(provider, job);
    return provider;
  }

  it("get returns plain Uint8Arrays (as FsBlobStore does), not Buffer views whose slice() does not copy", async () => {
    const provider = await providerWithRepo();
    const reader = await nodes.start({
      listen: [],
      peers: [provider.multiaddrs()[0]!],
      fetchTimeoutMs: 5_000,
    });
    const cid = job.records[2]!.cid;
    const seen: Record<string, { type: string; sliceCopies: boolean }> = {};
    for (const [where, store] of [
      ["own on-disk repo", ipfsBlobStoreOn(provider)],
      ["from a peer", ipfsBlobStoreOn(reader)],
    ] as const) {
      const bytes = await store.get(cid);
      const copy = bytes.slice(0, 8);
      copy[0] = copy[0]! ^ 0xff;
      seen[where] = { type: bytes.constructor.name, sliceCopies: bytes[0] !== copy[0] };
    }
    const plain = { type: "Uint8Array", sliceCopies: true };
    expect(seen).to.deep.equal({ "own on-disk repo": plain, "from a peer": plain });
  });

  it("an honest checkpoint decodes, read from the provider's on-disk repo and fetched by a peer", async () => {
    const provider = await providerWithRepo();
    const reader = await nodes.start({
      listen: [],
      peers: [provider.multiaddrs()[0]!],
      fetchTimeoutMs: 5_000,
    });
    const { info } = job.small.job.program;
    const cid = job.records[2]!.cid;
    expect({
      "own on-disk repo": await outcomeOf(() => getState(ipfsBlobStoreOn(provider), cid, info)),
      "from a peer": await outcomeOf(() => getState(ipfsBlobStoreOn(reader), cid, info)),
      "from a peer, through the verifier's CachingBlobStore": await outcomeOf(() =>
        getState(new CachingBlobStore(ipfsBlobStoreOn(reader)), cid, info),
      ),
    }).to.deep.equal({
      "own on-disk repo": "ok",
      "from a peer": "ok",
      "from a peer, through the verifier's CachingBlobStore": "ok",
    });
  });

  it("fetchJobSpec loads an honest job from the provider's own repo and from a peer", async () => {
    const provider = await providerWithRepo();
    const reader = await nodes.start({
      listen: [],
      peers: [provider.multiaddrs()[0]!],
      fetchTimeoutMs: 5_000,
    });
    expect({
      "own on-disk repo": await outcomeOf(() =>
        fetchJobSpec(ipfsBlobStoreOn(provider), 7n, job.onchain),
      ),
      "from a peer": await outcomeOf(() => fetchJobSpec(ipfsBlobStoreOn(reader), 7n, job.onchain)),
    }).to.deep.equal({ "own on-disk repo": "ok", "from a peer": "ok" });
  });

  it("an auditor does not find an honest provider's checkpoint 'not available intact'", async () => {
    const provider = await providerWithRepo();
    const auditor = await nodes.start({
      listen: [],
      peers: [provider.multiaddrs()[0]!],
      fetchTimeoutMs: 5_000,
    });
    const state = await fetchCommitted(
      ipfsBlobStoreOn(auditor),
      job.records[2]!,
      job.small.job.program.info,
    );
    expect(
      state,
      "fetchCommitted of honest checkpoint 2 (undefined: an availability fault)",
    ).to.not.equal(undefined);
  });

  it("a referee votes Provider in an availability dispute against an honest provider that serves every blob", async () => {
    const provider = await providerWithRepo();
    const referee = await nodes.start({
      listen: [],
      peers: [provider.multiaddrs()[0]!],
      fetchTimeoutMs: 5_000,
    });
    const v = verifiableJob(job.small, job.records);
    const q = question("Availability", job.records, 3, job.k);
    expect((await adjudicate(v, ipfsBlobStoreOn(referee), q)).vote).to.equal("Provider");
  });
});
