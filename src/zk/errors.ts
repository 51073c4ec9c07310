// Errors of the zero-knowledge element proofs. One base class, so callers can catch the
// area as a whole; the subclasses say whose fault it is. None of them is retryable:
// retrying the same input or the same artifacts fails the same way.

export class ZkError extends Error {
  override name = "ZkError";
}

/** The caller's element data violates the circuit's relation or ranges; fix the input. */
export class ElementInputError extends ZkError {
  override name = "ElementInputError";
}

/** Committed circuit artifacts are missing, malformed or do not match the manifest. */
export class CircuitArtifactError extends ZkError {
  override name = "CircuitArtifactError";
}

/** snarkjs failed while computing a witness or a proof for input that passed validation. */
export class ProofGenerationError extends ZkError {
  override name = "ProofGenerationError";
}

/** The prover was closed: its worker threads may be gone; open a new one. */
export class ProverClosedError extends ZkError {
  override name = "ProverClosedError";
}
