// `npm run demo`'s flow (src/devnet/demo.ts) at a tiny size, as a suite run on Hardhat's chain
// (test/ts/demo/daemons-demo.test.ts) and on anvil (test/ts/anvil/anvil-demo.test.ts): the same
// devnet, the same daemons as real child processes (two workers, an auditing verifier, four
// referee-only verifiers), the same three jobs, on synthetic data with a 20-16-5 MLP, T = 48, k = 8
// (n = 6). The cheater trains on its own data order from step 29, so segments 4..6 do not
// reproduce and the dissection must end at step 29.
import { access } from "node:fs/promises";

import { expect } from "chai";

import { sumPayouts, type DaemonJobRow, type PayeeRole } from "../../../src/demo/report.ts";
import {
  DAEMONS_DEMO_DEFAULTS,
  runDaemonsDemo,
  type DaemonsDemoReport,
} from "../../../src/devnet/demo.ts";

const UNIT = 10n ** 18n;

/** An external development node a suite starts before the demo and stops after it. */
export interface ExternalChain {
  start(): Promise<{ url: string; stop(): Promise<void> }>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The tiny demo as a mocha suite: run once in `before`, its outcome checked by the tests. With
 * `chain`, the devnet runs on the external node it starts (e.g. anvil) instead of Hardhat's chain.
 */
export function describeTinyDemo(title: string, chain?: ExternalChain): void {
  describe(title, function () {
    this.timeout(300_000);
    let report: DaemonsDemoReport;
    const lines: string[] = [];
    const job = (label: string): DaemonJobRow => report.jobs.find((j) => j.label === label)!;
    const paid = (label: string, role: PayeeRole): bigint => sumPayouts(job(label).payouts, role);

    let node: { url: string; stop(): Promise<void> } | undefined;

    before(async function () {
      node = await chain?.start();
      report = await runDaemonsDemo(
        { log: (line) => lines.push(line) },
        {
          ...DAEMONS_DEMO_DEFAULTS,
          data: "synthetic",
          hidden: [16],
          batchSize: 8,
          totalSteps: 48,
          checkpointInterval: 8,
          samples: 2,
          topQ: 1,
          cheatFromStep: 29,
          speed: 20,
          challengeWindow: 240,
          progressEvery: 2,
          keepLogs: false,
          daemonLogLevel: "warn",
          rpcUrl: node?.url,
        },
      );
    });

    after(async function () {
      await node?.stop();
    });

    it("finalizes both honest jobs, pays their provider, and pays the verifier the budget for its receipts", function () {
      for (const label of ["A", "C"]) {
        expect(job(label).status, `job ${label}`).to.equal("Finalized");
        expect(job(label).provider).to.equal("provider-honest");
        expect(paid(label, "provider")).to.equal(90n * UNIT);
        // The verifier's receipt matched the provider's probe digests (the same machine reproduces
        // the float engine bit for bit, so the tolerance job pays too): docs/receipts.md.
        expect(paid(label, "verifier"), `job ${label}: verifiers`).to.equal(10n * UNIT);
        expect(paid(label, "submitter")).to.equal(0n);
        expect(job(label).slashed).to.equal(0n);
      }
      expect(job("C").numerics).to.equal("tolerance");
    });

    it("slashes the cheater's whole collateral at the step it began cheating and splits it by the protocol's shares", function () {
      const b = job("B");
      expect(b.provider).to.equal("provider-cheat");
      expect(b.status).to.equal("Slashed");
      expect(b.verdict).to.equal("ChallengerWon at step 29");
      expect(b.slashed).to.equal(300n * UNIT);
      // 8% of the collateral plus the returned 50 bond to the challenger, 2% to the referees, the
      // rest to the treasury (the shares are bounded so that a self-challenge wins back at most
      // 10%); the submitter gets its whole escrow back.
      expect(paid("B", "challenger")).to.equal(24n * UNIT + 50n * UNIT);
      expect(paid("B", "referee")).to.equal(6n * UNIT);
      expect(paid("B", "treasury")).to.equal(270n * UNIT);
      expect(paid("B", "submitter")).to.equal(150n * UNIT);
      expect(paid("B", "provider")).to.equal(0n);
      expect(lines.some((l) => l.includes("dissection narrowed to step 29"))).to.equal(true);
    });

    it("accounts the gas of every daemon's transactions by actor and action", function () {
      const calls = (actor: string, action: string): number =>
        report.gas.find((g) => g.actor === actor && g.action === action)?.calls ?? 0;
      expect(calls("provider-honest", "accept")).to.equal(2);
      expect(calls("provider-cheat", "accept")).to.equal(1);
      expect(calls("submitter", "createJob")).to.equal(3);
      expect(calls("verifier", "revealChallenge")).to.equal(1);
      const votes = report.gas
        .filter((g) => g.actor.startsWith("referee-") && g.action === "revealVote")
        .reduce((n, g) => n + g.calls, 0);
      expect(votes).to.be.at.least(2);
    });

    it("leaves no daemon process running and removes the logs it was told not to keep", async function () {
      expect(report.daemons).to.have.length(7);
      for (const d of report.daemons) expect(isAlive(d.pid), d.name).to.equal(false);
      let exists = true;
      await access(report.logDir).catch(() => {
        exists = false;
      });
      expect(exists).to.equal(false);
    });
  });
}
