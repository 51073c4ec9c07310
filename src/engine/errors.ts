// Errors of the learning engine (programs, runtime, data, checkpoints). One base class
// so callers can catch every engine failure at once; a stable `code` so daemons can tell
// a poison input (a malformed program, a tampered blob) from a failure worth retrying.
// Pure: no I/O.

import { AssayError, type AssayErrorOptions } from "../errors.ts";

export type EngineErrorOptions = AssayErrorOptions;

export class EngineError extends AssayError {
  override name = "EngineError";
  /** A stable, machine-readable code. */
  override readonly code: string = "engine_error";
  /** Whether the same operation may succeed if tried again later. */
  override readonly retryable: boolean = false;
}

/** A train-step program that is malformed, unsafe, or not what the job declared. */
export class ProgramError extends EngineError {
  override name = "ProgramError";
  override readonly code = "invalid_program";
}

/**
 * An exact program whose integer ranges could leave int32: the shape (batch size, layer widths) or
 * the fixed-point scales are too large for exact numerics. The message has the range arithmetic.
 */
export class RangeOverflowError extends ProgramError {
  override name = "RangeOverflowError";
}

/** Serialized training state that does not parse, or does not fit its program. */
export class StateError extends EngineError {
  override name = "StateError";
  override readonly code = "invalid_state";
}

/** A dataset, shard or batch that is malformed or does not match its commitment. */
export class DataError extends EngineError {
  override name = "DataError";
  override readonly code = "invalid_data";
}

/** A failure inside ONNX Runtime (session creation or a step). */
export class RuntimeError extends EngineError {
  override name = "RuntimeError";
  override readonly code = "runtime_failure";
}

/** A training or re-execution request that contradicts itself (steps, intervals, checkpoints). */
export class TrainingError extends EngineError {
  override name = "TrainingError";
  override readonly code = "invalid_training_request";
}
