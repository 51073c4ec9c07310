// A job's life on a devnet, one transaction at a time, for the explorer's page test and bench: the
// submitter posts it, a staked provider accepts, commits progress, submits a (synthetic) trace and
// opens its samples, a staked verifier challenges a segment, and a committee of staked referees
// is drawn, votes and resolves the dispute. Each step is a real transaction
// on the devnet's chain, so the explorer sees exactly the events the daemons would cause.
import { keccak256, maxUint256, parseEventLogs, toHex, type Address, type Hex } from "viem";

import type { Devnet } from "../../../src/devnet/index.ts";
import { DEVNET_ACCOUNTS } from "../../../src/devnet/devnet.ts";
import { until } from "../../../src/devnet/poll.ts";
import { challengeCommitment, voteCommitment } from "../../../src/protocol/dispute-commitments.ts";
import { float32LossBits, hashLeaf, type TraceLeaf } from "../../../src/protocol/leaf.ts";
import { buildLevels, merkleRoot, multiProof } from "../../../src/protocol/merkle.ts";
import { NUMERICS, STAKE_ROLE, VOTE, type VoteName } from "../../../src/protocol/onchain-enums.ts";
import { buildOpening, topSegmentsByNorm } from "../../../src/protocol/opening.ts";
import type { CreateJobParams } from "../../../src/protocol/create-job.ts";
import { cidFromDigest, digestFromCid } from "../../../src/protocol/cid.ts";
import {
  publishTraceManifest,
  traceRoot,
  type CheckpointRecord,
} from "../../../src/checkpoint/trace.ts";
import { HttpBlobStore } from "../../../src/store/http-client.ts";
import type { BlobStore } from "../../../src/store/blob-store.ts";
import { startExplorer, type Explorer } from "../../../src/explorer/server.ts";
import { connectChain, type ChainContext } from "../../../src/node/chain.ts";

const UNIT = 10n ** 18n;

export const STORY_JOB: Omit<CreateJobParams, "specHash" | "initialStateDigest"> = {
  amount: 100n * UNIT,
  collateral: 200n * UNIT,
  totalSteps: 160,
  checkpointInterval: 10,
  numerics: NUMERICS.Tolerance,
  deltaPpm: 1_000,
  samples: 4,
  topQ: 2,
  committeeSize: 3,
  verificationBps: 0,
  acceptWindow: 3600,
  trainWindow: 6 * 3600,
  openWindow: 3600,
  challengeWindow: 2 * 3600,
};

export async function chainStory(devnet: Devnet) {
  const wallets = await devnet.connection.viem.getWalletClients();
  const submitter = wallets[DEVNET_ACCOUNTS.submitter]!;
  const provider = wallets[DEVNET_ACCOUNTS.providers[0]]!;
  const verifier = wallets[DEVNET_ACCOUNTS.verifiers[0]]!;
  const referees = DEVNET_ACCOUNTS.verifiers.slice(1, 5).map((i) => wallets[i]!);
  const byAddress = new Map(wallets.map((w) => [w.account.address.toLowerCase(), w]));
  const { market, registry, disputeGame } = devnet.deployment;
  const token = devnet.deployment.testToken!;
  const publicClient = await devnet.connection.viem.getPublicClient();
  const wait = async (hash: Hex): Promise<void> => {
    await publicClient.waitForTransactionReceipt({ hash });
  };
  const checkpoints = STORY_JOB.totalSteps / STORY_JOB.checkpointInterval;
  const store = new HttpBlobStore({ url: devnet.storeUrl });

  return {
    /** Funds and stakes the provider and the verifier. */
    async stakeParties(): Promise<void> {
      for (const w of [submitter, provider, verifier]) {
        await devnet.fund(w.account.address, 10_000n * UNIT);
        for (const spender of [market.address, registry.address, disputeGame.address])
          await wait(await token.write.approve([spender, maxUint256], { account: w.account }));
      }
      await wait(
        await registry.write.stake([STAKE_ROLE.Provider, 2_000n * UNIT], {
          account: provider.account,
        }),
      );
      await wait(
        await registry.write.stake([STAKE_ROLE.Verifier, 200n * UNIT], {
          account: verifier.account,
        }),
      );
      for (const w of referees) {
        await devnet.fund(w.account.address, 1_000n * UNIT);
        await wait(
          await token.write.approve([registry.address, maxUint256], { account: w.account }),
        );
        await wait(
          await registry.write.stake([STAKE_ROLE.Verifier, 200n * UNIT], { account: w.account }),
        );
      }
    },

    /**
     * Draws dispute `disputeId`'s committee once its randomness exists (the clock mines it), has
     * every seat commit and reveal `verdict`, and resolves; returns the members.
     */
    async judge(disputeId: bigint, verdict: VoteName): Promise<Address[]> {
      const members = await this.draw(disputeId);
      await this.vote(disputeId, members, verdict);
      await wait(
        await disputeGame.write.resolve([disputeId, members], { account: submitter.account }),
      );
      return members;
    },

    /** Draws dispute `disputeId`'s committee once its randomness exists; returns the members. */
    async draw(disputeId: bigint): Promise<Address[]> {
      return until(
        `dispute ${disputeId}'s committee`,
        async () => {
          try {
            const receipt = await publicClient.waitForTransactionReceipt({
              hash: await disputeGame.write.drawCommittee([disputeId], {
                account: submitter.account,
              }),
            });
            const [drawn] = parseEventLogs({
              abi: disputeGame.abi,
              logs: receipt.logs,
              eventName: "CommitteeDrawn",
            });
            return drawn === undefined ? undefined : [...drawn.args.members];
          } catch {
            return undefined; // the randomness is not there yet
          }
        },
        30_000,
      );
    },

    /**
     * Has every seat of the committee `members` commit and reveal its vote: `verdict`, or
     * `verdict[seat]` (the dispute is left to resolve).
     */
    async vote(
      disputeId: bigint,
      members: readonly Address[],
      verdict: VoteName | readonly VoteName[],
    ): Promise<void> {
      const voteOf = (seat: number): VoteName =>
        typeof verdict === "string" ? verdict : verdict[seat]!;
      const salt = (seat: number): Hex => keccak256(toHex(`vote ${disputeId}:${seat}`));
      for (const [seat, member] of members.entries()) {
        const referee = byAddress.get(member.toLowerCase())!;
        const commitment = voteCommitment(
          disputeId,
          seat,
          VOTE[voteOf(seat)],
          0n,
          salt(seat),
          member,
        );
        await wait(
          await disputeGame.write.commitVote([disputeId, BigInt(seat), [...members], commitment], {
            account: referee.account,
          }),
        );
      }
      for (const [seat, member] of members.entries())
        await wait(
          await disputeGame.write.revealVote(
            [disputeId, BigInt(seat), VOTE[voteOf(seat)], 0n, salt(seat)],
            {
              account: byAddress.get(member.toLowerCase())!.account,
            },
          ),
        );
    },

    /** Posts a job; returns its id. */
    async post(label: string): Promise<bigint> {
      await wait(
        await market.write.createJob(
          [
            {
              ...STORY_JOB,
              specHash: keccak256(toHex(`spec:${label}`)),
              initialStateDigest: keccak256(toHex(`h0:${label}`)),
            },
          ],
          { account: submitter.account },
        ),
      );
      return market.read.jobCount();
    },

    async cancel(jobId: bigint): Promise<void> {
      await wait(await market.write.cancel([jobId], { account: submitter.account }));
    },

    async accept(jobId: bigint): Promise<void> {
      await wait(await market.write.accept([jobId], { account: provider.account }));
    },

    async commitProgress(jobId: bigint, done: number): Promise<void> {
      await wait(
        await market.write.commitProgress(
          [jobId, BigInt(done), keccak256(toHex(`partial:${done}`))],
          {
            account: provider.account,
          },
        ),
      );
    },

    /** A synthetic trace: digests and norms derived from the job id. */
    trace(jobId: bigint): TraceLeaf[] {
      return Array.from({ length: checkpoints }, (_, i) => {
        const h = keccak256(toHex(`job${jobId}:${i + 1}`));
        return {
          index: BigInt(i + 1),
          stateDigest: h,
          lossBits: float32LossBits(2.3 / (i + 1)),
          updateNorm: BigInt(h.slice(0, 12)),
        };
      });
    },

    /**
     * Submits the trace, with its manifest published to the devnet's store (every checkpoint's
     * claims); `manifestOf` publishes another job's manifest instead (a provider's lie).
     */
    async submit(
      jobId: bigint,
      options: { manifestOf?: bigint; manifestCid?: string } = {},
    ): Promise<void> {
      const trace = this.trace(jobId);
      const root = merkleRoot(trace.map((leaf) => hashLeaf(jobId, leaf)));
      const manifestCid =
        options.manifestCid ?? (await this.publishManifest(options.manifestOf ?? jobId));
      await wait(
        await market.write.submit(
          [
            jobId,
            root,
            trace.at(-1)!.stateDigest,
            keccak256(toHex("result")),
            digestFromCid(manifestCid),
          ],
          { account: provider.account },
        ),
      );
    },

    /** Publishes job `of`'s trace manifest (every checkpoint's claims) to the devnet's store. */
    async publishManifest(of: bigint): Promise<string> {
      const records: CheckpointRecord[] = [
        {
          index: 0,
          step: 0,
          cid: cidFromDigest(keccak256(toHex(`h0:${of}`))),
          stateDigest: keccak256(toHex(`h0:${of}`)),
          lossBits: 0n,
          updateNorm: 0n,
        },
        ...this.trace(of).map((leaf) => ({
          index: Number(leaf.index),
          step: Number(leaf.index) * STORY_JOB.checkpointInterval,
          cid: cidFromDigest(leaf.stateDigest),
          stateDigest: leaf.stateDigest,
          lossBits: leaf.lossBits,
          updateNorm: leaf.updateNorm,
        })),
      ];
      return publishTraceManifest(store, {
        jobId: of,
        specHash: keccak256(toHex(`spec:${of}`)),
        checkpointInterval: STORY_JOB.checkpointInterval,
        records,
        root: traceRoot(of, records),
      });
    },

    /** Opens the sampled and top-Q segments once the sample seed exists (the clock mines it). */
    async open(jobId: bigint): Promise<void> {
      const trace = this.trace(jobId);
      const sampled = await until(
        `job ${jobId}'s sample seed`,
        async () => {
          try {
            const s = await market.read.sampledSegments([jobId]);
            return s.length > 0 ? s : undefined;
          } catch {
            return undefined; // the randomness is not there yet
          }
        },
        30_000,
      );
      const opening = buildOpening(jobId, trace, sampled, topSegmentsByNorm(trace, STORY_JOB.topQ));
      await wait(
        await market.write.openSamples([jobId, opening.leaves, opening.topIndices, opening.proof], {
          account: provider.account,
        }),
      );
    },

    /** The verifier commits to and reveals a challenge of `segment` (claiming another end digest). */
    async challenge(jobId: bigint, segment: number): Promise<void> {
      const trace = this.trace(jobId);
      const claim = keccak256(toHex(`challenger's digest ${segment}`));
      const salt = keccak256(toHex(`salt ${segment}`));
      const commitment = challengeCommitment(jobId, segment, claim, salt, verifier.account.address);
      const committed = await publicClient.waitForTransactionReceipt({
        hash: await disputeGame.write.commitChallenge([commitment], { account: verifier.account }),
      });
      // The reveal must come at least a block after the commitment.
      await until("a block after the challenge commitment", async () =>
        (await publicClient.getBlockNumber()) > committed.blockNumber ? true : undefined,
      );
      const indices = segment === 1 ? [1] : [segment - 1, segment];
      const levels = buildLevels(trace.map((leaf) => hashLeaf(jobId, leaf)));
      await wait(
        await disputeGame.write.revealChallenge(
          [
            jobId,
            BigInt(segment),
            claim,
            salt,
            indices.map((i) => trace[i - 1]!),
            multiProof(
              levels,
              indices.map((i) => i - 1),
            ),
          ],
          { account: verifier.account },
        ),
      );
    },
    addresses: {
      submitter: submitter.account.address,
      provider: provider.account.address,
      verifier: verifier.account.address,
    },
  };
}

/**
 * An explorer over the devnet, as `assay devnet` starts one: read-only chain, the devnet's store
 * (or `store`), polled every 100 ms. Returns the chain it reads too.
 */
export async function explorerOn(
  devnet: Devnet,
  options: { store?: BlobStore; log?: (line: string) => void } = {},
): Promise<{ explorer: Explorer; chain: ChainContext }> {
  const chain = await explorerChain(devnet);
  const explorer = await startExplorer({
    chain,
    store: options.store ?? new HttpBlobStore({ url: devnet.storeUrl }),
    port: 0,
    pollMs: 100,
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  return { explorer, chain };
}

/** The chain as an explorer over the devnet reads it: read-only, polled every 100 ms. */
export function explorerChain(devnet: Devnet): Promise<ChainContext> {
  return connectChain(
    {
      rpcUrl: devnet.rpcUrl,
      deployment: devnet.deploymentFile,
      account: { devnet: 0 },
      pollIntervalMs: 100,
    },
    { readOnly: true },
  );
}
