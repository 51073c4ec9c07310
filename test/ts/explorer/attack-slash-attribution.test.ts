// ATTACK (explorer, misleading page, no privilege needed): one transaction that moves two disputes
// shows one dispute's slash on the other's page.
//
// The registry's Slashed names the account, its role and the slasher (the dispute game), not the
// dispute. src/explorer/state.ts gave a registry event to "the dispute whose event came last in
// the same transaction" (disputeOfTx). Anyone may call DisputeGame.resolve and drawCommittee, so a
// contract (CallBatch here, or any batching wallet) that resolves dispute A, the provider losing,
// and then draws dispute B's committee in one transaction makes dispute B's page say the
// provider's collateral was slashed in B, and dispute A's page say nothing was slashed. Who is
// misled: whoever reads a dispute page to learn who lost what (a provider's record, a referee's
// penalties), and, through the job link, which job's collateral went.
//
// Expected once fixed: each slash shows on the dispute the chain says it belongs to, whatever else
// the transaction did before or after it.
import { expect } from "chai";
import {
  encodeFunctionData,
  parseEventLogs,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";

import { startDevnet, type Devnet } from "../../../src/devnet/index.ts";
import { until } from "../../../src/devnet/poll.ts";
import type { DisputeView } from "../../../src/explorer/state.ts";
import type { Explorer } from "../../../src/explorer/server.ts";
import { chainStory, explorerOn } from "./chain-story.ts";

const UNIT = 10n ** 18n;

describe("attack: a slash shown on another dispute moved in the same transaction", function () {
  this.timeout(300_000);
  let devnet: Devnet;
  let explorer: Explorer;
  let story: Awaited<ReturnType<typeof chainStory>>;
  let batch: (calls: { target: Address; data: Hex }[]) => Promise<TransactionReceipt>;
  const disputes: bigint[] = [];
  /** Dispute B's committee, drawn in the first test's transaction. */
  let membersB: Address[] = [];

  before(async function () {
    devnet = await startDevnet({ speed: 20, tickMs: 100 });
    story = await chainStory(devnet);
    await story.stakeParties();
    // Three jobs of the same provider, each challenged on one segment: disputes 1, 2 and 3.
    for (const label of ["a", "b", "c"]) {
      const jobId = await story.post(label);
      await story.accept(jobId);
      await story.submit(jobId);
      await story.open(jobId);
      await story.challenge(jobId, 3);
      disputes.push(await devnet.deployment.disputeGame.read.disputeCount());
    }
    const publicClient = await devnet.connection.viem.getPublicClient();
    const callBatch = await devnet.connection.viem.deployContract("CallBatch");
    batch = async (calls) => {
      const receipt = await publicClient.waitForTransactionReceipt({
        hash: await callBatch.write.run([calls]),
      });
      expect(receipt.status).to.equal("success");
      return receipt;
    };
    ({ explorer } = await explorerOn(devnet));
  });

  after(async function () {
    await explorer?.close();
    await devnet?.close();
  });

  const game = () => devnet.deployment.disputeGame;
  const call = (data: Hex) => ({ target: game().address, data });
  const resolve = (disputeId: bigint, members: readonly Address[]) =>
    call(
      encodeFunctionData({
        abi: game().abi,
        functionName: "resolve",
        args: [disputeId, [...members]],
      }),
    );
  const drawCommittee = (disputeId: bigint) =>
    call(encodeFunctionData({ abi: game().abi, functionName: "drawCommittee", args: [disputeId] }));

  /** Waits until dispute `id`'s committee can be drawn (its randomness exists). */
  async function drawable(id: bigint): Promise<void> {
    const publicClient = await devnet.connection.viem.getPublicClient();
    await until(
      `dispute ${id}'s randomness`,
      async () => {
        try {
          await publicClient.simulateContract({
            address: game().address,
            abi: game().abi,
            functionName: "drawCommittee",
            args: [id],
          });
          return true;
        } catch {
          return undefined;
        }
      },
      30_000,
    );
  }

  /** Dispute `id` once the explorer has seen transaction `tx`. */
  async function seen(id: bigint, tx: Hex): Promise<DisputeView> {
    return until(
      `transaction ${tx} in the explorer`,
      async () => {
        const state = explorer.current();
        const seenTx = state.jobs.some((j) => j.history.some((h) => h.tx === tx));
        return seenTx ? state.disputes.find((d) => d.id === id) : undefined;
      },
      30_000,
    );
  }

  /** What dispute `id`'s page says was slashed: the text and the accounts named. */
  async function slashedOnPage(id: bigint): Promise<{ text: string; accounts: string[] }> {
    const page = await (await fetch(`${explorer.url}/disputes/${id}`)).text();
    const dd = /<dd data-field="slashed">([\s\S]*?)<\/dd>/.exec(page)?.[1] ?? "";
    return {
      text: dd
        .replace(/<[^>]*>/g, "")
        .replace(/\s+/g, " ")
        .trim(),
      accounts: [...dd.matchAll(/title="(0x[0-9a-fA-F]{40})"/g)].map((m) => m[1]!.toLowerCase()),
    };
  }

  it("resolve A and draw B's committee in one transaction: A's page shows A's slash, B's none", async function () {
    const [a, b] = [disputes[0]!, disputes[1]!];
    const members = await story.draw(a);
    await story.vote(a, members, "Challenger");
    await drawable(b);
    const receipt = await batch([resolve(a, members), drawCommittee(b)]);
    const tx = receipt.transactionHash;
    const [drawn] = parseEventLogs({
      abi: game().abi,
      logs: receipt.logs,
      eventName: "CommitteeDrawn",
    });
    membersB = [...drawn!.args.members];

    const provider = story.addresses.provider.toLowerCase();
    const viewA = await seen(a, tx);
    const viewB = explorer.current().disputes.find((d) => d.id === b)!;
    expect(viewA.outcome).to.equal("ChallengerWon");
    expect(
      viewA.slashes.map((s) => [s.account.toLowerCase(), s.amount]),
      "dispute A's slashes",
    ).to.deep.equal([[provider, 200n * UNIT]]);
    expect(viewB.slashes, "dispute B's slashes").to.deep.equal([]);
    expect(
      viewB.moves.filter((m) => m.event.contract === "registry").map((m) => m.event.name),
      "registry events among dispute B's moves",
    ).to.deep.equal([]);

    const pageA = await slashedOnPage(a);
    expect(pageA.text, "dispute A's page").to.match(/^200 from 0x/);
    expect(pageA.accounts).to.deep.equal([provider]);
    expect((await slashedOnPage(b)).text, "dispute B's page").to.equal("nothing");
  });

  it("two disputes resolved in one transaction each show their own slashes, a referee's penalty included", async function () {
    const [b, c] = [disputes[1]!, disputes[2]!];
    // B's committee was drawn in the transaction above; one of its referees votes with the
    // minority and is penalized when B resolves.
    expect(membersB, "dispute B's committee").to.have.length(3);
    await story.vote(b, membersB, ["Challenger", "Challenger", "Provider"]);
    const membersC = await story.draw(c);
    await story.vote(c, membersC, "Challenger");
    const tx = (await batch([resolve(b, membersB), resolve(c, membersC)])).transactionHash;

    const provider = story.addresses.provider.toLowerCase();
    const minority = membersB[2]!.toLowerCase();
    const viewB = await seen(b, tx);
    const viewC = explorer.current().disputes.find((d) => d.id === c)!;
    const penalty = viewB.penalties.find((p) => p.referee.toLowerCase() === minority)?.amount;
    expect(penalty, "the minority referee's penalty").to.be.a("bigint").and.not.equal(0n);
    expect(
      viewB.slashes.map((s) => [s.account.toLowerCase(), s.amount]),
      "dispute B's slashes",
    ).to.deep.equal([
      [provider, 200n * UNIT],
      [minority, penalty],
    ]);
    expect(
      viewC.slashes.map((s) => [s.account.toLowerCase(), s.amount]),
      "dispute C's slashes",
    ).to.deep.equal([[provider, 200n * UNIT]]);

    expect((await slashedOnPage(b)).accounts, "dispute B's page").to.deep.equal([
      provider,
      minority,
    ]);
    expect((await slashedOnPage(c)).accounts, "dispute C's page").to.deep.equal([provider]);
  });
});
