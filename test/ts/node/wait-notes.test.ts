import { expect } from "chai";

import { WaitNotes } from "../../../src/node/wait-notes.ts";

// What a daemon says while it waits for a block the chain has not mined (on a chain that mines only
// on transactions that wait never ends by itself): the block and the head, once per 30 s per thing.
describe("wait notes", function () {
  it("says which block it waits for and where the head is, then at most once per interval each", function () {
    const said: { fields: object; message: string }[] = [];
    let now = 1_000_000;
    const waits = new WaitNotes(
      { info: (fields, message) => said.push({ fields, message }) },
      { everyMs: 30_000, now: () => now },
    );
    expect(waits.blockPending("reveal:7", 42n, 41n, "job 7: challenge committed, reveal")).to.equal(
      true,
    );
    expect(said).to.deep.equal([
      {
        fields: { block: "42", head: "41" },
        message: "job 7: challenge committed, reveal: waiting for block 42 (chain head 41)",
      },
    ]);
    now += 29_999;
    expect(waits.blockPending("reveal:7", 42n, 41n, "again")).to.equal(true);
    waits.blockPending("seed:8", 10n, 3n, "job 8: the seed");
    expect(said.map((s) => s.message)).to.deep.equal([
      "job 7: challenge committed, reveal: waiting for block 42 (chain head 41)",
      "job 8: the seed: waiting for block 10 (chain head 3)",
    ]);
    now += 1;
    waits.blockPending("reveal:7", 42n, 41n, "job 7: still");
    expect(said).to.have.length(3);
    // Once the head reaches the block there is nothing to wait for, and nothing is said.
    expect(waits.blockPending("reveal:7", 42n, 42n, "job 7")).to.equal(false);
    expect(said).to.have.length(3);
  });
});
