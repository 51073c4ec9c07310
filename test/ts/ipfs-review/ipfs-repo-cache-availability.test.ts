// FINDING: on IPFS, availability is judged on the referee's own copy, not on what the provider
// serves now.
//
// src/store/caching-store.ts `uncached` promises "the store behind any cache: for what must be
// judged on what the store serves now (is a blob available?), never on a copy fetched earlier,
// since a provider that later withholds it is what an availability dispute is about", and
// adjudicate() reads through it (test/ts/verifier/cached-checkpoints.test.ts, referee.test.ts pin
// this for the memory store). With an `ipfs` section the store behind the cache is IpfsBlobStore,
// which itself keeps every block it fetched in its repo ("a blob fetched from a peer by `get` is
// kept in the repo as a cache") and answers `get` from there first. Every verifier audits the same
// sampled segments (the seed is on chain), so every referee drawn already holds those checkpoints:
// a provider that served them during the audits and withholds them from then on (from the
// challenger, or from everyone) is voted Provider on an availability dispute, and the honest
// challenger loses its bond.
// The store is passed to adjudicate() itself, as the verifier daemon passes its own (the cache over
// the IPFS store): plainBytes() (a plain-Uint8Array copy, which isolated the since-fixed Buffer-view
// bug of ipfs-buffer-views.test.ts) would hide the store's served-now view from uncached(), as any
// wrapper other than CachingBlobStore does (src/store/blob-store.ts, SERVED_NOW).
import { expect } from "chai";

import { CachingBlobStore, uncached } from "../../../src/store/caching-store.ts";
import { BlobNotFoundError } from "../../../src/store/errors.ts";
import { adjudicate, verifiableJob } from "../../../verifier/segment-check.ts";
import { question } from "../verifier/questions.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { honestJob, Nodes, publishOn, type HonestJob } from "./helpers.ts";

// FIXED (issue 12, item 4): uncached() of the IPFS store is its served-now view
// (src/store/ipfs-store.ts), which reads through a probe that holds nothing: a node with a new peer
// id and an empty in-memory repo, dialing the referee's configured peers (IpfsNode.startProbe). Its
// fresh peer id also has no bitswap ledger at the provider, which sank the first fix (a view that
// dropped the local block and asked again as the same peer: ipfs-serving-provider-available.test.ts
// guards that, and passes). Failed before; the probe's own attacks are ipfs-probe-attacks.test.ts.
describe("attack review: IPFS availability judged on the referee's repo cache", function () {
  this.timeout(30_000);
  const nodes = new Nodes();
  let job: HonestJob;

  before(async () => {
    job = await honestJob();
  });
  afterEach(() => nodes.stopAll());

  it("a referee whose worker fetched the checkpoints during its audit still finds them unavailable once the provider withholds them", async () => {
    const provider = await nodes.start();
    await publishOn(provider, job);
    // A second peer that holds nothing: with the provider gone, "nobody sent it" is then an answer
    // (a referee whose only peer is the provider would see an outage: docs/store.md).
    const bystander = await nodes.start();
    const peers = [provider.multiaddrs()[0]!, bystander.multiaddrs()[0]!];
    const auditedBefore = await nodes.start({ listen: [], peers, fetchTimeoutMs: 500 });
    const freshReferee = await nodes.start({ listen: [], peers, fetchTimeoutMs: 500 });
    // The referee's worker audited segment 3 while the provider served it.
    const verifierStore = new CachingBlobStore(ipfsBlobStoreOn(auditedBefore));
    for (const index of [2, 3]) await verifierStore.get(job.records[index]!.cid);

    // The provider withholds from now on.
    await provider.stop();

    const v = verifiableJob(job.small, job.records);
    const q = question("Availability", job.records, 3, job.k);
    expect(
      (await adjudicate(v, ipfsBlobStoreOn(freshReferee), q)).vote,
      "control: a referee without a copy",
    ).to.equal("Challenger");

    // The referee that audited before votes on its own copy…
    expect(
      (await adjudicate(v, ipfsBlobStoreOn(auditedBefore), q)).vote,
      "a referee that audited before",
    ).to.equal("Challenger");
    // …because what adjudicate reads through, uncached(verifier's store), is the IPFS store itself,
    // and it answers from its repo.
    const judged = uncached(verifierStore);
    let served: string;
    try {
      await judged.get(job.records[3]!.cid);
      served = "the bytes, from the referee's own repo";
    } catch (error) {
      served = error instanceof BlobNotFoundError ? "not found" : String(error);
    }
    expect(served, "what 'the store serves now' says of withheld checkpoint 3").to.equal(
      "not found",
    );
  });
});
