// The end-to-end demo, in one process, on the real parts: an in-process devnet with the Assay
// contracts (deploy/deploy-assay.ts), a filesystem blob store served over loopback HTTP (every
// party reads and writes through the HTTP client, so every byte is checked against its content
// address), the learning engine for training and re-execution, and the protocol's pure functions
// for leaves, openings and dissection. Three jobs:
//   A  an honest provider trains an exact (integer) MLP; the verifier re-executes; A is paid;
//   B  a cheating provider deviates from the protocol's data order part-way through; the verifier
//      finds a segment that does not reproduce, challenges it, the dissection narrows it to one
//      step, a committee re-runs that step and votes, and the provider is slashed and ejected;
//   C  (optional) an honest float32 job checked by normalized distance against delta.
// `runDemo` returns what happened (verdicts, payouts, gas); scripts/demo.ts prints it and
// test/ts/demo/ asserts it at a tiny size. It is not a daemon: the provider and verifier daemons
// (queues, crash safety) are a later stage; here each party's actions run in turn.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import type { HardhatViemHelpers } from "@nomicfoundation/hardhat-viem/types";
import { keccak256, maxUint256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { z } from "zod";

import { DEVNET_PARAMS, deployAssay } from "../../deploy/deploy-assay.ts";
import type { SampleSet } from "../data/dataset.ts";
import { loadMnist } from "../data/mnist.ts";
import { syntheticSamples } from "../data/synthetic.ts";
import { evaluateAccuracy } from "../engine/evaluate.ts";
import type { ProgramInfo } from "../engine/program-info.ts";
import type { TrainProgress } from "../engine/trainer.ts";
import type { TrainingState } from "../engine/training-state.ts";
import { specDelta } from "../protocol/job-spec.ts";
import { FsBlobStore } from "../store/fs-store.ts";
import { HttpBlobStore } from "../store/http-client.ts";
import { startStoreServer } from "../store/http-server.ts";
import { actorOf, send, timeTravelPast, type Actor, type DemoChain } from "./chain.ts";
import { divergentBatches, fabricatedSegments } from "./cheating-provider.ts";
import {
  PHASE,
  outcomeName,
  readDissection,
  readStepQuestion,
  type VoteName,
} from "./dispute-view.ts";
import { DemoError } from "./errors.ts";
import { fetchJob, readJob, statusName, type FetchedJob } from "./jobs.ts";
import {
  acceptJob,
  openSamples,
  postDissectionPoints,
  providerSegmentStates,
  submitTrace,
  trainByRule,
  trainHonestly,
  type ProviderRun,
} from "./provider.ts";
import {
  adjudicateStep,
  commitVote,
  drawCommittee,
  resolveDispute,
  revealVote,
  type Ballot,
} from "./referee.ts";
import {
  detectionProbability,
  formatTokens,
  sampleDetectionProbability,
  type DemoReport,
  type DisputeSummary,
  type JobSummary,
  type PayeeRole,
  type Payout,
} from "./report.ts";
import { postJob, publishSpec, type JobTerms } from "./submitter.ts";
import {
  challengeSegment,
  checkOpenedCheckpoints,
  narrowDissection,
  publishAgreedState,
  readOpening,
  readSubmission,
  reexecuteSegments,
  verifierSegmentDigests,
  type SegmentCheck,
} from "./verifier.ts";

const positive = z.number().int().positive();

export const DemoConfigSchema = z
  .strictObject({
    /** Real MNIST digits (the `mnist` package), or small seeded synthetic data for tests. */
    data: z.enum(["mnist", "synthetic"]),
    /** Hidden layer widths of the MLP (input and output follow from the data). */
    hidden: z.array(z.number().int().min(1).max(4096)).min(1).max(4),
    batchSize: positive.max(1024),
    totalSteps: positive.max(100_000),
    checkpointInterval: positive,
    /** q, Q and m of the jobs. */
    samples: positive.max(32),
    topQ: z.number().int().min(0).max(8),
    committeeSize: positive.max(21).refine((m) => m % 2 === 1, "the committee size must be odd"),
    /** First step the cheating provider of job B computes on batches of its own choosing. */
    cheatFromStep: z.number().int().min(0),
    /**
     * `opened`: the verifier re-executes the sampled and top-Q segments only (the protocol's
     * check); `all`: it also audits every other segment, so that the demo catches the cheat on
     * every run instead of with the sampling probability.
     */
    audit: z.enum(["opened", "all"]),
    /** Also run job C, an honest float32 (tolerance) job. */
    tolerance: z.boolean(),
    /** Staked verifiers besides the challenger: the pool committees are drawn from. */
    referees: z.number().int().min(3).max(14),
    /** Print a training progress line every this many steps (0: only the end). */
    progressEvery: z.number().int().min(0).default(0),
  })
  .superRefine((c, ctx) => {
    const issue = (message: string): void => ctx.addIssue({ code: "custom", message });
    if (c.totalSteps % c.checkpointInterval !== 0)
      issue(`checkpointInterval ${c.checkpointInterval} must divide totalSteps ${c.totalSteps}`);
    const n = c.totalSteps / c.checkpointInterval;
    if (c.samples + c.topQ > n) issue(`samples + topQ must not exceed the ${n} segments`);
    if (c.cheatFromStep >= c.totalSteps)
      issue(`cheatFromStep ${c.cheatFromStep} must be below totalSteps ${c.totalSteps}`);
    if (c.committeeSize > c.referees)
      issue(`a committee of ${c.committeeSize} needs at least as many referees`);
  });
export type DemoConfig = z.input<typeof DemoConfigSchema>;

/** The demo `npm run demo` runs: real MNIST, a 784-128-10 MLP, n = 20 segments. */
export const DEMO_DEFAULTS: DemoConfig = {
  data: "mnist",
  hidden: [128],
  batchSize: 64,
  totalSteps: 400,
  checkpointInterval: 20,
  samples: 4,
  topQ: 1,
  committeeSize: 3,
  // Mid-segment 13 of 20: 8 of 20 segments are fabricated (f = 0.4).
  cheatFromStep: 247,
  audit: "all",
  tolerance: true,
  // The contract draws with 4 attempts per seat from all staked verifiers (the challenger
  // included, then skipped): with 8 referees a committee of 3 comes up one seat short about once
  // in 19 000 draws (two still make a majority) and short of a majority once in 9 million.
  referees: 8,
  progressEvery: 100,
};

export interface DemoEnvironment {
  viem: HardhatViemHelpers;
  /** Receives every progress line. */
  log?: (line: string) => void;
}

const UNIT = 10n ** 18n;
const TERMS: JobTerms = { amount: 100n * UNIT, collateral: 200n * UNIT, verificationBps: 1_000 };
const SPEC_SEED: Hex = keccak256(toHex("assay demo: the protocol's data order"));
const CHEAT_SEED: Hex = keccak256(toHex("assay demo: the cheater's own data order"));
const OPTIMIZER = { kind: "sgd", learningRate: 0.1, momentum: 0.9 } as const;
const WINDOWS = { accept: 3600, train: 6 * 3600, open: 3600, challenge: 2 * 3600 };
/** Tolerance job C: delta = 10 000 ppm = 0.01 of the segment's own update. */
const DELTA_PPM = 10_000;

interface DemoData {
  train: SampleSet;
  test: SampleSet;
  shardSize: number;
  description: string;
}

function loadData(kind: "mnist" | "synthetic"): DemoData {
  if (kind === "mnist") {
    const { train, test } = loadMnist();
    return {
      train,
      test,
      shardSize: 2000,
      description: `MNIST (${train.count} training digits, ${test.count} held out)`,
    };
  }
  // One stream, split: the classes' prototypes must be shared by training and held-out samples.
  const all = syntheticSamples({ seed: "assay-demo", count: 640, featureCount: 20, classCount: 5 });
  const slice = (from: number, to: number): SampleSet => ({
    ...all,
    count: to - from,
    features: all.features.slice(from * all.featureCount, to * all.featureCount),
    labels: all.labels.slice(from, to),
  });
  return {
    train: slice(0, 512),
    test: slice(512, 640),
    shardSize: 128,
    description: "synthetic data (512 training samples, 128 held out)",
  };
}

function short(text: string): string {
  return text.startsWith("0x") ? `${text.slice(0, 10)}…` : `${text.slice(0, 16)}…`;
}

function lossValue(info: ProgramInfo, loss: number | bigint): number {
  return typeof loss === "bigint" && info.loss.dtype === "int64"
    ? Number(loss) / 2 ** info.loss.fracBits
    : Number(loss);
}

function list(xs: readonly number[]): string {
  return xs.length === 0 ? "none" : xs.join(", ");
}

export async function runDemo(env: DemoEnvironment, input: DemoConfig): Promise<DemoReport> {
  const parsed = DemoConfigSchema.safeParse(input);
  if (!parsed.success)
    throw new DemoError(`invalid demo configuration:\n${z.prettifyError(parsed.error)}`);
  const config = parsed.data;
  const started = performance.now();
  const timings = { totalMs: 0, trainMs: 0, verifyMs: 0 };
  const log = env.log ?? ((): void => {});
  const say = (who: string, what: string): void => log(`  ${who.padEnd(16)} ${what}`);
  const section = (title: string): void => log(`\n== ${title}`);

  const data = loadData(config.data);
  const layers = [data.train.featureCount, ...config.hidden, data.train.classCount];

  // ---------------------------------------------------------------- chain, store, actors
  section("Setup: devnet, contracts, content-addressed store, actors");
  const wallets = await env.viem.getWalletClients();
  const needed = 6 + config.referees;
  if (wallets.length < needed)
    throw new DemoError(
      `the demo needs ${needed} funded accounts, the network has ${wallets.length}`,
    );
  const w = (i: number): (typeof wallets)[number] => wallets[i]!;
  const deployment = await deployAssay(env.viem, {
    ...DEVNET_PARAMS,
    treasury: w(1).account.address,
  });
  const chain: DemoChain = {
    deployment,
    publicClient: await env.viem.getPublicClient(),
    testClient: await env.viem.getTestClient(),
    gas: new Map(),
  };
  const token = deployment.testToken;
  if (token === undefined) throw new DemoError("the devnet deployment has no test token");
  const { market, registry, disputeGame } = deployment;
  say(
    "deployer",
    `StakeRegistry ${short(registry.address)}, JobMarket ${short(market.address)}, DisputeGame ${short(disputeGame.address)} (chain ${await chain.publicClient.getChainId()}, in-process)`,
  );

  const treasury = actorOf("treasury", w(1));
  const submitter = actorOf("submitter", w(2));
  const honest = actorOf("provider-honest", w(3));
  const cheater = actorOf("provider-cheat", w(4));
  const verifier = actorOf("verifier", w(5));
  const referees = Array.from({ length: config.referees }, (_, i) =>
    actorOf(`referee-${i + 1}`, w(6 + i)),
  );
  const actors = [treasury, submitter, honest, cheater, verifier, ...referees];
  const byAddress = new Map<string, Actor>(actors.map((a) => [a.address.toLowerCase(), a]));
  const nameOf = (address: Address): string =>
    byAddress.get(address.toLowerCase())?.name ?? short(address);

  const storeDir = await mkdtemp(path.join(tmpdir(), "assay-demo-"));
  // A throwaway store: no fsync (durable: false); the HTTP server binds loopback, port from the OS.
  const server = await startStoreServer({
    store: new FsBlobStore({ root: storeDir, durable: false }),
    host: "127.0.0.1",
    port: 0,
    onError: (error) => log(`  store server error: ${String(error)}`),
  });
  // Every party talks to the store through the verifying HTTP client.
  const store = new HttpBlobStore({ url: server.url });
  say("store", `FsBlobStore in ${storeDir}, served at ${server.url}/ipfs/<cid>`);

  try {
    const { minProviderStake, minVerifierStake, dispute } = deployment.params;
    const fund = async (actor: Actor, amount: bigint, spenders: Address[]): Promise<void> => {
      const hash = await token.write.mint([actor.address, amount]);
      await chain.publicClient.waitForTransactionReceipt({ hash });
      for (const spender of spenders)
        await send(chain, actor, "approve", () =>
          token.write.approve([spender, maxUint256], { account: actor.wallet.account }),
        );
    };
    await fund(submitter, 3n * TERMS.amount, [market.address]);
    for (const p of [honest, cheater]) {
      await fund(p, minProviderStake, [registry.address]);
      await send(chain, p, "stake", () =>
        registry.write.stake([1, minProviderStake], { account: p.wallet.account }),
      );
    }
    for (const v of [verifier, ...referees]) {
      const bond = v === verifier ? dispute.challengeBond : 0n;
      await fund(v, minVerifierStake + bond, [registry.address, disputeGame.address]);
      await send(chain, v, "stake", () =>
        registry.write.stake([2, minVerifierStake], { account: v.wallet.account }),
      );
    }
    say(
      "stakes",
      `providers ${formatTokens(minProviderStake)} each (the minimum), verifier and ${referees.length} referees ${formatTokens(minVerifierStake)} each; challenge bond ${formatTokens(dispute.challengeBond)}`,
    );
    const balancesBefore = new Map<string, bigint>();
    for (const a of actors) balancesBefore.set(a.name, await token.read.balanceOf([a.address]));

    const payoutsOf = async (
      jobId: bigint,
      roles: Map<string, PayeeRole>,
      disputeReceiptLogs: Parameters<typeof parseEventLogs>[0]["logs"] = [],
    ): Promise<Payout[]> => {
      const payouts: Payout[] = [];
      const roleOf = (address: Address): PayeeRole => {
        const role = roles.get(address.toLowerCase());
        if (role === undefined)
          throw new DemoError(`job ${jobId} paid ${address}, who has no role in it`);
        return role;
      };
      for (const e of await market.getEvents.Credited({ jobId }, { fromBlock: 0n }))
        payouts.push({
          actor: nameOf(e.args.account!),
          role: roleOf(e.args.account!),
          amount: e.args.amount!,
          from: "JobMarket",
        });
      for (const e of parseEventLogs({
        abi: disputeGame.abi,
        logs: disputeReceiptLogs,
        eventName: "Credited",
      }))
        payouts.push({
          actor: nameOf(e.args.account),
          role: roleOf(e.args.account),
          amount: e.args.amount,
          from: "DisputeGame",
        });
      return payouts;
    };

    const claimAll = async (): Promise<void> => {
      for (const a of actors) {
        if ((await market.read.creditOf([a.address])) > 0n)
          await send(chain, a, "claimCredit", () =>
            market.write.claimCredit({ account: a.wallet.account }),
          );
        if ((await disputeGame.read.creditOf([a.address])) > 0n)
          await send(chain, a, "claimCredit", () =>
            disputeGame.write.claimCredit({ account: a.wallet.account }),
          );
      }
    };

    // ---------------------------------------------------------------- the parties' routines
    const progressPrinter =
      (who: string, info: ProgramInfo) =>
      (p: TrainProgress): void => {
        const every = config.progressEvery;
        if ((every > 0 && p.step % every === 0) || p.step === config.totalSteps)
          say(
            who,
            `step ${String(p.step).padStart(5)}/${config.totalSteps}  loss ${lossValue(info, p.loss).toFixed(3)}`,
          );
      };

    const accuracyOf = async (info: ProgramInfo, state: TrainingState): Promise<number> =>
      (await evaluateAccuracy(info, state, data.test)).accuracy;

    /** A provider takes job `jobId`: checks it against its spec, accepts, trains, submits, opens. */
    const provide = async (
      provider: Actor,
      jobId: bigint,
      cheat: boolean,
    ): Promise<{ job: FetchedJob; run: ProviderRun; accuracy: number }> => {
      const job = await fetchJob(chain, store, jobId);
      say(
        provider.name,
        `read job ${jobId}: spec ${short(job.specCid)} checks out (canonical, hash on chain, params, program, ${job.spec.dataset.shards.length} shards)`,
      );
      await acceptJob(chain, provider, job);
      say(
        provider.name,
        `accepted job ${jobId}, locking ${formatTokens(job.onchain.collateral)} of its stake as collateral`,
      );
      const info = job.loaded.job.program.info;
      const trainStart = performance.now();
      let run: ProviderRun;
      if (cheat) {
        say(
          provider.name,
          `trains honestly up to step ${config.cheatFromStep}, then on its own data order (another seed): real training, wrong batches`,
        );
        run = await trainByRule(
          job.loaded.job,
          job.loaded.initialState,
          store,
          divergentBatches(config.cheatFromStep, CHEAT_SEED),
          progressPrinter(provider.name, info),
        );
      } else {
        say(
          provider.name,
          `trains ${config.totalSteps} steps (${job.spec.numerics} numerics), a checkpoint every ${config.checkpointInterval} steps into the store`,
        );
        run = await trainHonestly(
          job.loaded.job,
          job.loaded.initialState,
          store,
          progressPrinter(provider.name, info),
        );
      }
      timings.trainMs += performance.now() - trainStart;
      const accuracy = await accuracyOf(info, run.finalState);
      say(
        provider.name,
        `done in ${((performance.now() - trainStart) / 1000).toFixed(1)} s: held-out accuracy ${(100 * accuracy).toFixed(1)}%; ${run.records.length} checkpoints stored`,
      );
      await submitTrace(chain, provider, run);
      say(
        provider.name,
        `submit: trace root ${short(run.root)} over ${run.records.length - 1} leaves; leaf list ${short(run.manifestCid)}`,
      );
      say(
        "chain",
        `mining ${deployment.params.randomnessDelayBlocks + 1} blocks: the sample seed is the hash of a block that did not exist at submission`,
      );
      const opened = await openSamples(chain, provider, run, job.spec.verification.topQ);
      say(
        provider.name,
        `openSamples: sampled segments ${list([...opened.sampled].sort((x, y) => x - y))}, top-${job.spec.verification.topQ} by update norm ${list(opened.top)}; one multi-proof`,
      );
      return { job, run, accuracy };
    };

    /** The verifier checks job `jobId`: the opened checkpoints, then segment re-execution. */
    const verify = async (
      jobId: bigint,
      options: { delta?: number; runtime?: { optimizationLevel: "all" } } = {},
    ) => {
      const job = await fetchJob(chain, store, jobId);
      const submission = await readSubmission(chain, store, job);
      const opening = await readOpening(chain, jobId);
      const fetchedCount = await checkOpenedCheckpoints(store, job, submission, opening);
      say(
        verifier.name,
        `fetched the leaf list ${short(submission.manifestCid)} (its root matches the chain) and ${fetchedCount} opened checkpoints by content address: every byte matches its leaf`,
      );
      const n = submission.manifest.records.length - 1;
      const opened = [...new Set([...opening.sampled, ...opening.top])].sort((a, b) => a - b);
      const verifyStart = performance.now();
      const checks: SegmentCheck[] = await reexecuteSegments(
        job,
        store,
        submission.manifest.records,
        opened,
        options,
      );
      for (const c of checks) {
        const why = [
          opening.sampled.includes(c.segment) && "sampled",
          opening.top.includes(c.segment) && "top-Q",
        ]
          .filter(Boolean)
          .join(", ");
        const r = c.report;
        const detail =
          r.numerics === "tolerance"
            ? `distance ${r.distance === 0 ? "0 (bit-identical)" : r.distance!.toExponential(2)} ${c.ok ? "≤" : ">"} δ = ${r.delta}`
            : c.ok
              ? `digest ${short(r.recomputedDigest)} = h_${c.segment}`
              : `re-execution gives ${short(r.recomputedDigest)}, the provider committed ${short(r.claimedDigest)}`;
        say(
          verifier.name,
          `segment ${String(c.segment).padStart(2)} (${why}): ${c.ok ? "reproduces" : "DOES NOT reproduce"} — ${detail}`,
        );
      }
      let audited: SegmentCheck[] = [];
      if (config.audit === "all") {
        const rest = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !opened.includes(i));
        audited = await reexecuteSegments(job, store, submission.manifest.records, rest, options);
        const bad = audited.filter((c) => !c.ok).map((c) => c.segment);
        say(
          verifier.name,
          `audit of the other ${rest.length} segments (re-execution is cheap at this size): ${bad.length === 0 ? "all reproduce" : `segments ${list(bad)} do not reproduce`}`,
        );
      }
      timings.verifyMs += performance.now() - verifyStart;
      const all = [...checks, ...audited].sort((a, b) => a.segment - b.segment);
      return { job, submission, opening, checks, all };
    };

    const finalizeJob = async (jobId: bigint, caller: Actor): Promise<void> => {
      const onchain = await readJob(chain, jobId);
      say(
        "chain",
        `no dispute: moving the clock past the challenge window (${WINDOWS.challenge / 3600} h)`,
      );
      await timeTravelPast(chain, BigInt(onchain.deadline));
      await send(chain, caller, "finalize", () =>
        market.write.finalize([jobId], { account: caller.wallet.account }),
      );
    };

    const rolesFor = (
      providerAddr: Address,
      extra: [Actor, PayeeRole][] = [],
    ): Map<string, PayeeRole> =>
      new Map<string, PayeeRole>([
        [providerAddr.toLowerCase(), "provider"],
        [submitter.address.toLowerCase(), "submitter"],
        [treasury.address.toLowerCase(), "treasury"],
        ...extra.map(([a, r]): [string, PayeeRole] => [a.address.toLowerCase(), r]),
      ]);

    const jobs: JobSummary[] = [];
    const rest = {
      version: 1 as const,
      seed: SPEC_SEED,
      totalSteps: config.totalSteps,
      checkpointInterval: config.checkpointInterval,
      verification: {
        samples: config.samples,
        topQ: config.topQ,
        committeeSize: config.committeeSize,
      },
      windows: WINDOWS,
    };

    // ---------------------------------------------------------------- job A: honest, exact
    section("Job A: an honest provider, exact (integer) numerics");
    const exactSpec = await publishSpec(store, {
      numerics: "exact",
      layers,
      batchSize: config.batchSize,
      optimizer: OPTIMIZER,
      samples: data.train,
      shardSize: data.shardSize,
      initSeed: "assay-demo",
      rest: { ...rest, deltaPpm: 0 },
    });
    say(
      submitter.name,
      `published to the store: the train-step program (${(exactSpec.programBytes / 1024).toFixed(0)} KiB ONNX, MLP ${layers.join("-")}), the initial state, ${exactSpec.spec.dataset.shards.length} shards of ${data.description}, and the spec ${short(exactSpec.specCid)}`,
    );
    const jobA = await postJob(chain, submitter, exactSpec.spec, TERMS);
    say(
      submitter.name,
      `createJob ${jobA}: specHash = the spec's sha-256 (the digest in its CID); escrow ${formatTokens(TERMS.amount)}, collateral ${formatTokens(TERMS.collateral)}; T = ${config.totalSteps}, k = ${config.checkpointInterval}, q = ${config.samples}, Q = ${config.topQ}, m = ${config.committeeSize}`,
    );
    const a = await provide(honest, jobA, false);
    const va = await verify(jobA);
    const failingA = va.all.filter((c) => !c.ok).map((c) => c.segment);
    if (failingA.length > 0)
      throw new DemoError(
        `job A: the honest provider's segments ${list(failingA)} did not reproduce`,
      );
    await finalizeJob(jobA, honest);
    say(honest.name, `finalize: job ${jobA} paid; collateral unlocked`);
    const payoutsA = await payoutsOf(jobA, rolesFor(honest.address));
    await claimAll();
    jobs.push({
      label: "A",
      jobId: jobA,
      provider: honest.name,
      numerics: "exact",
      status: statusName((await readJob(chain, jobA)).status),
      segments: a.run.records.length - 1,
      sampled: va.opening.sampled,
      top: va.opening.top,
      checked: va.all.map((c) => c.segment),
      failing: [],
      fabricated: [],
      accuracy: a.accuracy,
      payouts: payoutsA,
      slashed: 0n,
    });

    // ---------------------------------------------------------------- job B: cheating, exact
    section("Job B: the same spec, a cheating provider");
    const jobB = await postJob(chain, submitter, exactSpec.spec, TERMS);
    say(
      submitter.name,
      `createJob ${jobB} with the same spec ${short(exactSpec.specCid)} (already in the store: same bytes, same address)`,
    );
    const b = await provide(cheater, jobB, true);
    const n = config.totalSteps / config.checkpointInterval;
    const fabricated = fabricatedSegments(
      config.cheatFromStep,
      config.totalSteps,
      config.checkpointInterval,
    );
    say(
      "note",
      `the cheat changed segments ${fabricated[0]}..${fabricated.at(-1)} (f = ${fabricated.length}/${n}); q = ${config.samples} samples catch that with probability ${(100 * sampleDetectionProbability(n, fabricated.length, config.samples)).toFixed(1)}% (bound 1 − (1 − f)^q = ${(100 * detectionProbability(fabricated.length / n, config.samples)).toFixed(1)}%)`,
    );
    const vb = await verify(jobB);
    const failingB = vb.all.filter((c) => !c.ok).map((c) => c.segment);
    const caughtBySample = vb.checks.some((c) => !c.ok);
    let disputeSummary: DisputeSummary | undefined;
    let payoutsB: Payout[];
    let slashedB = 0n;
    if (failingB.length === 0) {
      say(
        verifier.name,
        "every segment it checked reproduces: the samples missed the cheat, and nobody challenges",
      );
      await finalizeJob(jobB, cheater);
      payoutsB = await payoutsOf(jobB, rolesFor(cheater.address));
    } else {
      say(
        verifier.name,
        caughtBySample
          ? `the opened samples caught it (segments ${list(vb.checks.filter((c) => !c.ok).map((c) => c.segment))})`
          : "the opened samples missed it; the audit caught it (anyone may challenge any segment)",
      );
      // The earliest failing segment: its dissection pinpoints the first step the provider faked.
      const segment = failingB[0]!;
      const own = await verifierSegmentDigests(
        vb.job,
        store,
        vb.submission.manifest.records,
        segment,
      );
      const k = config.checkpointInterval;
      const disputeId = await challengeSegment(
        chain,
        verifier,
        vb.job,
        vb.submission,
        segment,
        own[k]!,
      );
      say(
        verifier.name,
        `challenge of segment ${segment}: commit, one block, reveal with leaves ${segment - 1} and ${segment} and their proof; bond ${formatTokens(dispute.challengeBond)}; its h_${segment} is ${short(own[k]!)}`,
      );
      say(
        "note",
        `16-ary dissection: the provider posts the digests of its own states at up to 15 points of the range, the verifier names the first sub-range it disagrees with`,
      );
      const states = await providerSegmentStates(b.job.loaded.job, store, b.run, segment);
      let rounds = 0;
      for (;;) {
        const view = await readDissection(chain, disputeId);
        if (view.phase !== PHASE.Dissection) break;
        rounds += 1;
        const points = await postDissectionPoints(chain, cheater, store, disputeId, states);
        say(
          cheater.name,
          `round ${rounds}: posts digests at offsets ${points.join(",")} of [${view.lo}, ${view.hi}] (and stores those states)`,
        );
        const move = await narrowDissection(chain, verifier, disputeId, own);
        say(
          verifier.name,
          `round ${rounds}: agrees up to offset ${move.lo}, disputes (${move.lo}, ${move.hi}]${move.hi - move.lo === 1 ? " — one step left" : ""}`,
        );
        if (rounds > 8) throw new DemoError(`dispute ${disputeId}: the dissection does not end`);
      }
      const question = await readStepQuestion(chain, disputeId);
      const step = (segment - 1) * k + question.step - 1;
      await publishAgreedState(
        vb.job,
        store,
        vb.submission.manifest.records,
        segment,
        question.step - 1,
      );
      say(
        "chain",
        `the dispute is down to job step ${step} (state ${step} → ${step + 1}); both agree on the pre-state ${short(question.preDigest)}; the cheat began at step ${config.cheatFromStep}`,
      );
      const members = await drawCommittee(chain, verifier, disputeId);
      const majority = Math.floor(config.committeeSize / 2) + 1;
      if (members.length < majority)
        throw new DemoError(
          `the committee draw found only ${members.length} of ${config.committeeSize} referees, fewer than a majority: the dispute ended without a verdict (a rare draw; run the demo again)`,
        );
      const committee = members.map(nameOf);
      say(
        "chain",
        `committee drawn from the staked verifiers by a later block hash (never a party to the job): ${committee.join(", ")}`,
      );
      const ballots: Ballot[] = [];
      const votes: VoteName[] = [];
      for (const member of members) {
        const referee = byAddress.get(member.toLowerCase());
        if (referee === undefined)
          throw new DemoError(`committee member ${member} is not a demo referee`);
        const refJob = await fetchJob(chain, store, jobB);
        const verdict = await adjudicateStep(refJob, store, question);
        say(
          referee.name,
          `fetched the pre-state by its CID, ran step ${verdict.step}: ${short(verdict.recomputed)} → votes ${verdict.vote} (commit)`,
        );
        ballots.push(await commitVote(chain, referee, disputeId, members, verdict.vote));
        votes.push(verdict.vote);
      }
      for (const ballot of ballots) await revealVote(chain, disputeId, ballot);
      say("chain", `all votes revealed: ${votes.join(", ")}`);
      const resolved = await resolveDispute(chain, verifier, disputeId, members);
      const d = await disputeGame.read.getDispute([disputeId]);
      const outcome = outcomeName(d.outcome);
      const slashes = parseEventLogs({
        abi: registry.abi,
        logs: resolved.logs,
        eventName: "Slashed",
      });
      slashedB = slashes
        .filter((e) => e.args.account.toLowerCase() === cheater.address.toLowerCase())
        .reduce((acc, e) => acc + e.args.amount, 0n);
      const ejected =
        parseEventLogs({ abi: registry.abi, logs: resolved.logs, eventName: "Ejected" }).length > 0;
      say(
        "chain",
        `resolve: ${outcome}; provider slashed ${formatTokens(slashedB)}${ejected ? " and ejected (bonded stake below the minimum)" : ""}; payment refunded to the submitter`,
      );
      payoutsB = await payoutsOf(
        jobB,
        rolesFor(cheater.address, [
          [verifier, "challenger"],
          ...members.map((m): [Actor, PayeeRole] => [byAddress.get(m.toLowerCase())!, "referee"]),
        ]),
        resolved.logs,
      );
      disputeSummary = {
        disputeId,
        segment,
        step,
        rounds,
        committee,
        votes,
        outcome,
        providerEjected: ejected,
      };
    }
    await claimAll();
    jobs.push({
      label: "B",
      jobId: jobB,
      provider: cheater.name,
      numerics: "exact",
      status: statusName((await readJob(chain, jobB)).status),
      segments: n,
      sampled: vb.opening.sampled,
      top: vb.opening.top,
      checked: vb.all.map((c) => c.segment),
      failing: failingB,
      fabricated,
      accuracy: b.accuracy,
      ...(disputeSummary ? { dispute: disputeSummary } : {}),
      payouts: payoutsB,
      slashed: slashedB,
    });

    // ---------------------------------------------------------------- job C: honest, tolerance
    if (config.tolerance) {
      section("Job C: an honest provider, tolerance (float32) numerics, compared by distance");
      const floatSpec = await publishSpec(store, {
        numerics: "tolerance",
        layers,
        batchSize: config.batchSize,
        optimizer: OPTIMIZER,
        samples: data.train,
        shardSize: data.shardSize,
        initSeed: "assay-demo",
        rest: { ...rest, deltaPpm: DELTA_PPM },
      });
      const jobC = await postJob(chain, submitter, floatSpec.spec, TERMS);
      say(
        submitter.name,
        `createJob ${jobC}: float32 program, δ = ${DELTA_PPM} ppm = ${specDelta(floatSpec.spec)} of the segment's own update`,
      );
      const c = await provide(honest, jobC, false);
      say(
        "note",
        "the verifier runs ONNX Runtime with graph optimizations on (standing in for other hardware): the bits may differ; ‖W' − W‖ / ‖W − W₀‖ must stay within δ",
      );
      const vc = await verify(jobC, {
        delta: specDelta(floatSpec.spec),
        runtime: { optimizationLevel: "all" },
      });
      const failingC = vc.all.filter((x) => !x.ok).map((x) => x.segment);
      if (failingC.length > 0)
        throw new DemoError(
          `job C: the honest provider's segments ${list(failingC)} exceeded delta`,
        );
      await finalizeJob(jobC, honest);
      say(honest.name, `finalize: job ${jobC} paid`);
      const payoutsC = await payoutsOf(jobC, rolesFor(honest.address));
      await claimAll();
      jobs.push({
        label: "C",
        jobId: jobC,
        provider: honest.name,
        numerics: "tolerance",
        status: statusName((await readJob(chain, jobC)).status),
        segments: n,
        sampled: vc.opening.sampled,
        top: vc.opening.top,
        checked: vc.all.map((x) => x.segment),
        failing: [],
        fabricated: [],
        accuracy: c.accuracy,
        maxDistance: Math.max(...vc.all.map((x) => x.report.distance ?? 0)),
        payouts: payoutsC,
        slashed: 0n,
      });
    }

    // ---------------------------------------------------------------- solvency
    section("Settlement: every credit claimed; the contracts hold exactly what they owe");
    const held = async (address: Address): Promise<bigint> => token.read.balanceOf([address]);
    let staked = 0n;
    for (const actor of actors)
      for (const role of [1, 2] as const) {
        const [free, locked, unbonding] = await registry.read.accountOf([actor.address, role]);
        staked += free + locked + unbonding;
      }
    const [marketHeld, gameHeld, registryHeld] = await Promise.all([
      held(market.address),
      held(disputeGame.address),
      held(registry.address),
    ]);
    if (marketHeld !== 0n || gameHeld !== 0n || registryHeld !== staked)
      throw new DemoError(
        `contracts hold more or less than they owe: JobMarket ${marketHeld} (owes 0), DisputeGame ${gameHeld} (owes 0), StakeRegistry ${registryHeld} (owes ${staked})`,
      );
    say(
      "chain",
      `JobMarket holds 0, DisputeGame 0, StakeRegistry ${formatTokens(registryHeld)} = the stakes it records`,
    );
    for (const actor of actors) {
      const delta = (await token.read.balanceOf([actor.address])) - balancesBefore.get(actor.name)!;
      if (delta !== 0n) say(actor.name, `wallet ${delta > 0n ? "+" : ""}${formatTokens(delta)}`);
    }
    const [cheatFree, cheatLocked, , , cheatEjected] = await registry.read.accountOf([
      cheater.address,
      1,
    ]);
    say(
      cheater.name,
      `provider stake now ${formatTokens(cheatFree + cheatLocked)}${cheatEjected ? ", ejected: it can take no more jobs" : ""}`,
    );

    timings.totalMs = performance.now() - started;
    return { jobs, gas: [...chain.gas.values()], timings };
  } finally {
    await server.close();
    await rm(storeDir, { recursive: true, force: true });
  }
}
