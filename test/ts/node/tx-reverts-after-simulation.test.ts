// A transaction whose simulation passed can still revert in its block: others' transactions mined
// before it moved the state it depends on. Two ways, and a stake can meet both (every stake moves the
// verifiers' sortition tree, and its gas depends on that tree): its gas estimate falls short, or the
// call itself is no longer valid. TxSender must send the first once more (a reverted transaction
// did nothing) and report the second by the custom error the call fails with now.
import path from "node:path";

import { expect } from "chai";

import { TransactionError } from "../../../src/errors.ts";
import { Journal } from "../../../src/node/journal.ts";
import { contractCall, TxSender } from "../../../src/node/tx.ts";
import { minedAfter, startRpcChain, type RpcChain } from "../helpers/rpc-chain.ts";

describe("TxSender: a transaction that reverts in its block after its simulation passed", function () {
  this.timeout(60_000);
  let c: RpcChain;
  let hog: Awaited<ReturnType<typeof deployHog>>;

  const deployHog = () => c.connection.viem.deployContract("GasHog");

  before(async function () {
    c = await startRpcChain();
  });

  beforeEach(async function () {
    hog = await deployHog();
    await hog.write.setRounds([10n]);
  });

  after(async function () {
    await c?.close();
  });

  /**
   * Sends `burn(max)` through a TxSender, estimated at 10 rounds, and has it mined only after
   * another account raised the rounds to `rounds` (helpers/rpc-chain.ts minedAfter).
   */
  async function burnRaced(max: bigint, rounds: bigint) {
    const { chain } = c;
    const sender = new TxSender(
      chain,
      await Journal.open(path.join(c.dir, `j-${Date.now()}.json`)),
      {
        receiptTimeoutMs: 500,
      },
    );
    const nonceBefore = await chain.publicClient.getTransactionCount({ address: chain.address });
    const {
      firstHash,
      result: receipt,
      error,
    } = await minedAfter(
      c,
      () => sender.send("burn", "burn", contractCall(hog, "burn", [max])),
      async () => void (await hog.write.setRounds([rounds])),
    );
    const first = await chain.publicClient.getTransactionReceipt({ hash: firstHash });
    const nonceAfter = await chain.publicClient.getTransactionCount({ address: chain.address });
    return { receipt, error, first, sent: nonceAfter - nonceBefore };
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
