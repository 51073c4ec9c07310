import { expect } from "chai";

import { ConfigError } from "../../../src/errors.ts";
import { assertCheatAllowed, loadWorkerConfig } from "../../../worker/config.ts";

// The worker's config: defaults, amounts as exact integers, and cheats only on the devnet.
describe("provider daemon config", function () {
  it("fills defaults and parses amounts as bigints", function () {
    const config = loadWorkerConfig({
      flags: { worker: { stake: "1000000000000000000000", filters: { maxCollateral: "5" } } },
    });
    expect(config.worker.stake).to.equal(10n ** 21n);
    expect(config.worker.filters.maxCollateral).to.equal(5n);
    expect(config.worker.filters.numerics).to.deep.equal(["exact", "tolerance"]);
    expect(config.worker.cheat).to.deep.equal({ kind: "none" });
    expect(config.worker.claimCredits).to.equal(true);
  });

  it("refuses a cheat unless the chain is the devnet, and says so", function () {
    const cheat = { kind: "fabricate", fraction: 0.2 };
    expect(() => loadWorkerConfig({ flags: { chainId: 1, worker: { cheat } } })).to.throw(
      ConfigError,
      /worker\.cheat: cheat "fabricate" runs only on the devnet \(chain 31337\), not on chain 1/,
    );
    // Without a configured chain id, the RPC's chain decides at start (the deployment names it).
    const unpinned = loadWorkerConfig({ flags: { worker: { cheat } } });
    expect(() => assertCheatAllowed(unpinned, 1)).to.throw(
      ConfigError,
      /cheat "fabricate" runs only on the devnet \(chain 31337\); this RPC serves chain 1/,
    );
    expect(() => assertCheatAllowed(unpinned, 31337)).to.not.throw();
    const devnet = loadWorkerConfig({ flags: { chainId: 31337, worker: { cheat } } });
    expect(devnet.worker.cheat).to.deep.equal({
      kind: "fabricate",
      fraction: 0.2,
      seed: "assay-cheat",
    });
  });

  it("rejects malformed amounts and unknown cheats with their paths", function () {
    expect(() => loadWorkerConfig({ flags: { worker: { stake: "1e21" } } })).to.throw(
      /worker\.stake/,
    );
    expect(() =>
      loadWorkerConfig({ flags: { chainId: 31337, worker: { cheat: { kind: "bribe" } } } }),
    ).to.throw(/worker\.cheat/);
    expect(() =>
      loadWorkerConfig({
        flags: { chainId: 31337, worker: { cheat: { kind: "tamper-blob", segment: 2 } } },
      }),
    ).to.throw(/worker\.storeDir/);
  });
});
