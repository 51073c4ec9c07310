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
import net from "node:net";

import { expect } from "chai";
import { base64 } from "multiformats/bases/base64";
import { CID } from "multiformats/cid";

import { isRetryable } from "../../../src/errors.ts";
import { startIpfsNode, type IpfsNode } from "../../../src/store/ipfs-node.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { adjudicate, verifiableJob } from "../../../verifier/segment-check.ts";
import { question } from "../verifier/questions.ts";
import { honestJob, Nodes, publishOn, type HonestJob } from "./helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const BITSWAP = "/ipfs/bitswap/1.2.0";

/** As in ipfs-probe-attacks.test.ts: idle TCP sockets holding `node`'s pending inbound slots. */
async function holdPendingSlots(node: IpfsNode, slots = 10): Promise<() => void> {
  const [, , host, , port] = node.multiaddrs()[0]!.split("/");
  const sockets = new Set<net.Socket>();
  let stopped = false;
  const open = (): void => {
    if (stopped) return;
    const socket = net.connect(Number(port), host!);
    socket.on("error", () => undefined);
    socket.on("close", () => {
      sockets.delete(socket);
      if (!stopped) setTimeout(open, 250);
    });
    sockets.add(socket);
  };
  for (let i = 0; i < slots; i++) {
    open();
    await sleep(250);
  }
  await sleep(1_100);
  return () => {
    stopped = true;
    for (const socket of sockets) socket.destroy();
  };
}

async function freshPeerGetsIn(node: IpfsNode): Promise<boolean> {
  const { node: fresh, unreachable } = await startIpfsNode({
    listen: [],
    peers: [node.multiaddrs()[0]!],
    dialTimeoutMs: 2_000,
  });
  await fresh.stop();
  return unreachable.length === 0;
}

interface Network {
  sendMessage(peer: unknown, message: unknown): Promise<void>;
  sendQueue: { running: number };
}

function networkOf(node: IpfsNode): Network {
  const brokers = (node.helia as unknown as { blockBrokers: { name: string; bitswap?: unknown }[] })
    .blockBrokers;
  const bitswap = brokers.find((b) => b.name === "bitswap")?.bitswap as
    { network: Network } | undefined;
  if (bitswap === undefined) throw new Error("no bitswap broker: Helia's internals changed");
  return bitswap.network;
}

function want(cid: string): unknown {
  const parsed = CID.parse(cid);
  return {
    full: false,
    pendingBytes: 0,
    wantlist: new Map([
      [
        base64.encode(parsed.multihash.bytes),
        { cid: parsed.bytes, priority: 1, wantType: 0, cancel: false, sendDontHave: false },
      ],
    ]),
    blocks: new Map(),
    blockPresences: new Map(),
  };
}

/** A stranger peer id that wants `cid` from `target` and never reads the stream it is sent on. */
async function stalledWanter(nodes: Nodes, target: IpfsNode, cid: string): Promise<void> {
  const stranger = await nodes.start({ listen: [], peers: [target.multiaddrs()[0]!] });
  const libp2p = stranger.helia.libp2p;
  await libp2p.unhandle(BITSWAP);
  await libp2p.handle(BITSWAP, (stream) => stream.pause(), { maxInboundStreams: 1024 });
  void networkOf(stranger)
    .sendMessage(target.helia.libp2p.peerId, want(cid))
    .catch(() => undefined);
}

async function outcome(run: () => Promise<{ vote: string }>): Promise<string> {
  try {
    return `voted ${(await run()).vote}`;
  } catch (error) {
    return isRetryable(error)
      ? `no vote (retryable: ${(error as Error).message})`
      : `error: ${String(error)}`;
  }
}

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
    const provider = await nodes.start();
    await publishOn(provider, job);
    const bystander = await nodes.start();
    // The referee's node listens (others name it as a peer) on its default loopback address.
    const referee = await nodes.start({
      peers: [provider.multiaddrs()[0]!, bystander.multiaddrs()[0]!],
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

    const v = verifiableJob(job.small, job.records);
    const q = question("Availability", job.records, 3, job.k);
    expect(await outcome(() => adjudicate(v, ipfsBlobStoreOn(referee), q))).to.not.equal(
      "voted Challenger",
    );
  });
});
