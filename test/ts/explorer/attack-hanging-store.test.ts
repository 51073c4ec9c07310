// ATTACK (explorer, availability): a store that never answers freezes the whole explorer.
//
// The explorer reads every submitted trace's manifest from the store inside the state build
// itself: src/explorer/state.ts readExplorerState, the loop after the fold,
//     job.trace.manifest = await manifests.view(job.id, job.trace, job.checkpoints);
// awaited job by job, with no deadline of its own (src/explorer/manifests.ts view() calls
// `this.#store.get(cid)` with no signal). startExplorer awaits that build before it listens
// (src/explorer/server.ts `let state = await fold();`), and every refresh awaits it before the
// state (and every page) moves on. A manifest the store cannot serve is "unavailable" and is asked
// for again at every fold. So while the store stalls (a store that accepts connections and never
// answers; on IPFS, a CID nobody provides, which the provider chooses), the explorer does not start
// at all, and once started it shows nothing new for anyone: with HttpBlobStore's defaults each
// get stalls 4 attempts × 30 s ≈ 2 minutes, per job with a trace, at every fold. One provider that
// submits traces on a few cheap self-posted jobs multiplies it. Who is misled: every viewer, who
// sees a frozen (stale) status, e.g. a job still "Submitted" long after it was Finalized or
// Slashed, or no page at all.
//
// Expected once fixed: the chain's state is served without waiting for the store (manifests
// fetched in the background, or with a short deadline, and shown as unavailable meanwhile).
import { createServer, type Server, type Socket } from "node:net";

import { expect } from "chai";

import { startDevnet, type Devnet } from "../../../src/devnet/index.ts";
import { startExplorer, type Explorer } from "../../../src/explorer/server.ts";
import { HttpBlobStore } from "../../../src/store/http-client.ts";
import { chainStory, explorerChain } from "./chain-story.ts";

/** Rejects after `ms` with `what`, so the test fails with a message instead of a mocha timeout. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]);
}

describe("attack: a store that never answers", function () {
  this.timeout(240_000);
  let devnet: Devnet;
  let explorer: Explorer | undefined;
  let pending: Promise<Explorer> | undefined;
  let silent: Server;
  const sockets = new Set<Socket>();

  before(async function () {
    devnet = await startDevnet({ speed: 20, tickMs: 100 });
    // A "store" that accepts every connection and never says a word.
    silent = createServer((s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  });

  after(async function () {
    for (const s of sockets) s.destroy();
    explorer ??= await pending?.catch(() => undefined);
    await explorer?.close();
    silent?.close();
    await devnet?.close();
  });

  it("serves the chain's jobs and follows them while the store stalls", async function () {
    const story = await chainStory(devnet);
    await story.stakeParties();
    const jobId = await story.post("stalled");
    await story.accept(jobId);
    await story.submit(jobId); // manifest published to the devnet's store, not the stalling one
    const chain = await explorerChain(devnet);
    const { port } = silent.address() as { port: number };
    pending = startExplorer({
      chain,
      store: new HttpBlobStore({ url: `http://127.0.0.1:${port}` }),
      port: 0,
      pollMs: 100,
    });
    explorer = await within(
      15_000,
      "the explorer starting (its first state waits on the store)",
      pending,
    );
    const first = explorer.current().jobs.find((j) => j.id === jobId);
    expect(first?.status).to.equal("Submitted");

    // A new job on chain must appear on the page while the store still stalls.
    const second = await story.post("next");
    const ex = explorer;
    await within(
      15_000,
      `job ${second} appearing (each refresh waits on the store again)`,
      (async () => {
        while (!ex.current().jobs.some((j) => j.id === second))
          await new Promise((r) => setTimeout(r, 200));
      })(),
    );
  });
});
