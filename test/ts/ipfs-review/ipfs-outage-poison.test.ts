// FINDING: a passing outage of the IPFS network is poison: an honest job is dropped for good.
//
// With the HTTP store, a store that cannot be reached is StoreUnavailableError (retryable): the
// provider daemon logs "step failed; will retry" and reads the job's spec again later. With an
// `ipfs` section, IpfsBlobStore.get of a blob absent locally reports BlobNotFoundError (not
// retryable) after fetchTimeoutMs even when NO peer is connected at all ("none of the 0 connected
// peer(s) sent it"): the node's own network is down, or the submitter's node restarts. fetchJobSpec
// turns that into JobSpecUnusableError ("no retry fixes it"), and the provider daemon moves the
// job to "filtered-out" for good (worker/daemon.ts drive), a verifier marks it "unverifiable" and
// never audits it. Here the submitter's node is down for a moment and back a second later, with
// the spec: the same call then succeeds, so the first failure was not about the job.
import { expect } from "chai";

import { isPoisonInput, isRetryable } from "../../../src/errors.ts";
import { fetchJobSpec, JobSpecUnusableError } from "../../../src/node/job-reader.ts";
import { tempRoot } from "../store/fixtures.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { honestJob, Nodes, plainBytes, publishOn, type HonestJob } from "./helpers.ts";

// Fixed: with no peer connected, IpfsBlobStore reports an outage (StoreUnavailableError, retryable).
describe("attack review: an IPFS outage read as a poison job spec", function () {
  this.timeout(30_000);
  const nodes = new Nodes();
  const removals: (() => Promise<void>)[] = [];
  let job: HonestJob;

  before(async () => {
    job = await honestJob();
  });
  afterEach(async () => {
    await nodes.stopAll();
    for (const remove of removals.splice(0)) await remove();
  });

  it("with no IPFS peer connected, reading an honest spec fails retryably, not as JobSpecUnusableError", async () => {
    const { root, remove } = await tempRoot();
    removals.push(remove);
    // The submitter's node: a fixed identity (repo) and port, holding the job's blobs…
    const first = await nodes.start({ repoDir: root });
    await publishOn(first, job);
    const address = first.multiaddrs()[0]!;
    const port = /\/tcp\/(\d+)\//.exec(address)![1];
    // …restarting: down for a moment.
    await first.stop();

    const provider = await nodes.start({ listen: [], peers: [address], fetchTimeoutMs: 300 });
    expect(provider.connectedPeers(), "no peer connected: an outage").to.equal(0);
    let error: unknown;
    try {
      await fetchJobSpec(plainBytes(ipfsBlobStoreOn(provider)), 7n, job.onchain);
    } catch (caught) {
      error = caught;
    }

    // The submitter's node is back, with the spec: the same read succeeds (the daemon's next try).
    await nodes.start({ repoDir: root, listen: [`/ip4/127.0.0.1/tcp/${port}`] });
    expect(await provider.connectPeers(), "the submitter's node is reachable again").to.deep.equal(
      [],
    );
    let fetchedCid: string | undefined;
    for (let attempt = 0; attempt < 3 && fetchedCid === undefined; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      try {
        fetchedCid = (
          await fetchJobSpec(plainBytes(ipfsBlobStoreOn(provider, 2_000)), 7n, job.onchain)
        ).specCid;
      } catch {
        // A read racing the reconnection can miss (see the report); the next one is the control.
      }
    }
    expect(fetchedCid, "control: once the node is back").to.equal(job.specCid);

    expect(
      {
        unusable: error instanceof JobSpecUnusableError,
        poison: isPoisonInput(error),
        retryable: isRetryable(error),
      },
      `the error during the outage: ${String(error)} (caused by ${String((error as Error | undefined)?.cause)})`,
    ).to.deep.equal({ unusable: false, poison: false, retryable: true });
  });
});
