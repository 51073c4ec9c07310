// ATTACK (explorer, false slash on a dispute page): anyone can make dispute Y's slash show on
// another dispute X's page (and vanish from Y's) by settling Y and moving X in one transaction.
//
// The registry's Slashed names no dispute, so src/explorer/state.ts attributes it by transaction:
//     for (const e of events)
//       if (e.contract === "disputeGame" && "disputeId" in e.args)
//         disputeOfTx.set(e.tx, big(e, "disputeId"));
// one dispute per transaction, the LAST dispute event of the transaction winning, and every
// registry event of that transaction is pushed to that dispute (`dispute?.slashes.push(slashed)`).
// DisputeGame.resolve and drawCommittee take any caller, so a contract that calls
// resolve(Y, members) and then drawCommittee(X) in one transaction (any relayer, the loser of Y,
// or a provider wanting to smear the challenger of X) makes the explorer show, on dispute X's page,
// "Slashed: <Y's provider collateral> from <Y's provider>" while X has only just drawn its
// committee, and on dispute Y's page "Slashed: nothing" though Y slashed the provider. Who is misled:
// anyone reading either dispute page (the parties of X, who think a verdict and a slash happened;
// those of Y, who see the provider got away with it).
//
// Expected once fixed: a Slashed event is attributed to the dispute whose settlement caused it
// (e.g. the DisputeResolved/RefereePenalized immediately before it in log order), not to the
// transaction's last dispute event.
import { expect } from "chai";
import { keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";

import { startDevnet, type Devnet } from "../../../src/devnet/index.ts";
import { DEVNET_ACCOUNTS } from "../../../src/devnet/devnet.ts";
import { until } from "../../../src/devnet/poll.ts";
import { startExplorer, type Explorer } from "../../../src/explorer/server.ts";
import { connectChain } from "../../../src/node/chain.ts";
import { voteCommitment } from "../../../src/protocol/dispute-commitments.ts";
import { VOTE } from "../../../src/protocol/onchain-enums.ts";
import { HttpBlobStore } from "../../../src/store/http-client.ts";
import { chainStory } from "./chain-story.ts";

const MULTI = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
contract Multi {
  function exec(address[] calldata t, bytes[] calldata d) external {
    for (uint256 i = 0; i < t.length; i++) {
      (bool ok, bytes memory r) = t[i].call(d[i]);
      if (!ok) assembly { revert(add(r, 32), mload(r)) }
    }
  }
}`;

async function compileMulti(): Promise<{ abi: unknown[]; bytecode: Hex }> {
  const { default: solc } = (await import("solc")) as unknown as {
    default: { compile(input: string): string };
  };
  const out = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: "Solidity",
        sources: { "Multi.sol": { content: MULTI } },
        settings: { outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
      }),
    ),
  ) as {
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const c = out.contracts["Multi.sol"]!.Multi!;
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
}

describe("attack: a slash shown on the wrong dispute", function () {
  this.timeout(300_000);
  let devnet: Devnet;
  let explorer: Explorer;

  before(async function () {
    devnet = await startDevnet({ speed: 20, tickMs: 100 });
  });

  after(async function () {
    await explorer?.close();
    await devnet?.close();
  });

  it("shows Y's slash on Y's page and none on X's, when one transaction resolves Y then draws X's committee", async function () {
    const story = await chainStory(devnet);
    await story.stakeParties();
    const { disputeGame } = devnet.deployment;
    const publicClient = await devnet.connection.viem.getPublicClient();
    const wallets = await devnet.connection.viem.getWalletClients();
    const byAddress = new Map(wallets.map((w) => [w.account.address.toLowerCase(), w]));
    const relayer = wallets[DEVNET_ACCOUNTS.verifiers[10]]!; // no party to either dispute
    const wait = async (hash: Hex): Promise<void> => {
      await publicClient.waitForTransactionReceipt({ hash });
    };

    // Two jobs of the same provider, each challenged: dispute 1 (Y) and dispute 2 (X).
    const jobY = await story.post("Y");
    await story.accept(jobY);
    await story.submit(jobY);
    await story.open(jobY);
    await story.challenge(jobY, 3);
    const jobX = await story.post("X");
    await story.accept(jobX);
    await story.submit(jobX);
    await story.open(jobX);
    await story.challenge(jobX, 3);
    const Y = 1n;
    const X = 2n;

    // Y: committee drawn, every seat votes for the challenger (not yet resolved).
    const members = await until(
      "dispute Y's committee",
      async () => {
        try {
          const r = await publicClient.waitForTransactionReceipt({
            hash: await disputeGame.write.drawCommittee([Y], { account: relayer.account }),
          });
          const [drawn] = parseEventLogs({
            abi: disputeGame.abi,
            logs: r.logs,
            eventName: "CommitteeDrawn",
          });
          return drawn === undefined ? undefined : ([...drawn.args.members] as Address[]);
        } catch {
          return undefined;
        }
      },
      30_000,
    );
    const salt = (seat: number): Hex => keccak256(toHex(`vote ${Y}:${seat}`));
    for (const [seat, member] of members.entries())
      await wait(
        await disputeGame.write.commitVote(
          [Y, BigInt(seat), members, voteCommitment(Y, seat, VOTE.Challenger, 0n, salt(seat), member)],
          { account: byAddress.get(member.toLowerCase())!.account },
        ),
      );
    for (const [seat, member] of members.entries())
      await wait(
        await disputeGame.write.revealVote([Y, BigInt(seat), VOTE.Challenger, 0n, salt(seat)], {
          account: byAddress.get(member.toLowerCase())!.account,
        }),
      );
    // X: ready for its committee (its randomness mined).
    await until(
      "dispute X's randomness",
      async () => {
        try {
          await disputeGame.simulate.drawCommittee([X], { account: relayer.account });
          return true;
        } catch {
          return undefined;
        }
      },
      30_000,
    );

    // One transaction: resolve(Y) (slashes the provider), then drawCommittee(X).
    const multi = await compileMulti();
    const deployHash = await relayer.deployContract({
      abi: multi.abi as never,
      bytecode: multi.bytecode,
    });
    const multiAddress = (await publicClient.waitForTransactionReceipt({ hash: deployHash }))
      .contractAddress!;
    const { encodeFunctionData } = await import("viem");
    const hash = await relayer.writeContract({
      address: multiAddress,
      abi: multi.abi as never,
      functionName: "exec" as never,
      args: [
        [disputeGame.address, disputeGame.address],
        [
          encodeFunctionData({ abi: disputeGame.abi, functionName: "resolve", args: [Y, members] }),
          encodeFunctionData({ abi: disputeGame.abi, functionName: "drawCommittee", args: [X] }),
        ],
      ] as never,
    } as never);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal("success");

    const chain = await connectChain(
      {
        rpcUrl: devnet.rpcUrl,
        deployment: devnet.deploymentFile,
        account: { devnet: 0 },
        pollIntervalMs: 100,
      },
      { readOnly: true },
    );
    explorer = await startExplorer({
      chain,
      store: new HttpBlobStore({ url: devnet.storeUrl }),
      port: 0,
      pollMs: 100,
    });
    const state = await until(
      "both disputes in the explorer",
      async () => {
        const s = explorer.current();
        const y = s.disputes.find((d) => d.id === Y);
        return y?.outcome !== undefined && s.disputes.some((d) => d.id === X) ? s : undefined;
      },
      30_000,
    );
    const y = state.disputes.find((d) => d.id === Y)!;
    const x = state.disputes.find((d) => d.id === X)!;
    expect(y.outcome).to.equal("ChallengerWon");
    expect(x.outcome, "X is not resolved").to.equal(undefined);
    const provider = story.addresses.provider.toLowerCase();
    expect(
      y.slashes.map((s) => s.account.toLowerCase()),
      "dispute Y's page names the provider Y slashed",
    ).to.include(provider);
    expect(
      x.slashes.map((s) => s.account.toLowerCase()),
      "dispute X's page shows no slash: X has only drawn its committee",
    ).to.not.include(provider);
  });
});
