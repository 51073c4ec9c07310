// GUARD, from an attack review of a withdrawn fix: an honest provider that serves every blob is
// found available however often, and after whatever earlier reads, a referee or verifier reads its
// blobs. The fix for ipfs-repo-cache-availability.test.ts (a `withoutCache()` view that dropped a
// block fetched earlier and asked the peers again) broke exactly this: Helia's bitswap ignores a
// repeated want from the same peer for seconds (the sender's ledger keeps the first want as
// "sent": @helia/bitswap peer-want-lists/ledger.js; the requester never sends a cancel), so the
// second read of a blob waited fetchTimeoutMs and threw BlobNotFoundError, which isUnavailable()
// reads as the provider withholding it:
//   - tolerance numerics: adjudicate() reads checkpoint `segment` twice (fetchCommitted, then
//     judgeSegment): a referee voted Challenger against an honest, serving provider;
//   - a referee whose worker had audited the segment voted Challenger the same way;
//   - checkNorms reads checkpoint i as segment i's end and i+1's start: an honest verifier opened an
//     availability challenge it then lost;
//   - a referee's fresh job read for an availability dispute failed as poison (no vote, penalized).
// These tests failed on that fix and pass now; any later fix of the repo-cache finding must keep
// them passing.
import { expect } from "chai";

import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { CachingBlobStore, uncached } from "../../../src/store/caching-store.ts";
import { fetchJobSpec } from "../../../src/node/job-reader.ts";
import { adjudicate, verifiableJob } from "../../../verifier/segment-check.ts";
import { checkNorms } from "../../../verifier/trace-checks.ts";
import { question } from "../verifier/questions.ts";
import { honestJob, Nodes, publishOn, type HonestJob } from "./helpers.ts";

describe("attack review guard: an honest, serving provider is available to every read", function () {
  this.timeout(60_000);
  const nodes = new Nodes();
  afterEach(() => nodes.stopAll());

  async function providerAndReferee(job: HonestJob) {
    const provider = await nodes.start();
    await publishOn(provider, job);
    const referee = await nodes.start({
      listen: [],
      peers: [provider.multiaddrs()[0]!],
      fetchTimeoutMs: 1_500,
    });
    return { provider, referee };
  }

  it("tolerance numerics: a referee votes Provider on an availability dispute over an honest provider that serves every blob", async () => {
    const job = await honestJob("tolerance");
    const { referee } = await providerAndReferee(job);
    const v = verifiableJob(job.small, job.records);
    const q = question("Availability", job.records, 3, job.k);
    const verdict = await adjudicate(v, ipfsBlobStoreOn(referee), q);
    expect(verdict.vote, "the provider served checkpoints 2 and 3 throughout").to.equal("Provider");
  });

  it("exact numerics: a referee that audited the segment earlier votes Provider on an availability dispute over an honest provider that serves every blob", async () => {
    const job = await honestJob();
    const { referee } = await providerAndReferee(job);
    // The referee's worker audited segment 3 (every verifier audits the drawn segments) through the
    // cached store; the dispute comes later, once the provider's 5 s do-not-resend window is over.
    const cached = ipfsBlobStoreOn(referee);
    for (const index of [2, 3]) await cached.get(job.records[index]!.cid);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const v = verifiableJob(job.small, job.records);
    const q = question("Availability", job.records, 3, job.k);
    const verdict = await adjudicate(v, cached, q);
    expect(verdict.vote, "the provider served checkpoints 2 and 3 throughout").to.equal("Provider");
  });

  it("the norm check of consecutive segments finds no availability fault while the provider serves every checkpoint", async () => {
    const job = await honestJob();
    const { referee } = await providerAndReferee(job);
    const v = verifiableJob(job.small, job.records);
    const checks = await checkNorms(v, ipfsBlobStoreOn(referee), [2, 3]);
    expect(
      checks.map((c) => (c.ok ? "ok" : `${c.fault}: ${c.reason}`)),
      "segments 2 and 3 share checkpoint 2",
    ).to.deep.equal(["ok", "ok"]);
  });

  it("a verifier that loaded a job for its audit loads it again fresh (the availability dispute's read)", async () => {
    const job = await honestJob();
    const { referee } = await providerAndReferee(job);
    // The daemon's store: the blob cache over the IPFS store (verifier/job-cache.ts cachedStore).
    const store = new CachingBlobStore(ipfsBlobStoreOn(referee));
    await fetchJobSpec(store, 7n, job.onchain); // the audit's load
    let fresh: string;
    try {
      fresh = (await fetchJobSpec(uncached(store), 7n, job.onchain)).specCid;
    } catch (error) {
      fresh = `${(error as Error).name}: ${(error as Error).message} (${String((error as Error).cause)})`;
    }
    expect(fresh, "the submitter's node serves every artefact throughout").to.equal(job.specCid);
  });
});
