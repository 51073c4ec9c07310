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
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import type { JsonRpcServer } from "hardhat/types/network";
import { keccak256, toHex, type Address, type Hex } from "viem";

import { deploymentFileOf } from "../../../deploy/deployment-file.ts";
import { deployAssay } from "../../../deploy/deploy-assay.ts";
import { connectChain, type ChainContext } from "../../../src/node/chain.ts";
import { NodeConfigSchema, loadConfig } from "../../../src/node/config.ts";
import { writeDeploymentFile } from "../../../src/node/deployment.ts";
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

describe("attack: a front-run commit leaves the challenger's daemon unable to commit its challenge", function () {
  this.timeout(60_000);
  let server: JsonRpcServer;
  let connection: Awaited<ReturnType<typeof network.connect>>;
  let dir: string;
  let chain: ChainContext;

  const rpc = (method: string, params: unknown[] = []) =>
    connection.provider.request({ method, params });

  before(async function () {
    server = await network.createServer("default", "127.0.0.1", 0);
    const { port } = await server.listen();
    const url = `http://127.0.0.1:${port}`;
    connection = await network.connect({ network: "localhost", override: { url } });
    const d = await deployAssay(connection.viem);
    const publicClient = await connection.viem.getPublicClient();
    dir = await mkdtemp(path.join(tmpdir(), "assay-commit-frontrun-"));
    const deploymentFile = path.join(dir, "deployment.json");
    await writeDeploymentFile(
      deploymentFile,
      deploymentFileOf(d, await publicClient.getChainId(), 1n),
    );
    chain = await connectChain(
      loadConfig(NodeConfigSchema, {
        flags: {
          rpcUrl: url,
          deployment: deploymentFile,
          account: { devnet: 1 },
          pollIntervalMs: 50,
        },
      }),
    );
  });

  afterEach(async function () {
    await rpc("evm_setAutomine", [true]);
  });

  after(async function () {
    await server?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("the challenger's daemon commits (the commitment stored by a front-runner names it) and moves on", async function () {
    const jobId = 7n;
    const segment = 3;
    const claim: Hex = keccak256(toHex("the challenger's own digest"));
    const salt: Hex = keccak256(toHex("the challenger's salt"));
    const commitment = challengeCommitment(jobId, segment, claim, salt, chain.address);
    const game = chain.contracts.disputeGame;
    const call = contractCall(game, "commitChallenge", [commitment]);
    const commitKey = `challenge-commit:${jobId}:${segment}`;

    const journal = await Journal.open(path.join(dir, "verifier-journal.json"));
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
    await rpc("evm_setAutomine", [false]);
    const first = tx.send(commitKey, `commit challenge of job ${jobId}`, call).then(
      () => undefined,
      (error: unknown) => error,
    );
    const pendingFromChain = async () =>
      (
        (await rpc("eth_getBlockByNumber", ["pending", true])) as {
          transactions: { hash: Hex; from: Address }[];
        }
      ).transactions.find((t) => t.from.toLowerCase() === chain.address.toLowerCase());
    let pending = await pendingFromChain();
    while (pending === undefined) {
      await new Promise((r) => setTimeout(r, 20));
      pending = await pendingFromChain();
    }
    expect(await rpc("hardhat_dropTransaction", [pending.hash])).to.equal(true);
    await rpc("evm_setAutomine", [true]);
    // Any other account (the provider's, say): devnet account 1 is the challenger.
    const griefer = (await connection.viem.getWalletClients())[5]!;
    expect(griefer.account.address.toLowerCase()).to.not.equal(chain.address.toLowerCase());
    const frontRun = await game.write.commitChallenge([commitment], { account: griefer.account });
    const stored = await chain.publicClient.waitForTransactionReceipt({ hash: frontRun });
    expect(stored.status, "the griefer's copy of the commitment is stored").to.equal("success");
    await first;
    const mined = await chain.publicClient.getTransactionReceipt({ hash: pending.hash });
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
