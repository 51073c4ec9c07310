// A small builder for ONNX graphs (IR 8, opset 17) over the `onnx-proto` bindings.
// Train-step programs are content-addressed, so the builder is deterministic: the same
// calls in the same order give the same bytes (names come from a counter, initializers
// are written as little-endian raw data, attributes in the order given).
import onnxProto from "onnx-proto";
import type { onnx as Onnx } from "onnx-proto";

/** The runtime half of the bindings (the package is CommonJS, so no named import). */
export const onnx: typeof Onnx = onnxProto.onnx;
export type { Onnx };

export const IR_VERSION = 8;
export const OPSET_VERSION = 17;

export type DType = "float32" | "uint8" | "int8" | "int32" | "int64" | "bool";

/** ONNX TensorProto.DataType codes of the dtypes programs use. */
export const DTYPE_CODES: Readonly<Record<DType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
};

export function dtypeFromCode(code: number): DType | undefined {
  for (const [name, value] of Object.entries(DTYPE_CODES)) if (value === code) return name as DType;
  return undefined;
}

export type TensorData = Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

export type Attr =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly s: string }
  | { readonly ints: readonly number[] };

export interface GraphBuilder {
  /** Declares a graph input; returns its value name. */
  input(name: string, dtype: DType, shape: readonly number[]): string;
  /** Declares an existing value (named with `op(..., { out })`) as a graph output. */
  output(name: string, dtype: DType, shape: readonly number[]): void;
  /** A constant tensor (an initializer). */
  constant(dtype: DType, shape: readonly number[], data: TensorData, hint?: string): string;
  /** A scalar constant, shared between all uses of the same dtype and value. */
  scalar(dtype: DType, value: number | bigint): string;
  /** A 1-D int64 constant (axes, shapes), shared between uses. */
  int64s(values: readonly number[]): string;
  /** Adds a node with one output and returns the output's name. */
  op(
    opType: string,
    inputs: readonly string[],
    attrs?: Readonly<Record<string, Attr>>,
    options?: { out?: string },
  ): string;
  /** The encoded ModelProto. */
  encode(metadata: Readonly<Record<string, string>>, docString?: string): Uint8Array;
}

export function createGraphBuilder(graphName: string): GraphBuilder {
  const nodes: Onnx.INodeProto[] = [];
  const inputs: Onnx.IValueInfoProto[] = [];
  const outputs: Onnx.IValueInfoProto[] = [];
  const initializers: Onnx.ITensorProto[] = [];
  const shared = new Map<string, string>();
  let counter = 0;
  const fresh = (hint: string): string => `${hint}_${counter++}`;

  const valueInfo = (
    name: string,
    dtype: DType,
    shape: readonly number[],
  ): Onnx.IValueInfoProto => ({
    name,
    type: {
      tensorType: {
        elemType: DTYPE_CODES[dtype],
        shape: { dim: shape.map((d) => ({ dimValue: d })) },
      },
    },
  });

  const builder: GraphBuilder = {
    input(name, dtype, shape) {
      inputs.push(valueInfo(name, dtype, shape));
      return name;
    },
    output(name, dtype, shape) {
      outputs.push(valueInfo(name, dtype, shape));
    },
    constant(dtype, shape, data, hint = "const") {
      const name = fresh(hint);
      initializers.push({
        name,
        dataType: DTYPE_CODES[dtype],
        dims: [...shape],
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
      });
      return name;
    },
    scalar(dtype, value) {
      const key = `${dtype}:${value}`;
      const known = shared.get(key);
      if (known !== undefined) return known;
      const name = builder.constant(dtype, [], scalarData(dtype, value), "k");
      shared.set(key, name);
      return name;
    },
    int64s(values) {
      const key = `int64s:${values.join(",")}`;
      const known = shared.get(key);
      if (known !== undefined) return known;
      const name = builder.constant(
        "int64",
        [values.length],
        BigInt64Array.from(values, (v) => BigInt(v)),
        "axes",
      );
      shared.set(key, name);
      return name;
    },
    op(opType, opInputs, attrs = {}, options = {}) {
      const out = options.out ?? fresh(opType.toLowerCase());
      nodes.push({
        name: `n${nodes.length}_${opType}`,
        opType,
        input: [...opInputs],
        output: [out],
        attribute: Object.entries(attrs).map(([name, attr]) => encodeAttr(name, attr)),
      });
      return out;
    },
    encode(metadata, docString = "") {
      const model = onnx.ModelProto.create({
        irVersion: IR_VERSION,
        opsetImport: [{ domain: "", version: OPSET_VERSION }],
        producerName: "assay-engine",
        producerVersion: "1",
        docString,
        graph: {
          name: graphName,
          node: nodes,
          input: inputs,
          output: outputs,
          initializer: initializers,
        },
        metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      });
      return onnx.ModelProto.encode(model).finish();
    },
  };
  return builder;
}

function scalarData(dtype: DType, value: number | bigint): TensorData {
  switch (dtype) {
    case "float32":
      return Float32Array.of(Number(value));
    case "uint8":
    case "bool":
      return Uint8Array.of(Number(value));
    case "int8":
      return Int8Array.of(Number(value));
    case "int32":
      return Int32Array.of(Number(value));
    case "int64":
      return BigInt64Array.of(BigInt(value));
  }
}

function encodeAttr(name: string, attr: Attr): Onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if ("i" in attr) return { name, type: AttributeType.INT, i: attr.i };
  if ("f" in attr) return { name, type: AttributeType.FLOAT, f: attr.f };
  if ("s" in attr) return { name, type: AttributeType.STRING, s: new TextEncoder().encode(attr.s) };
  return { name, type: AttributeType.INTS, ints: [...attr.ints] };
}
