// ATTACK (devnet on an external node): a node that refuses evm_mine and does not mine on
// transactions hangs `assay devnet --rpc-url` / `assay demo --rpc-url` forever instead of failing
// with the reason the devnet promises.
//
// src/devnet/devnet.ts startDevnet probes evm_mine ("One block now on an external node: one that
// refuses evm_mine fails here, with the reason, rather than leaving every daemon waiting for blocks
// that never come", the `clock.advance(0)` check, ~line 283) only AFTER it has topped up ether
// (topUpEther) and deployed every contract (deployAssay, ~line 255), each of which waits for its
// transactions' receipts. On a node that only mines on request (anvil with automine off, a
// geth --dev with a long period, a proxy that filters evm_mine), the first deployment transaction
// is never mined, so startDevnet waits forever: the operator gets neither a devnet nor the error
// naming evm_mine, and the public test keys have already signed transactions into that node's pool.
// Fix: probe evm_mine (and the chain id) before anything is signed or sent.
//
// Here: anvil with automine off, reached through a JSON-RPC proxy that answers evm_mine (and
// anvil_mine / evm_setAutomine) with "method not found". Expected: startDevnet rejects within 30 s
// naming evm_mine. Today it hangs in the deployment.
import { createServer, type Server } from "node:http";

import { expect } from "chai";

import { startDevnet, type Devnet } from "../../../src/devnet/devnet.ts";
import { startAnvil, type Anvil } from "../helpers/anvil.ts";

const REFUSED = new Set(["evm_mine", "anvil_mine", "evm_setAutomine", "anvil_setAutomine"]);

describe("attack: an external node that refuses evm_mine", function () {
  this.timeout(120_000);
  let anvil: Anvil;
  let proxy: Server;
  let proxyUrl: string;

  before(async function () {
    anvil = await startAnvil({ accounts: 20 });
    // Automine off: blocks come only on request, and the proxy refuses every request for one.
    await fetch(anvil.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "evm_setAutomine", params: [false] }),
    });
    proxy = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        void (async () => {
          const parsed = JSON.parse(body) as
            { id: unknown; method: string } | { id: unknown; method: string }[];
          const one = async (r: { id: unknown; method: string }): Promise<unknown> => {
            if (REFUSED.has(r.method))
              return {
                jsonrpc: "2.0",
                id: r.id,
                error: { code: -32601, message: `the method ${r.method} does not exist` },
              };
            const answer = await fetch(anvil.url, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(r),
            });
            return answer.json();
          };
          const out = Array.isArray(parsed)
            ? await Promise.all(parsed.map(one))
            : await one(parsed);
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(out));
        })().catch((error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        });
      });
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  });

  after(async function () {
    proxy?.closeAllConnections();
    proxy?.close();
    await anvil?.stop();
  });

  it("fails promptly, naming evm_mine, before deploying anything", async function () {
    let devnet: Devnet | undefined;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      startDevnet({ rpcUrl: proxyUrl, startClock: false }).then(
        (d) => {
          devnet = d;
          return "started" as const;
        },
        (e: unknown) => e,
      ),
      new Promise<"hung">((r) => {
        timer = setTimeout(() => r("hung"), 30_000);
      }),
    ]);
    clearTimeout(timer);
    await devnet?.close();
    expect(
      outcome,
      "startDevnet neither started nor failed within 30 s (waiting for a block)",
    ).not.to.equal("hung");
    expect(String(outcome)).to.match(/evm_mine/);
    // Nothing was signed into the node's pool before the probe.
    const pending = (await (
      await fetch(anvil.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "eth_getBlockTransactionCountByNumber",
          params: ["pending"],
        }),
      })
    ).json()) as { result: string };
    expect(BigInt(pending.result)).to.equal(0n);
  });
});
