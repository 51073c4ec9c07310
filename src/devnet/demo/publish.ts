// The submitter's part of the demo: publish the specs (program, dataset shards, initial state) to
// the store, post job A for the honest provider, job B for the cheater and job C (float32) for the
// honest provider again, and say how likely the sampling alone is to catch the cheat.
import { maxUint256 } from "viem";

import { actorOf, type DemoChain } from "../../demo/chain.ts";
import {
  detectionProbability,
  formatTokens,
  sampleDetectionProbability,
} from "../../demo/report.ts";
import { postJob, publishSpec, type PublishedSpec } from "../../demo/submitter.ts";
import type { JobTerms } from "../../protocol/create-job.ts";
import { JOB_SPEC_VERSION } from "../../protocol/job-spec.ts";
import { fabricatedSegments } from "../../provider/batch-rule.ts";
import type { BlobStore } from "../../store/blob-store.ts";
import { DEVNET_ACCOUNTS, type Devnet } from "../devnet.ts";
import {
  CHEAT_TERMS,
  HONEST_TERMS,
  OPTIMIZER,
  SPEC_SEED,
  type DemoData,
  type DemoSettings,
} from "./config.ts";
import { short, type Names } from "./names.ts";

export interface PostedJob {
  label: string;
  jobId: bigint;
  numerics: "exact" | "tolerance";
}

/** Segments the cheat changed, n, q, and the chance that the q samples alone hit one. */
export interface Detection {
  failing: number;
  segments: number;
  q: number;
  sampled: number;
  bound: number;
}

export interface Submission {
  submitter: ReturnType<typeof actorOf>;
  posted: PostedJob[];
  detection: Detection;
}

export interface SubmitOptions {
  say: (line: string) => void;
  names: Names;
  /** Each posted job's letter, by id (for the narration). */
  jobLabels: Map<bigint, string>;
  checkAbort: () => void;
}

export async function publishAndPost(
  devnet: Devnet,
  chain: DemoChain,
  store: BlobStore,
  config: DemoSettings,
  data: DemoData,
  options: SubmitOptions,
): Promise<Submission> {
  const { say, names, jobLabels, checkAbort } = options;
  const wallets = await devnet.connection.viem.getWalletClients();
  const submitter = actorOf("submitter", wallets[DEVNET_ACCOUNTS.submitter]!);
  names.set(submitter.address, "submitter");
  const { market, testToken } = devnet.deployment;
  const layers = [data.train.featureCount, ...config.hidden, data.train.classCount];
  const k = config.checkpointInterval;
  const n = config.totalSteps / k;
  const rest = {
    version: JOB_SPEC_VERSION,
    seed: SPEC_SEED,
    totalSteps: config.totalSteps,
    checkpointInterval: config.checkpointInterval,
    verification: {
      samples: config.samples,
      topQ: config.topQ,
      committeeSize: config.committeeSize,
    },
    windows: {
      accept: 3600,
      train: 6 * 3600,
      open: 3600,
      challenge: config.challengeWindow,
    },
  };
  const publish = (numerics: "exact" | "tolerance"): Promise<PublishedSpec> =>
    publishSpec(store, {
      numerics,
      layers,
      batchSize: config.batchSize,
      optimizer: OPTIMIZER,
      samples: data.train,
      shardSize: data.shardSize,
      initSeed: "assay-demo",
      rest,
    });
  const exact = await publish("exact");
  say(
    `submitter published the exact spec ${short(exact.specCid)}: MLP ${layers.join("-")} (${(exact.programBytes / 1024).toFixed(0)} KiB ONNX train step), ${exact.spec.dataset.shards.length} shards (${data.description}); T = ${config.totalSteps}, k = ${k}, q = ${config.samples}, Q = ${config.topQ}, m = ${config.committeeSize}`,
  );
  await devnet.fund(submitter.address, 3n * CHEAT_TERMS.amount);
  const approve = await testToken!.write.approve([market.address, maxUint256], {
    account: submitter.wallet.account,
  });
  await chain.publicClient.waitForTransactionReceipt({ hash: approve });

  const posted: PostedJob[] = [];
  const post = async (
    jobLabel: string,
    spec: PublishedSpec,
    terms: JobTerms,
    why: string,
  ): Promise<void> => {
    checkAbort();
    const jobId = await postJob(chain, submitter, spec.spec, terms);
    jobLabels.set(jobId, jobLabel);
    posted.push({ label: jobLabel, jobId, numerics: spec.spec.numerics });
    say(
      `job ${jobLabel} (#${jobId}): ${spec.spec.numerics}, escrow ${formatTokens(terms.amount)}, collateral ${formatTokens(terms.collateral)} — ${why}`,
    );
  };
  await post("A", exact, HONEST_TERMS, "for the honest provider (its filter: collateral ≤ 200)");
  await post("B", exact, CHEAT_TERMS, "for the cheater (its filter: exact, amount ≥ 150)");
  if (config.tolerance) {
    const float = await publish("tolerance");
    const calibration = float.spec.tolerance?.calibration;
    await post(
      "C",
      float,
      HONEST_TERMS,
      `float32, whole state per element within thresholds calibrated over ${calibration?.settings.length ?? 0} runtime settings (largest honest difference ${calibration?.maxHonestDifference.toPrecision(2) ?? "?"}, ×${calibration?.safetyFactor ?? "?"}); the cheater takes exact jobs only`,
    );
  }
  const failing = fabricatedSegments(config.cheatFromStep, config.totalSteps, k);
  const detection: Detection = {
    failing: failing.length,
    segments: n,
    q: config.samples,
    sampled: sampleDetectionProbability(n, failing.length, config.samples),
    bound: detectionProbability(failing.length / n, config.samples),
  };
  say(
    `the cheater trains on its own data order from step ${config.cheatFromStep}: segments ${failing[0]}..${failing.at(-1)} do not reproduce (f = ${failing.length}/${n}). ` +
      `The q = ${config.samples} sampled segments alone catch that with probability 1 − (1 − f)^q = ${(100 * detection.bound).toFixed(1)}% ` +
      `(${(100 * detection.sampled).toFixed(1)}% drawn without replacement); the demo's verifier audits every segment, so it catches it on every run`,
  );
  return { submitter, posted, detection };
}
