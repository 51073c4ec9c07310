// Adversarial providers (devnet and tests only), beyond the daemon's cheats (cheats.ts): each
// attack is a strategy a provider that wants to be paid for less work would play, written down as
// a trace it commits — checkpoints in the store, leaves that describe them — and the number of
// training steps it actually computed. test/ts/adversarial/ plays every one through the real
// verifier code, and `npm run bench:adversarial` reports what each saved and which check caught it.
//
// An attack's trace is self-consistent unless forging a claim is the attack: its leaves carry the
// loss and the update norm of the states it stored, so only the check an attack targets can see it.
import type { Hex } from "viem";

import { putState } from "../checkpoint/checkpoint-store.ts";
import type { CheckpointRecord } from "../checkpoint/trace.ts";
import { encodeLossBits, encodeUpdateNorm } from "../checkpoint/update-norm.ts";
import { batchForStep } from "../data/batch-schedule.ts";
import { buildFloatMlpProgram } from "../engine/float-mlp-program.ts";
import { loadProgram, type LoadedProgram } from "../engine/program-loader.ts";
import type { Batch } from "../engine/runtime.ts";
import { openStepSession, type RuntimeOptions, type StepSession } from "../engine/runtime.ts";
import type { TrainingJob } from "../training/trainer.ts";
import type { StateArray, TrainingState } from "../engine/training-state.ts";
import type { BlobStore } from "../store/blob-store.ts";

export interface AttackContext {
  job: TrainingJob;
  initialState: TrainingState;
  /** Where the attacker's checkpoints go (the store verifiers read). */
  store: BlobStore;
}

export interface AttackTrace {
  /** Checkpoints 0..n as the attacker commits them. */
  records: CheckpointRecord[];
  /** Training steps the attacker computed (an honest run computes T). */
  stepsComputed: number;
  /** Work saved per step computed, when the cheat is cheaper arithmetic rather than fewer steps. */
  workPerStep?: number;
  /** Checkpoints (by index) the attacker does not make available. */
  withheld?: number[];
}

export interface Attack {
  name: string;
  numerics: "exact" | "tolerance" | "both";
  /** What the attacker does, in words. */
  description: string;
  play(ctx: AttackContext): Promise<AttackTrace>;
}

/** Leaf fields of checkpoint `index` over `state`, computed honestly from the committed states. */
async function commit(
  ctx: AttackContext,
  index: number,
  previous: TrainingState,
  state: TrainingState,
  loss: number | bigint,
  forge?: { lossBits?: bigint; updateNorm?: bigint },
): Promise<CheckpointRecord> {
  const { info } = ctx.job.program;
  const stored = await putState(ctx.store, { ...state, step: index * ctx.job.checkpointInterval });
  return {
    index,
    step: index * ctx.job.checkpointInterval,
    cid: stored.cid,
    stateDigest: stored.digest,
    lossBits: forge?.lossBits ?? encodeLossBits(info, loss),
    updateNorm: forge?.updateNorm ?? encodeUpdateNorm(info, previous, state),
  };
}

interface StepPlan {
  /** The batch the attacker feeds (default: the protocol's, for this job). */
  batch?: (job: TrainingJob, step: number) => Batch;
  /** Steps the attacker does not compute at all. */
  skip?: (step: number) => boolean;
  /** Applied to the state after every computed step (e.g. reduced precision). */
  after?: (state: TrainingState) => TrainingState;
  /** Another program (changed hyper-parameters). */
  program?: LoadedProgram;
  runtime?: RuntimeOptions;
  /** The committed end of segment i, from its start and what was computed. */
  end?: (i: number, start: TrainingState, computed: TrainingState) => TrainingState;
  /** Forged claims of segment i's leaf. */
  claims?: (i: number) => { lossBits?: bigint; updateNorm?: bigint } | undefined;
}

const protocolBatch = (job: TrainingJob, step: number): Batch =>
  batchForStep(job.dataset, job.seed, job.jobId, step, job.program.info.batchSize);

/** Runs the whole job under `plan`, segment by segment, committing each checkpoint. */
async function playPlan(ctx: AttackContext, plan: StepPlan): Promise<AttackTrace> {
  const { job } = ctx;
  const k = job.checkpointInterval;
  const n = job.totalSteps / k;
  const session: StepSession = await openStepSession(plan.program ?? job.program, plan.runtime);
  const records: CheckpointRecord[] = [];
  let stepsComputed = 0;
  try {
    let state = ctx.initialState;
    records.push(await commit(ctx, 0, state, state, 0n, { lossBits: 0n, updateNorm: 0n }));
    for (let i = 1; i <= n; i++) {
      const start = state;
      let loss: number | bigint = job.program.info.numerics === "exact" ? 0n : 0;
      let computed = state;
      for (let s = 0; s < k; s++) {
        const step = computed.step;
        if (plan.skip?.(step)) {
          computed = { ...computed, step: step + 1 };
          continue;
        }
        const result = await session.step(computed, (plan.batch ?? protocolBatch)(job, step));
        stepsComputed += 1;
        computed = plan.after ? plan.after(result.state) : result.state;
        loss = result.loss;
      }
      const end = plan.end ? plan.end(i, start, computed) : computed;
      records.push(await commit(ctx, i, start, end, loss, plan.claims?.(i)));
      state = { ...end, step: i * k };
    }
  } finally {
    await session.close();
  }
  return { records, stepsComputed };
}

function mapState(
  state: TrainingState,
  f: (x: number, tensor: number, element: number) => number,
  only?: (tensor: number) => boolean,
): TrainingState {
  const values = state.values.map((v, t): StateArray => {
    if (only && !only(t)) return v.slice();
    if (v instanceof Float32Array) return v.map((x, e) => f(x, t, e));
    return v.map((x, e) => Math.round(f(x, t, e)));
  });
  return { ...state, values };
}

const F16 = new Float32Array(1);
/** Rounds to IEEE half precision (11 significant bits), keeping the float32 container. */
export function roundToFloat16(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const e = Math.floor(Math.log2(Math.abs(x)));
  const quantum = 2 ** (Math.max(e, -14) - 10);
  F16[0] = Math.round(x / quantum) * quantum;
  return F16[0];
}
const U32 = new Uint32Array(F16.buffer);
/** Rounds to bfloat16 (8 significant bits), keeping the float32 container. */
export function roundToBfloat16(x: number): number {
  F16[0] = x;
  U32[0] = (U32[0]! + 0x7fff + ((U32[0]! >>> 16) & 1)) & 0xffff0000;
  return F16[0];
}

/** Another program with the same shape and learning rate × `factor`. */
function withLearningRate(job: TrainingJob, factor: number): LoadedProgram {
  const { info } = job.program;
  if (info.optimizer.kind !== "sgd") throw new Error("the learning-rate attack needs SGD");
  const built = buildFloatMlpProgram({
    layers: info.model.layers,
    batchSize: info.batchSize,
    optimizer: { ...info.optimizer, learningRate: info.optimizer.learningRate * factor },
  });
  return loadProgram(built.bytes);
}

const isOptimizer = (ctx: AttackContext) => (t: number) =>
  ctx.job.program.info.state[t]!.role === "optimizer";
const isBias = (ctx: AttackContext) => (t: number) =>
  ctx.job.program.info.state[t]!.role === "param" &&
  ctx.job.program.info.state[t]!.shape.length === 1;
const isWeight = (ctx: AttackContext) => (t: number) =>
  ctx.job.program.info.state[t]!.role === "param" &&
  ctx.job.program.info.state[t]!.shape.length > 1;

/** A perturbation by relative `eps` of the tensors `only` selects, in segment `segment`. */
function perturbing(
  ctx: AttackContext,
  segment: number,
  eps: number,
  only: (t: number) => boolean,
) {
  return (i: number, _start: TrainingState, computed: TrainingState): TrainingState =>
    i === segment
      ? mapState(computed, (x) => x * (1 + eps) + (x === 0 ? eps * 1e-3 : 0), only)
      : computed;
}

const middle = (ctx: AttackContext): number =>
  Math.max(1, Math.floor(ctx.job.totalSteps / ctx.job.checkpointInterval / 2));

/** Every attack the adversarial suite plays. */
export const ATTACKS: readonly Attack[] = [
  {
    name: "forged-optimizer-state",
    numerics: "tolerance",
    description:
      "computes 10% of each segment and commits that as its end; plants momentum on the weights of inputs that are always 0 (they get no gradient) so their movement inflates the v1 rule's denominator, and commits exactly where that momentum carries them",
    play: (ctx: AttackContext): Promise<AttackTrace> => {
      const k = ctx.job.checkpointInterval;
      const keep = Math.max(1, Math.round(k / 10));
      const { info } = ctx.job.program;
      const lr = info.optimizer.learningRate;
      const mu = info.optimizer.kind === "sgd" ? info.optimizer.momentum : 0;
      const w0 = info.state.findIndex((t) => t.name === "layer0.weight");
      const v0 = info.state.findIndex((t) => t.name === "layer0.weight.momentum");
      const outputs = info.state[w0]!.shape[1]!;
      // Inputs that are 0 in every sample: their weights never receive a gradient.
      const { features, count, featureCount } = ctx.job.dataset;
      const dead: number[] = [];
      for (let f = 0; f < featureCount; f++) {
        let zero = true;
        for (let j = 0; j < count && zero; j++) zero = features[j * featureCount + f] === 0;
        if (zero) dead.push(f);
      }
      const PLANTED = 10;
      // With no gradient, v_t = μ^t·v and p moves by −lr·Σ_{t=1..k} μ^t·v over a segment.
      let carry = 0;
      for (let t = 1; t <= k; t++) carry += mu ** t;
      return playPlan(ctx, {
        skip: (step) => step % k >= keep,
        end: (_i, start, computed) => {
          const forged = computed;
          const values = forged.values.map((v) => v.slice());
          for (const f of dead)
            for (let o = 0; o < outputs; o++) {
              const e = f * outputs + o;
              const planted = start.values[v0]![e]!;
              values[w0]![e] = start.values[w0]![e]! - lr * carry * planted;
              values[v0]![e] = PLANTED;
            }
          return { ...forged, values };
        },
      });
    },
  },
  {
    name: "interpolated-checkpoints",
    numerics: "both",
    description:
      "trains 10% of the job, then commits checkpoints on the straight line from the initial state to that model",
    play: async (ctx: AttackContext): Promise<AttackTrace> => {
      const k = ctx.job.checkpointInterval;
      const n = ctx.job.totalSteps / k;
      const cheapSteps = Math.max(1, Math.round(ctx.job.totalSteps / 10));
      const session = await openStepSession(ctx.job.program);
      let target = ctx.initialState;
      try {
        for (let t = 0; t < cheapSteps; t++)
          target = (await session.step(target, protocolBatch(ctx.job, t))).state;
      } finally {
        await session.close();
      }
      const records: CheckpointRecord[] = [
        await commit(ctx, 0, ctx.initialState, ctx.initialState, 0n, {
          lossBits: 0n,
          updateNorm: 0n,
        }),
      ];
      let previous = ctx.initialState;
      for (let i = 1; i <= n; i++) {
        const w = i / n;
        const state = mapState(ctx.initialState, (x, t, e) => x + (target.values[t]![e]! - x) * w);
        records.push(
          await commit(ctx, i, previous, state, ctx.job.program.info.numerics === "exact" ? 0n : 0),
        );
        previous = state;
      }
      return { records, stepsComputed: cheapSteps };
    },
  },
  {
    name: "skipped-steps",
    numerics: "both",
    description: "skips one step in every segment",
    play: (ctx: AttackContext): Promise<AttackTrace> =>
      playPlan(ctx, {
        skip: (step) => step % ctx.job.checkpointInterval === ctx.job.checkpointInterval - 1,
      }),
  },
  {
    name: "half-precision",
    numerics: "tolerance",
    description:
      "trains every step but rounds the whole state to fp16 after each (half-precision training)",
    play: async (ctx: AttackContext): Promise<AttackTrace> => ({
      ...(await playPlan(ctx, { after: (s) => mapState(s, roundToFloat16) })),
      workPerStep: 0.5,
    }),
  },
  {
    name: "bfloat16",
    numerics: "tolerance",
    description: "trains every step but rounds the whole state to bfloat16 after each",
    play: async (ctx: AttackContext): Promise<AttackTrace> => ({
      ...(await playPlan(ctx, { after: (s) => mapState(s, roundToBfloat16) })),
      workPerStep: 0.5,
    }),
  },
  {
    name: "partial-batches",
    numerics: "both",
    description: "trains on the first half of each batch only (the second half repeats it)",
    play: async (ctx: AttackContext): Promise<AttackTrace> => ({
      ...(await playPlan(ctx, {
        batch: (job, step) => {
          const b = protocolBatch(job, step);
          const B = b.labels.length;
          const half = Math.ceil(B / 2);
          const F = b.features.length / B;
          for (let j = half; j < B; j++) {
            b.labels[j] = b.labels[j - half]!;
            b.features.copyWithin(j * F, (j - half) * F, (j - half + 1) * F);
          }
          return b;
        },
      })),
      workPerStep: 0.5,
    }),
  },
  {
    name: "changed-learning-rate",
    numerics: "tolerance",
    description: "doubles the learning rate and computes every other step",
    play: (ctx: AttackContext): Promise<AttackTrace> =>
      playPlan(ctx, { program: withLearningRate(ctx.job, 2), skip: (step) => step % 2 === 1 }),
  },
  {
    name: "wrong-data-order",
    numerics: "both",
    description: "trains every step on batches of its own choosing (another seed)",
    play: (ctx: AttackContext): Promise<AttackTrace> =>
      playPlan(ctx, {
        batch: (job, step) =>
          batchForStep(
            job.dataset,
            `0x${"ab".repeat(32)}` as Hex,
            job.jobId,
            step,
            job.program.info.batchSize,
          ),
      }),
  },
  {
    name: "replay-other-job",
    numerics: "both",
    description:
      "answers this job with the trace of another job with the same spec (computed once for both)",
    play: async (ctx: AttackContext): Promise<AttackTrace> => {
      const other = { ...ctx, job: { ...ctx.job, jobId: ctx.job.jobId + 1n } };
      const trace = await playPlan(other, {});
      // The leaves are re-hashed for this job by whoever builds the tree; the states are the other job's.
      return { ...trace, stepsComputed: 0 };
    },
  },
  ...(["weights", "biases", "momentum"] as const).map((group): Attack => ({
    name: `forged-${group}`,
    numerics: "tolerance",
    description: `honest, except that one checkpoint's ${group} are off by a relative 1e-3`,
    play: (ctx: AttackContext): Promise<AttackTrace> => {
      const only =
        group === "weights" ? isWeight(ctx) : group === "biases" ? isBias(ctx) : isOptimizer(ctx);
      return playPlan(ctx, { end: perturbing(ctx, middle(ctx), 1e-3, only) });
    },
  })),
  {
    name: "false-update-norm",
    numerics: "both",
    description:
      "fabricates one segment (its end is its start) and claims an update norm of 1, to stay out of the top-Q opening",
    play: (ctx: AttackContext): Promise<AttackTrace> => {
      const target = middle(ctx);
      return playPlan(ctx, {
        end: (i, start, computed) => (i === target ? start : computed),
        claims: (i) => (i === target ? { updateNorm: 1n } : undefined),
      }).then((trace) => ({
        ...trace,
        stepsComputed: trace.stepsComputed - ctx.job.checkpointInterval,
      }));
    },
  },
  {
    name: "false-norm-only",
    numerics: "both",
    description: "honest states, but one leaf's update norm understated (claim forgery alone)",
    play: (ctx: AttackContext): Promise<AttackTrace> => {
      const target = middle(ctx);
      return playPlan(ctx, { claims: (i) => (i === target ? { updateNorm: 1n } : undefined) });
    },
  },
  {
    name: "false-loss",
    numerics: "both",
    description: "honest states, but one leaf's loss is a made-up value",
    play: (ctx: AttackContext): Promise<AttackTrace> => {
      const target = middle(ctx);
      return playPlan(ctx, {
        claims: (i) => (i === target ? { lossBits: 0x3c23d70an } : undefined),
      });
    },
  },
  {
    name: "withheld-fabrication",
    numerics: "both",
    description: "fabricates one segment and withholds its end checkpoint so nobody can compare it",
    play: async (ctx: AttackContext): Promise<AttackTrace> => {
      const target = middle(ctx);
      const trace = await playPlan(ctx, {
        end: (i, start, computed) => (i === target ? start : computed),
      });
      return {
        ...trace,
        stepsComputed: trace.stepsComputed - ctx.job.checkpointInterval,
        withheld: [target],
      };
    },
  },
];

/** The attacks that apply to a job of `numerics`. */
export function attacksFor(numerics: "exact" | "tolerance"): Attack[] {
  return ATTACKS.filter((a) => a.numerics === "both" || a.numerics === numerics);
}
