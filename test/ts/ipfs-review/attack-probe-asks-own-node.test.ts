// ATTACK (severity: medium — a withholding provider passes; the repo-cache finding comes back
// through the referee's configuration).
//
// The probe (IpfsNode.startProbe, src/store/ipfs-node.ts) dials `options.peers` as they are. Its
// node never dials itself (libp2p refuses its own peer id), but the probe has a new peer id, so
// when the referee's own address is in its peer list the probe connects to the referee's own node
// and reads its repo: every block its audits fetched, everything it pinned — exactly what the
// served-now view exists to keep out of a verdict (ipfs-repo-cache-availability.test.ts,
// ipfs-referee-own-pins.test.ts). A node's own address in its peer list is an ordinary
// configuration: one peers list for every node of an operator or a cluster (the config schema
// accepts it, the node starts and reports nothing: its dial to itself is just "unreachable"), and
// docs/store.md asks referees to configure several peers. The referee then votes Provider for a
// provider that withholds checkpoint 3 from everyone, and the honest challenger loses its bond; a
// referee with the same list minus its own entry votes Challenger (the verdict follows the referee's
// configuration and history, not what the provider serves).
//
// Expected once fixed: the probe never asks the node it probes for (its own peer id is left out of
// the probe's peers, or refused by the node's gater for its own probes); the referee votes
// Challenger.
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";

import { CachingBlobStore } from "../../../src/store/caching-store.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import {
  availabilityVote,
  honestJob,
  Nodes,
  providerAndBystander,
  withhold,
  type HonestJob,
} from "./helpers.ts";

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("attack: a referee whose peer list names its own node", function () {
  this.timeout(60_000);
  const nodes = new Nodes();
  const dirs: string[] = [];
  let job: HonestJob;

  before(async () => {
    job = await honestJob();
  });
  afterEach(async () => {
    await nodes.stopAll();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it("a referee listed among its own peers still finds a withheld checkpoint unavailable", async () => {
    const { provider, bystander } = await providerAndBystander(nodes, job);

    // The operator starts its node once (a repo, a fixed port) to learn its peer id, then gives it
    // the peers list every node of its cluster shares, its own entry included.
    const repoDir = await mkdtemp(path.join(os.tmpdir(), "assay-referee-"));
    dirs.push(repoDir);
    const listen = `/ip4/127.0.0.1/tcp/${await freePort()}`;
    const first = await nodes.start({ repoDir, listen: [listen] });
    const self = `${listen}/p2p/${first.peerId}`;
    await first.stop();
    const others = [provider.multiaddrs()[0]!, bystander.multiaddrs()[0]!];
    const referee = await nodes.start({
      repoDir,
      listen: [listen],
      peers: [...others, self],
      fetchTimeoutMs: 1_500,
    });
    expect(referee.peerId, "the repo keeps the node's identity").to.equal(first.peerId);

    // Its worker audited segment 3 through the daemon's store: checkpoints 2 and 3 in its repo.
    const store = new CachingBlobStore(ipfsBlobStoreOn(referee));
    for (const index of [2, 3]) await store.get(job.records[index]!.cid);
    await withhold(provider, job.records[3]!.cid);

    const control = await nodes.start({ listen: [], peers: others, fetchTimeoutMs: 1_500 });
    expect(
      await availabilityVote(job, ipfsBlobStoreOn(control)),
      "control: the same peers without the referee's own entry",
    ).to.equal("voted Challenger");
    expect(await availabilityVote(job, store)).to.equal("voted Challenger");
  });
});
