// ATTACK (checked, not reproduced; kept as a guard): strangers that reset TCP connections crash
// an honest node's process.
//
// A reviewer saw a scratch process (10 stranger nodes dialing one provider node about 4 times a
// second, all in that process) die about one run in four with "connect ECONNRESET": once as an
// 'error' event on a socket with no listener, once as an unhandled rejection from a dial. Our
// daemons (worker/main.ts, verifier/main.ts) install no 'uncaughtException' or
// 'unhandledRejection' handler, so if a stranger could cause either in a daemon, it would crash an
// honest provider (which is then slashed for not serving) or a referee, from afar.
//
// Neither side of our nodes does, as far as this test and the reading of libp2p 3.3 /
// @libp2p/tcp 11.0.28 go. The node under test runs in a child process (node-in-child.ts), so that
// any such error ends it, and the test asserts it is alive and answers afterwards:
// - the listening side (a provider's node): raw sockets that reset while connecting, at connect,
//   after multistream-select's header, after proposing Noise; libp2p strangers whose connections
//   reset at random points of the handshake and of a block transfer (through a resetting proxy);
//   strangers whose dials abort after 1-40 ms, at a rate that also makes the provider reset them
//   (libp2p refuses more than 5 inbound connections a second from one host). Then an honest reader
//   still gets the blob from it.
// - the dialing side (a referee's node and its probes): its one configured peer resets every
//   connection, at accept, at its first bytes, or at a random point of the session, while the node
//   redials it every 20 ms and reads through fresh probes; once the resets stop it reads the blob.
// Why they hold (libp2p's code): an outbound socket is created by net.connect with the dial's
// abort signal, and Node then attaches its own 'error' listener (the stream's abort-signal
// cleanup) for the socket's life, besides @libp2p/tcp's listeners; an inbound socket gets
// @libp2p/tcp's listener synchronously in the server's 'connection' event; dials started inside
// libp2p (reconnects, the dial queue) are all awaited or caught. The reviewer's errors most likely
// came from the scratch process's own sockets or dials (a "connect ECONNRESET" is a dial the
// provider's rate limiter reset; `void node.dial(…)` without a catch turns it into an unhandled
// rejection).
// The test does see such faults: put into node-in-child.ts by hand, removing @libp2p/tcp's 'error'
// listener from its sockets ended the provider's child ("Unhandled 'error' event … read
// ECONNRESET"; the referee's survived on Node's listener), and leaving the rejection of each of the
// node's dials unhandled ended the referee's ("EncryptionFailedError: read ECONNRESET").
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import net from "node:net";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

import { expect } from "chai";
import { multiaddr } from "@multiformats/multiaddr";

import { cidOf } from "../../../src/protocol/cid.ts";
import { uncached } from "../../../src/store/caching-store.ts";
import type { IpfsNode } from "../../../src/store/ipfs-node.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { Nodes, sleep } from "./helpers.ts";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "node-in-child.ts");
/** How long each attack runs. */
const ATTACK_MS = 8_000;

/** A node in a child process: its stdout lines, its exit, and commands on its stdin. */
class ChildNode {
  readonly process: ChildProcess;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  stderr = "";
  private readonly lines: string[] = [];
  private readonly waiting = new Set<() => void>();

  constructor(args: string[]) {
    this.process = spawn(process.execPath, [CHILD, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    readline.createInterface({ input: this.process.stdout! }).on("line", (line) => {
      this.lines.push(line);
      for (const wake of this.waiting) wake();
    });
    this.process.stderr!.on("data", (data: Buffer) => (this.stderr += data.toString()));
    this.process.on("exit", (code, signal) => {
      this.exit = { code, signal };
      for (const wake of this.waiting) wake();
    });
  }

  /** What ended the child and what it wrote to stderr, for assertion messages. */
  describe(): string {
    return `child exit ${JSON.stringify(this.exit)}; stderr: ${this.stderr.slice(-2_000)}`;
  }

  /** The next line it prints that starts with `prefix` (earlier lines are dropped). */
  async line(prefix: string, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.lines.findIndex((line) => line.startsWith(prefix));
      if (index >= 0) return this.lines.splice(0, index + 1).at(-1)!;
      if (this.exit !== undefined) throw new Error(`no "${prefix}" line: ${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${prefix}" line in ${timeoutMs} ms: ${this.describe()}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.waiting.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiting.add(wake);
      });
    }
  }

  send(command: string): void {
    this.process.stdin!.write(`${command}\n`);
  }

  /** Closes its stdin (it stops its node and exits 0) and waits for its exit. */
  async close(): Promise<void> {
    if (this.exit !== undefined) return;
    const exited = new Promise((resolve) => this.process.once("exit", resolve));
    this.process.stdin!.end();
    const timer = setTimeout(() => this.process.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Asserts that `child` is still running and answers a command. */
async function expectAlive(child: ChildNode): Promise<void> {
  expect(child.exit, `the node's process is still running (${child.describe()})`).to.equal(
    undefined,
  );
  child.send("ping");
  expect(await child.line("pong", 10_000)).to.equal("pong");
}

/**
 * A TCP proxy to `target`. While resetting, each connection it accepts is reset (RST) at one of
 * three points, in turn: at once, when the client's first bytes arrive, or at a random time within
 * 300 ms while it forwards both ways (the client's and the target's side both reset), which lands
 * anywhere in the libp2p handshake, identify, or a block transfer. Otherwise it forwards.
 */
async function resettingProxy(target: { host: string; port: number }) {
  let resetting = true;
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): net.Socket => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    return socket;
  };
  const reset = (...ends: net.Socket[]): void => {
    for (const end of ends) if (!end.destroyed) end.resetAndDestroy();
  };
  const server = net.createServer((client) => {
    track(client);
    const point = accepted++ % 3;
    if (resetting && point === 0) return reset(client);
    if (resetting && point === 1) return void client.once("data", () => reset(client));
    const upstream = track(net.connect(target.port, target.host));
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => reset(upstream));
    upstream.on("close", () => reset(client));
    if (resetting) setTimeout(() => reset(client, upstream), Math.random() * 300);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stopResetting: () => (resetting = false),
    close: async () => {
      reset(...sockets);
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function hostPort(addr: string): { host: string; port: number } {
  const [, , host, , port] = addr.split("/");
  return { host: host!, port: Number(port) };
}

/** Raw sockets to `addr`, one every 30 ms, each reset at another point of the connection's start. */
function rawResets(addr: string, until: number): Promise<void> {
  const { host, port } = hostPort(addr);
  const multistream = Buffer.from("\x13/multistream/1.0.0\n");
  const noise = Buffer.from("\x07/noise\n");
  return (async () => {
    for (let i = 0; Date.now() < until; i++) {
      const socket = net.connect(port, host);
      socket.on("error", () => undefined);
      const point = i % 5;
      // While connecting: Node sends the RST as soon as the connection is made.
      if (point === 0) socket.resetAndDestroy();
      socket.on("connect", () => {
        if (point === 1) socket.resetAndDestroy();
        if (point === 2) {
          socket.write(multistream);
          socket.resetAndDestroy();
        }
        if (point === 3) {
          socket.write(Buffer.concat([multistream, noise]));
          socket.once("data", () => socket.resetAndDestroy());
        }
        if (point === 4) setTimeout(() => socket.destroyed || socket.resetAndDestroy(), i % 50);
      });
      setTimeout(() => socket.destroyed || socket.resetAndDestroy(), 2_000);
      await sleep(30);
    }
  })();
}

describe("attack: strangers that reset connections crash an honest node's process", function () {
  this.timeout(120_000);
  const nodes = new Nodes();
  const children: ChildNode[] = [];
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.close()));
    for (const close of closers.splice(0)) await close();
    await nodes.stopAll();
  });

  it("a provider's node survives resets at every point of inbound connections, and still serves its blob", async () => {
    const provider = new ChildNode(["provider"]);
    children.push(provider);
    const { addr, cid } = JSON.parse(await provider.line("{")) as { addr: string; cid: string };
    const providerId = multiaddr(addr).getComponents().at(-1)!.value!;
    const proxy = await resettingProxy(hostPort(addr));
    closers.push(proxy.close);
    const viaProxy = `/ip4/127.0.0.1/tcp/${proxy.port}/p2p/${providerId}`;
    const until = Date.now() + ATTACK_MS;

    // Strangers asking for the blob over connections that reset mid-handshake or mid-transfer.
    const askers = await Promise.all(
      [0, 1, 2].map(() => nodes.start({ listen: [], peers: [viaProxy], dialTimeoutMs: 1_000 })),
    );
    const ask = async (stranger: IpfsNode): Promise<void> => {
      while (Date.now() < until) {
        await stranger.connectPeers();
        await stranger
          .askConnectedPeer(providerId, cid, { signal: AbortSignal.timeout(300), resendMs: 100 })
          .catch(() => undefined);
        await sleep(20);
      }
    };
    // A stranger whose dials abort after 1-40 ms, 20 a second: over the provider's limit of 5
    // inbound connections a second from one host, so the provider resets most of them itself.
    const aborter = await nodes.start({ listen: [], peers: [addr] });
    const abortDials = async (): Promise<void> => {
      for (let i = 0; Date.now() < until; i++) {
        void aborter.helia.libp2p
          .dial(multiaddr(addr), { signal: AbortSignal.timeout(1 + (i % 40)) })
          .then((connection) => connection.close())
          .catch(() => undefined);
        await sleep(50);
      }
    };
    await Promise.all([rawResets(addr, until), abortDials(), ...askers.map(ask)]);
    await nodes.stopAll();
    await sleep(1_500); // the provider's inbound rate limit forgets the attack's connections

    await expectAlive(provider);
    const reader = await nodes.start({ listen: [], peers: [addr], fetchTimeoutMs: 10_000 });
    const bytes = await uncached(ipfsBlobStoreOn(reader)).get(cid);
    expect(cidOf(bytes), "the blob an honest reader got from the provider").to.equal(cid);
    await expectAlive(provider);
  });

  it("a referee's node survives a configured peer that resets every connection, and reads the blob once it stops", async () => {
    const provider = await nodes.start();
    const cid = await ipfsBlobStoreOn(provider).put(new Uint8Array(randomBytes(256 * 1024)));
    const proxy = await resettingProxy(hostPort(provider.multiaddrs()[0]!));
    closers.push(proxy.close);
    const reader = new ChildNode([
      "reader",
      `/ip4/127.0.0.1/tcp/${proxy.port}/p2p/${provider.peerId}`,
    ]);
    children.push(reader);
    await reader.line("ready");

    reader.send(`churn ${cid}`);
    await reader.line("churning");
    await sleep(ATTACK_MS);
    await expectAlive(reader);

    proxy.stopResetting();
    reader.send("calm");
    await reader.line("calm", 30_000);
    reader.send(`read ${cid}`);
    expect(await reader.line("read", 30_000), reader.describe()).to.equal(
      `read ${256 * 1024} ${cid}`,
    );
    await expectAlive(reader);
  });
});
