// The SDK's viem actions against a real Hardhat EVM with Assay deployed: each write is checked by
// its effect on chain, each read against the contract's own view.
import { expect } from "chai";
import { createPublicClient, custom, getAddress, zeroAddress } from "viem";
import { watchBlockNumber } from "viem/actions";

import { SPEC, UNIT, connection, networkHelpers, sdkFixture } from "./fixture.ts";
import {
  DeploymentError,
  JOB_STATUS,
  SdkTransactionError,
  cancelJob,
  claim,
  createJob,
  deploymentFor,
  getAllowance,
  getCredits,
  getJob,
  getJobCount,
  getStake,
  getTokenBalance,
  parseDeployment,
  stake,
  unstake,
  waitForJob,
  watchJob,
  withdrawStake,
  type Job,
} from "../../../packages/sdk/src/index.ts";
import * as protocolEnums from "../../../src/protocol/onchain-enums.ts";
import { jobParamsFromSpec, specHash } from "../../../src/protocol/job-spec.ts";
import { STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

const TERMS = { amount: 100n * UNIT, collateral: 200n * UNIT, verificationBps: 1_000 };

describe("@assay/sdk viem actions", function () {
  it("createJob approves, posts every argument from the spec and returns the new job's id", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const before = await getTokenBalance(f.publicClient, {
      deployment: f.deployment,
      account: f.deployment.market,
    });
    const created = await createJob(f.submitter, {
      deployment: f.deployment,
      spec: SPEC,
      terms: TERMS,
    });
    expect(created.jobId).to.equal(1n);
    expect(await getJobCount(f.publicClient, { deployment: f.deployment })).to.equal(1n);

    const job = await getJob(f.publicClient, { deployment: f.deployment, jobId: created.jobId });
    const p = jobParamsFromSpec(SPEC);
    expect(job.statusName).to.equal("Open");
    expect(job.submitter).to.equal(getAddress(f.submitter.account.address));
    expect(job.specHash).to.equal(specHash(SPEC));
    expect(job.initialStateDigest).to.equal(p.initialStateDigest);
    expect(job.checkpoints).to.equal(p.totalSteps / p.checkpointInterval);
    expect(job.samples).to.equal(p.samples);
    expect(job.challengeWindow).to.equal(p.challengeWindow);
    expect(job.amount).to.equal(TERMS.amount);
    expect(job.collateral).to.equal(TERMS.collateral);
    // The escrow moved to the market, and the approval was exactly what it needed.
    const after = await getTokenBalance(f.publicClient, {
      deployment: f.deployment,
      account: f.deployment.market,
    });
    expect(after - before).to.equal(TERMS.amount);
    expect(
      await getAllowance(f.publicClient, {
        deployment: f.deployment,
        owner: f.submitter.account.address,
        spender: "market",
      }),
    ).to.equal(0n);
  });

  it("a createJob the market refuses is an SdkTransactionError with the decoded revert, and nothing is posted", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    // `stranger` holds no tokens: the escrow's transferFrom fails in simulation.
    const error = await createJob(f.stranger, {
      deployment: f.deployment,
      spec: SPEC,
      terms: TERMS,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(SdkTransactionError);
    expect((error as SdkTransactionError).action).to.equal(`createJob on ${f.deployment.market}`);
    expect((error as Error).message).to.equal(
      `createJob on ${f.deployment.market}: reverted with ERC20InsufficientBalance(${getAddress(f.stranger.account.address)}, 0, ${TERMS.amount})`,
    );
    expect(await getJobCount(f.publicClient, { deployment: f.deployment })).to.equal(0n);

    // A malformed spec never reaches the chain.
    const bad = { ...SPEC, checkpointInterval: 7 };
    const specError = await createJob(f.submitter, {
      deployment: f.deployment,
      spec: bad,
      terms: TERMS,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((specError as Error).name).to.equal("JobSpecError");
    expect((specError as Error).message).to.contain("checkpointInterval 7 must divide totalSteps");
  });

  it("watchJob reports each status change and stops by itself once the job is settled", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const { jobId } = await createJob(f.submitter, {
      deployment: f.deployment,
      spec: SPEC,
      terms: TERMS,
    });
    // The watcher's client counts its requests, to show that it stops.
    let requests = 0;
    const counted = createPublicClient({
      transport: custom({
        request: (args: { method: string; params?: readonly unknown[] | object }) => {
          requests += 1;
          return connection.provider.request(args);
        },
      }),
    });
    const seen: Job[] = [];
    const errors: Error[] = [];
    let opened!: () => void;
    let settled!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const done = new Promise<void>((resolve) => (settled = resolve));
    watchJob(counted, {
      deployment: f.deployment,
      jobId,
      pollingInterval: 50,
      onJob: (job) => {
        seen.push(job);
        if (job.statusName === "Open") opened();
        if (job.statusName === "Cancelled") settled();
      },
      onError: (e) => errors.push(e),
    });
    await open;
    await cancelJob(f.submitter, { deployment: f.deployment, jobId });
    await done;
    expect(seen.map((j) => j.statusName)).to.deep.equal(["Open", "Cancelled"]);
    expect(errors).to.deep.equal([]);

    // Three new blocks, each seen by another watcher polling at the same interval: a watcher still
    // running would have polled and read the job again.
    const settledAt = requests;
    await new Promise<void>((resolve) => {
      let blocks = 0;
      const unwatch = watchBlockNumber(f.publicClient, {
        poll: true,
        pollingInterval: 50,
        onBlockNumber: () => {
          blocks += 1;
          if (blocks === 3) {
            unwatch();
            resolve();
          } else void networkHelpers.mine(1);
        },
      });
      void networkHelpers.mine(1);
    });
    expect(requests).to.equal(settledAt);
  });

  it("waitForJob resolves when a provider accepts; stake approves and bonds the provider's collateral", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const { jobId } = await createJob(f.submitter, {
      deployment: f.deployment,
      spec: SPEC,
      terms: TERMS,
    });
    await stake(f.provider, { deployment: f.deployment, role: "provider", amount: 1_000n * UNIT });
    expect(
      await getStake(f.publicClient, {
        deployment: f.deployment,
        account: f.provider.account.address,
        role: "provider",
      }),
    ).to.deep.include({ free: 1_000n * UNIT, locked: 0n });
    const accepted = waitForJob(f.publicClient, {
      deployment: f.deployment,
      jobId,
      pollingInterval: 50,
      until: ["Accepted"],
    });
    await f.market.write.accept([jobId], { account: f.provider.account });
    const job = await accepted;
    expect(job.statusName).to.equal("Accepted");
    expect(job.provider).to.equal(getAddress(f.provider.account.address));
    const s = await getStake(f.publicClient, {
      deployment: f.deployment,
      account: f.provider.account.address,
      role: "provider",
    });
    expect(s.locked).to.equal(TERMS.collateral);
    expect(s.free).to.equal(1_000n * UNIT - TERMS.collateral);
  });

  it("unstake starts unbonding; withdrawStake is refused before the delay and pays after it", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const account = f.verifier.account.address;
    const d = f.deployment;
    await stake(f.verifier, { deployment: d, role: "verifier", amount: 150n * UNIT });
    await unstake(f.verifier, { deployment: d, role: "verifier", amount: 40n * UNIT });
    const s = await getStake(f.publicClient, { deployment: d, account, role: "verifier" });
    expect(s).to.deep.include({ free: 110n * UNIT, unbonding: 40n * UNIT, ejected: false });
    const early = await withdrawStake(f.verifier, { deployment: d, role: "verifier" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(early).to.be.instanceOf(SdkTransactionError);
    expect((early as Error).message).to.contain(`withdraw on ${d.registry}`);

    const before = await getTokenBalance(f.publicClient, { deployment: d, account });
    await networkHelpers.time.increaseTo(s.unlockAt);
    await withdrawStake(f.verifier, { deployment: d, role: "verifier" });
    expect(await getTokenBalance(f.publicClient, { deployment: d, account })).to.equal(
      before + 40n * UNIT,
    );
    expect(
      await getStake(f.publicClient, { deployment: d, account, role: "verifier" }),
    ).to.deep.include({ unbonding: 0n, free: 110n * UNIT });
  });

  it("claim pays what the ledgers credit the sender and sends nothing when nothing is owed", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const d = f.deployment;
    const account = f.submitter.account.address;
    const { jobId } = await createJob(f.submitter, { deployment: d, spec: SPEC, terms: TERMS });
    // A cancelled job's escrow is credited to the submitter (a pull payment), not sent.
    await cancelJob(f.submitter, { deployment: d, jobId });
    expect(await getCredits(f.publicClient, { deployment: d, account })).to.deep.equal({
      market: TERMS.amount,
      disputeGame: 0n,
      fraudProofs: 0n,
    });
    const before = await getTokenBalance(f.publicClient, { deployment: d, account });
    const claimed = await claim(f.submitter, { deployment: d });
    expect(claimed.amounts).to.deep.equal({
      market: TERMS.amount,
      disputeGame: 0n,
      fraudProofs: 0n,
    });
    expect(claimed.hashes).to.have.length(1);
    expect(await getTokenBalance(f.publicClient, { deployment: d, account })).to.equal(
      before + TERMS.amount,
    );
    const again = await claim(f.submitter, { deployment: d });
    expect(again.hashes).to.deep.equal([]);
  });

  it("a write without an account to send from is refused before anything is sent", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const error = await cancelJob(f.publicClient, { deployment: f.deployment, jobId: 1n }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).name).to.equal("MissingAccountError");
  });

  it("parseDeployment names every bad field; deploymentFor names the chains it knows", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const broken = { ...f.deployment, market: "0x1234", chainId: -1 };
    expect(() => parseDeployment(broken, "deployments/x.json")).to.throw(
      DeploymentError,
      /deployments\/x\.json is not an Assay deployment file: chainId: .*; market: an 0x-prefixed 20-byte address/,
    );
    expect(() => deploymentFor(31337)).to.throw(
      DeploymentError,
      /no Assay deployment is built in for chain 31337/,
    );
    expect(f.deployment.market).to.not.equal(zeroAddress);
  });

  it("exports the protocol's enums themselves, not copies", function () {
    expect(JOB_STATUS).to.equal(protocolEnums.JOB_STATUS);
    expect(STAKE_ROLE.Provider).to.equal(1);
  });
});
