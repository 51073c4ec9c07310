// ATTACK (severity: low to medium — resources and timing: a cheating provider makes every referee of
// a state dispute re-execute the job from its start, and wait a fetch window per checkpoint).
//
// `adjudicate` (verifier/segment-check.ts) reads every dispute kind through `uncached(store)`, and
// on IPFS that is now the served-now view: nothing the referee holds counts, only what its
// configured peers serve now. That is the point for an availability dispute; an exact state
// dispute judges no availability at all — the pre-state is named by its digest, and any copy that
// hashes to it is as good as another (the code already re-derives one when it cannot be fetched).
// But a referee that audited the job (its repo and blob cache hold checkpoint 3, verified against
// its address) can no longer use it: a provider that loses the dissection withholds every
// checkpoint (and the challenger's published pre-state is on the challenger's node, which referees
// do not name as a peer), and checkpointState walks back through every withheld checkpoint — one
// whole fetch window each, fetchTimeoutMs (30 s by default; more when a peer refuses the probe) —
// down to checkpoint 0, then re-executes (segment − 1)·k + step steps instead of one.
//
// Here (T = 40, k = 10, a 1 s window): 31 steps and four fetch windows instead of 1 step and
// none. For a job of n = 100 checkpoints the walk alone is 100 × 30 s = 50 min, and the re-execution
// up to the whole job (a day's training for a day-long job), against a 1 h vote commit window
// (deploy/deploy-assay.ts): the referees cannot vote in time, DisputeGame.resolve makes them pay and
// redraws, and the cheating provider is never slashed. Before the served-now view the referee's repo
// answered for the checkpoints its audit had fetched.
//
// Expected once fixed: a dispute that does not judge availability takes any verified copy of a
// content-addressed state (the repo, the cache) before re-deriving it: one step here.
import { expect } from "chai";
import type { Hex } from "viem";

import { CachingBlobStore } from "../../../src/store/caching-store.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import {
  adjudicate,
  publishPreState,
  verifiableJob,
  type RefereeQuestion,
} from "../../../verifier/segment-check.ts";
import {
  honestJob,
  Nodes,
  providerAndBystander,
  startPeerOf,
  withhold,
  type HonestJob,
} from "./helpers.ts";

describe("attack: a state dispute re-derives what the referee already holds", function () {
  this.timeout(60_000);
  const nodes = new Nodes();
  let job: HonestJob;

  before(async () => {
    job = await honestJob();
  });
  afterEach(() => nodes.stopAll());

  it("a referee that holds a verified copy of the agreed pre-state (checkpoint 3) recomputes one step, not the job", async () => {
    const { provider, bystander } = await providerAndBystander(nodes, job);
    const referee = await startPeerOf(nodes, [provider, bystander], { fetchTimeoutMs: 1_000 });
    // Its worker audited segment 4: checkpoints 3 and 4, verified, in its cache and repo.
    const store = new CachingBlobStore(ipfsBlobStoreOn(referee));
    for (const index of [3, 4]) await store.get(job.records[index]!.cid);

    // The dissection narrowed to segment 4's first step; the provider then withholds everything.
    for (const record of job.records.slice(1)) await withhold(provider, record.cid);
    const q: RefereeQuestion = {
      kind: "State",
      segment: 4,
      step: 1, // the pre-state is checkpoint 3
      preDigest: job.records[3]!.stateDigest,
      providerDigest: `0x${"22".repeat(32)}` as Hex,
      challengerDigest: `0x${"11".repeat(32)}` as Hex,
    };
    const v = verifiableJob(job.small, job.records);
    const begun = performance.now();
    const verdict = await adjudicate(v, store, q);
    const seconds = ((performance.now() - begun) / 1000).toFixed(1);
    expect(
      verdict.steps,
      `steps the referee re-executed (took ${seconds} s; its copy of checkpoint 3 is verified)`,
    ).to.equal(1);
  });

  it("a referee that holds no copy recomputes one step from the challenger's pre-state envelope while the provider withholds every checkpoint", async () => {
    const { provider, bystander } = await providerAndBystander(nodes, job);
    // The challenger recomputed the agreed pre-state (checkpoint 3: the dissection ended at segment
    // 4's first step) and published it in its envelope; its node serves what it published.
    const challenger = await startPeerOf(nodes, [provider], { listen: ["/ip4/127.0.0.1/tcp/0"] });
    const v = verifiableJob(job.small, job.records);
    const published = await publishPreState(v, ipfsBlobStoreOn(challenger), 7n, 4, 0);
    for (const record of job.records.slice(1)) await withhold(provider, record.cid);

    const referee = await startPeerOf(nodes, [provider, bystander, challenger], {
      fetchTimeoutMs: 1_000,
    });
    const q: RefereeQuestion = {
      kind: "State",
      segment: 4,
      step: 1,
      preDigest: job.records[3]!.stateDigest,
      providerDigest: `0x${"22".repeat(32)}` as Hex,
      challengerDigest: `0x${"11".repeat(32)}` as Hex,
      disputeId: 7n,
      preStateEnvelope: published.envelopeDigest,
    };
    const verdict = await adjudicate(v, ipfsBlobStoreOn(referee), q);
    expect(verdict.steps, "recomputed from the envelope: one step").to.equal(1);
    expect(verdict.vote, "neither side's made-up digest").to.equal("Neither");
  });
});
