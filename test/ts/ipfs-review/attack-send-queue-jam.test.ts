// ATTACK (severity: high — an honest, serving provider is slashed, by a stranger, for good).
//
// Every IPFS node here runs @helia/bitswap with its defaults for sending (src/store/ipfs-node.ts
// sets only the message sizes): one global send queue of 50 messages at a time
// (DEFAULT_MESSAGE_SEND_CONCURRENCY, network.ts), shared by every peer. A block a peer wants is
// sent by the ledger's send job (peer-want-lists/ledger.ts), which passes its own queue-job signal
// to network.sendMessage — a signal that never times out — so Helia's 10 s messageSendTimeout does
// not apply to block sends. A stranger that connects to an honest provider, wants one of its blobs
// larger than yamux's initial window (256 KiB: the demo MLP's checkpoint is 407 KB, an MNIST shard
// 804 KB) and then never reads the stream the provider opens to send it (stream.pause(): no
// yamux window update), holds one of those 50 slots for as long as it keeps its connection open.
// Fifty stranger peer ids (fifty connections from one host, opened at 4 a second under the
// provider's inbound rate limit; about 256 KiB received each, once) hold them all: the provider
// still accepts connections and wants, and still holds every blob, but sends no block to anyone.
//
// Consequence: every availability probe reaches the provider, sends its want and waits the whole
// window for nothing: a referee finds checkpoint 3 "not served now" and votes Challenger against
// a provider that serves it; the fallback over the referee's own connection is not tried (the
// probe reached the provider) and would be stuck in the same queue. The honest provider is slashed
// and the stranger's accomplice (the challenger) takes its collateral; while the strangers stay
// connected the provider serves no auditor or verifier either. Counted: 49 strangers leave the provider serving (a probe read in
// ~70 ms), 50 stop it; 12 s later (past Helia's 10 s send timeout) it is still stopped.
//
// Expected once fixed: a stranger cannot stall an honest provider's sending — block sends are
// bounded in time per peer (a send timeout that applies to the ledger's sends too), or per-peer
// limits keep one peer (or many cheap ones) from taking the global send capacity — and the referee
// votes Provider.
import { randomBytes } from "node:crypto";

import { expect } from "chai";

import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import {
  availabilityVote,
  honestJob,
  networkOf,
  Nodes,
  publishOn,
  sleep,
  stalledWanter,
  startPeerOf,
  type HonestJob,
} from "./helpers.ts";

describe("attack: a stranger stalls an honest provider's bitswap sending", function () {
  this.timeout(120_000);
  const nodes = new Nodes();
  let job: HonestJob;

  before(async () => {
    job = await honestJob();
  });
  afterEach(() => nodes.stopAll());

  it("fifty strangers that never read what they asked for do not make a referee vote Challenger against a provider that serves every blob", async () => {
    const provider = await nodes.start();
    await publishOn(provider, job);
    // A blob the provider serves that is larger than yamux's initial window: a checkpoint or
    // dataset shard of any real job (the demo's MLP checkpoint is 407 KB).
    const large = await ipfsBlobStoreOn(provider, 0).put(new Uint8Array(randomBytes(1024 * 1024)));
    const bystander = await nodes.start();

    for (let i = 0; i < 50; i++) {
      await stalledWanter(nodes, provider, large);
      await sleep(250); // under the provider's inbound limit of 5 connections a second from a host
    }
    await sleep(12_000); // past Helia's 10 s message send timeout: the stall does not end
    expect(
      networkOf(provider).sendQueue.running,
      "the provider's send slots are all taken",
    ).to.equal(50);

    const referee = await startPeerOf(nodes, [provider, bystander], { fetchTimeoutMs: 3_000 });
    expect(referee.configuredPeersConnected(), "the provider takes connections").to.equal(2);
    expect(await availabilityVote(job, ipfsBlobStoreOn(referee))).to.equal("voted Provider");
  });
});
