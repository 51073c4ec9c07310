import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";

import { expect } from "chai";

import { daemonConfig, spawnDaemon, type DaemonProcess } from "../../../src/devnet/index.ts";
import { openSharedStore, type SharedStore } from "../../../src/node/shared-store.ts";
import type { VerifierDaemon } from "../../../verifier/daemon.ts";
import type { VerifierEvent } from "../../../verifier/events.ts";
import { ipfsNodeConfig, mintIpfsPeer } from "../e2e/helpers.ts";
import {
  postAndProvide,
  publishTinySpec,
  stakeProvider,
  startFixture,
  startVerifier,
  until,
  type Fixture,
} from "./fixture.ts";

// Scale-out on IPFS (docs/verifier.md, "Scale-out"): a coordinator and a `--role worker` process
// on one machine, started from one config whose `ipfs` section gives the coordinator's node a
// fixed listen port and a repoDir. The worker's node only reads, so it ignores both (a temporary
// repo, no listen address) and dials the configured peers: it starts beside the coordinator, says
// what it ignored, and re-executes the audit's segments, judging from what the provider's node
// serves now (the served-now probe, from the worker's node).
const COORDINATOR = 6;

describe("verifier scale-out on IPFS: a worker started with its coordinator's config", function () {
  this.timeout(300_000);
  let f: Fixture;
  let source: SharedStore | undefined;
  let worker: DaemonProcess | undefined;

  before(async function () {
    f = await startFixture();
  });

  after(async function () {
    await worker?.kill("SIGKILL").catch(() => undefined);
    await f?.close();
    await source?.close();
  });

  it("starts beside the coordinator's node (same port and repoDir in the config) and serves the coordinator's tasks", async function () {
    // The submitter's and provider's blobs live on one node the verifier dials.
    const sourcePeer = await mintIpfsPeer(f, "source");
    source = await openSharedStore(ipfsNodeConfig(sourcePeer, [], f.devnet.storeUrl));
    const onSource = { ...f, store: source.store } as unknown as Fixture;
    const provider = f.actor(2, "provider");
    await stakeProvider(f, provider);

    // One config for both processes: a fixed listen port and a repoDir.
    const node = ipfsNodeConfig(await mintIpfsPeer(f, "verifier"), [sourcePeer], f.devnet.storeUrl);
    const events: VerifierEvent[] = [];
    const coordinator: VerifierDaemon = await startVerifier(
      f,
      COORDINATOR,
      { audit: "all", role: "coordinator", referee: false },
      (e) => events.push(e),
      undefined,
      node,
    );
    const config = {
      ...daemonConfig(f.devnet, { account: COORDINATOR, name: "ipfs-worker", logLevel: "info" }),
      ...node,
      redisPrefix: coordinator.config.redisPrefix,
      verifier: { role: "worker" },
    };
    worker = await spawnDaemon("verifier", "ipfs-worker", config, f.devnet);
    const log = async (): Promise<string> => readFile(worker!.logFile, "utf8").catch(() => "");
    let exited = false;
    void worker.exited.then(() => (exited = true));
    await until("the worker started", async () => {
      if (exited) expect.fail(`the worker exited at start:\n${await log()}`);
      return (await log()).includes("re-execution worker started");
    });
    const ignored = (await log())
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { ignored?: unknown; repoDir?: string })
      .find((line) => line.ignored !== undefined);
    expect(ignored?.ignored).to.deep.equal({
      repoDir: node.ipfs.repoDir,
      listen: node.ipfs.listen,
    });
    const ownRepo = ignored!.repoDir!;
    expect(existsSync(ownRepo)).to.equal(true);

    const spec = await publishTinySpec(onSource);
    const played = await postAndProvide(onSource, spec, provider);
    await until(
      "the audit decided",
      async () => events.some((e) => e.type === "decided" && e.jobId === played.jobId),
      120_000,
    );
    expect(events.find((e) => e.type === "decided" && e.jobId === played.jobId)).to.deep.include({
      state: "passed",
    });
    const checked = events.filter((e) => e.type === "segment-checked" && e.jobId === played.jobId);
    expect(checked).to.have.length(6);
    expect(checked.every((e) => (e as { ok: boolean }).ok)).to.equal(true);
    // Only the worker re-executes (the coordinator runs none): every segment was its.
    const completed = (await log()).split("\n").filter((l) => l.includes('"task completed"'));
    expect(completed.length).to.be.at.least(6);
    // Stopped, it removes its temporary repo.
    await worker.kill("SIGTERM");
    expect(existsSync(ownRepo)).to.equal(false);
  });
});
