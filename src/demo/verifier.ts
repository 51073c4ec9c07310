// The verifier's side: read a submission (the trace manifest, by the content address the chain
// names, checked against the on-chain root), read the opened leaves from the provider's
// openSamples transaction, fetch the opened checkpoints by content address and check them
// against those leaves, re-execute segments with the engine, and — when one does not reproduce —
// challenge it by commit–reveal and play the challenger's side of the dissection with digests
// from its own re-execution.
import { randomBytes } from "node:crypto";

import {
  bytesToHex,
  decodeFunctionData,
  encodeAbiParameters,
  keccak256,
  parseEventLogs,
  type Hex,
} from "viem";

import { getState, putState } from "../checkpoint/checkpoint-store.ts";
import {
  decodeTraceManifest,
  leafOf,
  type CheckpointRecord,
  type TraceManifest,
} from "../checkpoint/trace.ts";
import { reexecute, type ReexecutionReport } from "../engine/reexecute.ts";
import type { RuntimeOptions } from "../engine/runtime.ts";
import { digestsBetween, stateAt } from "../engine/trainer.ts";
import { chooseNarrowing, type NarrowMove } from "../protocol/dissection.ts";
import { hashLeaf, type TraceLeaf } from "../protocol/leaf.ts";
import { buildLevels, multiProof } from "../protocol/merkle.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { cidFromDigest } from "../store/cid.ts";
import { mineBlocks, send, type Actor, type DemoChain } from "./chain.ts";
import { readDissection } from "./dispute-view.ts";
import { DemoError } from "./errors.ts";
import { readJob, type FetchedJob } from "./jobs.ts";

export interface Submission {
  manifest: TraceManifest;
  manifestCid: string;
  /** Content address of the result (the final checkpoint). */
  resultCid: string;
}

/** The trace manifest a job's TraceSubmitted event names, checked against the chain. */
export async function readSubmission(
  chain: DemoChain,
  store: BlobStore,
  job: FetchedJob,
): Promise<Submission> {
  const { jobId } = job;
  const [event] = await chain.deployment.market.getEvents.TraceSubmitted(
    { jobId },
    { fromBlock: 0n },
  );
  if (event === undefined) throw new DemoError(`job ${jobId} has no submitted trace`);
  const onchain = await readJob(chain, jobId);
  const manifestCid = cidFromDigest(event.args.leavesDigest!);
  let manifest: TraceManifest;
  try {
    manifest = decodeTraceManifest(await store.get(manifestCid));
  } catch (cause) {
    throw new DemoError(`job ${jobId}: the trace manifest ${manifestCid} cannot be read`, {
      cause,
    });
  }
  const n = onchain.checkpoints;
  const problems = [
    manifest.jobId !== jobId && `it is for job ${manifest.jobId}`,
    manifest.specHash !== onchain.specHash.toLowerCase() && "its spec hash differs",
    manifest.root !== onchain.traceRoot.toLowerCase() && "its root is not the committed trace root",
    manifest.checkpointInterval !== onchain.checkpointInterval && "its checkpoint interval differs",
    manifest.records.length !== n + 1 && `it has ${manifest.records.length - 1} leaves, not ${n}`,
    manifest.records[0]!.stateDigest !== onchain.initialStateDigest.toLowerCase() &&
      "its checkpoint 0 is not the job's initial state",
    manifest.records.at(-1)!.stateDigest !== onchain.finalDigest.toLowerCase() &&
      "its last checkpoint is not the committed final digest",
  ].filter((p): p is string => typeof p === "string");
  if (problems.length > 0)
    throw new DemoError(`job ${jobId}: trace manifest ${manifestCid}: ${problems.join("; ")}`);
  return { manifest, manifestCid, resultCid: cidFromDigest(event.args.resultDigest!) };
}

export interface Opening {
  sampled: number[];
  top: number[];
  /** The leaves the provider opened on chain (checked there against the trace root). */
  leaves: TraceLeaf[];
}

/** The sampled segments, and the leaves and top-Q indices from the provider's openSamples call. */
export async function readOpening(chain: DemoChain, jobId: bigint): Promise<Opening> {
  const { market } = chain.deployment;
  const [event] = await market.getEvents.SamplesOpened({ jobId }, { fromBlock: 0n });
  if (event === undefined) throw new DemoError(`job ${jobId} has not opened its samples`);
  const tx = await chain.publicClient.getTransaction({ hash: event.transactionHash });
  const call = decodeFunctionData({ abi: market.abi, data: tx.input });
  if (call.functionName !== "openSamples")
    throw new DemoError(
      `job ${jobId}: samples were opened by ${call.functionName}, not openSamples`,
    );
  const [, leaves, topIndices] = call.args;
  const sampled = await market.read.sampledSegments([jobId]);
  return {
    sampled: sampled.map(Number).sort((a, b) => a - b),
    top: topIndices.map(Number),
    leaves: leaves.map((l) => ({ ...l })),
  };
}

/**
 * Fetches every opened checkpoint from the store by the content address its opened leaf commits
 * to (the store and getState verify the bytes), and checks that the manifest agrees with the
 * opened leaves. Returns the number of checkpoints fetched.
 */
export async function checkOpenedCheckpoints(
  store: BlobStore,
  job: FetchedJob,
  submission: Submission,
  opening: Opening,
): Promise<number> {
  const { info } = job.loaded.job.program;
  for (const leaf of opening.leaves) {
    const i = Number(leaf.index);
    const record = submission.manifest.records[i];
    const same =
      record !== undefined &&
      record.stateDigest === leaf.stateDigest.toLowerCase() &&
      record.lossBits === leaf.lossBits &&
      record.updateNorm === leaf.updateNorm;
    if (!same) throw new DemoError(`job ${job.jobId}: opened leaf ${i} differs from the manifest`);
    try {
      await getState(store, cidFromDigest(leaf.stateDigest), info);
    } catch (cause) {
      throw new DemoError(`job ${job.jobId}: opened checkpoint ${i} is not available`, { cause });
    }
  }
  return opening.leaves.length;
}

export interface SegmentCheck {
  segment: number;
  ok: boolean;
  report: ReexecutionReport;
}

/** Re-executes segments from the provider's checkpoints with the protocol's batches. */
export async function reexecuteSegments(
  job: FetchedJob,
  store: BlobStore,
  records: readonly CheckpointRecord[],
  segments: readonly number[],
  options: { delta?: number; runtime?: RuntimeOptions } = {},
): Promise<SegmentCheck[]> {
  const checks: SegmentCheck[] = [];
  for (const segment of segments) {
    const report = await reexecute(
      job.loaded.job,
      { index: segment, start: records[segment - 1]!, end: records[segment]! },
      { store, ...options },
    );
    checks.push({ segment, ok: report.ok, report });
  }
  return checks;
}

function challengeCommitment(
  jobId: bigint,
  segment: number,
  claim: Hex,
  salt: Hex,
  challenger: Hex,
): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "uint256" },
        { type: "uint256" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "address" },
      ],
      [jobId, BigInt(segment), claim, salt, challenger],
    ),
  );
}

/**
 * Challenges `segment`: commits to (job, segment, own end digest, salt, address), waits a block
 * so that nobody can front-run the reveal with a copy, then reveals with leaves i−1 and i and
 * their multi-proof, posting the bond. Returns the dispute id.
 */
export async function challengeSegment(
  chain: DemoChain,
  verifier: Actor,
  job: FetchedJob,
  submission: Submission,
  segment: number,
  claimDigest: Hex,
): Promise<bigint> {
  const game = chain.deployment.disputeGame;
  const salt = bytesToHex(randomBytes(32));
  const commitment = challengeCommitment(job.jobId, segment, claimDigest, salt, verifier.address);
  await send(chain, verifier, "commitChallenge", () =>
    game.write.commitChallenge([commitment], { account: verifier.wallet.account }),
  );
  await mineBlocks(chain, 1);
  const leaves = submission.manifest.records.slice(1).map(leafOf);
  const levels = buildLevels(leaves.map((leaf) => hashLeaf(job.jobId, leaf)));
  const indices = segment === 1 ? [1] : [segment - 1, segment];
  const receipt = await send(chain, verifier, "revealChallenge", () =>
    game.write.revealChallenge(
      [
        job.jobId,
        BigInt(segment),
        claimDigest,
        salt,
        indices.map((i) => leaves[i - 1]!),
        multiProof(
          levels,
          indices.map((i) => i - 1),
        ),
      ],
      { account: verifier.wallet.account },
    ),
  );
  const [event] = parseEventLogs({ abi: game.abi, logs: receipt.logs, eventName: "DisputeOpened" });
  if (event === undefined) throw new DemoError("revealChallenge emitted no DisputeOpened event");
  return event.args.disputeId;
}

/**
 * The verifier's digests through segment `segment` (offsets 0..k): re-executed with the
 * protocol's batches from the provider's checkpoint i−1 — the state the dispute takes as agreed.
 * Checkpoint i itself is left out of the records so that nothing is read from the claim.
 */
export async function verifierSegmentDigests(
  job: FetchedJob,
  store: BlobStore,
  records: readonly CheckpointRecord[],
  segment: number,
): Promise<Hex[]> {
  const k = job.loaded.job.checkpointInterval;
  const digests = await digestsBetween(
    job.loaded.job,
    { store, records: records.slice(0, segment) },
    (segment - 1) * k,
    segment * k,
  );
  return digests.map((d) => d.digest);
}

/** Challenger move: agree up to the last posted digest it reproduces, dispute the range after it. */
export async function narrowDissection(
  chain: DemoChain,
  verifier: Actor,
  disputeId: bigint,
  own: readonly Hex[],
): Promise<NarrowMove> {
  const view = await readDissection(chain, disputeId);
  if (view.posted === undefined)
    throw new DemoError(`dispute ${disputeId}: not the challenger's turn`);
  const move = chooseNarrowing(view.lo, view.hi, view.current, view.posted, (offset) => {
    const digest = own[offset];
    if (digest === undefined) throw new DemoError(`no own digest at offset ${offset}`);
    return digest;
  });
  await send(chain, verifier, "narrow", () =>
    chain.deployment.disputeGame.write.narrow(
      [disputeId, view.current, view.posted!, BigInt(move.choice), move.ownDigest],
      { account: verifier.wallet.account },
    ),
  );
  return move;
}

/**
 * Stores the agreed pre-state of the disputed step, recomputed by the verifier itself: both sides
 * agreed on its digest, so either can make it available, and the committee does not depend on a
 * cheating provider's cooperation. Returns its CID.
 */
export async function publishAgreedState(
  job: FetchedJob,
  store: BlobStore,
  records: readonly CheckpointRecord[],
  segment: number,
  offset: number,
): Promise<string> {
  const k = job.loaded.job.checkpointInterval;
  const state = await stateAt(
    job.loaded.job,
    { store, records: records.slice(0, segment) },
    (segment - 1) * k + offset,
  );
  return (await putState(store, state)).cid;
}
