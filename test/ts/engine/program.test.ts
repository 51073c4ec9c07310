import { expect } from "chai";

import { ProgramError } from "../../../src/engine/errors.ts";
import { onnx, type Onnx } from "../../../src/engine/onnx-graph.ts";
import { PROGRAM_METADATA_KEY } from "../../../src/engine/program-info.ts";
import { DEFAULT_PROGRAM_LIMITS, loadProgram } from "../../../src/engine/program-loader.ts";
import { cidOf } from "../../../src/protocol/cid.ts";
import { ADAM, smallProgram } from "./helpers/fixtures.ts";

/** Decodes a program, lets `edit` change it, and encodes it again. */
function mutate(bytes: Uint8Array, edit: (model: Onnx.ModelProto) => void): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  edit(model);
  return onnx.ModelProto.encode(model).finish();
}

function metadata(model: Onnx.ModelProto): Record<string, unknown> {
  return JSON.parse(
    model.metadataProps.find((p) => p.key === PROGRAM_METADATA_KEY)!.value!,
  ) as Record<string, unknown>;
}

function setMetadata(model: Onnx.ModelProto, value: unknown): void {
  model.metadataProps.find((p) => p.key === PROGRAM_METADATA_KEY)!.value = JSON.stringify(value);
}

describe("train-step programs", function () {
  const exact = smallProgram("exact");
  const float = smallProgram("tolerance");

  it("are deterministic bytes: building twice gives the same content address", function () {
    expect(cidOf(smallProgram("exact").bytes)).to.equal(cidOf(exact.bytes));
    expect(cidOf(smallProgram("tolerance", ADAM).bytes)).to.equal(
      cidOf(smallProgram("tolerance", ADAM).bytes),
    );
    expect(cidOf(exact.bytes)).to.not.equal(cidOf(float.bytes));
  });

  it("load with their declaration, content address and opset checked", function () {
    const loaded = loadProgram(exact.bytes, {
      numerics: "exact",
      cid: cidOf(exact.bytes),
      batchSize: 8,
    });
    expect(loaded.info).to.deep.equal(exact.info);
    expect(loaded.cid).to.equal(cidOf(exact.bytes));
    const model = onnx.ModelProto.decode(exact.bytes);
    expect(Number(model.irVersion)).to.equal(8);
    expect(model.opsetImport.map((o) => Number(o.version))).to.deep.equal([17]);
    expect(loadProgram(float.bytes).info.numerics).to.equal("tolerance");
  });

  const malformed: [string, () => Uint8Array, RegExp, Parameters<typeof loadProgram>[1]?][] = [
    ["empty bytes", () => new Uint8Array(0), /program is empty/],
    ["bytes that are not protobuf", () => new Uint8Array(64).fill(0xff), /not an ONNX ModelProto/],
    [
      "another IR version",
      () => mutate(exact.bytes, (m) => void (m.irVersion = 7)),
      /IR version is 7, expected 8/,
    ],
    [
      "another opset",
      () =>
        mutate(
          exact.bytes,
          (m) =>
            void (m.opsetImport = [onnx.OperatorSetIdProto.create({ domain: "", version: 13 })]),
        ),
      /imports opsets \[:13\]/,
    ],
    [
      "no metadata",
      () => mutate(exact.bytes, (m) => void (m.metadataProps = [])),
      /exactly one "assay\.program" metadata entry/,
    ],
    [
      "metadata that is not JSON",
      () => mutate(exact.bytes, (m) => void (m.metadataProps[0]!.value = "{nope")),
      /metadata "assay\.program" is not JSON/,
    ],
    [
      "metadata claiming Adam for an exact program",
      () => mutate(exact.bytes, (m) => setMetadata(m, { ...metadata(m), optimizer: ADAM })),
      /exact mode supports SGD with momentum only/,
    ],
    [
      "a declared batch size the graph does not have",
      () => mutate(exact.bytes, (m) => setMetadata(m, { ...metadata(m), batchSize: 16 })),
      /graph input "features" has shape \[8, 20\], expected \[16, 20\]/,
    ],
    [
      "a state input whose dtype differs from the declaration",
      () =>
        mutate(exact.bytes, (m) => {
          const input = m.graph!.input!.find((i) => i.name === "layer1.weight")!;
          input.type!.tensorType!.elemType = 1;
        }),
      /graph input "layer1\.weight" has dtype float32, expected int32/,
    ],
    [
      "a missing state output",
      () => mutate(exact.bytes, (m) => void m.graph!.output!.pop()),
      /declares \d+ graph outputs, its metadata implies/,
    ],
    [
      "a float operator in an exact program",
      () =>
        mutate(exact.bytes, (m) => {
          m.graph!.node!.find((n) => n.opType === "Neg")!.opType = "Exp";
        }),
      /Exp is a float operator, not allowed in an exact \(integer-only\) program/,
    ],
    [
      "a cast to float in an exact program",
      () =>
        mutate(exact.bytes, (m) => {
          const cast = m.graph!.node!.find((n) => n.opType === "Cast")!;
          cast.attribute!.find((a) => a.name === "to")!.i = 1;
        }),
      /casts to float32; exact mode is integer-only/,
    ],
    [
      "a float constant in an exact program",
      () =>
        mutate(exact.bytes, (m) => {
          m.graph!.initializer!.find((t) => t.dataType === 6)!.dataType = 1;
        }),
      /float32 initializer .* exact mode is integer-only/,
    ],
    [
      "an operator outside the allow-list",
      () =>
        mutate(float.bytes, (m) => {
          m.graph!.node![3]!.opType = "Loop";
        }),
      /operator Loop is not on the allow-list/,
    ],
    [
      "a custom operator domain",
      () =>
        mutate(float.bytes, (m) => {
          m.graph!.node![0]!.domain = "com.microsoft";
        }),
      /custom domain "com\.microsoft"/,
    ],
    [
      "a node reading a value nobody computes",
      () =>
        mutate(float.bytes, (m) => {
          m.graph!.node![2]!.input![0] = "ghost";
        }),
      /reads "ghost", which is not defined before it/,
    ],
    [
      "an initializer whose bytes do not fit its shape",
      () =>
        mutate(float.bytes, (m) => {
          const init = m.graph!.initializer![0]!;
          init.rawData = init.rawData!.subarray(1);
        }),
      /raw bytes, its shape needs/,
    ],
    [
      "an exact program whose constants differ from its declaration",
      () =>
        mutate(exact.bytes, (m) => {
          const exp = m.graph!.initializer!.find((t) => (t.name ?? "").startsWith("exp_table"))!;
          exp.rawData = exp.rawData!.slice();
          exp.rawData[0]! ^= 1;
        }),
      /not the canonical build of its declared configuration/,
    ],
    [
      "an exact program declaring a learning rate its graph does not use",
      () =>
        mutate(exact.bytes, (m) =>
          setMetadata(m, {
            ...metadata(m),
            optimizer: { kind: "sgd", learningRate: 0.2, momentum: 0.9 },
          }),
        ),
      /not the canonical build/,
    ],
    ["bytes over the size limit", () => exact.bytes, /over the 1000-byte limit/, undefined],
    [
      "another numerics than the job requires",
      () => exact.bytes,
      /numerics are exact, the job requires tolerance/,
      { numerics: "tolerance" },
    ],
    [
      "another content address than the job names",
      () => exact.bytes,
      /have address .* the job names/,
      { cid: cidOf(float.bytes) },
    ],
    [
      "other layers than the job requires",
      () => exact.bytes,
      /layers are \[20, 16, 12, 5\], the job requires \[20, 5\]/,
      { layers: [20, 5] },
    ],
  ];

  for (const [what, make, message, expected] of malformed) {
    it(`are rejected with a clear error for ${what}`, function () {
      const limits =
        what === "bytes over the size limit"
          ? { ...DEFAULT_PROGRAM_LIMITS, maxBytes: 1000 }
          : undefined;
      expect(() => loadProgram(make(), expected ?? {}, limits)).to.throw(ProgramError, message);
    });
  }
});
