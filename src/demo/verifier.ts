// A challenger driven in process, for tests that need to play the verifier's side by hand (a made-up
// claim against a provider that refuses to answer, a dissection step by step): read a submission
// (the trace manifest, by the content address the chain names, checked against the on-chain root),
// challenge a segment by commit–reveal and narrow the dissection with the challenger's own digests.
// The verifier daemon (verifier/) does all of this by itself.
import { randomBytes } from "node:crypto";

import { bytesToHex, parseEventLogs, type Hex } from "viem";

import {
  decodeTraceManifest,
  leafOf,
  type CheckpointRecord,
  type TraceManifest,
} from "../checkpoint/trace.ts";
import { digestsBetween } from "../training/trainer.ts";
import { chooseNarrowing, type NarrowMove } from "../protocol/dissection.ts";
import { challengeCommitment } from "../protocol/dispute-commitments.ts";
import { hashLeaf } from "../protocol/leaf.ts";
import { buildLevels, multiProof } from "../protocol/merkle.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { readDissection } from "../node/dispute-reads.ts";
import { manifestProblems, readSubmittedTrace } from "../node/trace-reads.ts";
import { type Actor, type DemoChain, disputeSourceOf, mineBlocks, send } from "./chain.ts";
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
  const submitted = await readSubmittedTrace(chain.deployment.market, jobId, 0n);
  if (submitted === undefined) throw new DemoError(`job ${jobId} has no submitted trace`);
  const onchain = await readJob(chain, jobId);
  const { manifestCid, resultCid } = submitted;
  let manifest: TraceManifest;
  try {
    manifest = decodeTraceManifest(await store.get(manifestCid));
  } catch (cause) {
    throw new DemoError(`job ${jobId}: the trace manifest ${manifestCid} cannot be read`, {
      cause,
    });
  }
  const problems = manifestProblems(jobId, onchain, manifest, { finalDigest: true });
  if (problems.length > 0)
    throw new DemoError(`job ${jobId}: trace manifest ${manifestCid}: ${problems.join("; ")}`);
  return { manifest, manifestCid, resultCid };
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
  const view = await readDissection(disputeSourceOf(chain), disputeId);
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
