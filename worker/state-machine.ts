// The life of one job, as the provider daemon sees it, written as data (docs/worker.md renders this
// table; a test checks that the doc and the code agree). The daemon only moves a job along an edge
// of this table: `transition` throws on anything else, so a bug that would skip a phase (submitting
// before training, finalizing a disputed job) stops the job loudly instead of sending a transaction.
// Pure: no I/O.

export const JOB_STATES = [
  "discovered",
  "accepting",
  "training",
  "submitting",
  "awaiting-seed",
  "opening",
  "challenge-window",
  "disputed",
  "finalizing",
  "done",
  "skipped",
  "expired",
  "slashed",
] as const;
export type JobState = (typeof JOB_STATES)[number];

export const JOB_EVENTS = [
  "matched",
  "filtered-out",
  "accepted",
  "lost-race",
  "trained",
  "submitted",
  "seed-ready",
  "opened",
  "dispute-opened",
  "disputes-settled",
  "window-closed",
  "finalized",
  "missed-deadline",
  "lost-dispute",
] as const;
export type JobEvent = (typeof JOB_EVENTS)[number];

/** Terminal states: the daemon forgets nothing about them but does nothing more for them. */
export const TERMINAL_STATES: readonly JobState[] = ["done", "skipped", "expired", "slashed"];

export interface StateSpec {
  /** What the daemon does while a job is in this state. */
  does: string;
  on: Partial<Record<JobEvent, JobState>>;
}

export const JOB_STATE_TABLE: Readonly<Record<JobState, StateSpec>> = {
  discovered: {
    does: "reads the job and its spec; checks the filters and its free stake",
    on: { matched: "accepting", "filtered-out": "skipped" },
  },
  accepting: {
    does: "sends `accept` (key accept:<jobId>)",
    on: { accepted: "training", "lost-race": "skipped" },
  },
  training: {
    does: "serves the job's inputs on from its shared store; trains from its last journaled checkpoint; stores, uploads and journals each checkpoint; commits progress",
    on: { trained: "submitting", "missed-deadline": "expired" },
  },
  submitting: {
    does: "sends `submit` (key submit:<jobId>)",
    on: { submitted: "awaiting-seed", "missed-deadline": "expired" },
  },
  "awaiting-seed": {
    does: "waits for block submitBlock + randomnessDelayBlocks (never mines)",
    on: { "seed-ready": "opening", "missed-deadline": "expired" },
  },
  opening: {
    does: "sends `openSamples` for the sampled and top-Q segments (key open:<jobId>)",
    on: { opened: "challenge-window", "missed-deadline": "expired" },
  },
  "challenge-window": {
    does: "watches for disputes until the challenge window ends; publishes the probe digests receipts are owed (key probes:<jobId>)",
    on: {
      "dispute-opened": "disputed",
      "window-closed": "finalizing",
      finalized: "done",
      "lost-dispute": "slashed",
    },
  },
  disputed: {
    does: "answers each dissection turn with its own digests (key points:<disputeId>:<round>); calls timeout on a challenger out of time",
    on: {
      "disputes-settled": "challenge-window",
      "dispute-opened": "disputed",
      "lost-dispute": "slashed",
      finalized: "done",
    },
  },
  finalizing: {
    does: "sends `finalize` (key finalize:<jobId>; another caller may win: re-reads the job)",
    on: { finalized: "done", "dispute-opened": "disputed", "lost-dispute": "slashed" },
  },
  done: { does: "nothing (its credit is claimed with the daemon's other credit)", on: {} },
  skipped: { does: "nothing", on: {} },
  expired: { does: "nothing (the collateral was slashed)", on: {} },
  slashed: { does: "nothing (the collateral was slashed)", on: {} },
};

export class TransitionError extends Error {
  override name = "TransitionError";
  readonly state: string;
  readonly event: string;
  constructor(state: string, event: string) {
    super(`job state ${state} has no transition on ${event}`);
    this.state = state;
    this.event = event;
  }
}

export function isJobState(value: unknown): value is JobState {
  return typeof value === "string" && (JOB_STATES as readonly string[]).includes(value);
}

/** The state after `event`; throws TransitionError when the table has no such edge. */
export function transition(state: JobState, event: JobEvent): JobState {
  const next = JOB_STATE_TABLE[state]?.on[event];
  if (next === undefined) throw new TransitionError(state, event);
  return next;
}

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}

/** The table as markdown rows (from | event | to), for docs/worker.md. */
export function stateTableMarkdown(): string {
  const rows = ["| from | event | to |", "|---|---|---|"];
  for (const state of JOB_STATES)
    for (const [event, to] of Object.entries(JOB_STATE_TABLE[state].on))
      rows.push(`| ${state} | ${event} | ${to} |`);
  return rows.join("\n");
}
