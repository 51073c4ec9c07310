// Attack review: a withdrawn availability challenge, then the same segment challenged again in the
// new audit round. The TxSender keys of a challenge name only (job, segment), so the second round's
// commit and reveal "find" the first round's journaled transactions: no second commitment, no second
// dispute, and the audit follows the withdrawn dispute (Resolved → done). A provider that answers,
// lets the challenger withdraw, then withholds the blob again is never challenged again by this
// verifier. The chain here is a fake that executes the three DisputeGame calls the path sends; the
// TxSender, Journal, Audit and segment checks are the real ones.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import {
  concat,
  decodeFunctionData,
  encodeAbiParameters,
  encodeEventTopics,
  keccak256,
  size,
  slice,
  toHex,
  zeroHash,
  type Abi,
  type Hex,
} from "viem";

import type { CheckpointRecord } from "../../../src/checkpoint/trace.ts";
import { train } from "../../../src/training/trainer.ts";
import { abiOf, type ChainContext } from "../../../src/node/chain.ts";
import { Journal } from "../../../src/node/journal.ts";
import type { Logger } from "../../../src/node/log.ts";
import type { NodeMetrics } from "../../../src/node/metrics.ts";
import { TxSender } from "../../../src/node/tx.ts";
import { MemoryBlobStore } from "../../../src/store/memory-store.ts";
import { Audit } from "../../../verifier/audit.ts";
import { JOB, PHASE } from "../../../src/protocol/onchain-enums.ts";
import type { DutyContext } from "../../../verifier/duty.ts";
import { checkSegment, verifiableJob } from "../../../verifier/segment-check.ts";
import type { AuditRecord } from "../../../verifier/state-machine.ts";
import { smallJob } from "../engine/helpers/fixtures.ts";
import { WaitNotes } from "../../../src/node/wait-notes.ts";

const quietLog = { error() {}, warn() {}, info() {}, debug() {} } as unknown as Logger;
const counter = { inc() {} };
const metrics = {
  segmentsVerified: counter,
  disputes: counter,
  gasSpent: counter,
  transactions: counter,
} as unknown as NodeMetrics;

const GAME = "0x00000000000000000000000000000000000000aa" as const;
const ME = "0x0000000000000000000000000000000000000066" as const;

/** A chain that runs commitChallenge, revealChallenge and withdrawChallenge, one block each. */
function fakeChain(abi: Abi, finalDigest: Hex) {
  const calls: { functionName: string; args: readonly unknown[] }[] = [];
  const receipts = new Map<Hex, unknown>();
  const phases = new Map<bigint, number>();
  let block = 100n;
  let nonce = 0;
  let disputes = 0n;
  const opened = (abi as { type: string; name?: string; inputs?: unknown[] }[]).find(
    (e) => e.type === "event" && e.name === "DisputeOpened",
  ) as { inputs: { name: string; type: string; indexed?: boolean }[] };
  function log(disputeId: bigint, jobId: bigint, segment: bigint) {
    const values: Record<string, unknown> = { disputeId, jobId, segment, challenger: ME };
    const fill = (t: string): unknown =>
      t.startsWith("uint") ? 0n : t === "address" ? ME : t === "bool" ? false : zeroHash;
    const args = Object.fromEntries(
      opened.inputs.map((i) => [i.name, values[i.name] ?? fill(i.type)]),
    );
    const topics = encodeEventTopics({ abi, eventName: "DisputeOpened", args } as never);
    const data = encodeAbiParameters(
      opened.inputs.filter((i) => !i.indexed) as never,
      opened.inputs.filter((i) => !i.indexed).map((i) => args[i.name]) as never,
    );
    return { address: GAME, topics, data, blockNumber: block, logIndex: 0, transactionIndex: 0 };
  }
  const publicClient = {
    pollingInterval: 1,
    simulateContract: async () => ({}),
    estimateContractGas: async () => 100_000n,
    getTransactionCount: async () => nonce,
    getTransaction: async () => ({}),
    async sendRawTransaction({ serializedTransaction: raw }: { serializedTransaction: Hex }) {
      const hash = keccak256(raw);
      if (receipts.has(hash)) return hash;
      const data = slice(raw, 0, size(raw) - 32);
      const call = decodeFunctionData({ abi, data }) as {
        functionName: string;
        args: readonly unknown[];
      };
      calls.push(call);
      block += 1n;
      nonce += 1;
      const logs: unknown[] = [];
      if (call.functionName === "revealChallenge") {
        disputes += 1n;
        phases.set(disputes, PHASE.AwaitingCommittee); // the provider answered at once
        logs.push(log(disputes, call.args[0] as bigint, call.args[1] as bigint));
      }
      if (call.functionName === "withdrawChallenge")
        phases.set(call.args[0] as bigint, PHASE.Resolved);
      receipts.set(hash, {
        status: "success",
        blockNumber: block,
        transactionHash: hash,
        gasUsed: 1n,
        logs,
      });
      return hash;
    },
    async waitForTransactionReceipt({ hash }: { hash: Hex }) {
      const r = receipts.get(hash);
      if (r === undefined) throw new Error("unknown transaction");
      return r;
    },
  };
  const walletClient = {
    chain: undefined,
    prepareTransactionRequest: async (r: unknown) => r,
    signTransaction: async (r: { data: Hex; nonce: number }) =>
      concat([r.data, toHex(r.nonce, { size: 32 })]),
  };
  const chain = {
    address: ME,
    account: { address: ME },
    publicClient,
    walletClient,
    contracts: {
      disputeGame: {
        address: GAME,
        abi,
        read: { getDispute: async ([id]: [bigint]) => ({ phase: phases.get(id) ?? 0 }) },
      },
      market: {
        abi: abiOf("JobMarket"),
        read: {
          getJob: async () => ({
            status: JOB.Opened,
            deadline: 2n ** 39n,
            topQ: 0,
            topAbove: 0,
            minTopNorm: 0n,
            finalDigest,
          }),
        },
      },
      token: { abi: abiOf("TestToken") },
      registry: { abi: abiOf("StakeRegistry") },
      fraudProofs: { abi: abiOf("FraudProofs") },
    },
  } as unknown as ChainContext;
  return { chain, calls };
}

describe("a segment challenged again after a withdrawn availability challenge", function () {
  this.timeout(60_000);

  it("opens a second dispute instead of replaying the first round's journaled commit and reveal", async function () {
    const small = await smallJob("exact", { totalSteps: 40, checkpointInterval: 10 });
    const blobs = new Map<string, Uint8Array>();
    const honest: CheckpointRecord[] = (
      await train(small.job, { store: new MemoryBlobStore({ blobs }), start: small.initialState })
    ).records;
    const served = new Map(blobs);
    const v = verifiableJob(small, honest);
    const jobId = small.job.jobId;
    const { chain, calls } = fakeChain(abiOf("DisputeGame") as Abi, honest.at(-1)!.stateDigest);
    const journal = await Journal.open(
      path.join(await mkdtemp(path.join(tmpdir(), "assay-rechallenge-")), "j.json"),
    );
    const tx = new TxSender(chain, journal, { log: quietLog });
    const ctx = {
      config: {
        verifier: { audit: "all", receipts: false, normCheckFraction: 0, dishonest: false },
      },
      chain,
      journal,
      tx,
      log: quietLog,
      waits: new WaitNotes(quietLog),
      metrics,
      address: ME,
      store: new MemoryBlobStore({ blobs: served }),
      jobs: { get: async () => v },
      emit() {},
      ensureTask: async () => {},
      guard: async (_w: string, run: () => Promise<void>) => run(),
      isClosing: () => false,
    } as unknown as DutyContext;
    const audit = new Audit(ctx);
    const key = `audit:${jobId}`;
    const record = (): AuditRecord => journal.get<AuditRecord>(key)!;
    let head = 1000n;
    const tick = () => audit.advance(jobId, { number: (head += 10n), timestamp: 1n });

    // Round 0: checkpoint 2 withheld → an availability challenge of segment 3.
    await journal.set(key, {
      state: "challenging",
      segments: [3],
      challenge: {
        kind: "Availability",
        segment: 3,
        claim: zeroHash,
        salt: toHex(1n, { size: 32 }),
      },
    } satisfies AuditRecord);
    await tick(); // commit
    await tick(); // reveal
    const first = record().challenge!.disputeId!;
    expect(record().state).to.equal("disputing");
    // The provider answered and serves the blobs: re-checked, withdrawn, audited afresh.
    await tick(); // available now → withdrawing
    await tick(); // withdraw → round 1
    expect(record()).to.include({ state: "auditing", round: 1 });
    expect(calls.map((c) => c.functionName)).to.deep.equal([
      "commitChallenge",
      "revealChallenge",
      "withdrawChallenge",
    ]);

    // Round 1: the provider withholds checkpoint 2 again; the worker's result says so.
    served.delete(honest[2]!.cid);
    const again = await checkSegment(v, ctx.store, 3);
    expect(again.fault).to.equal("availability");
    await audit.onSegment({ jobId: jobId.toString(), segment: 3 }, again);
    await tick(); // decide → challenging
    expect(record().state).to.equal("challenging");
    await tick(); // commit
    await tick(); // reveal
    expect(
      calls.filter((c) => c.functionName === "commitChallenge"),
      "a second commitment was sent",
    ).to.have.length(2);
    expect(
      record().challenge!.disputeId,
      "the new challenge is not the withdrawn dispute",
    ).to.not.equal(first);
  });
});
