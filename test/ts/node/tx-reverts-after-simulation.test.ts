// A transaction whose simulation passed can still revert in its block: others' transactions mined
// before it moved the state it depends on. Two ways, both seen with staking (every stake moves the
// verifiers' sortition tree, and its gas depends on that tree): its gas estimate falls short, or the
// call itself is no longer valid. TxSender must send the first once more (a reverted transaction
// did nothing) and report the second by the custom error the call fails with now.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import type { JsonRpcServer } from "hardhat/types/network";
import type { Address, Hex } from "viem";

import { deploymentFileOf } from "../../../deploy/deployment-file.ts";
import { deployAssay } from "../../../deploy/deploy-assay.ts";
import { TransactionError } from "../../../src/errors.ts";
import { connectChain, type ChainContext } from "../../../src/node/chain.ts";
import { NodeConfigSchema, loadConfig } from "../../../src/node/config.ts";
import { writeDeploymentFile } from "../../../src/node/deployment.ts";
import { Journal } from "../../../src/node/journal.ts";
import { contractCall, TxSender } from "../../../src/node/tx.ts";

describe("TxSender: a transaction that reverts in its block after its simulation passed", function () {
  this.timeout(60_000);
  let server: JsonRpcServer;
  let connection: Awaited<ReturnType<typeof network.connect>>;
  let dir: string;
  let chain: ChainContext;
  let hog: Awaited<ReturnType<typeof deployHog>>;

  const deployHog = () => connection.viem.deployContract("GasHog");
  const rpc = (method: string, params: unknown[] = []) =>
    connection.provider.request({ method, params });

  before(async function () {
    server = await network.createServer("default", "127.0.0.1", 0);
    const { port } = await server.listen();
    const url = `http://127.0.0.1:${port}`;
    connection = await network.connect({ network: "localhost", override: { url } });
    const d = await deployAssay(connection.viem);
    const publicClient = await connection.viem.getPublicClient();
    dir = await mkdtemp(path.join(tmpdir(), "assay-tx-revert-"));
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

  beforeEach(async function () {
    hog = await deployHog();
    await hog.write.setRounds([10n]);
  });

  afterEach(async function () {
    await rpc("evm_setAutomine", [true]);
  });

  after(async function () {
    await server?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /**
   * Sends `burn(max)` through a TxSender, estimated at 10 rounds, and has it mined only after
   * another account raised the rounds to `rounds`: the node drops it from its pool while the other
   * transaction is mined, and the sender, finding it lost, broadcasts the same bytes again.
   */
  async function burnRaced(max: bigint, rounds: bigint) {
    const sender = new TxSender(chain, await Journal.open(path.join(dir, `j-${Date.now()}.json`)), {
      receiptTimeoutMs: 500,
    });
    const nonceBefore = await chain.publicClient.getTransactionCount({ address: chain.address });
    await rpc("evm_setAutomine", [false]);
    const sending = sender.send("burn", "burn", contractCall(hog, "burn", [max])).then(
      (receipt) => ({ receipt, error: undefined }),
      (error: unknown) => ({ receipt: undefined, error }),
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
    await hog.write.setRounds([rounds]);
    const settled = await sending;
    const first = await chain.publicClient.getTransactionReceipt({ hash: pending.hash });
    const nonceAfter = await chain.publicClient.getTransactionCount({ address: chain.address });
    return { ...settled, first, sent: nonceAfter - nonceBefore };
  }

  it("sends once more a transaction that ran out of gas because the state moved, and the call is done once", async function () {
    const { receipt, error, first, sent } = await burnRaced(10n ** 6n, 3_000n);
    // The race happened as staged: the first transaction was mined after the rounds rose, out of gas.
    expect(first.status).to.equal("reverted");
    expect(error).to.equal(undefined);
    expect(receipt!.status).to.equal("success");
    expect(receipt!.transactionHash).to.not.equal(first.transactionHash);
    expect(sent).to.equal(2);
    expect(await hog.read.burns()).to.equal(1n);
  });

  it("reports a transaction the state change made invalid by the custom error it fails with, and does not send it again", async function () {
    const { error, first, sent } = await burnRaced(50n, 1_000n);
    expect(first.status).to.equal("reverted");
    expect(error).to.be.instanceOf(TransactionError);
    expect((error as TransactionError).revert).to.equal("TooManyRounds");
    expect((error as Error).message).to.match(
      new RegExp(
        `burn: transaction ${first.transactionHash} reverted .*TooManyRounds\\(1000, 50\\)`,
      ),
    );
    expect(sent).to.equal(1);
    expect(await hog.read.burns()).to.equal(0n);
  });
});
