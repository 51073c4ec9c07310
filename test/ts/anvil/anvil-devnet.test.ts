import { expect } from "chai";
import { parseEther } from "viem";

import { DEVNET_ACCOUNT_COUNT, startDevnet, type Devnet } from "../../../src/devnet/devnet.ts";
import { InsufficientFundsError } from "../../../src/errors.ts";
import { connectChain } from "../../../src/node/chain.ts";
import { NodeConfigSchema, loadConfig } from "../../../src/node/config.ts";
import { Journal } from "../../../src/node/journal.ts";
import { TxSender } from "../../../src/node/tx.ts";
import { startAnvil, type Anvil } from "../helpers/anvil.ts";
import { expectReject } from "../helpers/expect-reject.ts";

// The devnet on an external node, Foundry's anvil: what differs from Hardhat's chain is what these
// tests pin down (anvil funds 10 accounts, not 20; it refuses a signed transaction it cannot charge
// at broadcast, where viem does not classify the failure; it may serve another chain id).
describe("the devnet on anvil", function () {
  this.timeout(120_000);
  let anvil: Anvil;
  let devnet: Devnet;

  before(async function () {
    anvil = await startAnvil({ accounts: 10 });
    devnet = await startDevnet({ rpcUrl: anvil.url, startClock: false });
  });

  after(async function () {
    await devnet?.close();
    await anvil?.stop();
  });

  it("deploys on the node, gives ether to the devnet accounts anvil left without, and mines on its clock", async function () {
    expect(devnet.external).to.equal(true);
    expect(devnet.rpcUrl).to.equal(anvil.url);
    expect(devnet.chainId).to.equal(31337);
    const client = await devnet.connection.viem.getPublicClient();
    const code = await client.getCode({ address: devnet.deployment.market.address });
    expect(code?.length ?? 0).to.be.greaterThan(2);
    const wallets = await devnet.connection.viem.getWalletClients();
    expect(wallets.length).to.equal(DEVNET_ACCOUNT_COUNT);
    for (const wallet of wallets) {
      const balance = await client.getBalance({ address: wallet.account.address });
      expect(balance >= parseEther("9000"), wallet.account.address).to.equal(true);
    }
    const before = await client.getBlock();
    await devnet.clock.advance(600);
    const after = await client.getBlock();
    expect(after.number).to.equal(before.number + 1n);
    expect(after.timestamp >= before.timestamp + 600n).to.equal(true);
  });

  it("says an account without ether cannot pay for gas, where anvil's broadcast refusal reads 'Transaction creation failed'", async function () {
    // Account 100 of the test mnemonic: outside the devnet's 20, so it holds no ether.
    const chain = await connectChain(
      loadConfig(NodeConfigSchema, {
        flags: { rpcUrl: anvil.url, deployment: devnet.deploymentFile, account: { devnet: 100 } },
      }),
    );
    const journal = await Journal.open(`${devnet.dir}/tx-journal.json`);
    const sender = new TxSender(chain, journal);
    const { token } = chain.contracts;
    // approve simulates fine from any account; only the broadcast needs ether.
    await expectReject(
      sender.send("approve", "approve the market", {
        address: token.address,
        abi: token.abi,
        functionName: "approve",
        args: [chain.contracts.market.address, 1n],
      }),
      InsufficientFundsError,
      new RegExp(`approve the market: ${chain.address} has not enough ether to pay for gas`),
    );
  });

  it("refuses a node that serves a chain other than a development chain, naming it", async function () {
    const other = await startAnvil({ chainId: 5 });
    try {
      let error: unknown;
      await startDevnet({ rpcUrl: other.url, startClock: false }).catch((e: unknown) => {
        error = e;
      });
      expect(String(error)).to.match(
        /the node at http:\/\/127\.0\.0\.1:\d+ serves chain 5; a devnet runs only on a development chain/,
      );
    } finally {
      await other.stop();
    }
  });
});
