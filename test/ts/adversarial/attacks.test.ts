// The adversarial suite, off chain: every attack of src/provider/attacks.ts played by a provider
// and audited through the real verifier code (verifier/segment-check.ts), in both numerics. Each
// must be caught, by the check named here; and an honest provider must pass under every runtime
// setting it may legitimately use.
import { expect } from "chai";

import { train } from "../../../src/training/trainer.ts";
import { legitimateRuntimeSettings } from "../../../src/training/calibration.ts";
import type { FaultKind } from "../../../src/training/reexecute.ts";
import { attacksFor } from "../../../src/provider/attacks.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import { auditSegments, verifiableJob } from "../../../verifier/segment-check.ts";
import { smallJob, type SmallJob } from "../engine/helpers/fixtures.ts";

/** The check that must catch each attack (first failing segment's fault), per numerics. */
const CAUGHT_BY: Record<string, Partial<Record<"exact" | "tolerance", FaultKind>>> = {
  "forged-optimizer-state": { tolerance: "state" },
  "interpolated-checkpoints": { exact: "state", tolerance: "state" },
  "skipped-steps": { exact: "state", tolerance: "state" },
  "half-precision": { tolerance: "state" },
  bfloat16: { tolerance: "state" },
  "partial-batches": { exact: "state", tolerance: "state" },
  "changed-learning-rate": { tolerance: "state" },
  "wrong-data-order": { exact: "state", tolerance: "state" },
  "replay-other-job": { exact: "state", tolerance: "state" },
  "forged-weights": { tolerance: "state" },
  "forged-biases": { tolerance: "state" },
  "forged-momentum": { tolerance: "state" },
  "false-update-norm": { exact: "state", tolerance: "state" },
  "false-norm-only": { exact: "claim", tolerance: "claim" },
  "false-loss": { exact: "claim", tolerance: "claim" },
  "withheld-fabrication": { exact: "state", tolerance: "availability" },
};

for (const numerics of ["exact", "tolerance"] as const) {
  describe(`adversarial providers, ${numerics} numerics (T = 40, k = 10)`, function () {
    let small: SmallJob;
    before(async function () {
      small = await smallJob(numerics, { totalSteps: 40, checkpointInterval: 10 });
    });

    for (const attack of attacksFor(numerics)) {
      const expected = CAUGHT_BY[attack.name]?.[numerics];
      it(`${attack.name} (${attack.description}) is caught by the ${expected} check`, async function () {
        expect(expected, `no expectation for ${attack.name}`).to.not.equal(undefined);
        const blobs = new Map<string, Uint8Array>();
        const store = new MemoryBlobStore({ blobs });
        const trace = await attack.play({
          job: small.job,
          initialState: small.initialState,
          store,
        });
        for (const index of trace.withheld ?? []) blobs.delete(trace.records[index]!.cid);
        expect(trace.records).to.have.length(5);
        const results = await auditSegments(verifiableJob(small, trace.records), store);
        const failed = results.filter((r) => !r.ok);
        expect(failed, "no segment failed: the attack passed").to.not.be.empty;
        expect(failed[0]!.fault, failed[0]!.reason).to.equal(expected);
      });
    }

    it("an honest provider passes every segment under every legitimate runtime setting", async function () {
      for (const setting of legitimateRuntimeSettings()) {
        const store = new MemoryBlobStore();
        const { records } = await train(small.job, {
          store,
          start: small.initialState,
          runtime: setting.options,
        });
        const results = await auditSegments(verifiableJob(small, records), store);
        const rejected = results.filter((r) => !r.ok);
        expect(
          rejected.map((r) => r.reason),
          setting.label,
        ).to.deep.equal([]);
      }
    });
  });
}
