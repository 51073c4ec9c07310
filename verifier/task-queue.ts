// The coordinator's side of the re-execution queue. The journal says which outcomes a duty still
// needs; `ensure` makes sure the task that computes one is in Redis (added under its deterministic
// id unless it is there: a restart, a Redis restart or a FLUSH loses nothing) and, once a worker
// has finished it, hands its outcome (parsed: Redis is a boundary) or its failure to the duty that
// asked, which journals it. Outcomes are read from BullMQ's completed tasks on every poll, so an
// outcome that arrives while the coordinator is down is read when it is back.
import type { Queue } from "bullmq";

import type { Logger } from "../src/node/log.ts";
import type { NodeMetrics } from "../src/node/metrics.ts";
import {
  OUTCOME_SCHEMAS,
  QUEUES,
  ReexecTaskSchema,
  taskId,
  type NormsOutcome,
  type ReexecTask,
  type ReexecTaskInput,
  type RefereeOutcome,
  type SegmentOutcome,
} from "./tasks.ts";

/** The outcome type of each task kind. */
export interface Outcomes {
  segment: SegmentOutcome;
  norms: NormsOutcome;
  referee: RefereeOutcome;
}

type TaskOf<K extends ReexecTask["kind"]> = Extract<ReexecTask, { kind: K }>;

/** What the duties do with an outcome or a failure: journal it (idempotently). */
export type OutcomeSinks = {
  [K in ReexecTask["kind"]]: {
    outcome(task: TaskOf<K>, outcome: Outcomes[K]): Promise<void>;
    failure(task: TaskOf<K>, error: string): Promise<void>;
  };
};

export class TaskQueue {
  readonly queue: Queue;
  readonly #sinks: OutcomeSinks;
  readonly #metrics: NodeMetrics;
  readonly #log: Logger;
  readonly #epoch: string;

  /**
   * `epoch` names the journal the outcomes are for (made when the journal is first bound): a task
   * left in Redis by another journal — a chain reset, a redeploy, a journal moved aside — has
   * another epoch, and its outcome is never taken for this one's.
   */
  constructor(queue: Queue, sinks: OutcomeSinks, metrics: NodeMetrics, log: Logger, epoch: string) {
    this.queue = queue;
    this.#sinks = sinks;
    this.#metrics = metrics;
    this.#log = log;
    this.#epoch = epoch;
  }

  /**
   * Makes sure `task` is in Redis, and passes on its outcome once a worker finished it: the
   * returned value when it completed, the reason when it failed for good. A finished task under
   * the same id that is not this task (another epoch, other parameters) is replaced, not read.
   */
  async ensure(input: ReexecTaskInput): Promise<void> {
    const task = ReexecTaskSchema.parse({ ...input, epoch: this.#epoch });
    const id = taskId(task);
    // One Redis call for a task still queued or running (what most polls find). One queued for
    // something else is found out when it has finished, below.
    const state = await this.queue.getJobState(id);
    if (state !== "completed" && state !== "failed" && state !== "unknown") return;
    const existing = state === "unknown" ? undefined : await this.queue.getJob(id);
    if (existing === undefined || existing === null) return this.#add(task, id);
    if (!sameTask(existing.data, task)) {
      this.#log.warn(
        { task: id },
        "the finished task under this id was for another journal or other parameters: run again",
      );
      await this.queue.remove(id);
      return this.#add(task, id);
    }
    if (state === "completed") {
      const parsed = OUTCOME_SCHEMAS[task.kind].safeParse(existing.returnvalue);
      if (parsed.success) return this.#outcome(task, parsed.data);
      this.#log.error(
        { task: id, err: parsed.error.message },
        "a worker returned a malformed outcome",
      );
      return this.#failure(task, `malformed outcome: ${parsed.error.message}`);
    }
    return this.#failure(task, existing.failedReason || "failed");
  }

  async #add(task: ReexecTask, id: string): Promise<void> {
    await this.queue.add(task.kind, task, { jobId: id });
    this.#metrics.tasks.inc({ queue: QUEUES.reexec, status: "enqueued" });
  }

  #outcome(task: ReexecTask, outcome: unknown): Promise<void> {
    switch (task.kind) {
      case "segment":
        return this.#sinks.segment.outcome(task, outcome as SegmentOutcome);
      case "norms":
        return this.#sinks.norms.outcome(task, outcome as NormsOutcome);
      case "referee":
        return this.#sinks.referee.outcome(task, outcome as RefereeOutcome);
    }
  }

  #failure(task: ReexecTask, error: string): Promise<void> {
    switch (task.kind) {
      case "segment":
        return this.#sinks.segment.failure(task, error);
      case "norms":
        return this.#sinks.norms.failure(task, error);
      case "referee":
        return this.#sinks.referee.failure(task, error);
    }
  }
}

/** Whether the data stored under a task's id is that task (same kind, parameters and epoch). */
function sameTask(stored: unknown, task: ReexecTask): boolean {
  const parsed = ReexecTaskSchema.safeParse(stored);
  return parsed.success && JSON.stringify(parsed.data) === JSON.stringify(task);
}
