// ATTACK (severity: medium — a withholding provider passes, the honest challenger loses its bond;
// a design gap of the served-now view rather than a slip in its code).
//
// The served-now view asks every configured peer and takes the blob from whichever sends it
// (src/store/ipfs-store.ts: "some configured peer was asked and none sent the blob"), so a verdict
// means "some node the referee configured has it now", not "the provider serves it now". Every
// verifier's IPFS store keeps the blocks it fetched in its repo (an unpinned cache that nothing
// garbage-collects: docs/store.md, "Pins") and serves them to any peer that asks. docs/store.md
// tells referees to configure several peers ("one whose only peer is the provider cannot tell the
// provider's absence from an outage"), and the peers a verifier can name besides providers are
// other verifiers. The checkpoints an availability dispute is about are the ones audits sample
// and fetch.
//
// So: the provider serves the early auditors (verifier B fetched checkpoint 3 during its audit),
// then withholds. The challenger, auditing later, cannot fetch checkpoint 3 from its peers and opens
// an availability challenge; every referee that configured B as a peer finds checkpoint 3 "served
// now" — by B's cache — and votes Provider. The withholding provider saves serving for the rest of
// the challenge window; the honest challenger loses its bond. The verdict also depends on each
// referee's peer list (a referee without B votes Challenger: (c), the verdict follows the referee's
// configuration, not what the provider serves).
//
// Expected once fixed: an availability verdict counts only what the provider serves (its node
// named on chain, or its configured peer id), or verifiers do not serve blocks they merely cached;
// the referee votes Challenger. Fixed the second way: a node serves peers only the blocks it pinned
// (what it published), never one it fetched as a reader (src/store/ipfs-serving.ts).
import { expect } from "chai";

import type { IpfsNode } from "../../../src/store/ipfs-node.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { adjudicate, publishPreState, verifiableJob } from "../../../verifier/segment-check.ts";
import {
  availabilityVote,
  honestJob,
  Nodes,
  publishOn,
  sleep,
  startPeerOf,
  withhold,
  type HonestJob,
} from "./helpers.ts";

// The cases after the first attack the fix: an honest provider must still read as available, a
// referee's own reads must not make it a rescuer, and a publication must reach a want that waits.
describe("attack: another verifier's cache answers for a withholding provider", function () {
  this.timeout(60_000);
  const nodes = new Nodes();
  let job: HonestJob;

  before(async () => {
    job = await honestJob();
  });
  afterEach(() => nodes.stopAll());

  /** A provider serving the job, and verifier B that audited segment 3 while it did (B listens). */
  async function providerAndAuditor(): Promise<{ provider: IpfsNode; auditor: IpfsNode }> {
    const provider = await nodes.start();
    await publishOn(provider, job);
    const auditor = await nodes.start({
      peers: [provider.multiaddrs()[0]!],
      fetchTimeoutMs: 2_000,
    });
    for (const index of [2, 3]) await ipfsBlobStoreOn(auditor).get(job.records[index]!.cid);
    return { provider, auditor };
  }

  it("a referee that configured an early auditor as a peer votes Challenger when the provider withholds the checkpoint", async () => {
    const { provider, auditor } = await providerAndAuditor();

    await withhold(provider, job.records[3]!.cid);
    // The challenger's view: its only peer is the provider, which no longer serves checkpoint 3.
    const challenger = await startPeerOf(nodes, [provider], { fetchTimeoutMs: 1_500 });
    expect(
      await availabilityVote(job, ipfsBlobStoreOn(challenger)),
      "control: the provider withholds checkpoint 3",
    ).to.equal("voted Challenger");

    // A referee that followed docs/store.md and configured several peers, B among them.
    const referee = await startPeerOf(nodes, [provider, auditor], { fetchTimeoutMs: 1_500 });
    expect(await availabilityVote(job, ipfsBlobStoreOn(referee))).to.equal("voted Challenger");
  });

  it("an honest provider still reads as available to a referee that also names an auditor that fetched the checkpoint", async () => {
    const { provider, auditor } = await providerAndAuditor();
    const referee = await startPeerOf(nodes, [provider, auditor], { fetchTimeoutMs: 1_500 });
    expect(await availabilityVote(job, ipfsBlobStoreOn(referee))).to.equal("voted Provider");
  });

  it("a referee's judging leaves its node serving nothing it read: a later committee naming it still finds the provider withholding", async () => {
    const provider = await nodes.start();
    await publishOn(provider, job);
    // The first committee's referee reads every blob of the dispute while the provider serves it:
    // through its probe, and (the job's fresh read) its own repo.
    const first = await nodes.start({ peers: [provider.multiaddrs()[0]!], fetchTimeoutMs: 1_500 });
    expect(await availabilityVote(job, ipfsBlobStoreOn(first))).to.equal("voted Provider");
    for (const record of job.records) await ipfsBlobStoreOn(first).get(record.cid);

    await withhold(provider, job.records[3]!.cid);
    const later = await startPeerOf(nodes, [provider, first], { fetchTimeoutMs: 1_500 });
    expect(await availabilityVote(job, ipfsBlobStoreOn(later))).to.equal("voted Challenger");
  });

  it("a provider that publishes a withheld checkpoint again while a referee's want waits is found serving it", async () => {
    // Bitswap hears of a put before its pin: a want that arrived before the pin must still be
    // answered once the block is pinned (IpfsNode.published), not only on the peer's next message.
    const provider = await nodes.start();
    await publishOn(provider, job);
    const cid = job.records[3]!.cid;
    await withhold(provider, cid);
    const referee = await startPeerOf(nodes, [provider], { fetchTimeoutMs: 5_000 });
    const vote = availabilityVote(job, ipfsBlobStoreOn(referee));
    await sleep(1_500); // the probe is in, and its want for checkpoint 3 is at the provider
    await ipfsBlobStoreOn(provider).put(job.blobs.get(cid)!);
    expect(await vote).to.equal("voted Provider");
  });

  // A challenger of an exact state dispute publishes the agreed pre-state of the last step for the
  // committee (verifier/audit.ts), and when that step is the segment's first, the pre-state is the
  // provider's previous checkpoint, byte for byte. Published bare (as it once was), it was under the
  // checkpoint's own address: the challenger's node served it and answered an availability verdict
  // for a provider that withholds it, and a second honest challenger, whose peers lack it, lost its
  // bond (this case failed: "voted Provider"). Fixed: the pre-state is published in an envelope of
  // its own address that names the dispute (src/checkpoint/prestate-envelope.ts), and the committee
  // finds it through the chain (PreStatePublished); the challenger stores no bare state.
  it("a state dispute's challenger that published checkpoint 3 as the agreed pre-state does not answer for a provider that withholds it", async () => {
    const provider = await nodes.start();
    await publishOn(provider, job);
    // The challenger of a state dispute over segment 4 whose dissection ended at its first step.
    const challenger = await nodes.start({
      peers: [provider.multiaddrs()[0]!],
      fetchTimeoutMs: 2_000,
    });
    const v = verifiableJob(job.small, job.records);
    const published = await publishPreState(v, ipfsBlobStoreOn(challenger), 7n, 4, 0);
    expect(published.stateDigest).to.equal(job.records[3]!.stateDigest);

    await withhold(provider, job.records[3]!.cid);
    const referee = await startPeerOf(nodes, [provider, challenger], { fetchTimeoutMs: 1_500 });
    expect(await availabilityVote(job, ipfsBlobStoreOn(referee))).to.equal("voted Challenger");
    // The state dispute's committee, naming the same peers, still finds the pre-state it needs.
    const stateReferee = await startPeerOf(nodes, [provider, challenger], {
      fetchTimeoutMs: 1_500,
    });
    const verdict = await adjudicate(v, ipfsBlobStoreOn(stateReferee), {
      kind: "State",
      segment: 4,
      step: 1,
      preDigest: job.records[3]!.stateDigest,
      providerDigest: `0x${"22".repeat(32)}`,
      challengerDigest: `0x${"11".repeat(32)}`,
      disputeId: 7n,
      preStateEnvelope: published.envelopeDigest,
    });
    expect(verdict.steps, "recomputed from the envelope: one step").to.equal(1);
  });
});
