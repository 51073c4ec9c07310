// ATTACKS on the fix of ipfs-repo-cache-availability.test.ts: availability is judged through a
// probe that holds nothing (the IPFS store's served-now view, src/store/ipfs-store.ts), a node with
// a new peer id that dials the referee's configured peers for each verdict. What it opens to:
//   - a fresh connection is what a peer refuses first: libp2p takes at most 10 inbound connections
//     in their handshake at once (maxIncomingPendingConnections) and 5 a second from one host
//     (inboundConnectionThreshold). A stranger (the challenger) that holds an honest provider's
//     pending slots with idle TCP sockets kept the probe from the provider while a bystander
//     answered "not here": the honest provider read as withholding. Now a configured peer that is
//     up for the referee's node but refuses the probe is asked over that node's own connection
//     (IpfsNode.askConnectedPeer), still never its repo;
//   - the same refusal from a withholding provider (it keeps the connections it has and takes no
//     new one) left the answer unknown when such a peer only made the read retryable: no vote, a
//     dispute redrawn round after round; asked over the referee's connection, it is found
//     unavailable;
//   - a verifier's workers judging at once open more connections a second than a provider takes
//     from one host: a probe the provider let in on a redial had only what was left of its fetch
//     window, and an honest provider read as withholding. Each configured peer now has the whole
//     window from when the probe got connected to it;
//   - an accomplice that dials into the referees' nodes and serves only them no longer saves a
//     withholding provider: the probe listens nowhere and asks only configured peers;
//   - a configured peer forging identity-hash blocks at the probe (ipfs-forged-identity-block) is
//     ignored by it as by any of our nodes.
// On a probe that counted a refused peer as silent, the first test failed (Challenger against the
// honest provider) and so did the fifth (5 of 12 reads "not served"); on one that made such a peer's
// answer unknown (retryable), the first and second failed (no vote); the fifth failed on the ask
// over the referee's connection before each peer had its own window. The sixth failed while a probe
// that could not start threw a plain Error (read as "withheld"). The last test reports what a read
// through the probe costs.
import { expect } from "chai";

import { isRetryable } from "../../../src/errors.ts";
import { CachingBlobStore, uncached } from "../../../src/store/caching-store.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import {
  answerWantsWithIdentityBlocks,
  availabilityVote,
  freshPeerGetsIn,
  holdPendingSlots,
  honestJob,
  Nodes,
  providerAndBystander,
  publishOn,
  sleep,
  sprayIdentityBlocks,
  startPeerOf,
  withhold,
  type HonestJob,
} from "./helpers.ts";

describe("attack review: the availability probe", function () {
  this.timeout(90_000);
  const nodes = new Nodes();
  const stops: (() => void)[] = [];
  let job: HonestJob;

  before(async () => {
    job = await honestJob();
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    await nodes.stopAll();
  });

  /** An honest provider serving every blob, a bystander holding none, and a referee naming both. */
  async function network(refereeOptions: { fetchTimeoutMs?: number; listen?: string[] } = {}) {
    const { provider, bystander } = await providerAndBystander(nodes, job);
    const referee = await startPeerOf(nodes, [provider, bystander], {
      fetchTimeoutMs: 1_000,
      ...refereeOptions,
    });
    expect(referee.configuredPeersConnected(), "the referee reached both peers").to.equal(2);
    return { provider, bystander, referee };
  }

  it("a stranger holding an honest provider's inbound slots does not make a referee that audited it vote Challenger", async () => {
    const { provider, referee } = await network();
    // The referee's worker audited segment 3 a moment ago, over its long-lived connection: the
    // provider's bitswap ledger still holds those wants as sent.
    const store = new CachingBlobStore(ipfsBlobStoreOn(referee));
    for (const index of [2, 3]) await store.get(job.records[index]!.cid);

    stops.push(await holdPendingSlots(provider));
    expect(await freshPeerGetsIn(provider), "the stranger keeps new peers out").to.equal(false);
    expect(referee.connectedTo(provider.peerId), "the referee's own connection stands").to.equal(
      true,
    );

    expect(await availabilityVote(job, store)).to.equal("voted Provider");
  });

  it("a withholding provider that refuses every peer it does not know is still found unavailable, not left unjudged", async () => {
    const { provider, referee } = await network();
    const store = ipfsBlobStoreOn(referee);
    for (const index of [2, 3]) await store.get(job.records[index]!.cid); // the audit's copies
    await withhold(provider, job.records[3]!.cid);
    // Its accomplice holds its inbound slots: no new peer gets in, the connections it has stay.
    stops.push(await holdPendingSlots(provider));
    expect(await freshPeerGetsIn(provider), "no new peer gets in").to.equal(false);

    expect(await availabilityVote(job, store)).to.equal("voted Challenger");
  });

  it("an accomplice that dials into the referee and serves only it does not save a withholding provider", async () => {
    // The referee listens (as a verifier whose node others reach does).
    const { provider, referee } = await network({ listen: ["/ip4/127.0.0.1/tcp/0"] });
    const accomplice = await nodes.start({ listen: [], peers: [referee.multiaddrs()[0]!] });
    await publishOn(accomplice, job);
    await provider.stop(); // withholds from everyone
    await sleep(300);
    // Control: the referee's node itself takes the checkpoint from whoever is connected.
    const fromAccomplice = await ipfsBlobStoreOn(referee)
      .get(job.records[3]!.cid)
      .then(() => "fetched", String);
    expect(fromAccomplice, "control: the accomplice serves the referee's node").to.equal("fetched");

    expect(await availabilityVote(job, ipfsBlobStoreOn(referee))).to.equal("voted Challenger");
  });

  it("a configured peer that answers the probe's wants with forged identity blocks does not make an honest provider read as unavailable", async () => {
    const provider = await nodes.start();
    await publishOn(provider, job);
    const liar = await nodes.start();
    answerWantsWithIdentityBlocks(liar);
    stops.push(
      sprayIdentityBlocks(
        liar,
        job.records.map((r) => r.cid),
      ),
    );
    const referee = await startPeerOf(nodes, [provider, liar], { fetchTimeoutMs: 2_000 });
    const votes: string[] = [];
    for (const segment of [1, 2, 3, 4]) {
      votes.push(await availabilityVote(job, ipfsBlobStoreOn(referee), segment));
      await sleep(250); // each verdict is a new connection from 127.0.0.1 to both peers
    }
    expect(votes).to.deep.equal(Array(4).fill("voted Provider"));
  });

  it("availability reads at once from several workers, more than a provider's inbound rate limit takes, still find an honest provider available", async () => {
    const { referee } = await network();
    const store = ipfsBlobStoreOn(referee);
    // Twelve verdicts' reads at once (a verifier's re-execution workers), each through a view of its
    // own: a probe of its own, a new connection from 127.0.0.1 to each peer, more than 5 a second.
    const seen = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        uncached(store)
          .get(job.records[1 + (i % 4)]!.cid)
          .then(
            () => "served",
            (error: Error) => `${error.name}: ${error.message}`,
          ),
      ),
    );
    expect(seen).to.deep.equal(Array(12).fill("served"));
  });

  it("a view that cannot probe gives no verdict (retryable), never 'not available intact'", async () => {
    const lonely = await nodes.start({ fetchTimeoutMs: 300 }); // no configured peers to ask
    const { referee } = await network();
    const stopped = ipfsBlobStoreOn(referee);
    await referee.stop(); // the daemon shutting down under a verdict
    const cid = job.records[3]!.cid;
    const outcomes: Record<string, string> = {};
    for (const [which, store] of [
      ["no configured peers", ipfsBlobStoreOn(lonely)],
      ["fetch timeout 0", ipfsBlobStoreOn(lonely, 0)],
      ["its node stopped", stopped],
    ] as const) {
      outcomes[which] = await uncached(store)
        .get(cid)
        .then(
          () => "served",
          (error: Error) => `${error.name} (retryable: ${isRetryable(error)})`,
        );
    }
    const none = "StoreUnavailableError (retryable: true)";
    expect(outcomes).to.deep.equal({
      "no configured peers": none,
      "fetch timeout 0": none,
      "its node stopped": none,
    });
  });

  it("cost: what a read through the probe takes, next to a read from the repo and a fetch over a standing connection", async () => {
    const { referee } = await network();
    const store = ipfsBlobStoreOn(referee);
    const cids = job.records.slice(1).map((r) => r.cid);
    const bytes = (await store.get(cids[0]!)).byteLength;
    const median = (ms: number[]) => ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
    const time = async (read: (cid: string) => Promise<unknown>, which: string[]) => {
      const ms: number[] = [];
      for (const cid of which) {
        const begun = performance.now();
        await read(cid);
        ms.push(performance.now() - begun);
        await sleep(250); // below the provider's inbound rate limit: measure the probe, not it
      }
      return median(ms);
    };
    const fetched = await time((cid) => ipfsBlobStoreOn(referee).get(cid), cids.slice(1));
    const local = await time((cid) => store.get(cid), cids);
    const fresh = await time((cid) => uncached(store).get(cid), cids);
    const view = uncached(store);
    await view.get(cids[0]!);
    const again = await time((cid) => view.get(cid), [cids[0]!, cids[0]!, cids[0]!]);
    // Of which: starting a probe (a new key, libp2p, dials to both peers) and stopping it.
    const start = await time(async () => (await referee.startProbe()).stop(), cids.slice(0, 3));
    console.log(
      `      availability read of a ${bytes}-byte checkpoint, median ms: from the repo ${local.toFixed(1)}, ` +
        `fetched over a standing connection ${fetched.toFixed(1)}, through a fresh probe ${fresh.toFixed(1)} ` +
        `(starting and stopping the probe alone: ${start.toFixed(1)}), again through the same view ${again.toFixed(1)}`,
    );
    expect(fresh).to.be.below(2_000);
  });
});
