// The block cursor every event scanner uses: ranges in chunks up to the head, the journal moved
// past a range only once it was handled, so a crash or a failed handler rescans it and nothing is
// skipped; a stop between ranges leaves the rest for next time.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { unscannedRanges, type BlockRange } from "../../../src/node/block-cursor.ts";
import { Journal } from "../../../src/node/journal.ts";

describe("the journaled block cursor", function () {
  let dir: string;
  let journal: Journal;
  beforeEach(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "assay-cursor-"));
    journal = await Journal.open(path.join(dir, "journal.json"));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  async function scan(head: bigint, chunk: bigint, failAt?: bigint): Promise<BlockRange[]> {
    const seen: BlockRange[] = [];
    for await (const range of unscannedRanges(journal, {
      key: "c",
      firstBlock: 10n,
      head,
      chunk,
    })) {
      if (failAt !== undefined && range.from <= failAt && failAt <= range.to)
        throw new Error(`handler failed in ${range.from}..${range.to}`);
      seen.push(range);
    }
    return seen;
  }

  it("covers every block from the first to the head once, in chunks, and remembers where it stopped", async function () {
    expect(await scan(24n, 5n)).to.deep.equal([
      { from: 10n, to: 14n },
      { from: 15n, to: 19n },
      { from: 20n, to: 24n },
    ]);
    expect(journal.get("c")).to.equal(24n);
    expect(await scan(24n, 5n)).to.deep.equal([]);
    expect(await scan(26n, 5n)).to.deep.equal([{ from: 25n, to: 26n }]);
  });

  it("rescans a range whose handler failed, and skips nothing after a restart", async function () {
    const error = await scan(30n, 5n, 17n).catch((e: unknown) => e);
    expect(String(error)).to.match(/handler failed in 15\.\.19/);
    expect(journal.get("c")).to.equal(14n);
    const reopened = await Journal.open(path.join(dir, "journal.json"));
    journal = reopened;
    expect(await scan(30n, 5n)).to.deep.equal([
      { from: 15n, to: 19n },
      { from: 20n, to: 24n },
      { from: 25n, to: 29n },
      { from: 30n, to: 30n },
    ]);
  });

  it("stops between ranges when asked, and goes on from there", async function () {
    let ranges = 0;
    for await (const range of unscannedRanges(journal, {
      key: "c",
      firstBlock: 0n,
      head: 99n,
      chunk: 10n,
      stop: () => ranges === 2,
    })) {
      expect(range.from).to.equal(BigInt(ranges) * 10n);
      ranges += 1;
    }
    expect(ranges).to.equal(2);
    expect(journal.get("c")).to.equal(19n);
  });
});
