// The provider's node serves on the inputs of a job it accepted. On IPFS a node serves peers only
// what it pinned (src/store/ipfs-serving.ts), so a job's inputs (spec, program, initial state,
// dataset shards) were served by the submitter's node alone: once it stopped, a verifier holding no
// copy could not read the job, and the provider's work could not be audited, although the provider
// held verified copies of every input. trainJob (the provider's training step, right after accept)
// now pins them (`serveOn`). Blobs it fetched that are not the inputs of a job it trains — another
// provider's checkpoints — are still never served on (attack-peer-cache-rescue.test.ts).
//
// Nodes in process, over loopback TCP; no chain: training with progressEvery 0 sends nothing.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { CID } from "multiformats/cid";

import type { ChainContext } from "../../../src/node/chain.ts";
import { fetchJobSpec } from "../../../src/node/job-reader.ts";
import { Journal } from "../../../src/node/journal.ts";
import { createLogger } from "../../../src/node/log.ts";
import { createMetrics } from "../../../src/node/metrics.ts";
import { WaitNotes } from "../../../src/node/wait-notes.ts";
import { cidOf } from "../../../src/protocol/cid.ts";
import type { BlobStore } from "../../../src/store/blob-store.ts";
import { BlobNotFoundError, StoreError } from "../../../src/store/errors.ts";
import type { IpfsNode } from "../../../src/store/ipfs-node.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import { WorkerSectionSchema, type WorkerConfig } from "../../../worker/config.ts";
import type { TxPort, WorkerContext } from "../../../worker/context.ts";
import { JobSpecs } from "../../../worker/job-specs.ts";
import { checkpointRecords } from "../../../worker/journal-records.ts";
import { trainJob } from "../../../worker/training.ts";
import { honestJob, Nodes, startPeerOf, type HonestJob } from "../ipfs-review/helpers.ts";

/** The job id honestJob's checkpoints were trained under (smallJob loads it as job 7). */
const JOB = 7n;

const noTransactions: TxPort = {
  send: () => Promise.reject(new Error("this test sends no transaction")),
  sent: () => false,
  receiptOf: () => Promise.resolve(undefined),
};

describe("the provider serves on the inputs of the jobs it trains", function () {
  this.timeout(60_000);
  const nodes = new Nodes();
  const dirs: string[] = [];
  let job: HonestJob;
  /** The job's inputs: the spec and every blob it names (program, initial state, shards). */
  let inputs: Map<string, Uint8Array>;

  before(async () => {
    job = await honestJob();
    inputs = new Map([...job.small.blobs, [job.specCid, job.specBytes]]);
  });
  afterEach(async () => {
    await nodes.stopAll();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  /** A submitter's node that published the job's inputs, and nothing else. */
  async function submitterNode(): Promise<IpfsNode> {
    const node = await nodes.start();
    const store = ipfsBlobStoreOn(node, 0);
    for (const bytes of inputs.values()) await store.put(bytes);
    return node;
  }

  /** What the provider daemon gives its training step, over `shared` (its IPFS store). */
  async function providerContext(shared: BlobStore): Promise<WorkerContext> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "assay-serves-inputs-"));
    dirs.push(dir);
    const config = { worker: WorkerSectionSchema.parse({}) } as unknown as WorkerConfig;
    const log = createLogger({ name: "worker", level: "silent" });
    return {
      config,
      chain: {} as ChainContext,
      journal: await Journal.open(path.join(dir, "worker-journal.json")),
      tx: noTransactions,
      local: new MemoryBlobStore(),
      shared,
      log,
      metrics: createMetrics("worker"),
      waits: new WaitNotes(log),
      signal: new AbortController().signal,
      specs: new JobSpecs(shared, config.worker.cheat),
    };
  }

  it("a verifier whose only peer is the provider reads every input of the job once the submitter's node is down", async () => {
    const submitter = await submitterNode();
    const provider = await startPeerOf(nodes, [submitter], { listen: ["/ip4/127.0.0.1/tcp/0"] });
    const shared = ipfsBlobStoreOn(provider);
    const ctx = await providerContext(shared);
    // The provider's own steps: the filter reads the spec (before accept), then training.
    await ctx.specs.get(JOB, job.onchain);
    await trainJob(ctx, JOB, job.onchain);
    await submitter.stop();

    const verifier = await startPeerOf(nodes, [provider], { fetchTimeoutMs: 2_000 });
    const reading = ipfsBlobStoreOn(verifier);
    const fetched = await fetchJobSpec(reading, JOB, job.onchain);
    expect(fetched.specCid).to.equal(job.specCid);
    for (const [cid, bytes] of inputs) {
      expect(await shared.has(cid), `the provider publishes ${cid}`).to.equal(true);
      expect(Buffer.from(await reading.get(cid)).equals(Buffer.from(bytes))).to.equal(true);
    }
  });

  it("does not fetch again an input its repo dropped since it read the spec: reported at once, as not served", async () => {
    const submitter = await submitterNode();
    const provider = await startPeerOf(nodes, [submitter], { listen: ["/ip4/127.0.0.1/tcp/0"] });
    const shared = ipfsBlobStoreOn(provider);
    const specs = new JobSpecs(shared, { kind: "none" });
    const spec = await specs.get(JOB, job.onchain);
    await provider.helia.gc();
    const begun = performance.now();
    const unserved = await specs.serveInputs(spec);
    expect(performance.now() - begun).to.be.below(2_000);
    expect(new Set(unserved.map((input) => input.cid))).to.deep.equal(new Set(inputs.keys()));
    for (const { error } of unserved) expect(error).to.be.instanceOf(BlobNotFoundError);
  });

  it("trains all the same when its store cannot serve an input on, and says so", async () => {
    const shared = new MemoryBlobStore();
    for (const bytes of inputs.values()) await shared.put(bytes);
    const refused = job.small.spec.dataset.shards[0]!;
    const asked: string[] = [];
    shared.serveOn = async (cid: string): Promise<void> => {
      asked.push(cid);
      if (cid === refused) throw new StoreError("the repo is read-only");
    };
    const ctx = await providerContext(shared);
    const logFile = path.join(dirs.at(-1)!, "worker.log");
    const withLog = { ...ctx, log: createLogger({ name: "worker", destination: logFile }) };
    await trainJob(withLog, JOB, job.onchain);
    expect(checkpointRecords(ctx.journal, JOB).map((record) => record.cid)).to.deep.equal(
      job.records.map((record) => record.cid),
    );
    expect(new Set(asked)).to.deep.equal(new Set(inputs.keys()));
    const warning = (await readFile(logFile, "utf8"))
      .split("\n")
      .filter((line) => line.includes("not served on"));
    expect(warning).to.have.length(1);
    expect(warning[0]).to.include(refused).and.to.include("the repo is read-only");
  });

  it("does not serve on a checkpoint it fetched from another provider (guard)", async () => {
    const submitter = await submitterNode();
    // Another provider trained job 7 on the same inputs and publishes its checkpoints.
    const other = await nodes.start();
    const otherStore = ipfsBlobStoreOn(other, 0);
    for (const record of job.records)
      await otherStore.put(job.blobs.get(record.cid) ?? new Uint8Array());
    const foreign = job.records[2]!.cid;
    expect(cidOf(job.blobs.get(foreign)!)).to.equal(foreign);

    // Our provider takes job 8, a job over the same inputs, and has read the other's checkpoint.
    const provider = await startPeerOf(nodes, [submitter, other], {
      listen: ["/ip4/127.0.0.1/tcp/0"],
    });
    const shared = ipfsBlobStoreOn(provider);
    await shared.get(foreign);
    const ctx = await providerContext(shared);
    await trainJob(ctx, 8n, job.onchain);
    const own = checkpointRecords(ctx.journal, 8n).map((record) => record.cid);
    expect(own, "job 8's checkpoints are its own, not job 7's").to.not.include(foreign);

    const verifier = await startPeerOf(nodes, [provider], { fetchTimeoutMs: 1_500 });
    const reading = ipfsBlobStoreOn(verifier);
    for (const cid of inputs.keys()) expect(cidOf(await reading.get(cid))).to.equal(cid);
    expect(cidOf(await reading.get(own[2]!)), "its own checkpoints").to.equal(own[2]);
    expect(await shared.has(foreign)).to.equal(false);
    expect(await provider.helia.blockstore.has(CID.parse(foreign)), "held, as a cache").to.equal(
      true,
    );
    const error = await reading.get(foreign).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error, "the other provider's checkpoint is not served on").to.be.instanceOf(
      BlobNotFoundError,
    );
  });
});
