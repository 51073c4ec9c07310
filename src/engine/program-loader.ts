// Loading a train-step program: the bytes are untrusted (they come from a job spec), so
// every property the engine relies on is checked before ONNX Runtime sees them — size
// limits, IR and opset, the declared interface against the graph's inputs and outputs
// (names, dtypes, shapes), an operator allow-list, and for exact mode that every tensor
// is an integer (so the step is bit-for-bit reproducible on any hardware).

import { cidOf } from "../protocol/cid.ts";
import { ProgramError } from "./errors.ts";
import { buildExactMlpProgram, exactOptionsFromInfo } from "./exact-mlp-program.ts";
import {
  IR_VERSION,
  OPSET_VERSION,
  dtypeFromCode,
  onnx,
  type DType,
  type Onnx,
} from "./onnx-graph.ts";
import {
  FEATURES_INPUT,
  LABELS_INPUT,
  LOSS_OUTPUT,
  PROGRAM_METADATA_KEY,
  STEP_INPUT,
  elementCount,
  nextName,
  programInfoSchema,
  type Numerics,
  type OptimizerSpec,
  type ProgramInfo,
} from "./program-info.ts";
import { formatIssues } from "../zod-issues.ts";

export interface ProgramLimits {
  maxBytes: number;
  maxNodes: number;
  /** Total elements over all state tensors. */
  maxStateElements: number;
  /** Total bytes of initializers (constants) in the graph. */
  maxInitializerBytes: number;
}

export const DEFAULT_PROGRAM_LIMITS: Readonly<ProgramLimits> = {
  maxBytes: 64 * 1024 * 1024,
  maxNodes: 20_000,
  maxStateElements: 64 * 1024 * 1024,
  maxInitializerBytes: 16 * 1024 * 1024,
};

/** Operators whose outputs are integers or booleans when their inputs are. */
const INTEGER_OPS = new Set([
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Neg",
  "Abs",
  "Max",
  "Min",
  "Clip",
  "Where",
  "Equal",
  "Greater",
  "Less",
  "And",
  "Or",
  "Not",
  "ReduceSum",
  "ReduceMax",
  "MatMul",
  "MatMulInteger",
  "Transpose",
  "Reshape",
  "Unsqueeze",
  "Squeeze",
  "Concat",
  "Gather",
  "Identity",
  "Cast",
]);
/** Float-only operators a tolerance program may use besides the integer ones. */
const FLOAT_OPS = new Set(["Gemm", "Relu", "Exp", "Log", "LogSoftmax", "Softmax", "Sqrt", "Pow"]);
const INTEGER_DTYPES = new Set<DType>(["uint8", "int8", "int32", "int64", "bool"]);

export interface LoadedProgram {
  bytes: Uint8Array;
  /** CIDv1 (raw, sha2-256) of the bytes. */
  cid: string;
  info: ProgramInfo;
}

/** What the caller (a job spec) says the program must be. */
export interface ProgramExpectations {
  cid?: string;
  numerics?: Numerics;
  layers?: readonly number[];
  batchSize?: number;
  optimizer?: OptimizerSpec;
}

export function loadProgram(
  bytes: Uint8Array,
  expected: ProgramExpectations = {},
  limits: ProgramLimits = DEFAULT_PROGRAM_LIMITS,
): LoadedProgram {
  if (bytes.length === 0) throw new ProgramError("program is empty");
  if (bytes.length > limits.maxBytes)
    throw new ProgramError(
      `program is ${bytes.length} bytes, over the ${limits.maxBytes}-byte limit`,
    );
  const cid = cidOf(bytes);
  if (expected.cid !== undefined && expected.cid !== cid)
    throw new ProgramError(`program bytes have address ${cid}, the job names ${expected.cid}`);

  let model: Onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new ProgramError("program is not an ONNX ModelProto (protobuf decoding failed)", {
      cause,
    });
  }
  if (Number(model.irVersion) !== IR_VERSION)
    throw new ProgramError(
      `program IR version is ${String(model.irVersion)}, expected ${IR_VERSION}`,
    );
  const opsets = model.opsetImport.map((o) => `${o.domain ?? ""}:${String(o.version)}`);
  if (opsets.length !== 1 || opsets[0] !== `:${OPSET_VERSION}`)
    throw new ProgramError(
      `program imports opsets [${opsets.join(", ")}], expected exactly the default domain at ${OPSET_VERSION}`,
    );
  if (model.functions.length > 0 || model.trainingInfo.length > 0)
    throw new ProgramError("program carries functions or training info, which are not allowed");
  const graph = model.graph;
  if (!graph) throw new ProgramError("program has no graph");

  const info = parseInfo(model);
  checkExpectations(info, expected);
  const stateElements = info.state.reduce((n, t) => n + elementCount(t.shape), 0);
  if (stateElements > limits.maxStateElements)
    throw new ProgramError(
      `program state has ${stateElements} elements, over the limit of ${limits.maxStateElements}`,
    );
  const nodeCount = graph.node?.length ?? 0;
  if (nodeCount > limits.maxNodes)
    throw new ProgramError(`program has ${nodeCount} nodes, over the limit of ${limits.maxNodes}`);

  checkInterface(graph, info);
  checkInitializers(graph, info.numerics, limits);
  checkNodes(graph, info.numerics);
  if (info.numerics === "exact") checkCanonicalExact(bytes, info);
  return { bytes, cid, info };
}

/**
 * Exact programs must be byte for byte what the builder makes of their declared
 * configuration: the builder proves every intermediate stays in int32 and every
 * MatMulInteger operand in its non-saturating range (exact-graph-ops.ts), and a
 * re-build is how a loader re-checks that proof without trusting the bytes.
 */
function checkCanonicalExact(bytes: Uint8Array, info: ProgramInfo): void {
  let canonical: Uint8Array;
  try {
    canonical = buildExactMlpProgram(exactOptionsFromInfo(info)).bytes;
  } catch (cause) {
    throw new ProgramError("exact program declares a configuration the builder refuses", { cause });
  }
  if (canonical.length !== bytes.length || canonical.some((b, i) => b !== bytes[i])) {
    const at = canonical.findIndex((b, i) => b !== bytes[i]);
    throw new ProgramError(
      `exact program is not the canonical build of its declared configuration (first difference at byte ${at < 0 ? Math.min(canonical.length, bytes.length) : at}); its overflow bounds cannot be vouched for`,
    );
  }
}

function parseInfo(model: Onnx.ModelProto): ProgramInfo {
  const entries = model.metadataProps.filter((p) => p.key === PROGRAM_METADATA_KEY);
  if (entries.length !== 1)
    throw new ProgramError(
      `program must carry exactly one "${PROGRAM_METADATA_KEY}" metadata entry, found ${entries.length}`,
    );
  let json: unknown;
  try {
    json = JSON.parse(entries[0]!.value ?? "");
  } catch (cause) {
    throw new ProgramError(`program metadata "${PROGRAM_METADATA_KEY}" is not JSON`, { cause });
  }
  const parsed = programInfoSchema.safeParse(json);
  if (!parsed.success)
    throw new ProgramError(`program metadata is invalid: ${formatIssues(parsed.error)}`);
  const info = parsed.data;
  // The declaration must describe an MLP's state exactly, or the runtime would misread it.
  const layers = info.model.layers;
  const params = info.state.filter((t) => t.role === "param");
  if (params.length !== 2 * (layers.length - 1))
    throw new ProgramError(
      `an MLP with ${layers.length - 1} layers has ${2 * (layers.length - 1)} parameter tensors, the program declares ${params.length}`,
    );
  return info;
}

function checkExpectations(info: ProgramInfo, expected: ProgramExpectations): void {
  if (expected.numerics !== undefined && expected.numerics !== info.numerics)
    throw new ProgramError(
      `program numerics are ${info.numerics}, the job requires ${expected.numerics}`,
    );
  if (
    expected.layers !== undefined &&
    (expected.layers.length !== info.model.layers.length ||
      expected.layers.some((w, i) => w !== info.model.layers[i]))
  )
    throw new ProgramError(
      `program layers are [${info.model.layers.join(", ")}], the job requires [${expected.layers.join(", ")}]`,
    );
  if (expected.batchSize !== undefined && expected.batchSize !== info.batchSize)
    throw new ProgramError(
      `program batch size is ${info.batchSize}, the job requires ${expected.batchSize}`,
    );
  if (expected.optimizer !== undefined) {
    const a = JSON.stringify(sortKeys(expected.optimizer));
    const b = JSON.stringify(sortKeys(info.optimizer));
    if (a !== b) throw new ProgramError(`program optimizer is ${b}, the job requires ${a}`);
  }
}

function sortKeys(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

interface ValueSpec {
  name: string;
  dtype: DType;
  shape: readonly number[];
}

function expectedInputs(info: ProgramInfo): ValueSpec[] {
  const B = info.batchSize;
  return [
    { name: FEATURES_INPUT, dtype: "uint8", shape: [B, info.model.layers[0]!] },
    { name: LABELS_INPUT, dtype: "int32", shape: [B] },
    { name: STEP_INPUT, dtype: "int64", shape: [] },
    ...info.state.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
  ];
}

function expectedOutputs(info: ProgramInfo): ValueSpec[] {
  return [
    { name: LOSS_OUTPUT, dtype: info.loss.dtype, shape: [] },
    ...info.state.map((t) => ({ name: nextName(t.name), dtype: t.dtype, shape: t.shape })),
  ];
}

function checkInterface(graph: Onnx.IGraphProto, info: ProgramInfo): void {
  const compare = (kind: string, actual: Onnx.IValueInfoProto[], wanted: ValueSpec[]): void => {
    if (actual.length !== wanted.length)
      throw new ProgramError(
        `program declares ${actual.length} graph ${kind}s, its metadata implies ${wanted.length} (${wanted.map((w) => w.name).join(", ")})`,
      );
    wanted.forEach((want, i) => {
      const got = actual[i]!;
      if (got.name !== want.name)
        throw new ProgramError(
          `graph ${kind} #${i} is "${got.name ?? ""}", expected "${want.name}"`,
        );
      const tensorType = got.type?.tensorType;
      const dtype = dtypeFromCode(tensorType?.elemType ?? 0);
      if (dtype !== want.dtype)
        throw new ProgramError(
          `graph ${kind} "${want.name}" has dtype ${dtype ?? `code ${tensorType?.elemType ?? "none"}`}, expected ${want.dtype}`,
        );
      const dims = tensorType?.shape?.dim ?? [];
      const shape = dims.map((d) =>
        d.dimValue === null || d.dimValue === undefined ? NaN : Number(d.dimValue),
      );
      const sameShape =
        tensorType?.shape !== null &&
        tensorType?.shape !== undefined &&
        shape.length === want.shape.length &&
        shape.every((d, k) => d === want.shape[k]);
      if (!sameShape)
        throw new ProgramError(
          `graph ${kind} "${want.name}" has shape [${shape.join(", ")}], expected [${want.shape.join(", ")}]`,
        );
    });
  };
  compare("input", graph.input ?? [], expectedInputs(info));
  compare("output", graph.output ?? [], expectedOutputs(info));
}

function checkInitializers(
  graph: Onnx.IGraphProto,
  numerics: Numerics,
  limits: ProgramLimits,
): void {
  let total = 0;
  const inputs = new Set((graph.input ?? []).map((v) => v.name));
  for (const init of graph.initializer ?? []) {
    const name = init.name ?? "";
    if (inputs.has(name)) throw new ProgramError(`initializer "${name}" shadows a graph input`);
    const dtype = dtypeFromCode(init.dataType ?? 0);
    if (dtype === undefined)
      throw new ProgramError(
        `initializer "${name}" has unsupported data type code ${init.dataType ?? 0}`,
      );
    if (numerics === "exact" && !INTEGER_DTYPES.has(dtype))
      throw new ProgramError(
        `exact program has a ${dtype} initializer "${name}"; exact mode is integer-only`,
      );
    if (Number(init.dataLocation ?? 0) !== 0 || (init.externalData?.length ?? 0) > 0)
      throw new ProgramError(`initializer "${name}" refers to external data`);
    const count = elementCount((init.dims ?? []).map(Number));
    const raw = init.rawData ?? new Uint8Array(0);
    const width = dtype === "int64" ? 8 : dtype === "float32" || dtype === "int32" ? 4 : 1;
    if (raw.length !== count * width)
      throw new ProgramError(
        `initializer "${name}" has ${raw.length} raw bytes, its shape needs ${count * width}`,
      );
    total += raw.length;
  }
  if (total > limits.maxInitializerBytes)
    throw new ProgramError(
      `program constants take ${total} bytes, over the limit of ${limits.maxInitializerBytes}`,
    );
}

function checkNodes(graph: Onnx.IGraphProto, numerics: Numerics): void {
  const defined = new Set<string>([
    ...(graph.input ?? []).map((v) => v.name ?? ""),
    ...(graph.initializer ?? []).map((t) => t.name ?? ""),
  ]);
  (graph.node ?? []).forEach((node, index) => {
    const op = node.opType ?? "";
    const where = `node #${index} (${op}${node.name ? ` "${node.name}"` : ""})`;
    if ((node.domain ?? "") !== "")
      throw new ProgramError(`${where} uses the custom domain "${node.domain}"`);
    const allowed = INTEGER_OPS.has(op) || (numerics === "tolerance" && FLOAT_OPS.has(op));
    if (!allowed)
      throw new ProgramError(
        numerics === "exact" && FLOAT_OPS.has(op)
          ? `${where}: ${op} is a float operator, not allowed in an exact (integer-only) program`
          : `${where}: operator ${op} is not on the allow-list`,
      );
    for (const attr of node.attribute ?? []) {
      if (attr.g || (attr.graphs?.length ?? 0) > 0)
        throw new ProgramError(`${where} has a subgraph attribute "${attr.name ?? ""}"`);
    }
    if (op === "Cast" && numerics === "exact") {
      const to = node.attribute?.find((a) => a.name === "to");
      const dtype = dtypeFromCode(Number(to?.i ?? 0));
      if (dtype === undefined || !INTEGER_DTYPES.has(dtype))
        throw new ProgramError(
          `${where} casts to ${dtype ?? `type code ${String(to?.i)}`}; exact mode is integer-only`,
        );
    }
    for (const input of node.input ?? []) {
      if (input !== "" && !defined.has(input))
        throw new ProgramError(`${where} reads "${input}", which is not defined before it`);
    }
    for (const output of node.output ?? []) {
      if (defined.has(output)) throw new ProgramError(`${where} redefines "${output}"`);
      defined.add(output);
    }
  });
  for (const out of graph.output ?? [])
    if (!defined.has(out.name ?? ""))
      throw new ProgramError(`graph output "${out.name ?? ""}" is never computed`);
}
