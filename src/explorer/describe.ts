// One event in words, for the histories the explorer lists (a job's timeline, a dispute's moves,
// an account's record). Amounts are token units (18 decimals); events the explorer has no sentence
// for are listed by name with their arguments, so nothing the chain says is hidden.
import { formatUnits } from "viem";

import { DISPUTE_KIND_NAME, JOB_STATUS, OUTCOME } from "../protocol/onchain-enums.ts";
import type { ChainEvent } from "./chain-events.ts";

/** The token's decimals (TestToken and the protocol's token: 18). */
const DECIMALS = 18;

/** Token units to at most 6 decimals, "≈" marking a rounded figure (/api/state has them exact). */
export function tokens(amount: bigint): string {
  const exact = formatUnits(amount, DECIMALS);
  const [whole, fraction] = exact.split(".");
  if (fraction === undefined || fraction.length <= 6) return exact;
  const rounded = formatUnits(((amount + 5n * 10n ** 11n) / 10n ** 12n) * 10n ** 12n, DECIMALS);
  return rounded === "0" ? `≈0 (${whole}.${fraction})` : `≈${rounded}`;
}

export function short(value: string): string {
  return value.length > 14 ? `${value.slice(0, 8)}…${value.slice(-4)}` : value;
}

const VOTES = ["none", "provider", "challenger", "neither"];

export function describeEvent(e: ChainEvent): string {
  const a = e.args as Record<string, unknown>;
  const s = (k: string): string => String(a[k]);
  const t = (k: string): string => tokens(a[k] as bigint);
  const who = (k: string): string => short(s(k));
  switch (e.name) {
    case "JobCreated":
      return `job ${s("jobId")} posted by ${who("submitter")}: escrow ${t("amount")}, collateral ${t("collateral")}`;
    case "JobCancelled":
      return `job ${s("jobId")} cancelled by its submitter`;
    case "JobAccepted":
      return `job ${s("jobId")} accepted by provider ${who("provider")}`;
    case "ProgressCommitted":
      return `job ${s("jobId")}: ${s("checkpoints")} checkpoints committed`;
    case "TraceSubmitted":
      return `job ${s("jobId")}: trace submitted, root ${short(s("traceRoot"))}`;
    case "SamplesOpened":
      return `job ${s("jobId")}: sampled segments opened, top-Q ${(a.topIndices as bigint[]).join(", ")}`;
    case "LeavesOpened":
      return `job ${s("jobId")}: ${(a.leaves as unknown[]).length} leaves opened with their proof`;
    case "JobFinalized":
      return `job ${s("jobId")} finalized: provider paid ${t("providerPayment")}, budget refund ${t("budgetRefund")}`;
    case "JobExpired":
      return `job ${s("jobId")} expired in ${JOB_STATUS[Number(a.from)] ?? s("from")}, ${t("slashed")} slashed`;
    case "JobSlashed":
      return `job ${s("jobId")} slashed: the provider was caught`;
    case "DisputeBegan":
      return `job ${s("jobId")}: a dispute began (${s("openDisputes")} open)`;
    case "DisputeEnded":
      return `job ${s("jobId")}: a dispute ended, provider ${a.providerLost === true ? "lost" : "held"}`;
    case "ChallengeWindowExtended":
      return `job ${s("jobId")}: challenge window extended`;
    case "DisputeOpened":
      return `dispute ${s("disputeId")} opened by ${who("challenger")} on segment ${s("segment")} (${DISPUTE_KIND_NAME[Number(a.kind)] ?? s("kind")}), bond ${t("bond")}`;
    case "ClaimsDisputed":
      return `dispute ${s("disputeId")}: the leaf claims are disputed`;
    case "ProbeChallenged":
      return `dispute ${s("disputeId")}: probe digest at step ${s("step")} challenged`;
    case "AvailabilityAnswered":
      return `dispute ${s("disputeId")}: the provider answered the availability challenge`;
    case "ChallengeWithdrawn":
      return `dispute ${s("disputeId")}: challenge withdrawn`;
    case "PointsPosted":
      return `dispute ${s("disputeId")}: provider posted ${(a.digests as unknown[]).length} digests`;
    case "RangeNarrowed":
      return `dispute ${s("disputeId")}: challenger narrowed to steps ${s("lo")}..${s("hi")}`;
    case "ReadyForCommittee":
      return `dispute ${s("disputeId")}: narrowed to step ${s("step")}, awaiting a committee`;
    case "PreStatePublished":
      return `dispute ${s("disputeId")}: challenger published the agreed pre-state (envelope ${short(s("envelopeDigest"))})`;
    case "RandomnessRequested":
      return `dispute ${s("disputeId")}: randomness requested for round ${s("round")}`;
    case "CommitteeShort":
      return `dispute ${s("disputeId")}: round ${s("round")} drew ${s("found")} of ${s("seats")} seats`;
    case "NoMajority":
      return `dispute ${s("disputeId")}: round ${s("round")} reached no majority`;
    case "CommitteeDrawn":
      return `dispute ${s("disputeId")}: committee of ${(a.members as unknown[]).length} drawn (round ${s("round")})`;
    case "VoteCommitted":
      return `dispute ${s("disputeId")}: referee ${who("referee")} (seat ${s("seat")}) committed a vote`;
    case "VoteRevealed":
      return `dispute ${s("disputeId")}: referee ${who("referee")} voted ${VOTES[Number(a.vote)] ?? s("vote")}`;
    case "DisputeResolved":
      return `dispute ${s("disputeId")} resolved: ${OUTCOME[Number(a.outcome)] ?? s("outcome")}${a.byTimeout === true ? " (by timeout)" : ""}`;
    case "RefereePenalized":
      return `dispute ${s("disputeId")}: referee ${who("referee")} penalized ${t("amount")}`;
    case "Credited":
      return `${who("account")} credited ${t("amount")} (${e.contract} ref ${s("ref")})`;
    case "CreditClaimed":
      return `${who("account")} claimed ${t("amount")}`;
    case "Staked":
      return `${who("account")} staked ${t("amount")} as ${Number(a.role) === 1 ? "provider" : "verifier"}`;
    case "UnstakeRequested":
      return `${who("account")} started unbonding ${t("amount")}`;
    case "Withdrawn":
      return `${who("account")} withdrew ${t("amount")}`;
    case "CollateralLocked":
      return `${who("provider")} locked ${t("amount")} collateral`;
    case "CollateralUnlocked":
      return `${who("provider")} released ${t("amount")} collateral`;
    case "Slashed":
      return `${who("account")} slashed ${t("amount")} of its ${Number(a.role) === 1 ? "provider" : "verifier"} stake`;
    case "Ejected":
      return `${who("account")} ejected`;
    case "FraudProven":
      return `job ${s("jobId")}: fraud proven by ${who("prover")}, ${t("slashed")} slashed`;
    case "ReceiptCommitted":
      return `job ${s("jobId")}: verifier ${who("verifier")} committed a receipt`;
    case "ReceiptMatched":
      return `job ${s("jobId")}: verifier ${who("verifier")}'s receipt matched`;
    case "ReceiptPaid":
      return `job ${s("jobId")}: verifier ${who("verifier")} paid ${t("amount")}`;
    default:
      return `${e.name}(${Object.entries(a)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.length}]` : String(v)}`)
        .join(", ")})`;
  }
}
