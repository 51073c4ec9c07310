// The IPFS backend: the shared store contract against IpfsBlobStore (repo in memory and on disk),
// blobs moving between real Helia nodes over loopback TCP by bitswap, what a lying peer can and
// cannot do, pins, restarts, the dial gate, and the `ipfs` config section. Every node listens on
// 127.0.0.1 only and dials only the nodes of the test.
import { writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { CID } from "multiformats/cid";

import { ConfigError } from "../../../src/errors.ts";
import { UsageError } from "../../../src/cli/errors.ts";
import { CliConfigSchema } from "../../../src/cli/config.ts";
import { openStore } from "../../../src/cli/store.ts";
import { NodeConfigSchema, loadConfig } from "../../../src/node/config.ts";
import { openSharedStore } from "../../../src/node/shared-store.ts";
import { BlobNotFoundError, BlobTooLargeError, IntegrityError } from "../../../src/store/errors.ts";
import { HttpBlobStore } from "../../../src/store/http-client.ts";
import { startIpfsNode, type IpfsNode } from "../../../src/store/ipfs-node.ts";
import {
  IPFS_DEFAULT_MAX_BLOB_BYTES,
  IPFS_MAX_BLOCK_BYTES,
  type IpfsOptionsInput,
} from "../../../src/store/ipfs-options.ts";
import { IpfsBlobStore, ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { WorkerConfigSchema } from "../../../worker/config.ts";
import { describeStoreContract, rejection } from "./contract.ts";
import { blob, cidOf, drain, filesUnder, tempRoot } from "./fixtures.ts";

/** Short: the contract's absent-blob test waits this long twice (get, getStream). */
const CONTRACT_FETCH_MS = 100;

/**
 * The addresses of the blocks `node`'s bitswap receives, as it derives them from their bytes.
 * Reaches into Helia's internals (its bitswap broker's want list): for this test only.
 */
function blocksReceived(node: IpfsNode): string[] {
  const seen: string[] = [];
  const internals = node.helia as unknown as {
    blockBrokers: { name: string; bitswap?: { wantList: EventTarget } }[];
  };
  const bitswap = internals.blockBrokers.find((broker) => broker.name === "bitswap")?.bitswap;
  if (bitswap === undefined) throw new Error("no bitswap broker: Helia's internals changed");
  bitswap.wantList.addEventListener("block", (event) => {
    seen.push(String((event as CustomEvent<{ cid: CID }>).detail.cid));
  });
  return seen;
}

describeStoreContract("IpfsBlobStore (repo in memory)", async () => {
  const { node } = await startIpfsNode({ fetchTimeoutMs: CONTRACT_FETCH_MS });
  return {
    store: ipfsBlobStoreOn(node),
    maxBytes: IPFS_DEFAULT_MAX_BLOB_BYTES,
    serveOnAbsent: "not-found",
    teardown: () => node.stop(),
  };
});

describeStoreContract("IpfsBlobStore (repo on disk)", async () => {
  const { root, remove } = await tempRoot();
  const { node } = await startIpfsNode({ repoDir: root, fetchTimeoutMs: CONTRACT_FETCH_MS });
  return {
    store: ipfsBlobStoreOn(node),
    maxBytes: IPFS_DEFAULT_MAX_BLOB_BYTES,
    serveOnAbsent: "not-found",
    teardown: async () => {
      await node.stop();
      await remove();
    },
  };
});

describe("IpfsBlobStore between Helia nodes", function () {
  this.timeout(30_000);
  const started: IpfsNode[] = [];
  const removals: (() => Promise<void>)[] = [];

  async function start(options: IpfsOptionsInput = {}): Promise<IpfsNode> {
    const { node, unreachable } = await startIpfsNode(options);
    started.push(node);
    expect(unreachable, "every configured peer was reached").to.deep.equal([]);
    return node;
  }

  /** A node that dials `peers`, and listens nowhere: it can only get blobs from them. */
  function client(peers: IpfsNode[], options: IpfsOptionsInput = {}): Promise<IpfsNode> {
    return start({ listen: [], peers: peers.map((p) => p.multiaddrs()[0]!), ...options });
  }

  afterEach(async () => {
    await Promise.all(started.splice(0).map((node) => node.stop()));
    for (const remove of removals.splice(0)) await remove();
  });

  it("listens on 127.0.0.1 TCP only, by default", async () => {
    const node = await start();
    expect(node.multiaddrs()).to.have.length(1);
    expect(node.multiaddrs()[0]).to.match(
      new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${node.peerId}$`),
    );
  });

  it("moves a blob put on node A to node B over loopback TCP by bitswap, under the CID cidOf computes", async () => {
    const a = await start();
    const b = await client([a]);
    const bytes = blob(1_500_000, "published on A");
    const cid = await ipfsBlobStoreOn(a).put(bytes);
    expect(cid).to.equal(cidOf(bytes));
    const onB = ipfsBlobStoreOn(b);
    expect(await onB.has(cid)).to.equal(false);

    const got = await onB.get(cid);
    expect(Buffer.from(got).equals(Buffer.from(bytes))).to.equal(true);
    expect(cidOf(got)).to.equal(cid);
    // B keeps the block under the same address, as a raw sha2-256 CIDv1 (a cache: not published).
    expect(await onB.size(cid)).to.equal(bytes.length);
    expect(await b.helia.blockstore.has(CID.parse(cidOf(bytes)))).to.equal(true);
    const [connection] = b.helia.libp2p.getConnections();
    expect(connection?.remoteAddr.toString()).to.match(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+/);
    expect(connection?.remotePeer.toString()).to.equal(a.peerId);
  });

  it("moves the largest blob a bitswap block can hold, when both nodes allow it", async () => {
    const a = await start({ maxBlobBytes: IPFS_MAX_BLOCK_BYTES });
    const b = await client([a], { maxBlobBytes: IPFS_MAX_BLOCK_BYTES });
    const bytes = blob(IPFS_MAX_BLOCK_BYTES, "largest");
    const cid = await ipfsBlobStoreOn(a).put(bytes);
    const streamed = await drain(await ipfsBlobStoreOn(b).getStream(cid));
    expect(cidOf(streamed)).to.equal(cid);
  });

  it("refuses a blob a peer sends that is over its own limit, and keeps nothing of it", async () => {
    const a = await start({ maxBlobBytes: IPFS_MAX_BLOCK_BYTES });
    const b = await client([a]);
    const cid = await ipfsBlobStoreOn(a).put(
      blob(IPFS_DEFAULT_MAX_BLOB_BYTES + 1, "over B's limit"),
    );
    const error = await rejection(() => ipfsBlobStoreOn(b).get(cid));
    expect(error).to.be.instanceOf(BlobTooLargeError);
    expect((error as BlobTooLargeError).maxBytes).to.equal(IPFS_DEFAULT_MAX_BLOB_BYTES);
    expect(await ipfsBlobStoreOn(b).has(cid)).to.equal(false);
  });

  it("reports a blob no connected peer has as BlobNotFoundError once the fetch timeout has passed, not later", async () => {
    const a = await start();
    const b = await client([a], { fetchTimeoutMs: 400 });
    const cid = cidOf(blob(10, "nobody has this"));
    for (const op of [(s: IpfsBlobStore) => s.get(cid), (s: IpfsBlobStore) => s.getStream(cid)]) {
      const begun = performance.now();
      const error = await rejection(() => op(ipfsBlobStoreOn(b)));
      const elapsed = performance.now() - begun;
      expect(error).to.be.instanceOf(BlobNotFoundError);
      expect((error as BlobNotFoundError).cid).to.equal(cid);
      expect((error as Error).message).to.match(/1 connected peer\(s\) sent it within 400 ms/);
      expect(elapsed).to.be.within(390, 3_000);
    }
    // fetchTimeoutMs 0: local blobs only, answered at once.
    const begun = performance.now();
    expect(await rejection(() => ipfsBlobStoreOn(b, 0).get(cid))).to.be.instanceOf(
      BlobNotFoundError,
    );
    expect(performance.now() - begun).to.be.below(200);
  });

  it("honours abort signals: an aborted put stores nothing, an aborted fetch ends at once", async () => {
    const a = await start();
    const b = await client([a], { fetchTimeoutMs: 10_000 });
    const onB = ipfsBlobStoreOn(b);
    const bytes = blob(1_000, "aborted");
    const controller = new AbortController();
    controller.abort();
    const refused = await rejection(() => onB.put(bytes, { signal: controller.signal }));
    expect((refused as Error).name).to.equal("AbortError");
    expect(await onB.has(cidOf(bytes))).to.equal(false);

    const begun = performance.now();
    const missing = cidOf(blob(10, "never sent"));
    const error = await rejection(() => onB.get(missing, { signal: AbortSignal.timeout(200) }));
    expect((error as Error).name).to.equal("TimeoutError");
    expect(performance.now() - begun).to.be.below(2_000);
  });

  it("takes a peer's block only under the address its bytes hash to: a peer that serves other bytes for a CID is never believed", async () => {
    const liar = await start();
    const honest = await start();
    const wanted = blob(200_000, "the real blob");
    const cid = cidOf(wanted);
    const forged = blob(200_000, "what the liar sends instead");
    // Helia's blockstore stores what it is handed (it checks only what it fetches), so the liar's
    // repo now answers `cid` with other bytes, and, pinned (our nodes serve only what they
    // pinned), its bitswap sends them to whoever wants `cid`.
    await liar.helia.blockstore.put(CID.parse(cid), forged);
    for await (const _ of liar.helia.pins.add(CID.parse(cid))) {
      // the one raw block
    }
    await ipfsBlobStoreOn(honest).put(wanted);
    // The liar serves honest blobs too: a client connected to it gets those (the connection works).
    const control = blob(5_000, "served by the liar, intact");
    await ipfsBlobStoreOn(liar).put(control);

    const fooled = await client([liar], { fetchTimeoutMs: 800 });
    const received = blocksReceived(fooled);
    const onFooled = ipfsBlobStoreOn(fooled);
    expect(cidOf(await onFooled.get(cidOf(control)))).to.equal(cidOf(control));
    // Bitswap derives a received block's address from its bytes: the forged bytes arrive, but as
    // cidOf(forged), which nobody asked for, never as `cid`.
    expect(await rejection(() => onFooled.get(cid))).to.be.instanceOf(BlobNotFoundError);
    expect(received).to.include(cidOf(forged));
    expect(received).to.not.include(cid);
    expect(await onFooled.has(cid)).to.equal(false);
    expect(await onFooled.has(cidOf(forged))).to.equal(false);

    // With an honest peer connected as well, the right bytes arrive, whatever the liar sends.
    const served = await client([liar, honest], { fetchTimeoutMs: 5_000 });
    const got = await ipfsBlobStoreOn(served).get(cid);
    expect(Buffer.from(got).equals(Buffer.from(wanted))).to.equal(true);
    expect(await ipfsBlobStoreOn(served).has(cidOf(forged))).to.equal(false);

    // Our own store never hands out what the liar's repo holds: it re-hashes every read.
    const own = await rejection(() => ipfsBlobStoreOn(liar).get(cid));
    expect(own).to.be.instanceOf(IntegrityError);
    expect((own as IntegrityError).actualCid).to.equal(cidOf(forged));
  });

  it("pins what is put, so garbage collection keeps it; a blob fetched from a peer is a cache it may drop", async () => {
    const a = await start();
    const b = await client([a]);
    const fetched = await ipfsBlobStoreOn(a).put(blob(3_000, "fetched by B"));
    const onB = ipfsBlobStoreOn(b);
    const put = await onB.put(blob(3_000, "put on B"));
    await onB.get(fetched);
    expect(await onB.size(fetched), "B holds the copy it fetched").to.equal(3_000);

    await b.helia.gc();
    expect(await onB.has(put)).to.equal(true);
    expect(await onB.size(fetched)).to.equal(undefined);
    expect(await b.helia.pins.isPinned(CID.parse(put))).to.equal(true);
  });

  it("serves peers only what it pinned: a blob it fetched as a reader is not served on, until it puts it itself", async () => {
    const a = await start();
    // B listens (others may name it as a peer) and reads from A.
    const b = await start({ peers: [a.multiaddrs()[0]!] });
    const onB = ipfsBlobStoreOn(b);
    const fetched = await ipfsBlobStoreOn(a).put(blob(3_000, "fetched by B"));
    const published = await onB.put(blob(3_000, "published by B"));
    await onB.get(fetched);
    expect(await onB.size(fetched), "B reads its own cache").to.equal(3_000);
    // has() says what B publishes (assay submit's check before money moves), not what it holds.
    expect(await onB.has(fetched)).to.equal(false);
    expect(await onB.has(published)).to.equal(true);

    // A reader that dials only B gets what B published, not what B fetched.
    const c = await client([b], { fetchTimeoutMs: 1_500 });
    const onC = ipfsBlobStoreOn(c);
    expect(cidOf(await onC.get(published))).to.equal(published);
    expect(await rejection(() => onC.get(fetched))).to.be.instanceOf(BlobNotFoundError);

    // Once B publishes it itself (a put pins it), B serves it: to a reader already waiting too.
    const waiting = onC.get(fetched);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await onB.put(await onB.get(fetched));
    expect(cidOf(await waiting)).to.equal(fetched);
    expect(await onB.has(fetched)).to.equal(true);
  });

  it("serveOn serves on a blob it fetched, from its repo: a reader that dials only it gets it once the publisher is gone", async () => {
    const a = await start();
    const b = await start({ peers: [a.multiaddrs()[0]!] });
    const onB = ipfsBlobStoreOn(b);
    const bytes = blob(3_000, "an input B fetched from A");
    const cid = await ipfsBlobStoreOn(a).put(bytes);
    await onB.get(cid);
    const c = await client([b], { fetchTimeoutMs: 1_500 });
    const onC = ipfsBlobStoreOn(c);
    expect(await rejection(() => onC.get(cid)), "control: not served before").to.be.instanceOf(
      BlobNotFoundError,
    );

    // A stops: B pins what its repo holds, without asking anyone.
    await a.stop();
    await onB.serveOn(cid);
    expect(await b.helia.pins.isPinned(CID.parse(cid))).to.equal(true);
    expect(await onB.has(cid)).to.equal(true);
    expect(Buffer.from(await onC.get(cid)).equals(Buffer.from(bytes))).to.equal(true);
  });

  it("serveOn of a blob not in its repo is BlobNotFoundError at once: it fetches nothing, even from a peer that has it", async () => {
    const a = await start();
    const b = await client([a], { fetchTimeoutMs: 5_000 });
    const onB = ipfsBlobStoreOn(b);
    const cid = await ipfsBlobStoreOn(a).put(blob(3_000, "held by A only"));
    const begun = performance.now();
    const error = await rejection(() => onB.serveOn(cid));
    expect(performance.now() - begun).to.be.below(1_000);
    expect(error).to.be.instanceOf(BlobNotFoundError);
    expect((error as Error).message).to.match(/not in the local IPFS repo/);
    expect(await b.helia.blockstore.has(CID.parse(cid))).to.equal(false);
    expect(await b.helia.pins.isPinned(CID.parse(cid))).to.equal(false);
  });

  it("serveOn of a block that rotted in the repo is IntegrityError: it drops the block and serves nothing", async () => {
    const { root, remove } = await tempRoot();
    removals.push(remove);
    const a = await start();
    const b = await start({ repoDir: root, listen: [], peers: [a.multiaddrs()[0]!] });
    const onB = ipfsBlobStoreOn(b);
    const cid = await ipfsBlobStoreOn(a).put(blob(20_000, "fetched, then rots"));
    await onB.get(cid);
    const files = await filesUnder(path.join(root, "blocks"));
    expect(files).to.have.length(1);
    await writeFile(path.join(root, "blocks", files[0]!), blob(20_000, "rotten"));

    expect(await rejection(() => onB.serveOn(cid))).to.be.instanceOf(IntegrityError);
    expect(await b.helia.pins.isPinned(CID.parse(cid))).to.equal(false);
    expect(await b.helia.blockstore.has(CID.parse(cid))).to.equal(false);
  });

  it("keeps blobs, pins and its peer id across a restart on the same repo directory", async () => {
    const { root, remove } = await tempRoot();
    removals.push(remove);
    const first = await start({ repoDir: root });
    const bytes = blob(100_000, "survives a restart");
    const cid = await ipfsBlobStoreOn(first).put(bytes);
    const peerId = first.peerId;
    await first.stop();

    const second = await start({ repoDir: root });
    expect(second.peerId).to.equal(peerId);
    await second.helia.gc();
    const got = await ipfsBlobStoreOn(second).get(cid);
    expect(Buffer.from(got).equals(Buffer.from(bytes))).to.equal(true);
  });

  it("reports a block that rotted in the repo, drops it, and takes the blob again", async () => {
    const { root, remove } = await tempRoot();
    removals.push(remove);
    const node = await start({ repoDir: root });
    const store = ipfsBlobStoreOn(node, 0);
    const bytes = blob(20_000, "will rot");
    const cid = await store.put(bytes);
    const files = await filesUnder(path.join(root, "blocks"));
    expect(files).to.have.length(1);
    const rotten = blob(20_000, "rotten");
    await writeFile(path.join(root, "blocks", files[0]!), rotten);

    const error = await rejection(() => store.get(cid));
    expect(error).to.be.instanceOf(IntegrityError);
    expect((error as IntegrityError).actualCid).to.equal(cidOf(rotten));
    expect(await store.has(cid)).to.equal(false);
    expect(await rejection(() => store.get(cid))).to.be.instanceOf(BlobNotFoundError);
    expect(await store.put(bytes)).to.equal(cid);
    expect(Buffer.from(await store.get(cid)).equals(Buffer.from(bytes))).to.equal(true);
    expect(await node.helia.pins.isPinned(CID.parse(cid))).to.equal(true);
  });

  it("dials only the configured peers: any other dial is refused", async () => {
    const known = await start();
    const stranger = await start();
    const b = await client([known]);
    expect(b.connectedPeers()).to.equal(1);
    const error = await rejection(() => b.helia.libp2p.dial(stranger.helia.libp2p.getMultiaddrs()));
    expect((error as Error).name).to.match(/Denied/);
    expect(b.helia.libp2p.getConnections(stranger.helia.libp2p.peerId)).to.deep.equal([]);
  });

  it("dials a configured peer that was down at start when a blob is missing", async () => {
    const { root, remove } = await tempRoot();
    removals.push(remove);
    // A node with a fixed identity (its repo) and a fixed port, stopped for now.
    const first = await start({ repoDir: root });
    const address = first.multiaddrs()[0]!;
    const port = /\/tcp\/(\d+)\//.exec(address)![1];
    const cid = await ipfsBlobStoreOn(first).put(blob(1_000, "served once A is back"));
    await first.stop();

    const { node: b, unreachable } = await startIpfsNode({
      listen: [],
      peers: [address],
      fetchTimeoutMs: 5_000,
    });
    started.push(b);
    expect(unreachable.map((u) => u.peer)).to.deep.equal([address]);
    expect(b.connectedPeers()).to.equal(0);

    const a = await start({ repoDir: root, listen: [`/ip4/127.0.0.1/tcp/${port}`] });
    expect(a.multiaddrs()).to.deep.equal([address]);
    // Nothing redials A by itself (its dial failed at start; no disconnect to react to): the get does.
    expect(b.connectedPeers()).to.equal(0);
    expect(cidOf(await ipfsBlobStoreOn(b).get(cid))).to.equal(cid);
    expect(b.connectedPeers()).to.equal(1);
  });
});

describe("openSharedStore: the config picks the shared store", function () {
  this.timeout(30_000);

  it("is the HTTP store at storeUrl without an ipfs section, and an IPFS node with one; close stops the node", async () => {
    const http = await openSharedStore({ storeUrl: "http://127.0.0.1:8700", ipfs: undefined });
    expect(http.store).to.be.instanceOf(HttpBlobStore);
    expect(http.where).to.equal("http://127.0.0.1:8700");
    await http.close();

    const config = loadConfig(NodeConfigSchema, { flags: { ipfs: {} } });
    const shared = await openSharedStore(config);
    try {
      expect(shared.store).to.be.instanceOf(IpfsBlobStore);
      const ipfs = shared.store as IpfsBlobStore;
      expect(ipfs.maxBytes).to.equal(IPFS_DEFAULT_MAX_BLOB_BYTES);
      const cid = await shared.store.put(blob(1_000, "shared"));
      expect(cidOf(await shared.store.get(cid))).to.equal(cid);
      expect(shared.where).to.contain(ipfs.helia.libp2p.peerId.toString());
    } finally {
      await shared.close();
    }
    expect((shared.store as IpfsBlobStore).helia.status).to.equal("stopped");
    await shared.close(); // idempotent
  });

  it("the CLI refuses an ipfs section without a repoDir: what a command uploads must outlive it", async () => {
    const config = CliConfigSchema.parse({ ipfs: {} });
    expect(await rejection(() => openStore(config))).to.be.instanceOf(UsageError);
  });
});

describe("node config: the ipfs section", () => {
  it("is absent by default (the HTTP store at storeUrl), and parsed with its defaults when given", async () => {
    expect(loadConfig(NodeConfigSchema, {}).ipfs).to.equal(undefined);
    const { root, remove } = await tempRoot();
    try {
      const file = path.join(root, "worker.json");
      const peer =
        "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWKAnvujRcFhfmgisoWq5MHANrbYTQbUB3fMJHJeRUp8gk";
      await writeFile(
        file,
        JSON.stringify({ ipfs: { repoDir: "/var/lib/assay/ipfs", peers: [peer] } }),
      );
      const config = loadConfig(WorkerConfigSchema, {
        file,
        flags: { ipfs: { fetchTimeoutMs: 5_000 } },
      });
      expect(config.ipfs).to.deep.equal({
        repoDir: "/var/lib/assay/ipfs",
        listen: ["/ip4/127.0.0.1/tcp/0"],
        peers: [peer],
        fetchTimeoutMs: 5_000,
        dialTimeoutMs: 10_000,
        maxBlobBytes: IPFS_DEFAULT_MAX_BLOB_BYTES,
      });
      expect(config.storeUrl).to.equal("http://127.0.0.1:8700");
    } finally {
      await remove();
    }
  });

  it("refuses an unknown key inside it, naming the closest one", () => {
    expect(() => loadConfig(NodeConfigSchema, { flags: { ipfs: { repoDr: "x" } } })).to.throw(
      ConfigError,
      /ipfs: unknown key "repoDr" \(did you mean "repoDir"\?\)/,
    );
  });

  it("refuses addresses it cannot honour and blobs larger than a bitswap block", () => {
    const refused = (ipfs: object, why: RegExp): void => {
      expect(
        () => loadConfig(NodeConfigSchema, { flags: { ipfs } }),
        JSON.stringify(ipfs),
      ).to.throw(ConfigError, why);
    };
    // Only TCP runs, and a peer without its id could not be authenticated.
    refused(
      { listen: ["/ip4/0.0.0.0/udp/4001/quic-v1"] },
      /ipfs\.listen\[0\]: a listen address is/,
    );
    refused({ listen: ["not a multiaddr"] }, /ipfs\.listen\[0\]: a listen address is/);
    refused({ peers: ["/ip4/127.0.0.1/tcp/4001"] }, /ipfs\.peers\[0\]: a peer address is/);
    refused(
      { maxBlobBytes: IPFS_MAX_BLOCK_BYTES + 1 },
      /ipfs\.maxBlobBytes: a raw block over bitswap/,
    );
    refused({ fetchTimeoutMs: -1 }, /ipfs\.fetchTimeoutMs/);
  });
});
