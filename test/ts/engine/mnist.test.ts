import { expect } from "chai";

import { loadMnist } from "../../../src/data/mnist.ts";
import { evaluateAccuracy } from "../../../src/training/evaluate.ts";
import { buildExactMlpProgram } from "../../../src/engine/exact-mlp-program.ts";
import { buildFloatMlpProgram } from "../../../src/engine/float-mlp-program.ts";
import { loadJob, publishJob } from "../../../src/training/job.ts";
import { train } from "../../../src/training/trainer.ts";
import { initialState } from "../../../src/engine/training-state.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";

// The full path on real data: publish program, initial state and MNIST shards, load the
// job back from its spec, train through `train` with checkpoints, evaluate held out.
// 300 steps of batch 64 (2.4 epochs of the 8 004 training digits) reach about 94% in
// both numerics; scripts/bench-engine.ts reports longer runs (docs/engine.md).
const STEPS = 300;
const optimizer = { kind: "sgd", learningRate: 0.1, momentum: 0.9 } as const;

describe("MNIST", function () {
  for (const numerics of ["tolerance", "exact"] as const) {
    it(`learns to ≥ 90% held-out accuracy in ${STEPS} steps (${numerics})`, async function () {
      const { train: digits, test } = loadMnist();
      const shape = { layers: [784, 256, 10], batchSize: 64, optimizer };
      const program =
        numerics === "exact" ? buildExactMlpProgram(shape) : buildFloatMlpProgram(shape);
      const store = new MemoryBlobStore();
      const spec = await publishJob(store, {
        programBytes: program.bytes,
        initialState: initialState(program.info, "mnist"),
        samples: digits,
        shardSize: 2000,
        rest: {
          version: 2,
          seed: `0x${"42".repeat(32)}`,
          totalSteps: STEPS,
          checkpointInterval: 100,
          numerics,
          hyperParameters: {
            model: { kind: "mlp", layers: [784, 256, 10] },
            batchSize: 64,
            optimizer,
          },
          verification: { samples: 1, topQ: 1, committeeSize: 3 },
          windows: { accept: 60, train: 3600, open: 60, challenge: 60 },
        },
      });
      const { job, initialState: start } = await loadJob(store, spec, 1n);
      const before = await evaluateAccuracy(job.program.info, start, test);
      const result = await train(job, { store, start });
      const after = await evaluateAccuracy(job.program.info, result.state, test);
      expect(before.accuracy).to.be.below(0.3);
      expect(after.accuracy).to.be.at.least(0.9);
      expect(result.records).to.have.length(4);
    });
  }
});
