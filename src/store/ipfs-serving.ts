// What an IPFS node serves to its peers: only the blocks it published itself (what it `put`, which
// pins), never a block it merely fetched as a reader.
//
// ATTACK (test/ts/ipfs-review/attack-peer-cache-rescue.test.ts): an availability verdict reads "some
// configured peer serves the blob now" (the served-now view, src/store/ipfs-store.ts), and a
// referee's configured peers include other verifiers. With Helia's default every node answered a
// want from its whole repo, so a verifier that had fetched a checkpoint in an early audit went on
// serving it: a provider that served the early auditors and withheld afterwards was voted
// available by every referee naming such an auditor, and the honest challenger, whose peers lacked
// it, lost its bond. A verifier's repo keeps what it read (its own reads are answered from it), but
// bitswap answers a peer's want only for a pinned block, so what a verdict finds served is what
// some node published — the provider's checkpoints on the provider's node.
//
// @helia/bitswap 4.x reads the blocks it sends through `components.blockstore` (its ledger calls
// `has`, then `get`), and `withBitswap` builds its broker from the Helia node itself: the broker
// is built here from a view of the node whose blockstore answers for pinned blocks only. Helia
// tells bitswap of a new block before a `put` stores it, and the pin comes after: `announce`
// tells it again once the block is pinned, so a peer whose want arrived before the publication is
// sent the block now rather than on its next message.
import { withBitswap, type BitswapBlockBrokerInit } from "@helia/bitswap";
import type { BlockBroker, Helia, HeliaMixin } from "helia";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";

/** What a peer's want may be answered from: the node's pinned blocks. */
interface ServedBlocks {
  has(cid: CID, options?: { signal?: AbortSignal }): Promise<boolean>;
  get(cid: CID, options?: { signal?: AbortSignal }): AsyncGenerator<Uint8Array>;
}

/** Thrown for a block that is not served: bitswap skips a want whose block it "does not have". */
class NotServedError extends Error {
  // By this name @helia/bitswap's ledger reads it as "not here" and keeps the want open.
  override readonly name = "NotFoundError";
}

/**
 * Whether `cid` could name a block this node pinned: every blob is put under sha2-256 (a 32-byte
 * digest). ATTACK (test/ts/ipfs-review/attack-huge-digest-want.test.ts): a peer's want may carry a
 * digest of any length, and Helia keys pins by base36 of the multihash, which is quadratic in its
 * length and runs on the event loop: one want with a 32 KiB digest stalled the process 3.4 s, on
 * every message its sender sent after it. Such a want is "not here" before anything reads it.
 */
function pinnable(cid: CID): boolean {
  return cid.multihash.code === sha256.code && cid.multihash.size === 32;
}

/** A peer's want, as @helia/bitswap 4.x decodes it (its protobuf message's wantlist entries). */
interface WantEntry {
  cid: Uint8Array;
}

/** An incoming message as @helia/bitswap 4.x's peer want lists take it (internals). */
interface ReceivedMessage {
  wantlist?: { entries: WantEntry[] };
}

/**
 * The wants of `message` that bitswap may keep: copies of those for a CID this node could serve,
 * nothing else. ATTACK (test/ts/ipfs-review/attack-want-holds-message.test.ts): a peer's ledger
 * keeps each want it cannot answer yet (up to 1024 a peer), and protons decodes its CID as a view
 * into the whole message, up to 4 MiB of anything: 40 wants sent with 1 MiB of padding each held
 * 41 MiB while the stranger stayed connected (4 GiB a peer id at the limits). A copy holds the CID's
 * few bytes; a want no put can pin (or that does not decode) is dropped: it is never served.
 */
function keptWants(message: ReceivedMessage): ReceivedMessage {
  if (message.wantlist === undefined) return message;
  const entries: WantEntry[] = [];
  for (const entry of message.wantlist.entries) {
    let cid: CID;
    try {
      cid = CID.decode(entry.cid);
    } catch {
      continue;
    }
    if (pinnable(cid)) entries.push({ ...entry, cid: entry.cid.slice() });
  }
  return { ...message, wantlist: { ...message.wantlist, entries } };
}

/**
 * Whether the node serves `cid` to peers: a block it published (pinned) and holds. The one
 * definition of "served" for bitswap's answers and for the store's `has`.
 */
export async function servesBlock(
  helia: Pick<Helia, "pins" | "blockstore">,
  cid: CID,
  options?: { signal?: AbortSignal },
): Promise<boolean> {
  return (
    pinnable(cid) &&
    (await helia.pins.isPinned(cid, options)) &&
    (await helia.blockstore.has(cid, options))
  );
}

function servedBlocks(helia: Helia): ServedBlocks {
  return {
    has: (cid, options) => servesBlock(helia, cid, options),
    async *get(cid, options) {
      if (!(await servesBlock(helia, cid, options)))
        throw new NotServedError(`${cid} is not served`);
      // offline: never fetch a block in order to send it.
      yield* helia.blockstore.get(cid, { ...options, offline: true });
    },
  };
}

/**
 * Adds bitswap to `helia` (as `withBitswap` does) serving only pinned blocks. Returns the node;
 * `announce`, to call once a block is pinned (bitswap then sends it to the peers waiting for it);
 * and `serveOnlyPins`, to call once the node has started: it makes bitswap keep only the wants it
 * could serve (`keptWants`), and throws unless bitswap's answers read through the pinned view
 * (@helia/bitswap 4.x internals: its peer want lists' blockstore and receiveMessage).
 */
export function withBitswapServingPins<H extends Helia>(
  helia: H,
  init: BitswapBlockBrokerInit,
): { helia: H; announce: (cid: CID) => Promise<void>; serveOnlyPins: () => void } {
  const brokers: BlockBroker[] = [];
  const blockstore = servedBlocks(helia);
  // withBitswap only adds a mixin; its start builds the broker from the node it is given.
  const adding = {
    addMixin: (mixin: HeliaMixin) =>
      helia.addMixin({
        name: mixin.name,
        start: (started: Helia) =>
          mixin.start?.(
            new Proxy(started, {
              get(target, key) {
                if (key === "blockstore") return blockstore;
                if (key === "addBlockBroker")
                  return (broker: BlockBroker) => {
                    brokers.push(broker);
                    target.addBlockBroker(broker);
                  };
                const value: unknown = Reflect.get(target, key, target);
                return typeof value === "function" ? value.bind(target) : value;
              },
            }),
          ),
        ...(mixin.stop === undefined ? {} : { stop: mixin.stop.bind(mixin) }),
      }),
  };
  withBitswap(adding as unknown as Parameters<typeof withBitswap>[0], init);
  return {
    helia,
    announce: async (cid) => {
      await Promise.all(brokers.map((broker) => broker.announce?.(cid)));
    },
    serveOnlyPins: () => {
      // Fails closed: a bitswap that answers wants from anything but the pinned view would serve
      // a reader's fetched blocks again, and one that keeps wants as they came would let strangers
      // fill memory, so the node refuses to run rather than do either.
      const wantLists = brokers.map(
        (broker) =>
          (
            broker as {
              bitswap?: {
                peerWantLists?: {
                  blockstore?: unknown;
                  receiveMessage?: (peer: unknown, message: ReceivedMessage) => void;
                };
              };
            }
          ).bitswap?.peerWantLists,
      );
      const wantList = wantLists[0];
      const receive = wantList?.receiveMessage;
      if (wantLists.length !== 1 || wantList?.blockstore !== blockstore || receive === undefined)
        throw new Error(
          "Helia's bitswap does not answer wants through the pinned-blocks view: its internals changed",
        );
      // Its listener of incoming messages calls this.receiveMessage: the instance's, from now on.
      wantList.receiveMessage = (peer, message) => receive.call(wantList, peer, keptWants(message));
    },
  };
}
