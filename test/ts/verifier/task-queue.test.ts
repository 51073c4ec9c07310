// The coordinator's side of the re-execution queue (verifier/task-queue.ts) against what a Redis
// shared with earlier runs, or BullMQ's JSON, can hand it. Each case was an attack-review finding:
// - a lazy tolerance provider whose re-execution gives ratio = Infinity: JSON turns it into null,
//   the outcome was refused as malformed, journaled as an error, and the job passed unchallenged;
// - a finished task under the same id but for another journal (a chain reset or redeploy restarts
//   job ids at 1), other parameters (no interior digests for receipts) or another verifier's norm
//   sample was journaled as this one's.
import { expect } from "chai";
import type { Queue } from "bullmq";

import type { CheckpointRecord } from "../../../src/checkpoint/trace.ts";
import { train } from "../../../src/training/trainer.ts";
import type { Logger } from "../../../src/node/log.ts";
import type { NodeMetrics } from "../../../src/node/metrics.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import { checkSegment, verifiableJob } from "../../../verifier/segment-check.ts";
import { TaskQueue, type OutcomeSinks } from "../../../verifier/task-queue.ts";
import {
  ReexecTaskSchema,
  SegmentOutcomeSchema,
  segmentOutcomeJson,
  taskId,
  type ReexecTaskInput,
  type SegmentOutcome,
} from "../../../verifier/tasks.ts";
import { checkNorms } from "../../../verifier/trace-checks.ts";
import { smallJob } from "../engine/helpers/fixtures.ts";

const EPOCH = "0123456789abcdef";

/** Just enough of a BullMQ Queue: tasks by id, and BullMQ's JSON round trip of data and returnvalue. */
function fakeQueue() {
  const tasks = new Map<string, { state: string; data: unknown; returnvalue?: unknown }>();
  const queue = {
    async getJobState(id: string) {
      return tasks.get(id)?.state ?? "unknown";
    },
    async getJob(id: string) {
      const t = tasks.get(id);
      return t === undefined ? undefined : { id, data: t.data, returnvalue: t.returnvalue };
    },
    async add(_name: string, data: unknown, opts: { jobId: string }) {
      if (!tasks.has(opts.jobId))
        tasks.set(opts.jobId, { state: "waiting", data: JSON.parse(JSON.stringify(data)) });
      return { id: opts.jobId };
    },
    async remove(id: string) {
      return tasks.delete(id) ? 1 : 0;
    },
  };
  /** What a worker finishing `id` leaves in Redis (the returned value through JSON). */
  const complete = (id: string, outcome: unknown): void => {
    const t = tasks.get(id)!;
    tasks.set(id, { ...t, state: "completed", returnvalue: JSON.parse(JSON.stringify(outcome)) });
  };
  /** A task some earlier coordinator enqueued and a worker completed. */
  const completed = (task: ReexecTaskInput, outcome: unknown): void => {
    const data = ReexecTaskSchema.parse(task);
    tasks.set(taskId(data), {
      state: "completed",
      data: JSON.parse(JSON.stringify(data)),
      returnvalue: JSON.parse(JSON.stringify(outcome)),
    });
  };
  return { queue: queue as unknown as Queue, tasks, complete, completed };
}

const quietLog = { error() {}, warn() {}, info() {}, debug() {} } as unknown as Logger;
const noMetrics = { tasks: { inc() {} } } as unknown as NodeMetrics;
const D = (b: string): string => `0x${b.repeat(32)}`;

function recordingSinks() {
  const outcomes: unknown[] = [];
  const failures: string[] = [];
  const sink = {
    outcome: async (_t: unknown, o: unknown) => void outcomes.push(o),
    failure: async (_t: unknown, e: string) => void failures.push(e),
  };
  return {
    outcomes,
    failures,
    sinks: { segment: sink, norms: sink, referee: sink } as unknown as OutcomeSinks,
  };
}

/** The data of the tasks in the fake Redis that are not finished. */
function queued(tasks: Map<string, { state: string; data: unknown }>): unknown[] {
  return [...tasks.values()].filter((t) => t.state !== "completed").map((t) => t.data);
}

const OK = {
  segment: 3,
  ok: true,
  failing: 3,
  claimedDigest: D("aa"),
  recomputedDigest: D("aa"),
  startedFrom: 2,
  steps: 10,
};

describe("the coordinator's task queue", function () {
  this.timeout(60_000);

  it("a lazy tolerance provider (segment 3 = checkpoint 2 again) is journaled as a state fault, not as an error", async function () {
    const small = await smallJob("tolerance", { totalSteps: 40, checkpointInterval: 10 });
    const store = new MemoryBlobStore();
    const honest = (await train(small.job, { store, start: small.initialState })).records;
    // The provider skips segment 3: it commits checkpoint 2's state again, with the true norm (0).
    const cheat: CheckpointRecord[] = honest.map((r) => ({ ...r }));
    cheat[3] = {
      ...honest[3]!,
      cid: honest[2]!.cid,
      stateDigest: honest[2]!.stateDigest,
      updateNorm: 0n,
    };
    const [norm] = await checkNorms(verifiableJob(small, cheat), store, [3]);
    expect(norm!.ok, "the norm check finds nothing").to.equal(true);
    const result = await checkSegment(verifiableJob(small, cheat), store, 3);
    expect(result).to.include({ ok: false, fault: "state" });
    expect(result.ratio).to.equal(Infinity);

    const { outcomes, failures, sinks } = recordingSinks();
    const { queue, complete } = fakeQueue();
    const tasks = new TaskQueue(queue, sinks, noMetrics, quietLog, EPOCH);
    const task: ReexecTaskInput = {
      kind: "segment",
      jobId: small.job.jobId.toString(),
      segment: 3,
    };
    await tasks.ensure(task); // enqueued
    complete(taskId(task), segmentOutcomeJson(result)); // what the worker returns
    await tasks.ensure(task); // the coordinator's next poll reads it
    expect(failures).to.deep.equal([]);
    expect(outcomes).to.have.length(1);
    expect(outcomes[0]).to.include({ ok: false, fault: "state", segment: 3, ratio: Infinity });
  });

  it("every ratio a segment result can hold survives JSON: finite, Infinity, NaN and none", function () {
    for (const ratio of [0.5, 0, Infinity, NaN, undefined]) {
      const result: SegmentOutcome = {
        ...(OK as SegmentOutcome),
        ok: false,
        fault: "state",
        ...(ratio === undefined ? {} : { ratio }),
      };
      const stored = JSON.parse(JSON.stringify(segmentOutcomeJson(result))) as unknown;
      const again = SegmentOutcomeSchema.parse(stored);
      if (ratio === undefined) expect(again.ratio).to.equal(undefined);
      else if (Number.isNaN(ratio)) expect(Number.isNaN(again.ratio)).to.equal(true);
      else expect(again.ratio).to.equal(ratio);
    }
  });

  it("a task finished for another journal (a chain reset, a redeploy) is run again, not read", async function () {
    const { queue, tasks, completed } = fakeQueue();
    const { outcomes, failures, sinks } = recordingSinks();
    completed({ kind: "segment", jobId: "1", segment: 3, epoch: "feedfeedfeedfeed" }, OK);
    const want: ReexecTaskInput = { kind: "segment", jobId: "1", segment: 3 };
    await new TaskQueue(queue, sinks, noMetrics, quietLog, EPOCH).ensure(want);
    expect(outcomes, "the old chain's verdict, journaled for the new job 1").to.deep.equal([]);
    expect(failures).to.deep.equal([]);
    expect(queued(tasks)).to.deep.include(ReexecTaskSchema.parse({ ...want, epoch: EPOCH }));
  });

  it("a segment task finished without interior digests is not journaled for one that asks for them (receipts would be skipped)", async function () {
    const { queue, tasks, completed } = fakeQueue();
    const { outcomes, failures, sinks } = recordingSinks();
    completed({ kind: "segment", jobId: "1", segment: 3, interior: false, epoch: EPOCH }, OK);
    const want: ReexecTaskInput = { kind: "segment", jobId: "1", segment: 3, interior: true };
    await new TaskQueue(queue, sinks, noMetrics, quietLog, EPOCH).ensure(want);
    expect(outcomes).to.deep.equal([]);
    expect(failures).to.deep.equal([]);
    expect(queued(tasks)).to.deep.include(ReexecTaskSchema.parse({ ...want, epoch: EPOCH }));
  });

  it("a norms task drawn for another verifier or fraction is not journaled as this verifier's norm check", async function () {
    const { queue, tasks, completed } = fakeQueue();
    const { outcomes, sinks } = recordingSinks();
    const other = `0x${"22".repeat(20)}`;
    const me = `0x${"66".repeat(20)}`;
    completed(
      { kind: "norms", jobId: "1", fraction: 0.25, verifier: other, epoch: EPOCH },
      { failed: [], checked: 2 },
    );
    const want: ReexecTaskInput = { kind: "norms", jobId: "1", fraction: 0.25, verifier: me };
    await new TaskQueue(queue, sinks, noMetrics, quietLog, EPOCH).ensure(want);
    expect(outcomes).to.deep.equal([]);
    expect(queued(tasks)).to.deep.include(ReexecTaskSchema.parse({ ...want, epoch: EPOCH }));
  });

  it("the same task finished under this journal is read once finished, and its outcome handed over", async function () {
    const { queue, completed } = fakeQueue();
    const { outcomes, failures, sinks } = recordingSinks();
    const want: ReexecTaskInput = { kind: "segment", jobId: "1", segment: 3, interior: true };
    completed({ ...want, epoch: EPOCH }, OK);
    await new TaskQueue(queue, sinks, noMetrics, quietLog, EPOCH).ensure(want);
    expect(failures).to.deep.equal([]);
    expect(outcomes).to.deep.equal([OK]);
  });
});
