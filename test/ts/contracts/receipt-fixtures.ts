// Builders for the receipts tests and benchmark: a verifier's receipt over a traced job (its own
// digests for every step inside each sampled segment), the provider's probes, the reveal.
import { keccak256, parseEventLogs, toHex, zeroHash, type Hex } from "viem";

import {
  receiptCommitment,
  receiptProof,
  receiptRoot,
  type Probes,
} from "../../../src/protocol/receipts.ts";
import { networkHelpers } from "./fixtures.ts";
import { gasOf, type DisputeFixture, type TracedJob, type Wallet } from "./dispute-fixtures.ts";

/** A committed receipt: what its reveal needs. */
export interface CommittedReceipt {
  verifier: Wallet;
  segments: number[];
  /** Per sampled segment, the digests after steps 1..k − 1 this verifier computed. */
  interiors: Hex[][];
  roots: Hex[];
  salt: Hex;
  gas: bigint;
}

export async function receiptPhases(f: DisputeFixture, jobId: bigint) {
  const r = await f.receipts.read.roundOf([jobId]);
  const t = BigInt(r.openedAt);
  const c = BigInt(r.window);
  return {
    round: r,
    commitEnd: t + c / 2n,
    publishEnd: t + (3n * c) / 4n,
    revealEnd: t + c,
  };
}

/** The interior digests of `segment` as `digestAt` (absolute step → digest) gives them. */
export function interiorDigests(
  job: TracedJob,
  segment: number,
  digestAt: (step: number) => Hex,
): Hex[] {
  return Array.from({ length: job.k - 1 }, (_, j) => digestAt((segment - 1) * job.k + j + 1));
}

/** Commits `verifier`'s receipt over the sampled segments, computed by `digestAt`. */
export async function commitReceipt(
  f: DisputeFixture,
  job: TracedJob,
  verifier: Wallet,
  digestAt: (step: number) => Hex = job.honestDigest,
): Promise<CommittedReceipt> {
  const segments = (await f.receipts.read.segmentsOf([job.jobId])).map(Number);
  const interiors = segments.map((s) => interiorDigests(job, s, digestAt));
  const roots = segments.map((s, i) => receiptRoot(s, interiors[i]!));
  const salt = keccak256(
    toHex(`receipt:${job.jobId}:${verifier.account.address}:${Math.random()}`),
  );
  const commitment = receiptCommitment(job.jobId, roots, salt, verifier.account.address);
  const hash = await f.receipts.write.commitReceipt([job.jobId, commitment], {
    account: verifier.account,
  });
  return { verifier, segments, interiors, roots, salt, gas: await gasOf(f, hash) };
}

/**
 * After the commit phase: requests the probe randomness, waits for it and publishes the provider's
 * digests at the probe steps (`digestAt`, the provider's claims by default). Returns the probes.
 */
export async function publishProbes(
  f: DisputeFixture,
  job: TracedJob,
  digestAt: (step: number) => Hex = job.providerDigest,
): Promise<{ probes: Probes; gas: { request: bigint; publish: bigint } }> {
  const { commitEnd } = await receiptPhases(f, job.jobId);
  const now = BigInt(await networkHelpers.time.latest());
  if (now <= commitEnd) await networkHelpers.time.increaseTo(commitEnd + 1n);
  // Requested unless a readable (or recorded) value exists; renewed when it expired unread.
  const { probeRequest } = await f.receipts.read.roundOf([job.jobId]);
  const readable =
    probeRequest !== 0 && (await f.randomness.read.randomness([BigInt(probeRequest)])) !== zeroHash;
  const request = readable
    ? 0n
    : await gasOf(
        f,
        await f.receipts.write.requestProbes([job.jobId], { account: f.stranger.account }),
      );
  await networkHelpers.mine(4);
  const [segments, steps] = await f.receipts.read.probeSteps([job.jobId]);
  const digests = segments.map((s, i) => digestAt((Number(s) - 1) * job.k + Number(steps[i]!)));
  const hash = await f.receipts.write.publishProbes([job.jobId, digests], {
    account: job.provider.account,
  });
  const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
  const [event] = parseEventLogs({
    abi: f.receipts.abi,
    logs: receipt.logs,
    eventName: "ProbesPublished",
  });
  const probes: Probes = {
    segments: event!.args.segments,
    steps: event!.args.steps,
    digests: event!.args.digests,
  };
  return { probes, gas: { request, publish: receipt.gasUsed } };
}

/** The reveal's arguments: proofs of the published digests in the committed roots. */
export function revealArgs(job: TracedJob, receipt: CommittedReceipt, probes: Probes) {
  const proofs = probes.segments.map((s, i) =>
    receiptProof(Number(s), receipt.interiors[i]!, Number(probes.steps[i]!)),
  );
  const probesArg = {
    segments: [...probes.segments],
    steps: [...probes.steps],
    digests: [...probes.digests],
  };
  return [job.jobId, receipt.roots, receipt.salt, probesArg, proofs] as const;
}

export async function revealReceipt(
  f: DisputeFixture,
  job: TracedJob,
  receipt: CommittedReceipt,
  probes: Probes,
): Promise<bigint> {
  const hash = await f.receipts.write.revealReceipt(revealArgs(job, receipt, probes), {
    account: receipt.verifier.account,
  });
  return gasOf(f, hash);
}
