// The demo's outcome puts each slash of a provider's collateral on the job it was for, though the
// registry's Slashed names no job and one transaction may settle several jobs (any contract can
// resolve two disputes, or expire two jobs, in one call). Before, every slash of the provider in a
// transaction that settled a job counted for that job: two jobs settled together each showed both.
import { expect } from "chai";
import type { Address } from "viem";

import { providerSlashesByJob } from "../../../src/devnet/demo/outcome.ts";
import { STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

const PROVIDER: Address = "0x00000000000000000000000000000000000000a1";
const REFEREE: Address = "0x00000000000000000000000000000000000000b2";

let index = 0;
const log = (tx: string, eventName: string, args: Record<string, unknown>) => ({
  transactionHash: tx,
  logIndex: index++,
  eventName,
  args,
});
const slashed = (tx: string, account: Address, role: number, amount: bigint) =>
  log(tx, "Slashed", { account, role, amount });

describe("demo outcome: which job a provider's slash was for", function () {
  it("one transaction resolving two disputes against one provider: each job gets its own slash", function () {
    const market = [log("0x1", "JobSlashed", { jobId: 1n })];
    const registry = [slashed("0x1", PROVIDER, STAKE_ROLE.Provider, 200n)];
    market.push(log("0x1", "JobSlashed", { jobId: 2n }));
    registry.push(slashed("0x1", PROVIDER, STAKE_ROLE.Provider, 300n));
    expect(providerSlashesByJob(market, registry)).to.deep.equal([
      { jobId: 1n, account: PROVIDER, amount: 200n },
      { jobId: 2n, account: PROVIDER, amount: 300n },
    ]);
  });

  it("an expiry and a dispute in one transaction, in either order", function () {
    for (const first of ["JobExpired", "JobSlashed"]) {
      const second = first === "JobExpired" ? "JobSlashed" : "JobExpired";
      const market = [log("0x2", first, { jobId: 7n })];
      const registry = [slashed("0x2", PROVIDER, STAKE_ROLE.Provider, 5n)];
      market.push(log("0x2", second, { jobId: 8n }));
      registry.push(slashed("0x2", PROVIDER, STAKE_ROLE.Provider, 6n));
      expect(providerSlashesByJob(market, registry)).to.deep.equal([
        { jobId: 7n, account: PROVIDER, amount: 5n },
        { jobId: 8n, account: PROVIDER, amount: 6n },
      ]);
    }
  });

  it("a referee's penalty, and a slash in a transaction that settled no job, belong to no job", function () {
    const market = [log("0x3", "JobSlashed", { jobId: 3n })];
    const registry = [
      slashed("0x3", PROVIDER, STAKE_ROLE.Provider, 9n),
      slashed("0x3", REFEREE, STAKE_ROLE.Verifier, 1n),
      slashed("0x4", PROVIDER, STAKE_ROLE.Provider, 4n),
    ];
    expect(providerSlashesByJob(market, registry)).to.deep.equal([
      { jobId: 3n, account: PROVIDER, amount: 9n },
    ]);
  });
});
