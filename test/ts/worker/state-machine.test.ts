import { readFile } from "node:fs/promises";

import { expect } from "chai";

import {
  JOB_EVENTS,
  JOB_STATE_TABLE,
  JOB_STATES,
  TransitionError,
  isTerminal,
  stateTableMarkdown,
  transition,
} from "../../../worker/state-machine.ts";

// The provider's per-job life is a table; `transition` follows it and refuses anything else.
describe("provider job state machine", function () {
  it("follows the happy path from discovery to done", function () {
    const path = [
      "matched",
      "accepted",
      "trained",
      "submitted",
      "seed-ready",
      "opened",
      "window-closed",
      "finalized",
    ] as const;
    let state = transition("discovered", path[0]);
    for (const event of path.slice(1)) state = transition(state, event);
    expect(state).to.equal("done");
    expect(isTerminal(state)).to.equal(true);
  });

  it("goes through a dispute and back, or to slashed", function () {
    expect(transition("challenge-window", "dispute-opened")).to.equal("disputed");
    expect(transition("disputed", "disputes-settled")).to.equal("challenge-window");
    expect(transition("disputed", "lost-dispute")).to.equal("slashed");
    expect(transition("finalizing", "dispute-opened")).to.equal("disputed");
  });

  it("refuses transitions that are not in the table", function () {
    const refused: [string, string][] = [
      ["discovered", "trained"],
      ["training", "opened"],
      ["submitting", "finalized"],
      ["challenge-window", "submitted"],
      ["done", "matched"],
      ["skipped", "accepted"],
      ["slashed", "disputes-settled"],
    ];
    for (const [from, event] of refused)
      expect(() => transition(from as never, event as never), `${from} on ${event}`).to.throw(
        TransitionError,
        `job state ${from} has no transition on ${event}`,
      );
  });

  it("has terminal states with no way out, and every edge names a known state and event", function () {
    for (const state of JOB_STATES) {
      const edges = Object.entries(JOB_STATE_TABLE[state].on);
      if (isTerminal(state)) expect(edges, state).to.be.empty;
      else expect(edges, state).to.not.be.empty;
      for (const [event, to] of edges) {
        expect(JOB_EVENTS as readonly string[]).to.include(event);
        expect(JOB_STATES as readonly string[]).to.include(to);
      }
    }
    // Every non-terminal state is reachable from discovered.
    const seen = new Set<string>(["discovered"]);
    for (let grew = true; grew;) {
      grew = false;
      for (const s of seen)
        for (const to of Object.values(JOB_STATE_TABLE[s as (typeof JOB_STATES)[number]].on))
          if (!seen.has(to)) {
            seen.add(to);
            grew = true;
          }
    }
    expect([...seen].sort()).to.deep.equal([...JOB_STATES].sort());
  });

  it("docs/worker.md shows exactly the table in the code", async function () {
    const doc = await readFile(new URL("../../../docs/worker.md", import.meta.url), "utf8");
    expect(doc).to.include(stateTableMarkdown());
  });
});
