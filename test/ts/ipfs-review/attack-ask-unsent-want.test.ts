// ATTACK (severity: high — reopens the first fixed probe attack: an honest provider is slashed).
//
// When a configured peer refuses the probe, the served-now view asks it over the referee node's own
// connection (askOverConnection, src/store/ipfs-node.ts). That want goes out through the referee
// node's bitswap send queue — 50 messages at a time for all peers, and a block send there never
// times out (attack-send-queue-jam.test.ts) — and every send failure is swallowed
// (`sendMessage(...).catch(() => undefined)`). A want that never left the referee is then read as
// "the peer did not answer": BlobNotFoundError, not "could not ask" (retryable).
//
// A verifier's node that others reach listens (docs/store.md: the default is 127.0.0.1; a verifier
// that other referees name as a peer listens publicly), and its repo holds blobs over 256 KiB (the
// job's dataset shards and checkpoints it loaded for its audit). The stranger of
// ipfs-probe-attacks.test.ts's first test holds the honest provider's inbound slots with idle TCP
// sockets, so the probe is refused, and also connects fifty peer ids to the referee's node that want
// such a blob and never read it: the referee's node sends nothing to anyone any more, its fallback
// wants to the provider included. The provider is never asked; the referee votes Challenger against
// a provider that serves every blob. Cost to the stranger: ten idle sockets to the provider and
// fifty connections to each referee node (opened once, before the committee is drawn).
//
// Expected once fixed: a want the referee could not send is not a "no" — the ask's result is
// unknown (StoreUnavailableError, no vote) unless the want was delivered — and the referee node's
// sending cannot be stalled by strangers; the referee does not vote Challenger.
import { randomBytes } from "node:crypto";

import { expect } from "chai";

import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import {
  availabilityVote,
  freshPeerGetsIn,
  holdPendingSlots,
  honestJob,
  networkOf,
  Nodes,
  providerAndBystander,
  sleep,
  stalledWanter,
  startPeerOf,
  type HonestJob,
} from "./helpers.ts";

describe("attack: the fallback over the referee's connection reads an unsent want as 'not served'", function () {
  this.timeout(120_000);
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

  it("a stranger that stalls the referee node's sending and holds the honest provider's slots does not make the referee vote Challenger", async () => {
    const { provider, bystander } = await providerAndBystander(nodes, job);
    // The referee's node listens (others name it as a peer) on its default loopback address.
    const referee = await startPeerOf(nodes, [provider, bystander], {
      listen: ["/ip4/127.0.0.1/tcp/0"],
      fetchTimeoutMs: 1_000,
    });
    // A dataset shard its audit loaded (any blob over yamux's 256 KiB initial window).
    const shard = await ipfsBlobStoreOn(referee, 0).put(new Uint8Array(randomBytes(1024 * 1024)));

    for (let i = 0; i < 50; i++) {
      await stalledWanter(nodes, referee, shard);
      await sleep(250);
    }
    stops.push(await holdPendingSlots(provider));
    expect(await freshPeerGetsIn(provider), "the provider takes no new peer").to.equal(false);
    expect(referee.connectedTo(provider.peerId), "the referee's connection stands").to.equal(true);
    expect(networkOf(referee).sendQueue.running, "the referee node's send slots").to.equal(50);

    expect(await availabilityVote(job, ipfsBlobStoreOn(referee))).to.not.equal("voted Challenger");
  });
});
