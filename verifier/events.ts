// What the verifier daemon reports as it works: each event is also logged, and tests and
// operators may listen for them (VerifierDaemonOptions.onEvent).
import type { AuditState, ReceiptState } from "./state-machine.ts";
import type { VoteName } from "./segment-check.ts";
import type { Fraud } from "./trace-checks.ts";

/** What a test or an operator can watch for (also logged). */
export type VerifierEvent =
  | { type: "segment-checked"; jobId: bigint; segment: number; ok: boolean }
  | { type: "segment-error"; jobId: bigint; segment: number; error: string }
  | { type: "decided"; jobId: bigint; state: AuditState }
  | { type: "fraud-proven"; jobId: bigint; kind: Fraud["kind"] }
  | { type: "challenge-withdrawn"; jobId: bigint; disputeId: bigint }
  | { type: "challenge-committed"; jobId: bigint; segment: number }
  | { type: "dispute-opened"; jobId: bigint; disputeId: bigint; segment: number }
  | { type: "narrowed"; disputeId: bigint; lo: number; hi: number }
  | { type: "dispute-resolved"; disputeId: bigint; outcome: string }
  | { type: "voted"; disputeId: bigint; vote: VoteName }
  | { type: "kept"; action: string; id: bigint }
  | { type: "receipt"; jobId: bigint; state: ReceiptState; amount?: bigint }
  | { type: "claimed"; contract: "market" | "disputeGame" | "fraudProofs"; amount: bigint };
