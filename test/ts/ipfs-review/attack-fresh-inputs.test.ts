// ATTACK (severity: high — a withholding provider is never judged; honest referees pay for it).
//
// An availability verdict starts with a fresh job read (verifier/reexec-worker.ts: `jobs.get(...,
// { fresh: question.kind === "Availability" })`, verifier/job-cache.ts: `uncached(store)`), and on
// IPFS that read goes through the served-now view: the spec, the program, the initial state and
// every dataset shard must be served NOW by the referee's configured peers, to a fresh probe. None
// of them is the disputed checkpoint, none is what an availability dispute is about, and all are
// content-addressed: the copies the referee verified and keeps (its blob cache and its repo, from
// its audit of this very job) are exactly as good as a fresh fetch.
//
// A provider that withholds checkpoint 3 also drops the job's dataset shards (it fetched them from
// the submitter to train; the submitter's node is gone once the job is accepted — nothing obliges
// it to serve for the challenge window). Then every referee's fresh read fails with
// BlobNotFoundError → JobSpecUnusableError, which is poison: the re-execution task fails for good
// and the referee casts no vote. The availability verdict itself needed none of those inputs:
// adjudicateAvailability votes Challenger as soon as checkpoint `segment` is not served.
//
// Consequence: no committee ever reaches a majority; DisputeGame.resolve makes every absent
// (honest) referee pay and redraws, round after round, while the job stays held: the withholding
// provider is never slashed, the honest challenger's bond is locked, referees are penalized.
// Cost to the provider: deleting blocks it no longer needs. docs/protocol.md ("availability") puts
// only checkpoints i−1 and i and the manifest on the provider; the inputs are on nobody now. The
// referee holds verified copies of every input (its audit loaded them: the control below shows
// they suffice), but the fresh read may not use them.
//
// Expected once fixed: a fresh read for an availability verdict judges only what the provider must
// serve (manifest, checkpoints) on the network now, and takes the job's inputs from any verified
// copy (the cache, the repo); the referee votes Challenger.
import { expect } from "chai";

import { isRetryable } from "../../../src/errors.ts";
import { fetchJobSpec } from "../../../src/node/job-reader.ts";
import { CachingBlobStore, uncached } from "../../../src/store/caching-store.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { adjudicate, verifiableJob } from "../../../verifier/segment-check.ts";
import { question } from "../verifier/questions.ts";
import {
  honestJob,
  Nodes,
  providerAndBystander,
  startPeerOf,
  withhold,
  type HonestJob,
} from "./helpers.ts";

describe("attack: a provider that withholds a checkpoint also withholds the job's inputs", function () {
  this.timeout(90_000);
  const nodes = new Nodes();
  let job: HonestJob;

  before(async () => {
    job = await honestJob();
  });
  afterEach(() => nodes.stopAll());

  /** What the referee's worker does for an availability dispute: a fresh job read, then adjudicate. */
  async function refereeVote(store: CachingBlobStore): Promise<string> {
    try {
      const fresh = await fetchJobSpec(uncached(store), 7n, job.onchain);
      const v = verifiableJob(fresh.loaded, job.records);
      const q = question("Availability", job.records, 3, job.k);
      return `voted ${(await adjudicate(v, store, q)).vote}`;
    } catch (error) {
      return `no vote (${isRetryable(error) ? "retryable" : "failed for good"}: ${(error as Error).name}: ${(error as Error).message})`;
    }
  }

  it("a referee that verified the job's inputs during its audit still votes Challenger when the provider withholds the checkpoint and the inputs", async () => {
    // The provider holds every blob: it fetched the inputs to train.
    const { provider, bystander } = await providerAndBystander(nodes, job);
    const referee = await startPeerOf(nodes, [provider, bystander], { fetchTimeoutMs: 1_500 });
    // The referee's daemon store (verifier/job-cache.ts cachedStore) and its audit of the job.
    const store = new CachingBlobStore(ipfsBlobStoreOn(referee));
    await fetchJobSpec(store, 7n, job.onchain);
    for (const index of [2, 3]) await store.get(job.records[index]!.cid);

    await withhold(provider, job.records[3]!.cid);
    expect(await refereeVote(store), "control: the checkpoint alone withheld").to.equal(
      "voted Challenger",
    );

    // The provider also drops the job's dataset shards (it fetched them from the submitter to
    // train; nobody else serves them now). The spec and program it still serves.
    for (const cid of job.small.spec.dataset.shards) await withhold(provider, cid);
    expect(await refereeVote(store)).to.equal("voted Challenger");
  });
});
