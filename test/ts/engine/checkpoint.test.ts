import { createHash } from "node:crypto";

import { expect } from "chai";
import { bytesToHex, concatHex, encodeAbiParameters, keccak256, type Hex } from "viem";

import { getState, putState } from "../../../src/checkpoint/checkpoint-store.ts";
import {
  deserializeState,
  serializeState,
  stateDigest,
} from "../../../src/checkpoint/state-codec.ts";
import { decodeTraceManifest } from "../../../src/checkpoint/trace.ts";
import {
  encodeUpdateNorm,
  squaredDistanceFloat,
  squaredDistanceRaw,
} from "../../../src/checkpoint/update-norm.ts";
import { StateError } from "../../../src/engine/errors.ts";
import { openStepSession } from "../../../src/engine/runtime.ts";
import { runStep, train, type TrainResult } from "../../../src/training/trainer.ts";
import { initialState, type TrainingState } from "../../../src/engine/training-state.ts";
import {
  encodeNormFromSquaredRaw,
  float32LossBits,
  int64LossBits,
} from "../../../src/protocol/leaf.ts";
import { IntegrityError } from "../../../src/store/errors.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import { cidOf } from "../../../src/protocol/cid.ts";
import { lyingStore, smallJob, smallProgram } from "./helpers/fixtures.ts";

function perturbed(
  state: TrainingState,
  tensor: number,
  index: number,
  delta: number,
): TrainingState {
  const values = state.values.map((v) => v.slice());
  values[tensor]![index]! += delta;
  return { ...state, values };
}

describe("checkpoints and commitments", function () {
  const exactInfo = smallProgram("exact").info;
  const floatInfo = smallProgram("tolerance").info;

  it("serialize the full state canonically and round-trip it", function () {
    for (const info of [exactInfo, floatInfo]) {
      const state = { ...initialState(info, "codec"), step: 1234 };
      const bytes = serializeState(state);
      const view = new DataView(bytes.buffer);
      expect(new TextDecoder().decode(bytes.subarray(0, 4))).to.equal("ASST");
      expect(view.getUint32(4, true)).to.equal(1);
      expect(view.getBigUint64(8, true)).to.equal(1234n);
      expect(view.getUint32(16, true)).to.equal(info.state.length);
      expect(bytes[20]).to.equal("layer0.weight".length);
      expect(bytes.length % 8).to.equal(0);
      const back = deserializeState(bytes);
      expect(back.step).to.equal(1234);
      expect(back.specs).to.deep.equal(info.state);
      back.values.forEach((v, i) =>
        expect(Array.from(v)).to.deep.equal(Array.from(state.values[i]!)),
      );
      expect(serializeState(back)).to.deep.equal(bytes);
      expect(stateDigest(state)).to.equal(bytesToHex(createHash("sha256").update(bytes).digest()));
    }
  });

  it("reject malformed state bytes with an error naming the problem", function () {
    const good = serializeState(initialState(exactInfo, "codec"));
    const edit = (f: (b: Uint8Array) => Uint8Array): Uint8Array => f(good.slice());
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 10), /shorter than the header/],
      [edit((b) => ((b[0] = 0x58), b)), /magic "ASST"/],
      [edit((b) => ((b[4] = 2), b)), /version 2 is not 1/],
      [edit((b) => ((b[16] = 0), b)), /tensor count 0/],
      [good.subarray(0, good.length - 8), /runs past the end/],
      [new Uint8Array([...good, 0, 0, 0, 0, 0, 0, 0, 0]), /8 trailing bytes/],
      [edit((b) => ((b[21] = 0x41), b)), /non-canonical name/],
      [edit((b) => ((b[20 + 1 + 13 + 1] = 11), b)), /unsupported dtype code 11/],
    ];
    for (const [bytes, message] of cases)
      expect(() => deserializeState(bytes)).to.throw(StateError, message);
    // The last tensor (layer2.bias.momentum, 5 int32 = 20 bytes) ends in 4 padding bytes.
    expect(exactInfo.state.at(-1)!.shape).to.deep.equal([5]);
    const padded = good.slice();
    padded[padded.length - 1] = 1;
    expect(() => deserializeState(padded)).to.throw(StateError, /non-zero data padding/);
  });

  it("refuse checkpoints whose bytes were tampered with, even from a store that does not check", async function () {
    const blobs = new Map<string, Uint8Array>();
    const honest = new MemoryBlobStore({ blobs });
    const state = initialState(exactInfo, "tamper");
    const { cid } = await putState(honest, state);
    expect(stateDigest(await getState(honest, cid, exactInfo))).to.equal(stateDigest(state));
    const bytes = blobs.get(cid)!;
    bytes[bytes.length - 9]! ^= 1;
    await getState(honest, cid).then(
      () => expect.fail("a tampered blob was accepted"),
      (error: unknown) => expect(error).to.be.instanceOf(IntegrityError),
    );
    await getState(lyingStore(blobs), cid).then(
      () => expect.fail("a tampered blob was accepted"),
      (error: unknown) => {
        expect(error).to.be.instanceOf(StateError);
        expect((error as Error).message).to.match(/does not hash to its address/);
      },
    );
  });

  it("compute update norms over parameters only, exactly in integers", function () {
    const a = initialState(exactInfo, "norm");
    const momentum = exactInfo.state.findIndex((t) => t.role === "optimizer");
    let b = perturbed(a, 0, 5, 3);
    b = perturbed(b, 1, 2, -(2 ** 27)); // beyond the float fast path
    b = perturbed(b, 2, 0, 2 ** 20);
    b = perturbed(b, momentum, 0, 999); // optimizer state does not count
    expect(squaredDistanceRaw(a, b)).to.equal(9n + 2n ** 54n + 2n ** 40n);
    expect(encodeUpdateNorm(exactInfo, a, b)).to.equal(
      encodeNormFromSquaredRaw(9n + 2n ** 54n + 2n ** 40n, 24),
    );
    const f = initialState(floatInfo, "norm");
    const g = perturbed(perturbed(f, 0, 0, 0.5), floatInfo.state.length - 1, 0, 7);
    const d = g.values[0]![0]! - f.values[0]![0]!;
    expect(squaredDistanceFloat(f, g)).to.equal(d * d);
  });

  for (const numerics of ["exact", "tolerance"] as const) {
    it(`leaves and the trace root of a ${numerics} run match an independent recomputation`, async function () {
      const { job, initialState: start, store } = await smallJob(numerics);
      const result: TrainResult = await train(job, { store, start });
      expect(result.records).to.have.length(job.totalSteps / job.checkpointInterval + 1);

      // Independently: re-run the steps for the losses, read every checkpoint back from
      // the store, hash it with node:crypto, and build leaves and tree with viem alone.
      const session = await openStepSession(job.program);
      const losses: (number | bigint)[] = [];
      let state = start;
      for (let t = 0; t < job.totalSteps; t++) {
        const r = await runStep(session, job, state);
        losses.push(r.loss);
        state = r.state;
      }
      await session.close();
      const states: TrainingState[] = [];
      const leaves: Hex[] = [];
      for (const record of result.records) {
        const bytes = await store.get(record.cid);
        const digest = bytesToHex(createHash("sha256").update(bytes).digest());
        expect(cidOf(bytes)).to.equal(record.cid);
        const s = deserializeState(bytes);
        expect(s.step).to.equal(record.step);
        states.push(s);
        if (record.index === 0) continue;
        const prev = states[record.index - 1]!;
        let norm: bigint;
        if (numerics === "exact") {
          let sum = 0n;
          s.specs.forEach((spec, i) => {
            if (spec.role !== "param") return;
            for (let k = 0; k < s.values[i]!.length; k++) {
              const delta = BigInt(s.values[i]![k]!) - BigInt(prev.values[i]![k]!);
              sum += delta * delta;
            }
          });
          norm = encodeNormFromSquaredRaw(sum, 24);
        } else {
          let sum = 0;
          s.specs.forEach((spec, i) => {
            if (spec.role !== "param") return;
            for (let k = 0; k < s.values[i]!.length; k++)
              sum += (s.values[i]![k]! - prev.values[i]![k]!) ** 2;
          });
          norm = BigInt(Math.floor(Math.sqrt(sum) * 2 ** 32));
        }
        const loss = losses[record.step - 1]!;
        const lossBits =
          numerics === "exact" ? int64LossBits(loss as bigint) : float32LossBits(loss as number);
        expect(record.lossBits).to.equal(lossBits);
        expect(record.updateNorm).to.equal(norm);
        expect(norm > 0n).to.equal(true);
        leaves.push(
          keccak256(
            encodeAbiParameters(
              [
                { type: "uint256" },
                { type: "uint256" },
                { type: "bytes32" },
                { type: "uint64" },
                { type: "uint64" },
              ],
              [job.jobId, BigInt(record.index), digest, lossBits, norm],
            ),
          ),
        );
      }
      let level = [...leaves];
      while (level.length & (level.length - 1)) level.push(`0x${"00".repeat(32)}`);
      while (level.length > 1) {
        const up: Hex[] = [];
        for (let i = 0; i < level.length; i += 2)
          up.push(keccak256(concatHex([level[i]!, level[i + 1]!])));
        level = up;
      }
      expect(result.trace!.leaves).to.deep.equal(leaves);
      expect(result.trace!.root).to.equal(level[0]);
      const manifest = decodeTraceManifest(await store.get(result.trace!.manifestCid));
      expect(manifest.root).to.equal(level[0]);
      expect(manifest.records).to.deep.equal(result.records);
    });
  }

  it("reject a trace manifest whose leaves do not match its root", async function () {
    const { job, initialState: start, store } = await smallJob("exact");
    const result = await train(job, { store, start });
    const json = JSON.parse(
      new TextDecoder().decode(await store.get(result.trace!.manifestCid)),
    ) as {
      checkpoints: { updateNorm: string; lossBits: string }[];
    };
    const forge = (edit: (c: { updateNorm: string; lossBits: string }[]) => void): Uint8Array => {
      const copy = structuredClone(json);
      edit(copy.checkpoints);
      return new TextEncoder().encode(JSON.stringify(copy));
    };
    const raised = forge((c) => (c[2]!.updateNorm = (BigInt(c[2]!.updateNorm) + 1n).toString()));
    expect(() => decodeTraceManifest(raised)).to.throw(StateError, /does not match its leaves/);
    const zeroth = forge((c) => (c[0]!.lossBits = "5"));
    expect(() => decodeTraceManifest(zeroth)).to.throw(StateError, /checkpoint 0 carries no leaf/);
  });
});
