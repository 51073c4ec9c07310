// Helia's bitswap handler for incoming streams, run so that a stopped node is released at once.
//
// ATTACK (test/ts/ipfs-review/attack-probe-redial-leak.test.ts): @helia/bitswap 4.x arms a
// receive timer on each incoming stream, `AbortSignal.timeout(messageReceiveTimeout)` (10 s, renewed
// on every message), and never removes its listener from the last one, and Node keeps a timeout
// signal that has listeners alive until it fires. The listener's closure holds the bitswap network
// (`this`), the stream and its connection, and each of them reaches the whole node: its libp2p, its
// Helia and its repo. So a stopped node stayed in memory up to 10 s after the last message it got
// — an availability probe with every block it fetched (up to 4 MiB each): many verdicts in a short
// time, or a peer that keeps sending, piled up stopped probes. A shorter timeout is no way out: it
// would also cut a large block arriving over a slow link.
//
// So the handler runs with stand-ins for the network, the stream and the connection, which forward
// to the real ones while the node runs and let go of them when it stops. What the timer then holds
// is the stand-ins: a few small objects, for at most 10 s. The stand-ins give what the handler of
// @helia/bitswap 4.x reads (network.js, `_onStream`) and nothing more.
import type { Connection, Libp2p, PeerId, Stream } from "@libp2p/interface";

/** The parts of @helia/bitswap 4.x's Network (internals) its incoming-stream handler reads. */
export interface BitswapNetwork {
  protocols: string[];
  running: boolean;
  log: unknown;
  messageReceiveTimeout: number;
  maxIncomingMessageSize: number;
  maxInboundStreams: number;
  maxOutboundStreams: number;
  runOnLimitedConnections: boolean;
  safeDispatchEvent(type: string, init?: { detail?: unknown }): boolean;
}

/** Bitswap's own handler (`Network.prototype._onStream`), called with stand-ins. */
type BitswapHandler = (this: unknown, stream: unknown, connection: unknown) => void;

/** What one incoming stream's stand-ins forward to, until the node stops. */
interface Held {
  network: BitswapNetwork;
  stream: Stream;
  connection: Connection;
}

/**
 * Takes over `network`'s handler of incoming streams on `libp2p` (bitswap has registered it
 * already). Returns `release`, to call once the node has stopped: it lets go of every incoming
 * stream's network, stream and connection, and the handler's timers then hold nothing of the node.
 */
export async function handleIncomingStreams(
  libp2p: Libp2p,
  network: BitswapNetwork,
): Promise<() => void> {
  const handle = (Object.getPrototypeOf(network) as { _onStream?: unknown })._onStream;
  if (typeof handle !== "function" || !Array.isArray(network.protocols))
    throw new Error("cannot reach Helia's bitswap: its internals changed");
  const handler = standInHandler(network, handle as BitswapHandler);
  await libp2p.handle(network.protocols, handler.onStream, {
    force: true,
    maxInboundStreams: network.maxInboundStreams,
    maxOutboundStreams: network.maxOutboundStreams,
    runOnLimitedConnection: network.runOnLimitedConnections,
  });
  return handler.release;
}

/**
 * The handler itself and its release. Each stream's stand-ins are reachable from here only weakly:
 * they live as long as bitswap's closure over them (its timer), and `release` cuts the ones alive.
 */
function standInHandler(
  network: BitswapNetwork,
  handle: BitswapHandler,
): { onStream: (stream: Stream, connection: Connection) => void; release: () => void } {
  const { log, messageReceiveTimeout, maxIncomingMessageSize } = network;
  let live: BitswapNetwork | undefined = network; // until the node stops
  const streams = new Set<WeakRef<{ held?: Held }>>();
  const forget = new FinalizationRegistry<WeakRef<{ held?: Held }>>((ref) => streams.delete(ref));
  return {
    onStream(stream, connection) {
      if (live === undefined) return;
      const slot: { held?: Held } = { held: { network: live, stream, connection } };
      const ref = new WeakRef(slot);
      streams.add(ref);
      forget.register(slot, ref);
      handle.call(
        networkStandIn(slot, { log, messageReceiveTimeout, maxIncomingMessageSize }),
        streamStandIn(slot, stream),
        connectionStandIn(connection.remotePeer),
      );
    },
    release() {
      live = undefined;
      for (const ref of streams) delete ref.deref()?.held;
      streams.clear();
    },
  };
}

/** `this` for bitswap's handler: its network while the node runs, then a stopped one. */
function networkStandIn(
  slot: { held?: Held },
  settings: { log: unknown; messageReceiveTimeout: number; maxIncomingMessageSize: number },
) {
  return {
    ...settings,
    get running(): boolean {
      return slot.held?.network.running ?? false;
    },
    /** A message read: dispatched with the real connection (bitswap's want list keeps it). */
    safeDispatchEvent(type: string, init?: { detail?: unknown }): boolean {
      const held = slot.held;
      if (held === undefined) return false;
      const detail = init?.detail as Record<string, unknown> | undefined;
      return held.network.safeDispatchEvent(type, {
        ...init,
        detail: detail === undefined ? detail : { ...detail, connection: held.connection },
      });
    },
  };
}

/** The stream, as bitswap's handler uses it; once released, a closed stream. */
function streamStandIn(slot: { held?: Held }, stream: Stream) {
  const { id, protocol } = stream;
  return {
    id,
    protocol,
    get status(): Stream["status"] {
      return slot.held?.stream.status ?? "closed";
    },
    close: async (options?: Parameters<Stream["close"]>[0]): Promise<void> =>
      slot.held?.stream.close(options),
    abort: (error: Error): void => slot.held?.stream.abort(error),
    addEventListener: (...args: Parameters<Stream["addEventListener"]>): void =>
      slot.held?.stream.addEventListener(...args),
  };
}

/** The connection, as bitswap's handler reads it: who is on the other end. */
function connectionStandIn(remotePeer: PeerId): { remotePeer: PeerId } {
  return { remotePeer };
}
