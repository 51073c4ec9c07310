// FINDING (lower severity, design): an availability verdict counts the referee's OWN pinned copy,
// which the network may not serve at all.
//
// IpfsBlobStore (src/store/ipfs-store.ts) answers from every block the node holds, pinned ones
// included. A verifier
// pins the provider's checkpoint bytes itself in the ordinary course of the protocol: as the
// challenger of an exact state dispute narrowed to a segment's first step, publishStateAt
// (verifier/segment-check.ts; audit.ts "publish it, recomputed, so the committee does not depend
// on a cheating provider") puts the pre-state, which is byte for byte checkpoint `segment − 1`.
// (Since then the pre-state is published in an envelope of its own address, publishPreState, so
// the challenger no longer holds checkpoint `segment − 1` itself either.)
// When that verifier is later drawn on an availability dispute over the same checkpoint (segment 1
// needs only checkpoint 1 besides the spec's initial state), it votes Provider on its own pinned
// copy while the provider withholds it from everyone and the referee's node serves nobody (the
// default listen address is 127.0.0.1). Its vote then depends on its own history, not on what the
// network serves now (goal 4); a withholding provider escapes a committee that happens to include
// such a referee, and the honest challenger's win depends on the draw. (Where the referee's node
// listens publicly, its copy IS served, and the vote is defensible: say which the protocol means.)
// Control: a referee without the pin votes Challenger.
import { expect } from "chai";

import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { adjudicate, publishPreState, verifiableJob } from "../../../verifier/segment-check.ts";
import { question } from "../verifier/questions.ts";
import { honestJob, Nodes, publishOn, type HonestJob } from "./helpers.ts";

// FIXED (issue 12, item 4), with ipfs-repo-cache-availability.test.ts: the verdict reads through
// the served-now view's probe, which holds nothing, so the referee's own pins are not asked; the
// protocol means "served now by the referee's configured peers" (docs/store.md). Failed before.
describe("attack review: an availability verdict on the referee's own pinned copy", function () {
  this.timeout(30_000);
  const nodes = new Nodes();
  let job: HonestJob;

  before(async () => {
    job = await honestJob();
  });
  afterEach(() => nodes.stopAll());

  it("a referee that published checkpoint 1 itself (as a challenger) still finds it unavailable once the provider withholds it", async () => {
    const provider = await nodes.start();
    await publishOn(provider, job);
    const bystander = await nodes.start();
    const peers = [provider.multiaddrs()[0]!, bystander.multiaddrs()[0]!];
    const formerChallenger = await nodes.start({ peers, fetchTimeoutMs: 500 });
    const freshReferee = await nodes.start({ listen: [], peers, fetchTimeoutMs: 500 });
    const v = verifiableJob(job.small, job.records);
    // The challenger's publication for a state dispute at segment 2, step 1 (offset 0): checkpoint
    // 1's state, now in its pre-state envelope (attack-peer-cache-rescue.test.ts), pinned in its repo.
    const published = await publishPreState(v, ipfsBlobStoreOn(formerChallenger), 1n, 2, 0);
    expect(published.stateDigest, "the published pre-state is checkpoint 1").to.equal(
      job.records[1]!.stateDigest,
    );

    await provider.stop(); // withholds from now on

    const q = question("Availability", job.records, 1, job.k);
    expect((await adjudicate(v, ipfsBlobStoreOn(freshReferee), q)).vote, "control").to.equal(
      "Challenger",
    );
    expect(
      (await adjudicate(v, ipfsBlobStoreOn(formerChallenger), q)).vote,
      "the referee that pinned checkpoint 1 as a challenger",
    ).to.equal("Challenger");
  });
});
