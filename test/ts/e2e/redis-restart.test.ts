import { access, constants } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { ensureRedis, pingRedis, type EnsuredRedis } from "../../../src/devnet/index.ts";
import type { CheatInput } from "../../../src/provider/cheats.ts";
import { JOB } from "../../../src/protocol/onchain-enums.ts";
import type { VerifierDaemon } from "../../../verifier/daemon.ts";
import type { VerifierEvent } from "../../../verifier/events.ts";
import { startVerifier, until, type Fixture } from "../verifier/fixture.ts";
import type { RunningDaemon } from "../worker/helpers.ts";
import {
  expectSlashedByDispute,
  postSlotJob,
  publishE2eSpec,
  startE2e,
  startSlotWorker,
} from "./helpers.ts";
import { freePort } from "../helpers/ports.ts";

// Redis is the verifiers' work queue, not their memory: a redis-server of the test's own (on a
// free port, keeping nothing on disk) is killed after the auditor's tasks are enqueued and started
// again empty on the same port. The daemons reconnect, the auditor enqueues the lost tasks again
// from its journal, and the cheater is still challenged and slashed by a committee whose referee
// tasks also go through the restarted Redis.
const AUDITOR = 6;
const REFEREES = [7, 8, 9, 10];
const CHEATER: { account: number; slot: number; cheat: CheatInput } = {
  account: 2,
  slot: 0,
  cheat: { kind: "replay", segments: [2] },
};

async function onPath(binary: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    try {
      await access(path.join(dir, binary), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

describe("end to end: a Redis restart is survived", function () {
  this.timeout(240_000);
  let redisUrl: string;
  let redis: EnsuredRedis | undefined;
  let f: Fixture | undefined;
  let worker: RunningDaemon | undefined;
  let auditor: VerifierDaemon;
  const events: VerifierEvent[] = [];

  before(async function () {
    if (!(await onPath("redis-server"))) {
      console.log("      skipped: redis-server is not installed (apt-get install redis-server)");
      this.skip();
    }
    redisUrl = `redis://127.0.0.1:${await freePort()}`;
    redis = await ensureRedis(redisUrl);
    expect(redis.started, "a private redis-server was started").to.equal(true);
    f = await startE2e({ redisUrl });
    for (const account of REFEREES) await startVerifier(f, account, { audit: "none" });
    auditor = await startVerifier(f, AUDITOR, { audit: "all" }, (e) => events.push(e));
    worker = await startSlotWorker(f, CHEATER.account, CHEATER.slot, CHEATER.cheat);
  });

  after(async function () {
    await worker?.close().catch(() => undefined);
    await f?.close().catch(() => undefined);
    await redis?.stop();
  });

  it("kills Redis with the auditor's tasks enqueued, restarts it empty, and the cheater is still slashed", async function () {
    const fx = f!;
    // Tasks stay queued while the queue is paused (the pause flag lives in Redis and dies with it).
    await auditor.reexecQueue.pause();
    const jobId = await postSlotJob(fx, await publishE2eSpec(fx), CHEATER.slot);
    await until("six tasks enqueued", async () => {
      const counts = await auditor.reexecQueue.getJobCounts("wait", "waiting", "prioritized");
      return Object.values(counts).reduce((a, b) => a + b, 0) >= 6;
    });
    expect(events.filter((e) => e.type === "segment-checked")).to.have.length(0);

    await redis!.stop();
    expect(await pingRedis(redisUrl), "Redis is down").to.equal(false);
    // Let the daemons run into the dead Redis for a few of their polls (blocks, not wall time).
    const downAt = await fx.chain.publicClient.getBlockNumber();
    await until(
      "a few blocks with Redis down",
      async () => (await fx.chain.publicClient.getBlockNumber()) >= downAt + 8n,
    );
    redis = await ensureRedis(redisUrl);
    expect(redis.started, "a new, empty redis-server on the same port").to.equal(true);

    await until("job slashed", async () => {
      const job = await fx.devnet.deployment.market.read.getJob([jobId]);
      return job.status === JOB.Slashed;
    });
    const result = await expectSlashedByDispute(
      fx,
      jobId,
      CHEATER.slot,
      worker!.daemon.chain.address,
      auditor.address,
    );
    expect(result.segment).to.equal(2);
    expect(result.byTimeout).to.equal(false);
    // Every segment was checked, all of them after the restart (the queue was paused before).
    const checked = events.filter(
      (e) => e.type === "segment-checked" && e.jobId === jobId,
    ) as Extract<VerifierEvent, { type: "segment-checked" }>[];
    expect([...new Set(checked.map((e) => e.segment))].sort()).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(checked.filter((e) => !e.ok).map((e) => e.segment)).to.deep.equal([2]);
    // The committee's referee tasks ran through the new Redis too.
    const votes = await fx.devnet.deployment.disputeGame.getEvents.VoteRevealed(
      { disputeId: result.disputeId },
      { fromBlock: 0n },
    );
    expect(votes.length).to.be.at.least(2);
  });
});
