// Gas of the dispute game: per move, per vote, per resolution, and the total of a full exact-mode
// dispute (commit, reveal, every dissection move, committee draw, m vote commits and reveals,
// resolution) against a cheating provider at k = 16, 256, 1024 with m = 3 and 7, on Hardhat's
// in-process EVM (Osaka rules). Then the committees: the draw's gas after 0, 1,000 and 10,000 past
// verifiers (and with verifiers coming and going between the request and the draw), the
// pollution attack (100 dead entries per live verifier), the resolve of a 21-seat committee that
// never voted (21 penalties), the deterrent left to a provider that challenges itself through a
// sock puppet, and the gas of a receipt (commit, reveal, claim). Writes bench-results/dispute.json.
// Run: npm run bench:dispute
import { mkdir, writeFile } from "node:fs/promises";

import { keccak256, toHex } from "viem";

import { networkHelpers } from "../test/ts/contracts/fixtures.ts";
import {
  commitReceipt,
  publishProbes,
  revealReceipt,
} from "../test/ts/contracts/receipt-fixtures.ts";
import {
  VOTE,
  createSybils,
  disputeFixture,
  drainReferees,
  drawCommittee,
  gasOf,
  openDispute,
  playDissection,
  tracedJob,
  vote,
  type DisputeFixture,
} from "../test/ts/contracts/dispute-fixtures.ts";
import { NUMERICS, OUTCOME, OUTCOME_CODE } from "../src/protocol/onchain-enums.ts";

const f = await disputeFixture();
const fullDisputeGas: Record<string, number> = {};
const detail: Record<string, Record<string, number>> = {};
let maxMoveGas = 0;
let maxVoteGas = 0;

for (const k of [16, 256, 1024]) {
  for (const m of [3, 7]) {
    // The provider fabricates every state from the middle of segment 2 on.
    const cheatAt = k + Math.floor(k / 2) + 1;
    const job = await tracedJob(f, {
      k,
      checkpoints: 4,
      cheatFromStep: cheatAt,
      overrides: { committeeSize: m },
    });
    const start = k;
    const opened = await openDispute(f, job, 2, f.verifier, job.honestDigest(2 * k));
    const moves = await playDissection(
      f,
      opened.disputeId,
      opened.digests,
      (o) => job.providerDigest(start + o),
      (o) => job.honestDigest(start + o),
      f.verifier,
    );
    const committee = await drawCommittee(f, opened.disputeId);
    if (committee.members.length !== m)
      throw new Error(`drew ${committee.members.length} referees, expected ${m}`);
    const votes = await vote(f, opened.disputeId, committee.members, () => VOTE.Challenger);
    const d = await f.disputeGame.read.getDispute([opened.disputeId]);
    if (d.outcome !== OUTCOME_CODE.ChallengerWon)
      throw new Error(`unexpected outcome ${d.outcome}`);

    const sum = (xs: bigint[]): number => xs.reduce((a, b) => a + Number(b), 0);
    const moveGas = [...moves.post, ...moves.narrow].map(Number);
    const total =
      Number(opened.gas.commit) +
      Number(opened.gas.reveal) +
      sum(moves.post) +
      sum(moves.narrow) +
      Number(committee.gas) +
      sum(votes.commit) +
      sum(votes.reveal) +
      Number(votes.resolve);
    const key = `k${k}_m${m}`;
    fullDisputeGas[key] = total;
    maxMoveGas = Math.max(maxMoveGas, ...moveGas);
    maxVoteGas = Math.max(maxVoteGas, ...[...votes.commit, ...votes.reveal].map(Number));
    detail[key] = {
      commitChallenge: Number(opened.gas.commit),
      revealChallenge: Number(opened.gas.reveal),
      moves: moveGas.length,
      maxPostPoints: Math.max(...moves.post.map(Number)),
      maxNarrow: Math.max(...moves.narrow.map(Number)),
      drawCommittee: Number(committee.gas),
      maxVoteCommit: Math.max(...votes.commit.map(Number)),
      maxVoteReveal: Math.max(...votes.reveal.map(Number)),
      resolve: Number(votes.resolve),
      total,
    };
    console.log(
      `${key.padEnd(9)} commit ${opened.gas.commit}  reveal ${opened.gas.reveal}  ${moveGas.length} moves (max ${Math.max(...moveGas)})  ` +
        `draw ${committee.gas}  votes ${sum(votes.commit) + sum(votes.reveal)}  resolve ${votes.resolve}  total ${total}`,
    );
  }
}

console.log(
  `\nmax gas per dissection move: ${maxMoveGas} (target ≤ 70,000: ${maxMoveGas <= 70_000 ? "met" : "MISSED"})`,
);
console.log(`max gas per vote call: ${maxVoteGas}`);
const k1024m3 = fullDisputeGas.k1024_m3!;
console.log(
  `full dispute k=1024 m=3: ${k1024m3} gas (target ≤ 1,200,000: ${k1024m3 <= 1_200_000 ? "met" : "MISSED"})`,
);
// ---------------------------------------------------------------- committees

const CLAIM = keccak256(toHex("challenger's digest"));

/** A tolerance dispute of committee size m, opened by the honest verifier; ready to draw. */
async function toleranceDispute(g: DisputeFixture, m: number) {
  const job = await tracedJob(g, {
    k: 8,
    numerics: NUMERICS.Tolerance,
    overrides: { committeeSize: m },
  });
  const { disputeId } = await openDispute(g, job, 2, g.verifier, CLAIM);
  return { job, disputeId };
}

const min = async (g: DisputeFixture) => g.registry.read.minVerifierStake();

// The draw reads O(m · 16) checkpointed tree nodes: the number of verifiers that ever staked
// does not enter. Past verifiers are dead entries (stake, then unstake at once).
const drawGas: Record<string, number> = {};
const drawGasM21: Record<string, number> = {};
let drawGasChurn = 0;
for (const past of [0, 1_000, 10_000]) {
  const g = await disputeFixture();
  if (past > 0) await createSybils(g, past, await min(g), true);
  for (const m of [3, 21]) {
    const { disputeId } = await toleranceDispute(g, m);
    const drawn = await drawCommittee(g, disputeId);
    if (drawn.members.length !== m) throw new Error(`drew ${drawn.members.length} of ${m} seats`);
    (m === 3 ? drawGas : drawGasM21)[String(past)] = Number(drawn.gas);
  }
  console.log(
    `draw after ${past} past verifiers: m=3 ${drawGas[String(past)]} gas, m=21 ${drawGasM21[String(past)]} gas`,
  );
  if (past === 10_000) {
    // Verifiers come and go between the request and the draw: the draw searches each node's
    // recent checkpoints instead of reading the latest.
    const { disputeId } = await toleranceDispute(g, 3);
    await createSybils(g, 1_000, await min(g), true);
    drawGasChurn = Number((await drawCommittee(g, disputeId)).gas);
    console.log(`draw after 1,000 more came and went since its request: m=3 ${drawGasChurn} gas`);
  }
}

// Pollution: 3 live verifiers outside the parties, 300 dead entries.
const pollution = await disputeFixture();
await drainReferees(pollution, 2);
await createSybils(pollution, 300, await min(pollution), true);
const polluted = await toleranceDispute(pollution, 3);
const pollutedCommittee = await drawCommittee(pollution, polluted.disputeId);
await vote(pollution, polluted.disputeId, pollutedCommittee.members, () => VOTE.Challenger);
const pollutionOutcome =
  OUTCOME[(await pollution.disputeGame.read.getDispute([polluted.disputeId])).outcome];
console.log(
  `pollution (100 dead per live): ${pollutedCommittee.members.length} of 3 seats, ${pollutionOutcome}`,
);

// A 21-seat committee that never votes: resolve takes 21 penalties and updates 21 weights.
const silent = await disputeFixture();
const silentDispute = await toleranceDispute(silent, 21);
const silentCommittee = await drawCommittee(silent, silentDispute.disputeId);
const sd = await silent.disputeGame.read.getDispute([silentDispute.disputeId]);
await networkHelpers.time.increaseTo(BigInt(sd.revealDeadline) + 1n);
const resolveHash = await silent.disputeGame.write.resolve(
  [silentDispute.disputeId, silentCommittee.members],
  { account: silent.stranger.account },
);
const resolveAllAbsentM21 = Number(
  (await silent.publicClient.waitForTransactionReceipt({ hash: resolveHash })).gasUsed,
);
console.log(`resolve, 21 silent seats (21 penalties, redraw): ${resolveAllAbsentM21} gas`);

// Self-challenge: the provider's sock puppet (verifier2) wins against its cheating job. Worst
// case: every referee is the provider's too, so the referee pot also comes back.
const selfish = await disputeFixture();
const sp = await selfish.disputeGame.read.parameters();
const selfJob = await tracedJob(selfish, { k: 8, numerics: NUMERICS.Tolerance });
const selfDispute = await openDispute(selfish, selfJob, 2, selfish.verifier2, CLAIM);
const selfCommittee = await drawCommittee(selfish, selfDispute.disputeId);
await vote(selfish, selfDispute.disputeId, selfCommittee.members, () => VOTE.Challenger);
const collateral = selfJob.params.collateral;
const puppetGain =
  (await selfish.disputeGame.read.creditOf([selfish.verifier2.account.address])) - sp.challengeBond;
const refereePot = (collateral * sp.refereeShareBps) / 10_000n;
const deterrentRatio = Number(collateral - puppetGain - refereePot) / Number(collateral);
console.log(
  `self-challenge: collateral ${collateral}, won back ${puppetGain} + referee pot ${refereePot}: deterrent ratio ${deterrentRatio}`,
);

// Receipts (docs/receipts.md): one verifier's commit, reveal and claim, and the provider's request
// and publication of the probes, on a job with q = 4 sampled segments at k = 16 and k = 1024 (the
// reveal carries one Merkle proof of depth ⌈log₂(k − 1)⌉ per sampled segment).
const receiptGas: Record<string, Record<string, number>> = {};
for (const k of [16, 1024]) {
  const rf = await disputeFixture();
  const job = await tracedJob(rf, { k, checkpoints: 8, receipts: true, overrides: { samples: 4 } });
  const receipt = await commitReceipt(rf, job, rf.verifier);
  const { probes, gas } = await publishProbes(rf, job);
  const reveal = await revealReceipt(rf, job, receipt, probes);
  const onchain = await rf.market.read.getJob([job.jobId]);
  await networkHelpers.time.increaseTo(BigInt(onchain.deadline) + 1n);
  const finalize = await gasOf(rf, await rf.market.write.finalize([job.jobId]));
  const claim = await gasOf(
    rf,
    await rf.receipts.write.claimReceipt([job.jobId], { account: rf.verifier.account }),
  );
  receiptGas[`k${k}`] = {
    commit: Number(receipt.gas),
    reveal: Number(reveal),
    claim: Number(claim),
    requestProbes: Number(gas.request),
    publishProbes: Number(gas.publish),
    finalizeToReceipts: Number(finalize),
  };
  console.log(`receipts k=${k} q=4:`, receiptGas[`k${k}`]);
}

await mkdir("bench-results", { recursive: true });
await writeFile(
  "bench-results/dispute.json",
  JSON.stringify(
    {
      fullDisputeGas,
      maxMoveGas,
      maxVoteGas,
      detail,
      drawGas,
      drawGasM21,
      drawGasChurn,
      pollutionAttack: {
        deadPerLive: 100,
        live: 3,
        dead: 300,
        seatsFilled: pollutedCommittee.members.length,
        outcome: pollutionOutcome,
      },
      resolveAllAbsentM21,
      deterrentRatio,
      receiptGas: {
        commit: receiptGas.k16!.commit,
        reveal: receiptGas.k16!.reveal,
        claim: receiptGas.k16!.claim,
        byInterval: receiptGas,
      },
    },
    null,
    2,
  ) + "\n",
);
console.log("wrote bench-results/dispute.json");
