// StepSession.steps: a run of steps that reuses two state buffers instead of allocating a state per
// step (the verifier's re-execution loop). It must be the same computation as calling step() once a
// step — same states, same loss, in both numerics — and must never hand out or overwrite memory the
// caller owns: not the start state it was given, and not a state it returned earlier.
import { expect } from "chai";

import { stateDigest } from "../../../src/checkpoint/state-codec.ts";
import { openStepSession, type StepSession } from "../../../src/engine/runtime.ts";
import type { TrainingState } from "../../../src/engine/training-state.ts";
import { protocolBatches, runSteps } from "../../../src/training/trainer.ts";
import { smallJob, type SmallJob } from "./helpers/fixtures.ts";

const copyOf = (state: TrainingState): TrainingState => ({
  ...state,
  values: state.values.map((v) => v.slice()),
});

for (const numerics of ["exact", "tolerance"] as const) {
  describe(`StepSession.steps (${numerics})`, function () {
    let fixture: SmallJob;
    let session: StepSession;

    before(async () => {
      fixture = await smallJob(numerics);
      session = await openStepSession(fixture.job.program);
    });
    after(() => session.close());

    const batchFor = (step: number) => protocolBatches(fixture.job, step);

    it("reaches the state, loss and interior states that step() reaches one step at a time", async () => {
      const start = fixture.initialState;
      const expected: string[] = [];
      let one: { state: TrainingState; loss: number | bigint } = { state: start, loss: 0 };
      for (let i = 0; i < 7; i++) {
        one = await session.step(one.state, batchFor(one.state.step));
        expected.push(stateDigest(one.state));
      }

      const interior: string[] = [];
      const run = await session.steps(start, 7, batchFor, (state, stepsIn) => {
        expect(state.step).to.equal(stepsIn);
        interior.push(stateDigest(state));
      });
      expect(run.state.step).to.equal(7);
      expect(stateDigest(run.state)).to.equal(expected[6]);
      expect(run.loss).to.equal(one.loss);
      expect(interior).to.deep.equal(expected.slice(0, 6));
    });

    it("leaves the start state untouched and never reuses a state it returned", async () => {
      const start = fixture.initialState;
      const before = copyOf(start);
      const first = await session.steps(start, 5, batchFor);
      const kept = copyOf(first.state);
      // Another run on the same session writes its buffers again: the first result stays as it was.
      const second = await session.steps(first.state, 5, batchFor);
      expect(stateDigest(start)).to.equal(stateDigest(before));
      expect(stateDigest(first.state)).to.equal(stateDigest(kept));
      expect(second.state.step).to.equal(10);
      for (const values of second.state.values)
        expect(first.state.values.some((v) => v.buffer === values.buffer)).to.equal(false);
    });

    it("runs no step for a count of 0 and refuses a count that is not a whole number", async () => {
      const start = fixture.initialState;
      const none = await session.steps(start, 0, batchFor);
      expect(none.state).to.equal(start);
      expect(none.loss).to.equal(numerics === "exact" ? 0n : 0);
      for (const count of [-1, 1.5, Number.NaN])
        await session.steps(start, count, batchFor).then(
          () => expect.fail(`count ${count} was accepted`),
          (error: Error) => expect(error.message).to.match(/not a non-negative integer/),
        );
    });

    it("runSteps refuses to run past the job's last step", async () => {
      const start = fixture.initialState;
      const T = fixture.job.totalSteps;
      await runSteps(session, fixture.job, start, T + 1).then(
        () => expect.fail("ran past the job"),
        (error: Error) => expect(error.message).to.match(/past the job's/),
      );
    });
  });
}
