import { expect } from "chai";
import type { Address } from "viem";

import { fetchJobSpec, readOnchainJob } from "../../../src/node/job-reader.ts";
import { openSharedStore, type SharedStore } from "../../../src/node/shared-store.ts";
import { getPreStateEnvelope } from "../../../src/checkpoint/prestate-envelope.ts";
import { cidFromDigest } from "../../../src/protocol/cid.ts";
import { stateDigest } from "../../../src/checkpoint/state-codec.ts";
import { JOB } from "../../../src/protocol/onchain-enums.ts";
import { FsBlobStore } from "../../../src/store/fs-store.ts";
import { startIpfsNode } from "../../../src/store/ipfs-node.ts";
import { ipfsBlobStoreOn } from "../../../src/store/ipfs-store.ts";
import type { VerifierEvent } from "../../../verifier/events.ts";
import { startVerifier, until, type Fixture } from "../verifier/fixture.ts";
import type { RunningDaemon } from "../worker/helpers.ts";
import {
  expectChallengerVotes,
  expectSlashedByDispute,
  ipfsNodeConfig,
  marketCredits,
  mintIpfsPeer,
  openedSegments,
  publishE2eSpec,
  startCheatCases,
  startE2e,
  startTripwire,
  termsOf,
  type CheatCase,
  type IpfsPeer,
  type Tripwire,
} from "./helpers.ts";

// The daemons with an `ipfs` section in their config, as operators write it: every shared blob
// lives in embedded IPFS nodes (src/node/shared-store.ts) and moves between them by bitswap over
// loopback TCP. The submitter publishes the job specs, programs and datasets to its own node; each
// provider daemon's node dials the submitter's, fetches the spec, serves on the spec and what it
// names once it accepted the job, and publishes its checkpoints and manifest; the sampling
// auditor's node dials the submitter's and the providers'; the referees' nodes dial those and the
// auditor's (which holds the pre-state envelope it publishes for a dissection's last step). Each
// node has a repoDir and a fixed port (mintIpfsPeer), so every config is written
// before any daemon starts, and dials only the peers its config names. Every daemon's storeUrl is a
// tripwire that answers 503 and records each request: with an `ipfs` section it must go unused.
//
// Accounts: 1 submitter; providers 2 (honest) and 3 (fabricates every segment); 6 the sampling
// auditor (audit "opened"); 7–9 referee-and-keeper daemons (a committee of 3 drawn from them).
const AUDITOR = 6;
const REFEREES = [7, 8, 9];

const CASES = {
  honest: { name: "honest", account: 2, slot: 0, cheat: { kind: "none" } },
  fabricate: {
    name: "fabricate everywhere",
    account: 3,
    slot: 1,
    cheat: { kind: "fabricate", fraction: 1, seed: "e2e-ipfs" },
  },
} as const satisfies Record<string, CheatCase>;

describe("end to end on IPFS: the daemons' shared store is their embedded IPFS node", function () {
  this.timeout(300_000);
  let f: Fixture;
  let tripwire: Tripwire;
  let submitterStore: SharedStore | undefined;
  let workers: RunningDaemon[] = [];
  let jobs = new Map<string, bigint>();
  let providers = new Map<string, Address>();
  let auditor: Address;
  let auditorPeer: IpfsPeer;
  let honestPeer: IpfsPeer;
  const events: VerifierEvent[] = [];

  before(async function () {
    f = await startE2e();
    tripwire = await startTripwire();
    const peer = (name: string): Promise<IpfsPeer> => mintIpfsPeer(f, name);
    const submitter = await peer("submitter");
    const provider = { honest: await peer("honest"), fabricate: await peer("fabricate") };
    honestPeer = provider.honest;
    auditorPeer = await peer("auditor");
    const sources = [submitter, provider.honest, provider.fabricate];

    // The submitter's node holds the specs and everything they name, and dials nobody.
    submitterStore = await openSharedStore(ipfsNodeConfig(submitter, [], tripwire.url));
    // The honest job's challenge window is short, so that it finalizes within the run.
    const honestSpec = await publishE2eSpec(f, { challenge: 600 }, submitterStore.store);
    const spec = await publishE2eSpec(f, {}, submitterStore.store);

    for (const [i, account] of REFEREES.entries()) {
      const self = await peer(`referee-${i}`);
      await startVerifier(
        f,
        account,
        { audit: "none" },
        undefined,
        undefined,
        ipfsNodeConfig(self, [...sources, auditorPeer], tripwire.url),
      );
    }
    auditor = (
      await startVerifier(
        f,
        AUDITOR,
        { audit: "opened" },
        (e) => events.push(e),
        undefined,
        ipfsNodeConfig(auditorPeer, sources, tripwire.url),
      )
    ).address;
    ({ jobs, providers, workers } = await startCheatCases(
      f,
      CASES,
      (key) => (key === "honest" ? honestSpec : spec),
      (key) => ipfsNodeConfig(provider[key as keyof typeof provider], [submitter], tripwire.url),
    ));
  });

  after(async function () {
    for (const w of workers.splice(0)) await w.close().catch(() => undefined);
    await submitterStore?.close();
    await f?.close();
    await tripwire?.close();
  });

  const status = async (jobId: bigint): Promise<number> =>
    (await f.devnet.deployment.market.read.getJob([jobId])).status;
  const ofJob = (jobId: bigint) =>
    events.filter((e) => "jobId" in e && e.jobId === jobId) as (VerifierEvent & {
      jobId: bigint;
    })[];

  it("honest: the provider trains on the spec it fetched over IPFS, the auditor's audit over IPFS passes, and the job is finalized", async function () {
    const jobId = jobs.get("honest")!;
    await until("honest job finalized", async () => (await status(jobId)) === JOB.Finalized);
    const terms = termsOf(CASES.honest.slot);
    const budget = (terms.amount * BigInt(terms.verificationBps)) / 10_000n;
    expect(await marketCredits(f, jobId, providers.get("honest")!)).to.deep.equal([
      terms.amount - budget,
    ]);
    const disputes = await f.devnet.deployment.disputeGame.getEvents.DisputeOpened(
      { jobId },
      { fromBlock: 0n },
    );
    expect(disputes).to.have.length(0);
    // The auditor re-executed exactly the opened segments from checkpoints it fetched over IPFS,
    // found each good, and decided "passed".
    const mine = ofJob(jobId);
    const checked = mine.filter((e) => e.type === "segment-checked");
    expect(new Set(checked.map((e) => e.segment))).to.deep.equal(await openedSegments(f, jobId));
    expect(checked.every((e) => e.ok)).to.equal(true);
    expect(mine.filter((e) => e.type === "segment-error")).to.deep.equal([]);
    expect(mine.filter((e) => e.type === "decided").map((e) => e.state)).to.deep.equal(["passed"]);
  });

  it("the honest provider's node serves the inputs of the job it accepted: a node that dials only it reads the whole job", async function () {
    const jobId = jobs.get("honest")!;
    const onchain = await readOnchainJob(f.devnet.deployment.market, jobId);
    const { node } = await startIpfsNode({ listen: [], peers: [honestPeer.address] });
    try {
      const fetched = await fetchJobSpec(ipfsBlobStoreOn(node), jobId, onchain);
      expect(fetched.specCid).to.equal(cidFromDigest(onchain.specHash));
    } finally {
      await node.stop();
    }
  });

  it("fabricate: the auditor challenges the lowest opened segment and the referees, reading over IPFS, slash the provider", async function () {
    const jobId = jobs.get("fabricate")!;
    await until("fabricating job slashed", async () => (await status(jobId)) === JOB.Slashed);
    const result = await expectSlashedByDispute(
      f,
      jobId,
      CASES.fabricate.slot,
      providers.get("fabricate")!,
      auditor,
    );
    expect(result.byTimeout, "decided by the committee, not a clock").to.equal(false);
    expect(result.segment).to.equal(Math.min(...(await openedSegments(f, jobId))));
    await expectChallengerVotes(f, result.disputeId);
    // The agreed pre-state of the disputed step, which the auditor recomputed and published for the
    // committee in its envelope, named on chain, is served by the auditor's node: a fresh node that
    // dials only it gets the envelope, and in it the agreed pre-state of this dispute.
    const game = f.devnet.deployment.disputeGame;
    const [ready] = await game.getEvents.ReadyForCommittee(
      { disputeId: result.disputeId },
      { fromBlock: 0n },
    );
    const published = await game.getEvents.PreStatePublished(
      { disputeId: result.disputeId },
      { fromBlock: 0n },
    );
    expect(published, "one pre-state envelope, named once").to.have.length(1);
    const { node } = await startIpfsNode({ listen: [], peers: [auditorPeer.address] });
    try {
      const state = await getPreStateEnvelope(
        ipfsBlobStoreOn(node),
        published[0]!.args.envelopeDigest!,
        { disputeId: result.disputeId, stateDigest: ready!.args.preDigest! },
      );
      expect(stateDigest(state)).to.equal(ready!.args.preDigest!.toLowerCase());
    } finally {
      await node.stop();
    }
  });

  it("nothing went through an HTTP store: no daemon asked its storeUrl, and the devnet's store holds no blob", async function () {
    expect(tripwire.requests).to.deep.equal([]);
    const held: string[] = [];
    for await (const cid of new FsBlobStore({ root: f.devnet.storeDir }).cids()) held.push(cid);
    expect(held).to.deep.equal([]);
  });
});
