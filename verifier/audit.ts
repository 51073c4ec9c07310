// The audit-and-challenge duty: for each opened job, one `segment` re-execution task per audited
// segment (the opened ones, from the LeavesOpened event, whether or not the provider's manifest can
// be fetched) and one `norms` task that checks committed update norms from the checkpoint blobs.
// Once every outcome is journaled, `decide` submits a fraud proof the trace itself shows (top-Q,
// final digest), or challenges: a state that does not reproduce, else a false loss or norm
// (claims), else a blob or manifest that cannot be fetched (availability) — or, devnet `dishonest`
// mode, an honest segment. A challenge is committed (salt journaled first), revealed a block later,
// and played on the challenger's side of the dissection; the agreed pre-state is published for the
// committee, in an envelope of its own address named on chain (publishPreState). An availability
// challenge the provider answered is re-checked and withdrawn when the blobs now load. Each job's
// record and its states are in state-machine.ts.
import { randomBytes } from "node:crypto";

import { bytesToHex, keccak256, parseEventLogs, toHex, zeroHash, type Hex } from "viem";

import { leafOf } from "../src/checkpoint/trace.ts";
import { TransactionError } from "../src/errors.ts";
import { fetchCommitted } from "../src/training/reexecute.ts";
import { uncached } from "../src/store/caching-store.ts";
import { BlobTooLargeError } from "../src/store/errors.ts";
import {
  PreStateEnvelopeError,
  type PublishedPreState,
} from "../src/checkpoint/prestate-envelope.ts";
import { type ContractCall, contractCall, type TxSender } from "../src/node/tx.ts";
import {
  challengeCommitment,
  finalDigestEvidence,
  fraudCommitment,
  topQEvidence,
} from "../src/protocol/dispute-commitments.ts";
import { chooseNarrowing } from "../src/protocol/dissection.ts";
import { hashLeaf, type TraceLeaf } from "../src/protocol/leaf.ts";
import { buildLevels, multiProof } from "../src/protocol/merkle.ts";
import {
  disputesOn,
  readDisputeOrigin,
  readDissection,
  readStepQuestion,
  type DisputeOrigin,
} from "../src/node/dispute-reads.ts";
import { JOB, OUTCOME, PHASE, type DisputeKindName } from "../src/protocol/onchain-enums.ts";
import { probeChallengeCommitment } from "../src/protocol/receipts.ts";
import { sampleSegments } from "../src/protocol/sampler.ts";
import { readProbes } from "./chain-reads.ts";
import { type DutyContext, type Head } from "./duty.ts";
import { readOnchainJob } from "../src/node/job-reader.ts";
import { UnverifiableJobError } from "./job-reader.ts";
import type { ProbeMismatch } from "./receipts.ts";
import {
  checkSegment,
  ownSegmentDigests,
  publishPreState,
  recordAt,
  type SegmentResult,
  type VerifiableJob,
} from "./segment-check.ts";
import {
  AUDIT_TRANSITIONS,
  type AuditRecord,
  type AuditState,
  type NormsRecord,
  type SegmentRecord,
} from "./state-machine.ts";
import type { NormsOutcome, ReexecTaskInput, SegmentOutcome } from "./tasks.ts";
import { chooseDispute, findFraud, type Fraud } from "./trace-checks.ts";

export class Audit {
  private readonly ctx: DutyContext;
  private readonly ownDigests = new Map<string, Hex[]>();

  constructor(ctx: DutyContext) {
    this.ctx = ctx;
  }

  async onOpened(jobId: bigint, seed: Hex, top: number[]): Promise<void> {
    const key = `audit:${jobId}`;
    const audit = this.ctx.config.verifier.audit;
    if (audit === "none" || this.ctx.journal.get(key) !== undefined) return;
    const job = await readOnchainJob(this.ctx.chain.contracts.market, jobId);
    const me = this.ctx.chain.address.toLowerCase();
    // docs/protocol.md §1: never verify, challenge or judge one's own job.
    if (job.provider.toLowerCase() === me || job.submitter.toLowerCase() === me) return;
    // A job already settled (seen while catching up on old blocks) has nothing left to check.
    if (job.status !== JOB.Opened && job.status !== JOB.Disputed) return;
    let segments: number[];
    if (audit === "all") segments = Array.from({ length: job.checkpoints }, (_, i) => i + 1);
    else {
      // The event's seed is the job's seed: the same pure sampler as the contract's (whose view
      // reverts once the seeding block hash is older than 256 blocks).
      const sampled = sampleSegments(seed, BigInt(job.checkpoints), job.samples).map(Number);
      segments = [...new Set([...sampled, ...top])].sort((x, y) => x - y);
    }
    const record: AuditRecord = { state: "auditing", segments };
    await this.ctx.journal.set(key, record);
    this.ctx.log.info({ jobId: jobId.toString(), segments }, "auditing job");
    for (const segment of segments)
      await this.ctx.ensureTask(this.segmentTask(jobId, segment, record));
  }

  // ---------------------------------------------------------------- outcomes

  /** A segment task's outcome, journaled once. */
  async onSegment(task: { jobId: string; segment: number }, result: SegmentOutcome): Promise<void> {
    const key = `result:${task.jobId}:${task.segment}`;
    if (this.ctx.journal.get(key) !== undefined) return;
    await this.ctx.journal.set(key, result satisfies SegmentRecord);
    this.ctx.metrics.segmentsVerified.inc({ result: result.ok ? "ok" : "mismatch" });
    this.ctx.emit({
      type: "segment-checked",
      jobId: BigInt(task.jobId),
      segment: task.segment,
      ok: result.ok,
    });
  }

  /** A segment task failed for good: the segment could not be checked. */
  async onSegmentFailure(task: { jobId: string; segment: number }, error: string): Promise<void> {
    const key = `result:${task.jobId}:${task.segment}`;
    if (this.ctx.journal.get(key) !== undefined) return;
    await this.ctx.journal.set(key, { error, segment: task.segment } satisfies SegmentRecord);
    this.ctx.metrics.segmentsVerified.inc({ result: "error" });
    this.ctx.emit({
      type: "segment-error",
      jobId: BigInt(task.jobId),
      segment: task.segment,
      error,
    });
  }

  /** The norms task's outcome (or failure), journaled once. */
  async onNorms(task: { jobId: string }, outcome: NormsOutcome | { error: string }): Promise<void> {
    const key = `norms:${task.jobId}`;
    if (this.ctx.journal.get(key) === undefined)
      await this.ctx.journal.set(key, outcome satisfies NormsRecord);
  }

  // ---------------------------------------------------------------- audit and challenge

  private async setAudit(jobId: bigint, record: AuditRecord, next: AuditRecord): Promise<void> {
    if (record.state !== next.state) {
      const allowed: readonly string[] = AUDIT_TRANSITIONS[record.state];
      if (!allowed.includes(next.state))
        throw new Error(`job ${jobId}: audit cannot go from ${record.state} to ${next.state}`);
    }
    await this.ctx.journal.set(`audit:${jobId}`, next);
  }

  async advance(jobId: bigint, head: Head): Promise<void> {
    const record = this.ctx.journal.get<AuditRecord>(`audit:${jobId}`)!;
    switch (record.state) {
      case "auditing":
        return this.decide(jobId, record);
      case "proving":
        return this.prove(jobId, record, head);
      case "challenging":
        return this.challenge(jobId, record, head);
      case "disputing":
        return this.playDispute(jobId, record);
      default:
        return;
    }
  }

  /** The task that re-executes `segment` for this audit (and, for receipts, records its steps). */
  private segmentTask(jobId: bigint, segment: number, record: AuditRecord): ReexecTaskInput {
    return {
      kind: "segment",
      jobId: jobId.toString(),
      segment,
      round: record.round ?? 0,
      interior: this.ctx.config.verifier.receipts,
    };
  }

  /**
   * Once every segment (and the norm check) has a result: prove a fraud the trace shows, or
   * challenge — a state that does not reproduce first (the strongest evidence), then a false loss
   * or norm, then a blob that cannot be fetched — or pass the job.
   */
  private async decide(jobId: bigint, record: AuditRecord): Promise<void> {
    const results: SegmentRecord[] = [];
    for (const segment of record.segments) {
      const result = this.ctx.journal.get<SegmentRecord>(`result:${jobId}:${segment}`);
      if (result === undefined) {
        // Re-added if Redis lost it (restart, flush); a no-op while it is queued or running.
        await this.ctx.ensureTask(this.segmentTask(jobId, segment, record));
        continue;
      }
      results.push(result);
    }
    if (results.length < record.segments.length) return;
    let v: VerifiableJob;
    try {
      v = await this.ctx.jobs.get(jobId);
    } catch (error) {
      // The spec or the artefacts it names do not load (the segment tasks failed as poison too):
      // nothing here can be checked or disputed.
      if (!(error instanceof UnverifiableJobError)) throw error;
      await this.setAudit(jobId, record, { ...record, state: "unverifiable" });
      this.ctx.emit({ type: "decided", jobId, state: "unverifiable" });
      return;
    }
    let norms: NormsRecord | undefined;
    if (v.manifestProblem === undefined && this.ctx.config.verifier.normCheckFraction > 0) {
      norms = this.ctx.journal.get<NormsRecord>(`norms:${jobId}`);
      if (norms === undefined) {
        await this.ctx.ensureTask({
          kind: "norms",
          jobId: jobId.toString(),
          round: record.round ?? 0,
          fraction: this.ctx.config.verifier.normCheckFraction,
          verifier: this.ctx.address,
        });
        return;
      }
    }

    const fraud = this.ctx.config.verifier.dishonest ? undefined : await this.fraudOf(jobId, v);
    if (fraud !== undefined) {
      // The salt is journaled before the commit transaction: a restart reveals this commitment.
      const salt = bytesToHex(randomBytes(32));
      await this.setAudit(jobId, record, { ...record, state: "proving", proof: { salt } });
      this.ctx.log.warn({ jobId: jobId.toString(), fraud: fraud.kind }, "the trace proves a fraud");
      this.ctx.emit({ type: "decided", jobId, state: "proving" });
      return;
    }

    const target = this.ctx.config.verifier.dishonest
      ? {
          // Devnet test behaviour: a made-up end digest for the first audited segment.
          kind: "State" as const,
          segment: record.segments[0]!,
          claim: keccak256(toHex(`assay dishonest claim ${jobId}`)),
        }
      : await this.target(jobId, v, results, norms);
    if (target === undefined) {
      const errors =
        results.filter((r) => r.error !== undefined).length + (norms?.error === undefined ? 0 : 1);
      const state: AuditState = errors > 0 ? "unverifiable" : "passed";
      await this.setAudit(jobId, record, { ...record, state });
      this.ctx.emit({ type: "decided", jobId, state });
      return;
    }
    // The salt is journaled before the commit transaction: a restart reveals this commitment.
    const salt = bytesToHex(randomBytes(32));
    await this.setAudit(jobId, record, {
      ...record,
      state: "challenging",
      challenge: { ...target, salt },
    });
    this.ctx.emit({ type: "decided", jobId, state: "challenging" });
  }

  /** The dispute to open over the audit's findings (chooseDispute), with the digest it names. */
  private async target(
    jobId: bigint,
    v: VerifiableJob,
    results: readonly SegmentRecord[],
    norms: NormsRecord | undefined,
  ): Promise<{ kind: DisputeKindName; segment: number; claim: Hex } | undefined> {
    const checked = results.filter((r): r is SegmentResult => r.error === undefined);
    const normChecks = norms?.error === undefined ? (norms?.failed ?? []) : [];
    const choice = chooseDispute(checked, normChecks, v.manifestProblem);
    if (choice === undefined) return undefined;
    const { kind, segment } = choice;
    if (kind === "State") {
      const own = await this.own(jobId, segment);
      return { kind, segment, claim: own.at(-1)! };
    }
    if (kind === "Claims") return { kind, segment, claim: recordAt(v, segment).stateDigest };
    if (v.manifestProblem !== undefined)
      this.ctx.log.warn(
        { jobId: jobId.toString(), problem: v.manifestProblem },
        "the provider's trace manifest cannot be used: availability challenge",
      );
    return { kind, segment, claim: zeroHash };
  }

  /** A fraud the committed trace proves against the job's on-chain claims, or undefined. */
  private async fraudOf(jobId: bigint, v: VerifiableJob): Promise<Fraud | undefined> {
    const onchain = await readOnchainJob(this.ctx.chain.contracts.market, jobId);
    return findFraud(v, {
      topQ: onchain.topQ,
      topAbove: onchain.topAbove,
      minTopNorm: onchain.minTopNorm,
      finalDigest: onchain.finalDigest,
    });
  }

  /**
   * Proves the fraud by commit–reveal (FraudProofs slashes at once; no bond, no dispute): the
   * commitment binds the evidence and this address, so a copied reveal fails.
   */
  private async prove(jobId: bigint, record: AuditRecord, head: Head): Promise<void> {
    const p = record.proof!;
    const fp = this.ctx.chain.contracts.fraudProofs;
    const fraud = await this.fraudOf(jobId, await this.ctx.jobs.get(jobId));
    if (fraud === undefined) throw new Error(`job ${jobId}: the fraud found earlier is gone`);
    const evidence =
      fraud.kind === "topQ"
        ? topQEvidence(fraud.leaves, fraud.proof)
        : finalDigestEvidence(fraud.leaf, fraud.proof);
    if (p.commitBlock === undefined) {
      const commitment = fraudCommitment(fraud.kind, jobId, evidence, p.salt, this.ctx.address);
      const commitBlock = await this.commit(
        `fraud-commit:${jobId}`,
        `commit fraud proof of job ${jobId}`,
        contractCall(fp, "commitProof", [commitment]),
        "FraudCommitmentExists",
        async () =>
          (await fp.getEvents.FraudCommitted({ commitment }, { fromBlock: this.deployedAt() }))[0]
            ?.blockNumber ?? undefined,
      );
      await this.setAudit(jobId, record, { ...record, proof: { ...p, commitBlock } });
      return;
    }
    // The reveal must be in a later block than the commit.
    const reveal = p.commitBlock + 1n;
    if (
      this.ctx.waits.blockPending(
        `fraud-reveal:${jobId}`,
        reveal,
        head.number,
        `job ${jobId}: fraud proof committed, reveal`,
      )
    )
      return;
    const call: ContractCall =
      fraud.kind === "topQ"
        ? contractCall(fp, "proveTopQFraud", [jobId, fraud.leaves, fraud.proof, p.salt])
        : contractCall(fp, "proveFinalDigestFraud", [jobId, fraud.leaf, fraud.proof, p.salt]);
    try {
      await this.send(`fraud:${jobId}`, `prove ${fraud.kind} fraud of job ${jobId}`, call);
      this.ctx.metrics.disputes.inc({ role: "challenger", outcome: `fraud-${fraud.kind}` });
      this.ctx.emit({ type: "fraud-proven", jobId, kind: fraud.kind });
    } catch (error) {
      // Refused: another prover (or a dispute) slashed the job first.
      if (!(error instanceof TransactionError)) throw error;
      this.ctx.log.info({ jobId: jobId.toString(), revert: error.revert }, "fraud proof refused");
    }
    await this.setAudit(jobId, record, { ...record, state: "proven" });
    this.ctx.emit({ type: "decided", jobId, state: "proven" });
  }

  private async own(jobId: bigint, segment: number): Promise<Hex[]> {
    const key = `${jobId}:${segment}`;
    let own = this.ownDigests.get(key);
    if (own === undefined) {
      own = await ownSegmentDigests(await this.ctx.jobs.get(jobId), this.ctx.store, segment);
      if (this.ctx.config.verifier.dishonest)
        own = [...own.slice(0, -1), keccak256(toHex(`assay dishonest claim ${jobId}`))];
      this.ownDigests.set(key, own);
    }
    return own;
  }

  private async challenge(jobId: bigint, record: AuditRecord, head: Head): Promise<void> {
    const c = record.challenge!;
    const game = this.ctx.chain.contracts.disputeGame;
    // One challenge per audit round at most: the round names the transactions, so a segment
    // challenged again after a withdrawn challenge (a new round) sends new ones instead of finding
    // the first round's journaled commit and reveal (round 0 keeps the keys it always had).
    const round = record.round ?? 0;
    const tag = round === 0 ? "" : `:r${round}`;
    const commitKey = `challenge-commit:${jobId}:${c.segment}${tag}`;
    if (c.commitBlock === undefined) {
      if (!this.ctx.tx.sent(commitKey)) {
        const job = await readOnchainJob(this.ctx.chain.contracts.market, jobId);
        const open = job.status === JOB.Opened || job.status === JOB.Disputed;
        if (!open || head.timestamp >= BigInt(job.deadline)) {
          await this.setAudit(jobId, record, { ...record, state: "late" });
          this.ctx.emit({ type: "decided", jobId, state: "late" });
          return;
        }
      }
      const commitment = (
        c.probeStep === undefined ? challengeCommitment : probeChallengeCommitment
      )(jobId, c.segment, c.claim, c.salt, this.ctx.address);
      const commitBlock = await this.commit(
        commitKey,
        `commit challenge of job ${jobId}`,
        contractCall(game, "commitChallenge", [commitment]),
        "DisputeCommitmentExists",
        async () =>
          (
            await game.getEvents.ChallengeCommitted(
              { commitment },
              { fromBlock: this.deployedAt() },
            )
          )[0]?.blockNumber ?? undefined,
      );
      await this.setAudit(jobId, record, { ...record, challenge: { ...c, commitBlock } });
      this.ctx.emit({ type: "challenge-committed", jobId, segment: c.segment });
      return;
    }
    // The reveal must be in a later block than the commit (nobody can copy it from the mempool).
    if (
      this.ctx.waits.blockPending(
        `challenge-reveal:${jobId}`,
        c.commitBlock + 1n,
        head.number,
        `job ${jobId}: challenge of segment ${c.segment} committed, reveal`,
      )
    )
      return;
    const v = await this.ctx.jobs.get(jobId);
    const { leaves, proof } = challengeLeaves(v, c.segment);
    const probes = c.probeStep === undefined ? undefined : await readProbes(this.ctx.chain, jobId);
    const receipt = await this.send(
      `challenge-reveal:${jobId}:${c.segment}${tag}`,
      `reveal challenge of job ${jobId}`,
      probes === undefined
        ? contractCall(game, "revealChallenge", [
            jobId,
            BigInt(c.segment),
            c.claim,
            c.salt,
            leaves,
            proof,
          ])
        : contractCall(game, "revealProbeChallenge", [
            jobId,
            BigInt(c.segment),
            c.claim,
            c.salt,
            leaves,
            proof,
            {
              segments: [...probes.segments],
              steps: [...probes.steps],
              digests: [...probes.digests],
            },
          ]),
    );
    const [opened] = parseEventLogs({
      abi: game.abi,
      logs: receipt.logs,
      eventName: "DisputeOpened",
    });
    if (opened === undefined) throw new Error("revealChallenge emitted no DisputeOpened event");
    const disputeId = opened.args.disputeId;
    await this.setAudit(jobId, record, {
      ...record,
      state: "disputing",
      challenge: { ...c, disputeId },
    });
    this.ctx.metrics.disputes.inc({ role: "challenger", outcome: "opened" });
    this.ctx.emit({ type: "dispute-opened", jobId, disputeId, segment: c.segment });
  }

  /**
   * A provider probe digest (receipts) that differs from this verifier's own: on an exact job whose
   * audit passed, challenge it (a state dispute over the segment's first `step` steps); a job
   * already in a dispute of this verifier's, or a tolerance job, is left as it is.
   */
  async probeChallenge(jobId: bigint, m: ProbeMismatch): Promise<void> {
    const record = this.ctx.journal.get<AuditRecord>(`audit:${jobId}`);
    if (record === undefined || record.state !== "passed") return;
    const v = await this.ctx.jobs.get(jobId);
    if (v.numerics !== "exact" || this.ctx.config.verifier.dishonest) return;
    const salt = bytesToHex(randomBytes(32));
    this.ctx.log.warn({ jobId: jobId.toString(), ...m }, "challenging the provider's probe digest");
    await this.setAudit(jobId, record, {
      ...record,
      state: "challenging",
      challenge: { kind: "State", segment: m.segment, claim: m.own, salt, probeStep: m.step },
    });
    this.ctx.emit({ type: "decided", jobId, state: "challenging" });
  }

  /** The challenger's side: narrow with its own digests, publish the agreed pre-state, watch the end. */
  private async playDispute(jobId: bigint, record: AuditRecord): Promise<void> {
    const c = record.challenge!;
    const disputeId = c.disputeId!;
    const game = this.ctx.chain.contracts.disputeGame;
    if (c.kind === "Availability" && c.withdrawing) {
      // Decided (and journaled) before the transaction: a restart finishes the withdrawal and the
      // new audit round instead of reading the withdrawn dispute as resolved and stopping.
      try {
        await this.send(
          `withdraw:${disputeId}`,
          `withdraw challenge ${disputeId}`,
          contractCall(game, "withdrawChallenge", [disputeId]),
        );
      } catch (error) {
        if (!(error instanceof TransactionError)) throw error;
        // Too late (the committee was drawn): the committee judges the segment instead.
        this.ctx.log.info(
          { disputeId: disputeId.toString(), revert: error.revert },
          "withdrawal refused",
        );
        await this.setAudit(jobId, record, {
          ...record,
          challenge: { ...c, withdrawing: false, rechecked: true },
        });
        return;
      }
      this.ctx.emit({ type: "challenge-withdrawn", jobId, disputeId });
      await this.reaudit(jobId, record);
      return;
    }
    if (c.kind === "Availability" && !c.rechecked) {
      const d = await game.read.getDispute([disputeId]);
      if (d.phase === PHASE.Answer) return; // the provider's clock runs; the keeper times it out
      if (d.phase === PHASE.AwaitingCommittee) {
        // The provider answered: fetch again and check the segment. Available and sound → withdraw
        // (bond back) before the committee is drawn and audit the job afresh (next poll); otherwise
        // the committee, which judges the whole segment, will find the same.
        const available = await this.availableNow(jobId, c.segment);
        await this.setAudit(jobId, record, {
          ...record,
          challenge: available ? { ...c, withdrawing: true } : { ...c, rechecked: true },
        });
        return;
      }
    }
    const origin: DisputeOrigin = await readDisputeOrigin(disputesOn(this.ctx.chain), disputeId);
    const view = await readDissection(disputesOn(this.ctx.chain), disputeId, origin);
    if (view.phase === PHASE.Dissection) {
      if (view.providerTurn || view.posted === undefined) return;
      const own = await this.own(jobId, c.segment);
      const move = chooseNarrowing(view.lo, view.hi, view.current, view.posted, (offset) => {
        const digest = own[offset];
        if (digest === undefined) throw new Error(`no own digest at offset ${offset}`);
        return digest;
      });
      await this.send(
        `narrow:${disputeId}:${view.lo}:${view.hi}`,
        `narrow dispute ${disputeId}`,
        contractCall(game, "narrow", [
          disputeId,
          view.current,
          view.posted,
          BigInt(move.choice),
          move.ownDigest,
        ]),
      );
      this.ctx.emit({ type: "narrowed", disputeId, lo: move.lo, hi: move.hi });
      return;
    }
    const v = await this.ctx.jobs.get(jobId);
    if (
      !c.published &&
      c.kind === "State" &&
      v.numerics === "exact" &&
      view.phase !== PHASE.Resolved
    ) {
      // Both sides agreed on the pre-state's digest: publish it, recomputed, so the committee does
      // not depend on a cheating provider making it available.
      await this.publishPreState(disputeId, c.segment, v);
      await this.setAudit(jobId, record, { ...record, challenge: { ...c, published: true } });
      return;
    }
    if (view.phase === PHASE.Resolved) {
      const d = await game.read.getDispute([disputeId]);
      const outcome = OUTCOME[d.outcome] ?? `outcome ${d.outcome}`;
      await this.setAudit(jobId, record, {
        ...record,
        state: "done",
        challenge: { ...c, outcome },
      });
      this.ctx.metrics.disputes.inc({ role: "challenger", outcome });
      this.ctx.emit({ type: "dispute-resolved", disputeId, outcome });
    }
  }

  /**
   * Publishes the agreed pre-state of exact state dispute `disputeId` in its envelope and names the
   * envelope on chain (DisputeGame.publishPreState), once: the transaction is journaled under its
   * key, and storing the same envelope again is a no-op. Always the envelope, whatever the step: at
   * a segment's first step the bare state would be the provider's checkpoint, and one path for
   * every step is simpler. A state too large to envelope, or a dispute that ended meanwhile, leaves
   * the committee to read the pre-state without it.
   */
  private async publishPreState(
    disputeId: bigint,
    segment: number,
    v: VerifiableJob,
  ): Promise<void> {
    const question = await readStepQuestion(disputesOn(this.ctx.chain), disputeId);
    let published: PublishedPreState;
    try {
      published = await publishPreState(v, this.ctx.store, disputeId, segment, question.step - 1);
    } catch (error) {
      if (!(error instanceof PreStateEnvelopeError || error instanceof BlobTooLargeError))
        throw error;
      this.ctx.log.warn(
        { disputeId: disputeId.toString(), err: error.message },
        "the pre-state cannot be published: the committee re-derives it",
      );
      return;
    }
    try {
      await this.send(
        `prestate:${disputeId}`,
        `publish pre-state of dispute ${disputeId}`,
        contractCall(this.ctx.chain.contracts.disputeGame, "publishPreState", [
          disputeId,
          published.envelopeDigest,
        ]),
      );
    } catch (error) {
      // The dispute resolved in between: nobody is left to read it. Anything else (a node that
      // dropped the transaction twice, say) is tried again on the next pass.
      if (!(error instanceof TransactionError) || error.revert !== "DisputeWrongPhase") throw error;
      this.ctx.log.info(
        { disputeId: disputeId.toString(), revert: error.revert },
        "pre-state publication refused",
      );
    }
  }

  /**
   * Whether the manifest and checkpoints segment − 1 and segment load intact now and the segment
   * passes re-execution: what the committee of an availability dispute will judge.
   */
  private async availableNow(jobId: bigint, segment: number): Promise<boolean> {
    const v = await this.ctx.jobs.get(jobId, { fresh: true });
    if (v.manifestProblem !== undefined) return false;
    // What the store serves now, past the cache. checkSegment fails a start it cannot fetch (an
    // availability fault in both numerics) and, in tolerance numerics, an end; exact numerics
    // compare the end by digest, so fetch it here.
    const store = uncached(this.ctx.store);
    const end = await fetchCommitted(store, recordAt(v, segment), v.job.program.info);
    return end !== undefined && (await checkSegment(v, store, segment)).ok;
  }

  /**
   * Audits a job again after a withdrawn availability challenge: results that depended on what
   * could not be fetched (availability faults, errors, the norm check) are dropped and re-run.
   */
  private async reaudit(jobId: bigint, record: AuditRecord): Promise<void> {
    // Results first, the state last: a crash in between finds the withdrawal journaled and does
    // this again (the deletes are idempotent).
    for (const segment of record.segments) {
      const key = `result:${jobId}:${segment}`;
      const result = this.ctx.journal.get<SegmentRecord>(key);
      if (result !== undefined && (result.error !== undefined || result.fault === "availability"))
        await this.ctx.journal.delete(key);
    }
    await this.ctx.journal.delete(`norms:${jobId}`);
    // A new round: its tasks have ids of their own, and workers load the job afresh for them.
    const { challenge: _withdrawn, ...rest } = record;
    await this.setAudit(jobId, record, {
      ...rest,
      state: "auditing",
      round: (record.round ?? 0) + 1,
    });
  }

  private send(key: string, action: string, call: ContractCall): ReturnType<TxSender["send"]> {
    return this.ctx.tx.send(key, action, call);
  }

  /**
   * Sends the commit of a commit–reveal and returns the block it was stored in. A commitment
   * already stored (`exists`: someone copied it from the mempool and had it mined first, so ours
   * reverted) is ours all the same: it binds this address, so only this account can reveal it. It
   * counts from the block its event names, which `storedAt` reads.
   */
  private async commit(
    key: string,
    action: string,
    call: ContractCall,
    exists: string,
    storedAt: () => Promise<bigint | undefined>,
  ): Promise<bigint> {
    try {
      return (await this.send(key, action, call)).blockNumber;
    } catch (error) {
      if (!(error instanceof TransactionError) || error.revert !== exists) throw error;
      const block = await storedAt();
      if (block === undefined) throw error;
      this.ctx.log.warn(
        { key, block: block.toString() },
        `${action}: the commitment was stored by another transaction first (copied from the mempool); it binds this address, so it counts as ours`,
      );
      return block;
    }
  }

  private deployedAt(): bigint {
    return BigInt(this.ctx.chain.deployment.deployedAtBlock);
  }
}

/**
 * The leaves a challenge of `segment` quotes, with their multi-proof: leaves segment − 1 and
 * segment from the manifest, or — when the manifest cannot be used — the whole on-chain opening.
 */
function challengeLeaves(v: VerifiableJob, segment: number): { leaves: TraceLeaf[]; proof: Hex[] } {
  if (v.manifestProblem === undefined) {
    const leaves = v.records.slice(1).map((r) => leafOf(r!));
    const levels = buildLevels(leaves.map((leaf) => hashLeaf(v.jobId, leaf)));
    const indices = segment === 1 ? [1] : [segment - 1, segment];
    return {
      leaves: indices.map((i) => leaves[i - 1]!),
      proof: multiProof(
        levels,
        indices.map((i) => i - 1),
      ),
    };
  }
  if (v.opening === undefined) throw new Error(`job ${v.jobId} has no opening to quote`);
  return v.opening;
}

/** An event as getContractEvents decodes it, for either contract. */
