import { readFile } from "node:fs/promises";
import { hostname } from "node:os";

import { expect } from "chai";
import { keccak256, toHex } from "viem";

import { syntheticSamples } from "../../../src/data/synthetic.ts";
import { publishSpec, type PublishedSpec } from "../../../src/demo/submitter.ts";
import { daemonConfig, spawnDaemon, type DaemonProcess } from "../../../src/devnet/index.ts";
import type { VerifierDaemon } from "../../../verifier/daemon.ts";
import type { VerifierEvent } from "../../../verifier/events.ts";
import { taskId } from "../../../verifier/tasks.ts";
import {
  postAndProvide,
  stakeProvider,
  startFixture,
  startVerifier,
  until,
  type Fixture,
} from "./fixture.ts";

// Scale-out (docs/verifier.md): one coordinator per verifier account, its re-execution done by
// worker processes (`node verifier/main.ts --role worker`) consuming its BullMQ queue. A worker is
// frozen while it holds a task and killed with SIGKILL; two fresh workers take over. The task the
// killed worker held runs again elsewhere once its lock expires, every outcome is journaled once
// by the coordinator, and no task is run to completion twice.
const COORDINATOR = 6;
const LOCK_MS = 2_000;
const SEGMENTS = 6;

describe("verifier scale-out: a coordinator and re-execution workers in other processes", function () {
  this.timeout(300_000);
  let f: Fixture;
  let coordinator: VerifierDaemon;
  const events: VerifierEvent[] = [];
  const workers: DaemonProcess[] = [];

  before(async function () {
    f = await startFixture();
    await stakeProvider(f, f.actor(2, "provider"));
    coordinator = await startVerifier(
      f,
      COORDINATOR,
      { audit: "all", role: "coordinator", lockMs: LOCK_MS, referee: false },
      (e) => events.push(e),
    );
  });

  after(async function () {
    for (const w of workers) await w.kill("SIGKILL").catch(() => undefined);
    await f?.close();
  });

  /** Segments long enough (about a second of re-execution each) to catch a worker inside one. */
  async function publishSlowSpec(): Promise<PublishedSpec> {
    return publishSpec(f.store, {
      numerics: "exact",
      layers: [64, 256, 256, 10],
      batchSize: 32,
      optimizer: { kind: "sgd", learningRate: 0.05, momentum: 0.9 },
      samples: syntheticSamples({
        seed: "assay scale-out",
        count: 1024,
        featureCount: 64,
        classCount: 10,
      }),
      shardSize: 256,
      initSeed: "assay scale-out",
      rest: {
        version: 2,
        seed: keccak256(toHex("assay scale-out: data order")),
        totalSteps: SEGMENTS * 60,
        checkpointInterval: 60,
        verification: { samples: 2, topQ: 1, committeeSize: 3 },
        windows: { accept: 3600, train: 3600, open: 3600, challenge: 3600 },
      },
    });
  }

  async function spawnWorker(name: string): Promise<DaemonProcess> {
    const config = {
      ...daemonConfig(f.devnet, {
        account: COORDINATOR,
        name,
        logLevel: "info",
        pollIntervalMs: 150,
      }),
      redisPrefix: coordinator.config.redisPrefix,
      verifier: { role: "worker", lockMs: LOCK_MS },
    };
    const worker = await spawnDaemon("verifier", name, config, f.devnet);
    workers.push(worker);
    await until(`${name} started`, async () =>
      (await readFile(worker.logFile, "utf8").catch(() => "")).includes(
        "re-execution worker started",
      ),
    );
    return worker;
  }

  const nameOf = (w: DaemonProcess): string => `${hostname()}:${w.pid}`;

  /** The tasks a worker's log says it completed. */
  async function completedBy(w: DaemonProcess): Promise<string[]> {
    const lines = (await readFile(w.logFile, "utf8")).split("\n").filter((l) => l.startsWith("{"));
    return lines
      .map((l) => JSON.parse(l) as { msg?: string; task?: string })
      .filter((l) => l.msg === "task completed")
      .map((l) => l.task!);
  }

  it("a worker killed mid-task loses nothing: its task runs again on another worker, every outcome is journaled once, nothing completes twice", async function () {
    const a = await spawnWorker("worker-a");
    const spec = await publishSlowSpec();
    const played = await postAndProvide(f, spec, f.actor(2, "provider"));
    const queue = coordinator.reexecQueue;

    // Freeze worker A while it holds a task (SIGSTOP), check it still does, then kill it.
    let killed: string | undefined;
    await until(
      "worker A caught inside a task",
      async () => {
        const active = await queue.getActive();
        const held = active.find((job) => job.processedBy === nameOf(a));
        if (held === undefined) return false;
        process.kill(a.pid, "SIGSTOP");
        if ((await queue.getJob(held.id!))?.finishedOn === undefined) {
          killed = held.id!;
          return true;
        }
        process.kill(a.pid, "SIGCONT");
        return false;
      },
      60_000,
    );
    await a.kill("SIGKILL");
    const beforeTakeover = await completedBy(a);

    const [b, c] = await Promise.all([spawnWorker("worker-b"), spawnWorker("worker-c")]);
    await until(
      "the audit decided",
      async () => events.some((e) => e.type === "decided" && e.jobId === played.jobId),
      120_000,
    );
    const decided = events.find((e) => e.type === "decided" && e.jobId === played.jobId);
    expect(decided).to.deep.include({ state: "passed" });

    // The killed worker's task was taken over once its lock expired, and finished elsewhere.
    const task = (await queue.getJob(killed!))!;
    expect(await task.isCompleted()).to.equal(true);
    expect(task.processedBy).to.be.oneOf([nameOf(b), nameOf(c)]);
    expect(beforeTakeover).to.not.include(killed);

    // Every segment's outcome journaled exactly once, by the coordinator.
    const checked = events.filter((e) => e.type === "segment-checked" && e.jobId === played.jobId);
    expect(checked.map((e) => (e as { segment: number }).segment).sort()).to.deep.equal(
      Array.from({ length: SEGMENTS }, (_, i) => i + 1),
    );
    expect(checked.every((e) => (e as { ok: boolean }).ok)).to.equal(true);

    // Nothing ran to completion twice: the workers' completions are exactly the job's tasks.
    const ids = [
      ...Array.from({ length: SEGMENTS }, (_, i) =>
        taskId({ kind: "segment", jobId: played.jobId.toString(), segment: i + 1 }),
      ),
      taskId({
        kind: "norms",
        jobId: played.jobId.toString(),
        fraction: 1,
        verifier: coordinator.address,
      }),
    ].sort();
    const completions = [...beforeTakeover, ...(await completedBy(b)), ...(await completedBy(c))];
    expect(completions.sort()).to.deep.equal(ids);
  });
});
