// FINDING: a put does not repair a damaged block, so a provider's republish answers an
// availability challenge with blobs nobody can fetch.
//
// worker/disputes.ts `republish` answers an availability challenge by copying the segment's
// checkpoints and the manifest from the provider's durable store into the shared store, relying on
// "a put overwrites a damaged or missing blob" (FsBlobStore does: it writes a temporary file and
// renames it over the old one). IpfsBlobStore.put goes to Helia's blockstore.put, which returns at
// once when the repo already HAS a block under that multihash (helia storage.js: `if (await
// this.child.has(cid)) return cid`), and pins it: a block that rotted in the repo stays as it is.
// put() returns the CID as if all were well, `has` says true, but `get` fails (IntegrityError) and
// no peer can fetch it (bitswap receivers drop bytes that do not hash to the want). The provider
// then calls answerAvailability believing its blobs are served; the referees cannot fetch them and
// vote Challenger: an honest provider, which did exactly what the protocol asks, is slashed.
import { writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { blob, cidOf, filesUnder, tempRoot } from "../store/fixtures.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { Nodes } from "./helpers.ts";

describe("attack review: IpfsBlobStore.put over a damaged block", function () {
  this.timeout(30_000);
  const nodes = new Nodes();
  const removals: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await nodes.stopAll();
    for (const remove of removals.splice(0)) await remove();
  });

  it("putting the right bytes again (the provider's republish) restores a block that rotted in the repo", async () => {
    const { root, remove } = await tempRoot();
    removals.push(remove);
    const provider = await nodes.start({ repoDir: root });
    const store = ipfsBlobStoreOn(provider, 0);
    const checkpoint = blob(20_000, "checkpoint 3");
    const cid = await store.put(checkpoint);
    const [file] = await filesUnder(path.join(root, "blocks"));
    await writeFile(path.join(root, "blocks", file!), blob(20_000, "rotten"));

    // The availability challenge: republish from the durable copy.
    expect(await store.put(checkpoint), "put returns the address").to.equal(cid);

    let own: string;
    try {
      own = cidOf(await store.get(cid)) === cid ? "the checkpoint" : "other bytes";
    } catch (error) {
      own = `${(error as Error).name}: ${(error as Error).message}`;
    }
    expect(own, "the provider's own store after the republish").to.equal("the checkpoint");
  });

  it("after the republish, a referee's node can fetch the checkpoint from the provider", async () => {
    const { root, remove } = await tempRoot();
    removals.push(remove);
    const provider = await nodes.start({ repoDir: root });
    const store = ipfsBlobStoreOn(provider, 0);
    const checkpoint = blob(20_000, "checkpoint 3");
    const cid = await store.put(checkpoint);
    const [file] = await filesUnder(path.join(root, "blocks"));
    await writeFile(path.join(root, "blocks", file!), blob(20_000, "rotten"));
    await store.put(checkpoint); // republish

    const referee = await nodes.start({
      listen: [],
      peers: [provider.multiaddrs()[0]!],
      fetchTimeoutMs: 1_000,
    });
    let fetched: string;
    try {
      fetched =
        cidOf(await ipfsBlobStoreOn(referee).get(cid)) === cid ? "the checkpoint" : "other bytes";
    } catch (error) {
      fetched = `${(error as Error).name}: ${(error as Error).message}`;
    }
    expect(fetched).to.equal("the checkpoint");
  });
});
