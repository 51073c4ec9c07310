// ATTACK (severity: medium — resources: every availability read leaves work and memory behind).
//
// ServedNowView.#read (src/store/ipfs-store.ts) reads through an IpfsBlobStore whose `connect`
// redials the probe's configured peers in a loop, `while (!signal.aborted)`, every 250 ms. The
// signal is the fetch's: the view's `done` controller (aborted only when the window runs out with
// nothing) or the fetch's own timeout, fetchTimeoutMs + dialTimeoutMs + 1 s. A read that SUCCEEDS
// aborts neither: its redial loop runs on for the whole 41 s (the defaults: 30 s + 10 s + 1 s)
// after the blob came back — after the view's probe has been stopped (1 s after the last read) —
// calling connectPeers on the stopped probe 4 times a second and keeping the probe alive: its
// libp2p and its in-memory blockstore, which holds every blob the view read. A fresh job read (the
// one before every availability verdict, and the challenger's re-check) reads the spec, program,
// initial state, every dataset shard and the manifest through one view: one loop each, all
// holding the same probe, so the whole dataset (47 MB for the demo's MNIST shards) stays in
// memory for 41 s after the verdict, per verdict, and the loops redial every configured peer the
// probe is not connected to (a peer that is down, or refuses it) while the probe lingers: one
// dial per loop every 250 ms (24 connection attempts in a second at one down peer here, from six
// reads). Anyone who makes referees read (an availability challenge costs a bond; a verifier's
// audit reads too) multiplies it.
//
// Fixed: a read's redial loop ends with it and a stopped node dials nothing. Then, found once the
// loop was gone: the stopped probe, with every block it fetched, was still held up to 10 s after its
// last incoming bitswap message, by Helia's receive timer on each incoming stream (the second case;
// src/store/ipfs-incoming-streams.ts). Fixed: the timer's listener reaches only stand-ins, which
// let go of the node when it stops.
// (The fresh job read no longer probes: it reads the job's inputs from verified copies, so the
// reads here are checkpoints, as an availability verdict's are.)
// Expected once fixed: a read that returned (with bytes or an error) leaves nothing running — its
// redial loop ends with it — and a stopped probe is released at once: no connectPeers on it after
// the read, and its node and blocks are garbage once the view let it go.
import v8 from "node:v8";
import vm from "node:vm";

import { expect } from "chai";

import { uncached } from "../../../src/store/caching-store.ts";
import type { IpfsNode } from "../../../src/store/ipfs-node.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { honestJob, Nodes, publishOn, sleep } from "./helpers.ts";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

describe("attack: an availability read leaves its probe's redial loop running", function () {
  this.timeout(60_000);
  const nodes = new Nodes();
  afterEach(() => nodes.stopAll());

  /**
   * Reads checkpoints 1..3 through one served-now view (what an availability verdict reads; a
   * fresh job read now takes the job's inputs from verified copies, with no probe), then waits for
   * the view to stop its probe: the probe's dials after the read returned, and its repo's reference.
   */
  async function readThroughAProbe() {
    const job = await honestJob();
    const provider = await nodes.start();
    await publishOn(provider, job);
    // The defaults: fetchTimeoutMs 30 s, dialTimeoutMs 10 s.
    const referee = await nodes.start({ listen: [], peers: [provider.multiaddrs()[0]!] });

    // Watch the view's probes: when each stops, what calls it, and whether its node (libp2p,
    // bitswap, repo) and the memory of the blocks its repo held are still held once it stopped.
    const calls: { stopped: boolean; at: number }[] = [];
    const probes: WeakRef<object>[] = [];
    const blocks: WeakRef<ArrayBufferLike>[] = [];
    const startProbe = referee.startProbe.bind(referee);
    referee.startProbe = async (): Promise<IpfsNode> => {
      const probe = await startProbe();
      let stopped = false;
      probes.push(new WeakRef(probe.helia));
      return {
        ...probe,
        connectPeers: (signal) => {
          calls.push({ stopped, at: performance.now() });
          return probe.connectPeers(signal);
        },
        stop: async () => {
          stopped = true;
          for await (const { bytes } of probe.helia.blockstore.getAll())
            for await (const chunk of bytes) blocks.push(new WeakRef(chunk.buffer));
          return probe.stop();
        },
      };
    };

    const view = uncached(ipfsBlobStoreOn(referee));
    for (const record of job.records.slice(1, 4)) await view.get(record.cid);
    const returned = performance.now();
    expect(probes.length, "the reads went through a probe").to.be.greaterThan(0);
    return { calls, probes, blocks, returned };
  }

  it("a read through the served-now view leaves no redial running once it returned", async () => {
    const { calls, returned } = await readThroughAProbe();
    await sleep(4_000); // the view stops its probe 1 s after its last read
    const afterward = calls.filter((c) => c.at > returned + 100);
    expect({
      "connectPeers calls after the read returned": afterward.length,
      "of which on a stopped probe": afterward.filter((c) => c.stopped).length,
    }).to.deep.equal({
      "connectPeers calls after the read returned": 0,
      "of which on a stopped probe": 0,
    });
  });

  // The probe's last bitswap messages arrived just before the reads returned, so Helia's 10 s
  // receive timers on them are still pending when this looks (ipfs-incoming-streams.ts).
  it("a stopped probe's node and blocks are garbage within 3 s of the view letting it go", async () => {
    const { probes, blocks } = await readThroughAProbe();
    await sleep(4_000);
    expect(blocks.length, "the probes held the blocks they read").to.be.greaterThan(0);
    gc();
    await sleep(50);
    gc();
    expect({
      "stopped probes still held": probes.filter((r) => r.deref() !== undefined).length,
      "their blocks' buffers still held": blocks.filter((r) => r.deref() !== undefined).length,
    }).to.deep.equal({
      "stopped probes still held": 0,
      "their blocks' buffers still held": 0,
    });
  });
});
