// The provider's side: check a job against its spec and accept it, train (storing every
// checkpoint in the content-addressed store), submit the trace root with the content address of
// the leaf list, open the sampled and top-Q segments once the seed exists, and answer a dispute's
// dissection with the digests of its own steps — uploading the states behind them, so that the
// committee can recompute the disputed step from whichever state both sides agreed on.
//
// How a provider computes each step is a `BatchRule`: the protocol fixes the batch of step t as
// a pure function of (dataset root, seed, t); a cheating provider substitutes its own (see
// cheating-provider.ts). Everything else — checkpoints, leaves, openings, dissection answers —
// is the same code for both, so the only difference a verifier can find is the one in the steps.
import { parseEventLogs, type Hex } from "viem";

import { putState } from "../checkpoint/checkpoint-store.ts";
import { leafOf, type CheckpointRecord } from "../checkpoint/trace.ts";
import { train, type TrainingJob, type TrainProgress } from "../training/trainer.ts";
import type { TrainingState } from "../engine/training-state.ts";
import type { TraceLeaf } from "../protocol/leaf.ts";
import { buildOpening, topSegmentsByNorm } from "../protocol/opening.ts";
import { protocolBatches, type BatchRule } from "../provider/batch-rule.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { digestFromCid } from "../protocol/cid.ts";
import { readDissection } from "../node/dispute-reads.ts";
import { type Actor, type DemoChain, disputeSourceOf, mineBlocks, send } from "./chain.ts";
import { DemoError } from "./errors.ts";
import type { FetchedJob } from "./jobs.ts";

export { protocolBatches, type BatchRule };

export interface ProviderRun {
  jobId: bigint;
  /** Checkpoints 0..n as committed. */
  records: CheckpointRecord[];
  root: Hex;
  finalDigest: Hex;
  /** CID of the trace manifest: the leaf preimages and checkpoint CIDs verifiers rebuild the tree from. */
  manifestCid: string;
  finalState: TrainingState;
  /** How this provider computed its steps (its dissection answers replay them). */
  batches: BatchRule;
}

/** Accepts a job whose spec checked out (fetchJob), locking the job's collateral. */
export async function acceptJob(chain: DemoChain, provider: Actor, job: FetchedJob): Promise<void> {
  await send(chain, provider, "accept", () =>
    chain.deployment.market.write.accept([job.jobId], { account: provider.wallet.account }),
  );
}

/** Trains with the protocol's batches (the honest path): checkpoints every k steps, trace at T. */
export async function trainHonestly(
  job: TrainingJob,
  start: TrainingState,
  store: BlobStore,
  onProgress?: (progress: TrainProgress) => void,
): Promise<ProviderRun> {
  return trainByRule(job, start, store, protocolBatches, onProgress);
}

/**
 * Trains from step 0 to T with the engine's one training loop (`train`), feeding each step the
 * batch `batches` picks. With `protocolBatches` it is the honest provider; with another rule it is
 * a provider that deviates from the job while committing a self-consistent trace.
 */
export async function trainByRule(
  job: TrainingJob,
  start: TrainingState,
  store: BlobStore,
  batches: BatchRule,
  onProgress?: (progress: TrainProgress) => void,
): Promise<ProviderRun> {
  if (start.step !== 0) throw new DemoError("a provider run starts from the initial state");
  const result = await train(job, { store, start, batches, ...(onProgress ? { onProgress } : {}) });
  if (result.trace === undefined)
    throw new DemoError(`job ${job.jobId}: training stopped before T`);
  return {
    jobId: job.jobId,
    records: result.records,
    root: result.trace.root,
    finalDigest: result.trace.finalDigest,
    manifestCid: result.trace.manifestCid,
    finalState: result.state,
    batches,
  };
}

/**
 * Commits the trace: its root, the final state digest, the result (the final checkpoint, by
 * content address) and the content address of the leaf list (the trace manifest).
 */
export async function submitTrace(
  chain: DemoChain,
  provider: Actor,
  run: ProviderRun,
): Promise<void> {
  const finalCid = run.records.at(-1)!.cid;
  await send(chain, provider, "submit", () =>
    chain.deployment.market.write.submit(
      [
        run.jobId,
        run.root,
        run.finalDigest,
        digestFromCid(finalCid),
        digestFromCid(run.manifestCid),
      ],
      { account: provider.wallet.account },
    ),
  );
}

export interface OpenedSegments {
  sampled: number[];
  top: number[];
  seed: Hex;
  challengeEnd: bigint;
}

/**
 * Waits for the sample seed (on the devnet: mines the blocks the randomness source waits for),
 * then opens the sampled segments and its top-Q segments with one multi-proof.
 */
export async function openSamples(
  chain: DemoChain,
  provider: Actor,
  run: ProviderRun,
  topQ: number,
): Promise<OpenedSegments> {
  const { market, params } = chain.deployment;
  await mineBlocks(chain, params.randomnessDelayBlocks + 1);
  const sampled = await market.read.sampledSegments([run.jobId]);
  const leaves: TraceLeaf[] = run.records.slice(1).map(leafOf);
  const top = topSegmentsByNorm(leaves, topQ);
  const opening = buildOpening(run.jobId, leaves, sampled, top);
  const receipt = await send(chain, provider, "openSamples", () =>
    market.write.openSamples([run.jobId, opening.leaves, opening.topIndices, opening.proof], {
      account: provider.wallet.account,
    }),
  );
  const [event] = parseEventLogs({
    abi: market.abi,
    logs: receipt.logs,
    eventName: "SamplesOpened",
  });
  if (event === undefined) throw new DemoError("openSamples emitted no SamplesOpened event");
  return {
    sampled: sampled.map(Number),
    top: top.map(Number),
    seed: event.args.seed,
    challengeEnd: event.args.challengeEnd,
  };
}

/**
 * Provider move: posts its digests at the points the contract asks for, after storing the states
 * behind them (docs/protocol.md §4 Open: the states a dispute needs must be available). Returns the
 * offsets it posted.
 */
export async function postDissectionPoints(
  chain: DemoChain,
  provider: Actor,
  store: BlobStore,
  disputeId: bigint,
  states: readonly TrainingState[],
): Promise<number[]> {
  const game = chain.deployment.disputeGame;
  const view = await readDissection(disputeSourceOf(chain), disputeId);
  if (!view.providerTurn) throw new DemoError(`dispute ${disputeId}: not the provider's turn`);
  const points = (await game.read.pointsOf([disputeId])).map(Number);
  const digests: Hex[] = [];
  for (const offset of points) {
    const state = states[offset];
    if (state === undefined) throw new DemoError(`no state at offset ${offset} of the segment`);
    digests.push((await putState(store, state)).digest);
  }
  await send(chain, provider, "postPoints", () =>
    game.write.postPoints([disputeId, view.current, digests], { account: provider.wallet.account }),
  );
  return points;
}
