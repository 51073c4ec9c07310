// Gas of every escrow action and of the happy-path lifecycle (create, accept, submit, open with
// q = 8 and Q = 2, finalize) at n = 16, 256 and 4096 checkpoints, on Hardhat's in-process EVM.
// Writes bench-results/escrow.json. Run: npm run bench:escrow
import { mkdir, writeFile } from "node:fs/promises";

import { network } from "hardhat";
import { keccak256, maxUint256, toHex, type Hex } from "viem";

import { DEVNET_PARAMS, deployAssay } from "../deploy/deploy-assay.ts";
import { float32LossBits, hashLeaf, type TraceLeaf } from "../src/protocol/leaf.ts";
import { buildLevels } from "../src/protocol/merkle.ts";
import { buildOpening, topSegmentsByNorm } from "../src/protocol/opening.ts";

const SAMPLES = 8;
const TOP_Q = 2;
const SIZES = [16, 256, 4096] as const;
const UNIT = 10n ** 18n;

const { viem, networkHelpers } = await network.create();
const publicClient = await viem.getPublicClient();
const [, treasury, submitter, provider, verifier] = await viem.getWalletClients();
const d = await deployAssay(viem, { ...DEVNET_PARAMS, treasury: treasury!.account.address });
const token = d.testToken!;
for (const w of [submitter!, provider!, verifier!]) {
  await token.write.mint([w.account.address, 10n ** 9n * UNIT]);
  await token.write.approve([d.market.address, maxUint256], { account: w.account });
  await token.write.approve([d.registry.address, maxUint256], { account: w.account });
}

async function gasOf(hash: Hex): Promise<number> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
  return Number(receipt.gasUsed);
}

const actions: Record<string, number> = {};
actions.stakeProvider = await gasOf(
  await d.registry.write.stake([1, 1_000_000n * UNIT], { account: provider!.account }),
);
actions.stakeVerifier = await gasOf(
  await d.registry.write.stake([2, 200n * UNIT], { account: verifier!.account }),
);
actions.requestUnstake = await gasOf(
  await d.registry.write.requestUnstake([2, 50n * UNIT], { account: verifier!.account }),
);

function params(n: number) {
  return {
    specHash: keccak256(toHex(`spec${n}`)),
    initialStateDigest: keccak256(toHex("h0")),
    amount: 100n * UNIT,
    collateral: 200n * UNIT,
    totalSteps: n * 10,
    checkpointInterval: 10,
    numerics: 1,
    deltaPpm: 0,
    samples: SAMPLES,
    topQ: TOP_Q,
    committeeSize: 3,
    verificationBps: 1_000,
    acceptWindow: 3600,
    trainWindow: 6 * 3600,
    openWindow: 3600,
    challengeWindow: 2 * 3600,
  };
}

function fakeTrace(n: number, run: number): TraceLeaf[] {
  return Array.from({ length: n }, (_, i) => {
    const h = keccak256(toHex(`bench:${n}:${run}:${i + 1}`));
    return {
      index: BigInt(i + 1),
      stateDigest: h,
      lossBits: float32LossBits(1 / (i + 1)),
      updateNorm: BigInt(h.slice(0, 14)),
    };
  });
}

// The opening's proof size depends on which segments the seed samples, so each size runs
// RUNS jobs with different seeds; the figures are the median, and the maximum is printed too.
const RUNS = 5;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const lifecycleGas: Record<string, number> = {};
const lifecycleGasMax: Record<string, number> = {};
const perSize: Record<string, Record<string, number>> = {};
for (const n of SIZES) {
  const runs: Record<string, number>[] = [];
  for (let run = 0; run < RUNS; run++) {
    const create = await gasOf(
      await d.market.write.createJob([params(n)], { account: submitter!.account }),
    );
    const jobId = await d.market.read.jobCount();
    const accept = await gasOf(
      await d.market.write.accept([jobId], { account: provider!.account }),
    );
    const trace = fakeTrace(n, run);
    const levels = buildLevels(trace.map((leaf) => hashLeaf(jobId, leaf)));
    const submit = await gasOf(
      await d.market.write.submit(
        [
          jobId,
          levels.at(-1)![0]!,
          trace.at(-1)!.stateDigest,
          keccak256(toHex("r")),
          keccak256(toHex("l")),
        ],
        { account: provider!.account },
      ),
    );
    await networkHelpers.mine(DEVNET_PARAMS.randomnessDelayBlocks + 1);
    const sampled = await d.market.read.sampledSegments([jobId]);
    const opening = buildOpening(jobId, trace, sampled, topSegmentsByNorm(trace, TOP_Q));
    const open = await gasOf(
      await d.market.write.openSamples([jobId, opening.leaves, opening.topIndices, opening.proof], {
        account: provider!.account,
      }),
    );
    await networkHelpers.time.increase(2 * 3600 + 1);
    const finalize = await gasOf(await d.market.write.finalize([jobId]));
    const lifecycle = create + accept + submit + open + finalize;
    runs.push({
      create,
      accept,
      submit,
      open,
      finalize,
      lifecycle,
      proofNodes: opening.proof.length,
    });
  }
  const pick = (key: string): number => median(runs.map((r) => r[key]!));
  perSize[n] = Object.fromEntries(
    ["create", "accept", "submit", "open", "finalize", "proofNodes"].map((k) => [k, pick(k)]),
  );
  lifecycleGas[n] = pick("lifecycle");
  lifecycleGasMax[n] = Math.max(...runs.map((r) => r.lifecycle!));
  const p = perSize[n]!;
  console.log(
    `n=${String(n).padStart(4)}  median of ${RUNS}: create ${p.create}  accept ${p.accept}  submit ${p.submit}  ` +
      `open ${p.open} (${p.proofNodes} proof nodes)  finalize ${p.finalize}  lifecycle ${lifecycleGas[n]} (max ${lifecycleGasMax[n]})`,
  );
}

// The remaining actions, measured once.
{
  const jobId = (await d.market.read.jobCount()) + 1n;
  await d.market.write.createJob([params(16)], { account: submitter!.account });
  actions.cancel = await gasOf(
    await d.market.write.cancel([jobId], { account: submitter!.account }),
  );
  await d.market.write.createJob([params(16)], { account: submitter!.account });
  await d.market.write.accept([jobId + 1n], { account: provider!.account });
  actions.commitProgress = await gasOf(
    await d.market.write.commitProgress([jobId + 1n, 8n, keccak256(toHex("partial"))], {
      account: provider!.account,
    }),
  );
  await networkHelpers.time.increase(6 * 3600 + 1);
  actions.expireAccepted = await gasOf(await d.market.write.expire([jobId + 1n]));
  actions.claimCredit = await gasOf(
    await d.market.write.claimCredit({ account: submitter!.account }),
  );
  await networkHelpers.time.increase(DEVNET_PARAMS.unbondingDelay + 1);
  actions.withdraw = await gasOf(
    await d.registry.write.withdraw([2], { account: verifier!.account }),
  );
}
for (const n of SIZES) for (const [k, v] of Object.entries(perSize[n]!)) actions[`${k}_n${n}`] = v;

console.log("\nactions:", actions);
console.log("lifecycleGas:", lifecycleGas);
const target = 700_000;
console.log(
  `lifecycle at n=4096: median ${lifecycleGas[4096]}, max ${lifecycleGasMax[4096]} gas ` +
    `(target ≤ ${target}: ${lifecycleGasMax[4096]! <= target ? "met" : "MISSED"})`,
);
await mkdir("bench-results", { recursive: true });
await writeFile(
  "bench-results/escrow.json",
  JSON.stringify({ lifecycleGas, lifecycleGasMax, runsPerSize: RUNS, actions }, null, 2) + "\n",
);
console.log("wrote bench-results/escrow.json");
