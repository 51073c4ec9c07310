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
// the referee votes Challenger.
import { expect } from "chai";

import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import {
  availabilityVote,
  honestJob,
  Nodes,
  publishOn,
  startPeerOf,
  withhold,
  type HonestJob,
} from "./helpers.ts";

// OPEN — issue 12 (item 4): a verdict reads "some configured peer serves it now", and verifiers'
// nodes serve what they cached. The fix needs verifiers' nodes to serve only what they pinned (a
// blockstore view for bitswap's answers) or a verdict that names the provider's node; docs/store.md
// ("What is left") says what it means for operators. Skipped so the suite stays green; remove
// `.skip` to see it fail.
describe.skip("attack: another verifier's cache answers for a withholding provider", function () {
  this.timeout(60_000);
  const nodes = new Nodes();
  let job: HonestJob;

  before(async () => {
    job = await honestJob();
  });
  afterEach(() => nodes.stopAll());

  it("a referee that configured an early auditor as a peer votes Challenger when the provider withholds the checkpoint", async () => {
    const provider = await nodes.start();
    await publishOn(provider, job);
    // Verifier B audited segment 3 while the provider served it (its node listens: others name it).
    const auditor = await nodes.start({
      peers: [provider.multiaddrs()[0]!],
      fetchTimeoutMs: 2_000,
    });
    for (const index of [2, 3]) await ipfsBlobStoreOn(auditor).get(job.records[index]!.cid);

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
});
