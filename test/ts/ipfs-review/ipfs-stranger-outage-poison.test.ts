// ATTACK: any stranger that dials in turns an outage back into poison (the outage-poison fix
// counts every connected peer, not the configured ones).
//
// IpfsBlobStore.fetch (src/store/ipfs-store.ts) decides "outage or absence" with
// `const peers = this.helia.libp2p.getPeers().length; if (peers === 0 && this.expectsPeers)
// throw new StoreUnavailableError(…)`: any connection at all — an unconfigured peer that dialed one
// of the node's listen addresses, which docs/store.md says nothing authenticates — makes a blob
// that no configured peer could be asked for "absent" (BlobNotFoundError, not retryable). The
// stranger need not speak bitswap or hold anything; keeping one TCP connection open costs it
// nothing. And it need not even be an attacker: a provider's node, which must listen publicly so
// verifiers can fetch its checkpoints, always has verifiers connected.
//   - provider: while the submitter's node (its configured peer) is down, fetchJobSpec throws
//     JobSpecUnusableError and the daemon drops the honest job for good ("filtered-out");
//   - verifier: the job is marked unverifiable and never audited (a cheater escapes);
//   - referee: while the provider's node is briefly unreachable from it, adjudicate votes
//     Challenger (isUnavailable) — the provider is slashed for the referee's own outage.
// FIXED: the store counts only configured peers (IpfsNode.configuredPeersConnected): with none of
// them connected, a missing blob is StoreUnavailableError (retryable), whoever else is connected.
// Both tests failed before.
import { expect } from "chai";

import { isPoisonInput, isRetryable } from "../../../src/errors.ts";
import { fetchJobSpec, JobSpecUnusableError } from "../../../src/node/job-reader.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { adjudicate, verifiableJob } from "../../../verifier/segment-check.ts";
import { question } from "../verifier/questions.ts";
import { honestJob, Nodes, plainBytes, publishOn, type HonestJob } from "./helpers.ts";

describe("attack review: a stranger connected makes an IPFS outage read as a poison job spec", function () {
  this.timeout(30_000);
  const nodes = new Nodes();
  let job: HonestJob;

  before(async () => {
    job = await honestJob();
  });
  afterEach(() => nodes.stopAll());

  it("with its only configured peer down and a stranger dialed in, reading an honest spec fails retryably", async () => {
    // The submitter's node holds the spec, and is down for the moment.
    const submitter = await nodes.start();
    await publishOn(submitter, job);
    const address = submitter.multiaddrs()[0]!;
    await submitter.stop();

    // The provider's node listens (it must: verifiers fetch its checkpoints) and names the
    // submitter's node as its one peer.
    const provider = await nodes.start({ peers: [address], fetchTimeoutMs: 500 });
    // A stranger dials in: a node whose own config names the provider's address.
    const stranger = await nodes.start({ listen: [], peers: [provider.multiaddrs()[0]!] });
    expect(stranger.connectedPeers(), "the stranger is connected").to.equal(1);
    for (let i = 0; i < 50 && provider.connectedPeers() === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(provider.connectedPeers(), "the provider sees one peer, not a configured one").to.equal(
      1,
    );

    let error: unknown;
    try {
      await fetchJobSpec(plainBytes(ipfsBlobStoreOn(provider)), 7n, job.onchain);
    } catch (caught) {
      error = caught;
    }
    expect(
      {
        unusable: error instanceof JobSpecUnusableError,
        poison: isPoisonInput(error),
        retryable: isRetryable(error),
      },
      `the error during the outage: ${String(error)} (caused by ${String((error as Error | undefined)?.cause)})`,
    ).to.deep.equal({ unusable: false, poison: false, retryable: true });
  });

  it("a referee whose configured peer (the provider) is unreachable for a moment does not vote Challenger because a stranger is connected", async () => {
    const provider = await nodes.start();
    await publishOn(provider, job);
    const address = provider.multiaddrs()[0]!;
    // The provider's node restarts (or the referee's route to it fails) during the vote.
    await provider.stop();
    const referee = await nodes.start({ peers: [address], fetchTimeoutMs: 500 });
    const stranger = await nodes.start({ listen: [], peers: [referee.multiaddrs()[0]!] });
    expect(stranger.connectedPeers(), "the stranger is connected").to.equal(1);
    for (let i = 0; i < 50 && referee.connectedPeers() === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));

    const v = verifiableJob(job.small, job.records);
    const q = question("Availability", job.records, 3, job.k);
    let outcome: string;
    try {
      outcome = `voted ${(await adjudicate(v, ipfsBlobStoreOn(referee), q)).vote}`;
    } catch (error) {
      outcome = isRetryable(error) ? "retryable error" : `error ${String(error)}`;
    }
    expect(outcome, "the referee could ask none of its configured peers").to.equal(
      "retryable error",
    );
  });
});
