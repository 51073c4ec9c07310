// The committee's side of an exact-numerics dispute: once the dissection is down to one step,
// the contract draws referees from the staked verifiers with randomness that did not exist when
// the dispute narrowed. Each referee fetches the agreed pre-state by its content address, runs
// that one step with the protocol's batch, and votes — commit, then reveal — for whichever side's
// post-step digest it reproduced (or neither). Anyone may then resolve.
import { randomBytes } from "node:crypto";

import {
  bytesToHex,
  encodeAbiParameters,
  keccak256,
  parseEventLogs,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";

import { getState } from "../checkpoint/checkpoint-store.ts";
import { stateDigest } from "../checkpoint/state-codec.ts";
import { openStepSession } from "../engine/runtime.ts";
import { runStep } from "../engine/trainer.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { cidFromDigest } from "../store/cid.ts";
import { mineBlocks, send, type Actor, type DemoChain } from "./chain.ts";
import { VOTE, type StepQuestion, type VoteName } from "./dispute-view.ts";
import { DemoError } from "./errors.ts";
import type { FetchedJob } from "./jobs.ts";

export interface StepVerdict {
  vote: VoteName;
  /** The job step the referee ran (the state before it had taken `step` steps). */
  step: number;
  recomputed: Hex;
}

/** Recomputes the disputed step from the agreed pre-state and says whose post-state is right. */
export async function adjudicateStep(
  job: FetchedJob,
  store: BlobStore,
  question: StepQuestion,
): Promise<StepVerdict> {
  const training = job.loaded.job;
  const step = (question.segment - 1) * training.checkpointInterval + question.step - 1;
  const cid = cidFromDigest(question.preDigest);
  let pre;
  try {
    pre = await getState(store, cid, training.program.info);
  } catch (cause) {
    throw new DemoError(`the agreed pre-state ${cid} of the disputed step is not available`, {
      cause,
    });
  }
  if (pre.step !== step)
    throw new DemoError(
      `the agreed pre-state is at step ${pre.step}, the disputed step is ${step}`,
    );
  const session = await openStepSession(training.program);
  let recomputed: Hex;
  try {
    recomputed = stateDigest((await runStep(session, training, pre)).state);
  } finally {
    await session.close();
  }
  const vote: VoteName =
    recomputed === question.providerDigest.toLowerCase()
      ? "Provider"
      : recomputed === question.challengerDigest.toLowerCase()
        ? "Challenger"
        : "Neither";
  return { vote, step, recomputed };
}

/** Mines past the randomness the committee waits for and draws it; returns the members by seat. */
export async function drawCommittee(
  chain: DemoChain,
  caller: Actor,
  disputeId: bigint,
): Promise<Address[]> {
  const game = chain.deployment.disputeGame;
  await mineBlocks(chain, chain.deployment.params.randomnessDelayBlocks + 1);
  const receipt = await send(chain, caller, "drawCommittee", () =>
    game.write.drawCommittee([disputeId], { account: caller.wallet.account }),
  );
  const [event] = parseEventLogs({
    abi: game.abi,
    logs: receipt.logs,
    eventName: "CommitteeDrawn",
  });
  if (event === undefined) throw new DemoError("drawCommittee emitted no CommitteeDrawn event");
  return [...event.args.members];
}

export interface Ballot {
  referee: Actor;
  seat: number;
  vote: VoteName;
  salt: Hex;
}

/** Commits keccak256(abi.encode(disputeId, seat, vote, distancePpm, salt, referee)). */
export async function commitVote(
  chain: DemoChain,
  referee: Actor,
  disputeId: bigint,
  members: readonly Address[],
  vote: VoteName,
): Promise<Ballot> {
  const seat = members.findIndex((m) => m.toLowerCase() === referee.address.toLowerCase());
  if (seat === -1)
    throw new DemoError(`${referee.name} is not on the committee of dispute ${disputeId}`);
  const salt = bytesToHex(randomBytes(32));
  const commitment = keccak256(
    encodeAbiParameters(
      [
        { type: "uint256" },
        { type: "uint256" },
        { type: "uint8" },
        { type: "uint256" },
        { type: "bytes32" },
        { type: "address" },
      ],
      [disputeId, BigInt(seat), VOTE[vote], 0n, salt, referee.address],
    ),
  );
  await send(chain, referee, "commitVote", () =>
    chain.deployment.disputeGame.write.commitVote([disputeId, BigInt(seat), members, commitment], {
      account: referee.wallet.account,
    }),
  );
  return { referee, seat, vote, salt };
}

export async function revealVote(
  chain: DemoChain,
  disputeId: bigint,
  ballot: Ballot,
): Promise<void> {
  await send(chain, ballot.referee, "revealVote", () =>
    chain.deployment.disputeGame.write.revealVote(
      [disputeId, BigInt(ballot.seat), VOTE[ballot.vote], 0n, ballot.salt],
      { account: ballot.referee.wallet.account },
    ),
  );
}

/** Tallies the votes and settles the money (anyone may call once every referee has revealed). */
export async function resolveDispute(
  chain: DemoChain,
  caller: Actor,
  disputeId: bigint,
  members: readonly Address[],
): Promise<TransactionReceipt> {
  return send(chain, caller, "resolve", () =>
    chain.deployment.disputeGame.write.resolve([disputeId, members], {
      account: caller.wallet.account,
    }),
  );
}
