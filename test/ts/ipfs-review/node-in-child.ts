// An IPFS node in a process of its own, for attack-connection-resets.test.ts: an error nobody
// handles (an 'error' event on a socket with no listener, a rejected promise nobody awaits) ends
// this process, as it would end a provider's or a referee's daemon, which install no process-wide
// handlers; the test sees it as the child's exit. Nothing here catches errors globally.
//
//   node node-in-child.ts provider          a provider's node: listens on 127.0.0.1, publishes a
//                                            256 KiB blob, prints {"addr","cid"} on one line
//   node node-in-child.ts reader <addr>     a referee's node: listens nowhere, <addr> its one peer
//
// Then it answers commands on stdin, one a line, each with one line on stdout:
//   ping          -> "pong"
//   churn <cid>   -> "churning": redials its peer every 20 ms and reads <cid> through fresh probes
//                    (the served-now view), one after another, ignoring their failures, until
//                    "calm" (-> "calm", once both have ended)
//   read <cid>    -> "read <bytes> <cid of the bytes>" through a fresh probe, or "read failed: …"
// and stops the node and exits 0 when stdin closes. Importing this file does nothing (mocha loads
// every file under test/ts): it runs only as the entry point.
import { randomBytes } from "node:crypto";
import readline from "node:readline";
import { pathToFileURL } from "node:url";

import { cidOf } from "../../../src/protocol/cid.ts";
import { uncached } from "../../../src/store/caching-store.ts";
import { startIpfsNode } from "../../../src/store/ipfs-node.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";

async function main(): Promise<void> {
  const [role, peer] = process.argv.slice(2);
  if (role !== "provider" && role !== "reader") throw new Error(`unknown role ${role}`);

  const { node } =
    role === "provider"
      ? await startIpfsNode({ listen: ["/ip4/127.0.0.1/tcp/0"] })
      : await startIpfsNode({
          listen: [],
          peers: [peer!],
          dialTimeoutMs: 1_000,
          fetchTimeoutMs: 5_000,
        });
  const store = ipfsBlobStoreOn(node);
  if (role === "provider") {
    const cid = await store.put(new Uint8Array(randomBytes(256 * 1024)));
    console.log(JSON.stringify({ addr: node.multiaddrs()[0], cid }));
  } else console.log("ready");

  /** Reads `cid` through a fresh probe (what a referee's availability vote reads). */
  async function probeRead(cid: string): Promise<Uint8Array> {
    return uncached(store).get(cid);
  }

  let churning: Promise<unknown> | undefined;
  let calm = false;
  /** Redials the peer every 20 ms while reading `cid` through fresh probes, one after another. */
  function churn(cid: string): Promise<unknown> {
    const redial = (async () => {
      while (!calm) {
        await node.connectPeers(AbortSignal.timeout(1_000));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const probe = (async () => {
      while (!calm) {
        await probeRead(cid).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    return Promise.all([redial, probe]);
  }

  for await (const line of readline.createInterface({ input: process.stdin })) {
    const [command, arg] = line.trim().split(" ");
    if (command === "ping") console.log("pong");
    else if (command === "churn") {
      calm = false;
      churning = churn(arg!);
      console.log("churning");
    } else if (command === "calm") {
      calm = true;
      await churning;
      console.log("calm");
    } else if (command === "read") {
      try {
        const bytes = await probeRead(arg!);
        console.log(`read ${bytes.byteLength} ${cidOf(bytes)}`);
      } catch (error) {
        console.log(`read failed: ${String(error)}`);
      }
    }
  }
  await node.stop();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  // A rejection ends the process, as an unhandled one would end a daemon: nothing catches it here.
  void main();
