// The demo's one error class. Engine and store failures keep their own classes (EngineError,
// StoreError) and arrive here as `cause`, so the demo's message says which actor was doing what
// and the cause says why.
import { AssayError } from "../errors.ts";

export { causeChain } from "../errors.ts";

export class DemoError extends AssayError {
  override name = "DemoError";
  override readonly code = "demo_error";
}
