// The settings of the embedded IPFS node (src/store/ipfs-node.ts) and its store
// (src/store/ipfs-store.ts), and the block-size limits they follow (docs/store.md, "IPFS
// backend"). Pure: no I/O and no libp2p, so the node config (src/node/config.ts) can parse an
// `ipfs` section without loading the IPFS stack.
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { z } from "zod";

/**
 * The largest block Helia's bitswap sends at all (`MAX_BLOCK_SIZE` in @helia/bitswap, measured
 * against Kubo: a 4 MiB message less its envelope). No setting of ours can move a larger raw
 * block between peers, so no IPFS store accepts a larger blob.
 */
export const IPFS_MAX_BLOCK_BYTES = 4_193_648;

/**
 * The default blob limit of the IPFS store: 2 MiB, the block size the bitswap spec requires
 * every implementation to accept, so any IPFS peer (a stock Kubo included) can fetch and serve
 * every blob we publish. Raise `maxBlobBytes` up to IPFS_MAX_BLOCK_BYTES only where the peers
 * that must move the blobs are ours or Kubo (which reads 4 MiB bitswap messages).
 */
export const IPFS_DEFAULT_MAX_BLOB_BYTES = 2 * 1024 * 1024;

/**
 * The bitswap message limit our nodes send and accept: Kubo's (boxo `network.MessageSizeMax`),
 * so a message we send is never one a Kubo peer resets, and one block of IPFS_MAX_BLOCK_BYTES
 * fits in one message.
 */
export const BITSWAP_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

const P2P_CODE = 421;

function parseMultiaddr(text: string): Multiaddr | undefined {
  try {
    return multiaddr(text);
  } catch {
    return undefined;
  }
}

/** The protocol names of a multiaddr, e.g. ["ip4", "tcp"]. */
function protocolNames(addr: Multiaddr): string[] {
  return addr.getComponents().map((component) => component.name);
}

/** Where the node listens: TCP on an IP address (the only transport it runs). */
const ListenAddrSchema = z.string().refine(
  (text) => {
    const addr = parseMultiaddr(text);
    if (addr === undefined) return false;
    const names = protocolNames(addr);
    return names.length === 2 && (names[0] === "ip4" || names[0] === "ip6") && names[1] === "tcp";
  },
  { error: "a listen address is /ip4/<address>/tcp/<port> or /ip6/<address>/tcp/<port>" },
);

/** A peer to dial: TCP at an address or host name, with the peer's id (so the dial is authenticated). */
const PeerAddrSchema = z.string().refine(
  (text) => {
    const addr = parseMultiaddr(text);
    if (addr === undefined) return false;
    const names = protocolNames(addr);
    return (
      names.length === 3 &&
      ["ip4", "ip6", "dns4", "dns6"].includes(names[0]!) &&
      names[1] === "tcp" &&
      names[2] === "p2p"
    );
  },
  { error: "a peer address is /ip4|ip6|dns4|dns6/<host>/tcp/<port>/p2p/<peer id>" },
);

/** Where a node listens when its config does not say: loopback, any free port. */
export const IPFS_DEFAULT_LISTEN: readonly string[] = ["/ip4/127.0.0.1/tcp/0"];

export const IpfsOptionsSchema = z.strictObject({
  /**
   * Directory of a persistent repo (blocks, pins and the node's key, so its peer id survives
   * restarts); created on first start. Absent: everything in memory, a new peer id each start.
   * One process at a time per directory.
   */
  repoDir: z.string().min(1).optional(),
  /** Listen addresses; [] listens nowhere (a node that only dials out). Port 0: any free port. */
  listen: z
    .array(ListenAddrSchema)
    .max(16)
    .default([...IPFS_DEFAULT_LISTEN]),
  /** The only peers the node dials (at start, and again when a blob is missing and they dropped). */
  peers: z.array(PeerAddrSchema).max(64).default([]),
  /** How long a get waits for connected peers to send a blob absent locally; 0: local blobs only. */
  fetchTimeoutMs: z.number().int().min(0).max(600_000).default(30_000),
  /** How long dialing one configured peer may take. */
  dialTimeoutMs: z.number().int().positive().max(120_000).default(10_000),
  /** Largest blob stored, fetched or served, in bytes: one raw block (see the constants above). */
  maxBlobBytes: z
    .number()
    .int()
    .positive()
    .max(IPFS_MAX_BLOCK_BYTES, {
      error: `a raw block over bitswap holds at most ${IPFS_MAX_BLOCK_BYTES} bytes`,
    })
    .default(IPFS_DEFAULT_MAX_BLOB_BYTES),
});
export type IpfsOptions = z.output<typeof IpfsOptionsSchema>;
export type IpfsOptionsInput = z.input<typeof IpfsOptionsSchema>;

/** A multiaddr without its /p2p/<peer id> part, as a string (how the dial gate compares them). */
export function transportAddress(addr: Multiaddr): string {
  return addr.decapsulateCode(P2P_CODE).toString();
}
