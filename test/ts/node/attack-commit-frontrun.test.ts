// ATTACK (severity: high — a cheating provider escapes every challenge a daemon makes, for the
// price of one commit transaction each; a front-runner, not a bug in the contract).
//
// DisputeGame.commitChallenge stores a commitment once (DisputeCommitmentExists) and keeps only the
// block it was stored in; the hash binds the challenger's address, so docs/disputes.md calls
// front-running the commit with the same hash harmless: the challenger's reveal still finds it.
// The challenger's daemon does not: it sends `commitChallenge(commitment)` under the key
// `challenge-commit:<job>:<segment>` (verifier/audit.ts, challenge). A provider watching the
// mempool commits the same hash first; the challenger's transaction passed simulation and reverts
// in its block; TxSender (src/node/tx.ts, send) finds that the call fails now with
// DisputeCommitmentExists and throws. On every later pass the key is journaled, so the same send
// waits for the same reverted transaction and throws again: the audit stays "challenging" with no
// commit block, never reveals, and the job finalizes with the provider paid and its collateral
// back. FraudProofs.commitProof has the same guard (FraudCommitmentExists) and verifier/audit.ts
// `prove` the same flow under `fraud-commit:<job>`: a fraud proof is blocked the same way.
//
// Here: the front-run is staged on Hardhat (the challenger's transaction dropped from the pool
// while the griefer's is mined, then rebroadcast by TxSender, as in
// tx-reverts-after-simulation.test.ts), then the daemon's next passes (Audit.advance) are run.
//
// Fixed: a commitment that is stored (by whoever) counts as this challenger's commit — the daemon
// records the block its event names and goes on to the reveal a block later (verifier/audit.ts,
// `commit`, for the challenge and the fraud proof alike).
import path from "node:path";

import { expect } from "chai";
import { keccak256, toHex, type Hex } from "viem";

import { Journal } from "../../../src/node/journal.ts";
import { createLogger } from "../../../src/node/log.ts";
import { createMetrics } from "../../../src/node/metrics.ts";
import { contractCall, TxSender } from "../../../src/node/tx.ts";
import { WaitNotes } from "../../../src/node/wait-notes.ts";
import { challengeCommitment } from "../../../src/protocol/dispute-commitments.ts";
import { Audit } from "../../../verifier/audit.ts";
import type { DutyContext } from "../../../verifier/duty.ts";
import type { VerifierEvent } from "../../../verifier/events.ts";
import type { AuditRecord } from "../../../verifier/state-machine.ts";
import { minedAfter, startRpcChain, type RpcChain } from "../helpers/rpc-chain.ts";

describe("attack: a front-run commit leaves the challenger's daemon unable to commit its challenge", function () {
  this.timeout(60_000);
  let c: RpcChain;

  before(async function () {
    c = await startRpcChain();
  });

  after(async function () {
    await c?.close();
  });

  it("the challenger's daemon commits (the commitment stored by a front-runner names it) and moves on", async function () {
    const { chain } = c;
    const jobId = 7n;
    const segment = 3;
    const claim: Hex = keccak256(toHex("the challenger's own digest"));
    const salt: Hex = keccak256(toHex("the challenger's salt"));
    const commitment = challengeCommitment(jobId, segment, claim, salt, chain.address);
    const game = chain.contracts.disputeGame;
    const call = contractCall(game, "commitChallenge", [commitment]);
    const commitKey = `challenge-commit:${jobId}:${segment}`;

    const journal = await Journal.open(path.join(c.dir, "verifier-journal.json"));
    const tx = new TxSender(chain, journal, { receiptTimeoutMs: 500 });
    const log = createLogger({ name: "verifier", level: "silent" });
    const events: VerifierEvent[] = [];
    const ctx = {
      config: { verifier: {} },
      chain,
      journal,
      tx,
      log,
      waits: new WaitNotes(log),
      metrics: createMetrics("verifier"),
      address: chain.address,
      emit: (e: VerifierEvent) => events.push(e),
    } as unknown as DutyContext;
    const record: AuditRecord = {
      state: "challenging",
      segments: [segment],
      challenge: { kind: "State", segment, claim, salt },
    };
    await journal.set(`audit:${jobId}`, record);
    const audit = new Audit(ctx);

    // The daemon's first pass sends the commit (the job was open: it passed the check before the
    // send). The griefer sees it pending and has the same commitment stored first.
    // Any other account (the provider's, say): devnet account 1 is the challenger.
    const griefer = (await c.connection.viem.getWalletClients())[5]!;
    expect(griefer.account.address.toLowerCase()).to.not.equal(chain.address.toLowerCase());
    let stored!: { status: string; blockNumber: bigint };
    const { firstHash } = await minedAfter(
      c,
      () => tx.send(commitKey, `commit challenge of job ${jobId}`, call),
      async () => {
        const frontRun = await game.write.commitChallenge([commitment], {
          account: griefer.account,
        });
        stored = await chain.publicClient.waitForTransactionReceipt({ hash: frontRun });
      },
    );
    expect(stored.status, "the griefer's copy of the commitment is stored").to.equal("success");
    const mined = await chain.publicClient.getTransactionReceipt({ hash: firstHash });
    expect(mined.status, "the challenger's own commit reverted in its block").to.equal("reverted");
    // Now the first pass fails with DisputeCommitmentExists (the daemon logs "step failed; retrying
    // next poll"); a fix may as well take the stored commitment here.

    // The daemon's next passes over the audit.
    const head = async () => {
      const block = await chain.publicClient.getBlock({ blockTag: "latest" });
      return { number: block.number, timestamp: block.timestamp };
    };
    // The next pass takes the stored commitment as its commit (the passes after it go on to the
    // reveal, which needs a real job: not this test's business).
    await audit.advance(jobId, await head());
    const now = journal.get<AuditRecord>(`audit:${jobId}`)!;
    const commitBlock = now.challenge?.commitBlock;
    expect(
      commitBlock !== undefined && commitBlock >= stored.blockNumber,
      `the challenge is committed (at or after block ${stored.blockNumber}, where the commitment naming this challenger was stored): ${commitBlock}`,
    ).to.equal(true);
    expect(events.map((e) => e.type)).to.include("challenge-committed");
  });
});
