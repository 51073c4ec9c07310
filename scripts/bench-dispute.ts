// Gas of the dispute game: per move, per vote, per resolution, and the total of a full exact-mode
// dispute (commit, reveal, every dissection move, committee draw, m vote commits and reveals,
// resolution) against a cheating provider at k = 16, 256, 1024 with m = 3 and 7, on Hardhat's
// in-process EVM (Osaka rules). Writes bench-results/dispute.json. Run: npm run bench:dispute
import { mkdir, writeFile } from "node:fs/promises";

import {
  OUTCOME,
  VOTE,
  disputeFixture,
  drawCommittee,
  openDispute,
  playDissection,
  tracedJob,
  vote,
} from "../test/ts/contracts/dispute-fixtures.ts";

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
    if (d.outcome !== OUTCOME.ChallengerWon) throw new Error(`unexpected outcome ${d.outcome}`);

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
await mkdir("bench-results", { recursive: true });
await writeFile(
  "bench-results/dispute.json",
  JSON.stringify({ fullDisputeGas, maxMoveGas, maxVoteGas, detail }, null, 2) + "\n",
);
console.log("wrote bench-results/dispute.json");
