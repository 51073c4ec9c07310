// ATTACK (severity: high — any stranger freezes an honest provider's process with one message).
//
// A node answers a peer's want only for a pinned block (src/store/ipfs-serving.ts): for each want
// still open, every time the peer's ledger runs (on each message the peer sends), it asks
// `helia.pins.isPinned(cid)`. Helia keys pins by the multihash in base36
// (helia/dist/src/pins.js), and multiformats' base36 is base-x: quadratic in the length of what
// it encodes, synchronous, on the event loop. A multihash's digest length is whatever its varint
// says, and bitswap's ledger takes any CID it can decode (nothing checks the digest's length
// against its hash function). Measured here: base36 of a 16 KiB digest 0.9 s, of 32 KiB 3.4 s;
// a 4 MiB bitswap message holds one want whose digest is nearly 4 MiB: about 15 hours.
//
// So a stranger that connects to an honest provider (anyone can: its node listens for verifiers)
// and wants one CID with a 32 KiB digest blocks the provider's process for seconds, every time it
// sends any message (the want stays open: the provider has no such block); with a larger digest,
// for good. Meanwhile the provider serves nobody, takes part in no dispute, and every referee
// finds its checkpoints not served: the honest provider is slashed. Before the serving policy,
// bitswap asked only the blockstore, whose keys are base32 (linear).
//
// Expected once fixed: a want for a CID no put can pin (ours are sha2-256, 32 bytes) is refused
// before any work proportional to its size; the process is never blocked.
import { expect } from "chai";

import { base64 } from "multiformats/bases/base64";

import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { honestJob, networkOf, Nodes, publishOn, sleep, startPeerOf } from "./helpers.ts";

/** CIDv1, raw, "sha2-256" with a digest of `size` bytes (any length a varint can say). */
function hugeDigestCid(size: number): Uint8Array {
  const varint: number[] = [];
  for (let n = size; ; n >>>= 7) {
    if (n < 0x80) {
      varint.push(n);
      break;
    }
    varint.push((n & 0x7f) | 0x80);
  }
  const prefix = [0x01, 0x55, 0x12, ...varint];
  const bytes = new Uint8Array(prefix.length + size).fill(0xff);
  bytes.set(prefix);
  return bytes;
}

/** The longest the event loop went without running a 10 ms heartbeat, while `run` runs. */
async function longestStall(run: () => Promise<void>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const beat = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  try {
    await run();
  } finally {
    clearInterval(beat);
  }
  return longest;
}

describe("attack: a stranger's want with a huge digest blocks a serving node", function () {
  this.timeout(120_000);
  const nodes = new Nodes();
  afterEach(() => nodes.stopAll());

  it("a want for a CID with a 32 KiB digest does not stall the provider's process", async () => {
    const job = await honestJob();
    const provider = await nodes.start();
    await publishOn(provider, job);
    const stranger = await startPeerOf(nodes, [provider]);
    const reader = await startPeerOf(nodes, [provider], { fetchTimeoutMs: 5_000 });

    const cid = hugeDigestCid(32 * 1024);
    const wanted = {
      full: false,
      pendingBytes: 0,
      wantlist: new Map([
        [
          base64.encode(cid.subarray(2)),
          { cid, priority: 1, wantType: 0, cancel: false, sendDontHave: false },
        ],
      ]),
      blocks: new Map(),
      blockPresences: new Map(),
    };
    let readMs = 0;
    const stall = await longestStall(async () => {
      await networkOf(stranger).sendMessage(provider.helia.libp2p.peerId, wanted);
      await sleep(200); // the provider's ledger has taken the want
      const begun = performance.now();
      const read = ipfsBlobStoreOn(reader).get(job.records[3]!.cid);
      // Any later message, even an empty one, runs the ledger again over the open want.
      await networkOf(stranger).sendMessage(provider.helia.libp2p.peerId, {
        ...wanted,
        wantlist: new Map(),
      });
      await read;
      readMs = performance.now() - begun;
      await sleep(1_000);
    });
    expect(readMs, "an honest read from the provider, ms").to.be.below(1_000);
    expect(stall, "the longest the process stood still, ms").to.be.below(500);
  });
});
