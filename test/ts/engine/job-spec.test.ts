import { createHash } from "node:crypto";

import { expect } from "chai";
import { bytesToHex } from "viem";

import { putState } from "../../../src/checkpoint/checkpoint-store.ts";
import { DataError, ProgramError } from "../../../src/engine/errors.ts";
import { loadJob } from "../../../src/training/job.ts";
import { initialState } from "../../../src/engine/training-state.ts";
import {
  canonicalJobSpecBytes,
  canonicalJson,
  jobParamsFromSpec,
  JobSpecError,
  parseJobSpec,
  parseJobSpecBytes,
  specHash,
  type JobSpec,
} from "../../../src/protocol/job-spec.ts";
import { smallJob, smallProgram } from "./helpers/fixtures.ts";

const CID_A = "bafkreigks6arfsq3xxfpvqrrwonchxcnu6do76auprhhfomao6c273sixm";
const CID_B = "bafkreib6epubmabzlffdhckpmvsodmjuro6xuaei2qwevs3t52xnlhaatu";

function validSpec(): JobSpec {
  return {
    version: 2,
    program: { cid: CID_A, initialStateCid: CID_B },
    dataset: { root: `0x${"aa".repeat(32)}`, shards: [CID_A, CID_B], sampleCount: 8004 },
    seed: `0x${"bb".repeat(32)}`,
    totalSteps: 1000,
    checkpointInterval: 10,
    numerics: "exact",
    hyperParameters: {
      model: { kind: "mlp", layers: [784, 256, 10] },
      batchSize: 64,
      optimizer: { kind: "sgd", learningRate: 0.1, momentum: 0.9 },
    },
    verification: { samples: 8, topQ: 2, committeeSize: 5 },
    windows: { accept: 3600, train: 86_400, open: 3600, challenge: 7200 },
  };
}

const TOLERANCE = {
  tensors: [{ name: "w", atol: 1e-6, rtol: 1e-5 }],
  loss: { atol: 1e-6, rtol: 1e-5 },
  valueBound: 100,
};

describe("job spec", function () {
  it("serializes canonically (sorted keys, no whitespace) and hashes to specHash", function () {
    const spec = parseJobSpec(validSpec());
    const text = new TextDecoder().decode(canonicalJobSpecBytes(spec));
    expect(text).to.not.match(/\s/);
    expect(text.startsWith('{"checkpointInterval":10,"dataset":{"root":')).to.equal(true);
    expect(specHash(spec)).to.equal(bytesToHex(createHash("sha256").update(text).digest()));
    // Key order in the input does not matter; any value change does.
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverseKeys)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reverseKeys(x)]),
            )
          : v;
    const reordered = reverseKeys(spec);
    expect(Object.keys(reordered as object)[0]).to.equal("windows");
    expect(specHash(parseJobSpec(reordered))).to.equal(specHash(spec));
    expect(specHash({ ...spec, totalSteps: 990 })).to.not.equal(specHash(spec));
    // Pinned: a change of canonical form is a protocol change.
    expect(specHash(spec)).to.equal(
      "0x02882f55b03bf70a5dd516e3304211b88584a72a0aef675d0b482d93fb3fb9b3",
    );
  });

  it("gives the on-chain JobParams fields from the spec", function () {
    const params = jobParamsFromSpec(parseJobSpec(validSpec()));
    expect(params).to.include({
      totalSteps: 1000,
      checkpointInterval: 10,
      samples: 8,
      topQ: 2,
      committeeSize: 5,
    });
    expect(params.initialStateDigest).to.match(/^0x[0-9a-f]{64}$/);
    expect(canonicalJson({ b: [1, { d: 2, c: "x" }], a: null })).to.equal(
      '{"a":null,"b":[1,{"c":"x","d":2}]}',
    );
  });

  const broken: [string, (s: Record<string, unknown> & JobSpec) => unknown, RegExp][] = [
    [
      "an interval that does not divide T",
      (s) => ({ ...s, checkpointInterval: 7 }),
      /checkpointInterval 7 must divide totalSteps 1000/,
    ],
    [
      "a CID of another codec",
      (s) => ({
        ...s,
        program: { ...s.program, cid: "QmYwAPJzv5CZsnAzt8auVZRnG6WBvYKg4CjqW5FY6PZsKp" },
      }),
      /program\.cid: .*CIDv1/,
    ],
    ["an unknown key", (s) => ({ ...s, reward: 5 }), /\(root\): unknown key "reward"/],
    [
      "a tolerance on an exact job",
      (s) => ({ ...s, tolerance: TOLERANCE }),
      /a tolerance applies to tolerance numerics only/,
    ],
    [
      "a tolerance job without thresholds",
      (s) => ({ ...s, numerics: "tolerance" }),
      /need per-tensor thresholds/,
    ],
    [
      "a negative threshold",
      (s) => ({
        ...s,
        numerics: "tolerance",
        tolerance: { ...TOLERANCE, loss: { atol: -1, rtol: 0 } },
      }),
      /tolerance\.loss\.atol/,
    ],
    [
      "a threshold that is not finite",
      (s) => ({
        ...s,
        numerics: "tolerance",
        tolerance: { ...TOLERANCE, valueBound: Infinity },
      }),
      /tolerance\.valueBound/,
    ],
    [
      "Adam with exact numerics",
      (s) => ({
        ...s,
        hyperParameters: {
          ...s.hyperParameters,
          optimizer: { kind: "adam", learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
        },
      }),
      /exact numerics support SGD with momentum only/,
    ],
    [
      "more samples than segments",
      (s) => ({ ...s, totalSteps: 100, checkpointInterval: 50 }),
      /exceed the 2 segments/,
    ],
    [
      "an upper-case seed",
      (s) => ({ ...s, seed: `0x${"BB".repeat(32)}` }),
      /seed: .*64 lowercase hex/,
    ],
    ["a fractional step count", (s) => ({ ...s, totalSteps: 10.5 }), /totalSteps/],
    ["a missing field", (s) => ({ ...s, windows: undefined }), /windows/],
    [
      "duplicate shards",
      (s) => ({ ...s, dataset: { ...s.dataset, shards: [CID_A, CID_A] } }),
      /shards must be distinct/,
    ],
  ];
  for (const [what, edit, message] of broken) {
    it(`rejects a spec with ${what}, naming the problem`, function () {
      expect(() => parseJobSpec(edit(validSpec() as Record<string, unknown> & JobSpec))).to.throw(
        JobSpecError,
        message,
      );
    });
  }

  it("rejects spec bytes that are not JSON, or not canonical when canonical form is required", function () {
    const bytes = canonicalJobSpecBytes(validSpec());
    expect(parseJobSpecBytes(bytes, { requireCanonical: true }).totalSteps).to.equal(1000);
    const spaced = new TextEncoder().encode(JSON.stringify(validSpec(), null, 2));
    expect(parseJobSpecBytes(spaced).totalSteps).to.equal(1000);
    expect(() => parseJobSpecBytes(spaced, { requireCanonical: true })).to.throw(
      JobSpecError,
      /not in canonical form/,
    );
    expect(() => parseJobSpecBytes(new Uint8Array([0x7b, 0xff]))).to.throw(
      JobSpecError,
      /not UTF-8 JSON/,
    );
  });

  it("loadJob refuses a spec whose pieces do not fit together", async function () {
    const { spec, store } = await smallJob("exact");
    const withNumerics = {
      ...spec,
      numerics: "tolerance",
      tolerance: { ...TOLERANCE, tensors: [{ name: "layer0.weight", atol: 0, rtol: 0 }] },
    };
    await loadJob(store, withNumerics, 1n).then(
      () => expect.fail("accepted"),
      (e: unknown) => {
        expect(e).to.be.instanceOf(ProgramError);
        expect((e as Error).message).to.match(/numerics are exact, the job requires tolerance/);
      },
    );
    const wrongRoot = { ...spec, dataset: { ...spec.dataset, root: `0x${"01".repeat(32)}` } };
    await loadJob(store, wrongRoot, 1n).then(
      () => expect.fail("accepted"),
      (e: unknown) => expect(e).to.be.instanceOf(DataError),
    );
    const floatState = await putState(store, initialState(smallProgram("tolerance").info, "x"));
    const wrongState = { ...spec, program: { ...spec.program, initialStateCid: floatState.cid } };
    await loadJob(store, wrongState, 1n).then(
      () => expect.fail("accepted"),
      (e: unknown) =>
        expect((e as Error).message).to.match(/state tensor #0 is layer0\.weight \(param, float32/),
    );
  });
});
