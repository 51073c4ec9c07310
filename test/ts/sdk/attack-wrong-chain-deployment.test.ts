// ATTACK (SDK, wrong contracts): a deployment for one chain used by a client on another.
//
// A dApp picks its deployment by a chain id it believes in (deploymentFor(sepolia.id), or a
// deployment file a user supplied: parseDeployment(json)), while the user's wallet is connected
// to another chain. Every action of the SDK takes `deployment` and sends to its addresses without
// ever comparing `deployment.chainId` with the chain the client is on
// (packages/sdk/src/actions/job.ts createJob, lines ~57-83; token.ts approve; client.ts send):
// createJob approves `deployment.token` for `deployment.market` and escrows the user's tokens with
// whatever contracts sit at those addresses on the *connected* chain (on a chain where they are
// someone else's contracts, an attacker's token/market that emits a JobCreated event makes
// createJob report success with a job id), and getJob/watchJob report the status of a job on a
// chain the deployment does not describe. Who pays: the submitter (tokens approved and escrowed
// on the wrong chain's contracts) and anyone trusting watchJob's status.
//
// Here: a deployment file saying chainId 11155111 (Sepolia) whose addresses happen to be this
// Hardhat chain's (31337) contracts. createJob should refuse (the client is on 31337, the
// deployment is for 11155111) before any transaction; today it approves, escrows and returns a
// job id. Fix: compare `deployment.chainId` with `getChainId(client)` (or client.chain.id) in
// send()/every action and throw a DeploymentError.
import { expect } from "chai";

import { SPEC, UNIT, networkHelpers, sdkFixture } from "./fixture.ts";
import {
  DeploymentError,
  createJob,
  getAllowance,
  getJob,
  getTokenBalance,
} from "../../../packages/sdk/src/index.ts";
import { expectReject } from "../helpers/expect-reject.ts";

const TERMS = { amount: 100n * UNIT, collateral: 200n * UNIT, verificationBps: 1_000 };

describe("attack: SDK actions with a deployment for another chain", function () {
  it("createJob refuses a deployment whose chainId is not the client's chain, before sending anything", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    expect(await f.publicClient.getChainId()).to.equal(31337);
    const sepolia = { ...f.deployment, chainId: 11155111 };
    const owner = f.submitter.account.address;
    const balanceBefore = await getTokenBalance(f.publicClient, {
      deployment: f.deployment,
      account: owner,
    });

    await expectReject(
      createJob(f.submitter, { deployment: sepolia, spec: SPEC, terms: TERMS }),
      DeploymentError,
      /chain|11155111|31337/,
    );
    // Nothing approved, nothing escrowed on the chain the deployment does not describe.
    expect(
      await getAllowance(f.publicClient, { deployment: f.deployment, owner, spender: "market" }),
    ).to.equal(0n);
    expect(
      await getTokenBalance(f.publicClient, { deployment: f.deployment, account: owner }),
    ).to.equal(balanceBefore);
  });

  it("getJob (and so watchJob) refuses to report a status read on another chain", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    await createJob(f.submitter, { deployment: f.deployment, spec: SPEC, terms: TERMS });
    const sepolia = { ...f.deployment, chainId: 11155111 };
    await expectReject(
      getJob(f.publicClient, { deployment: sepolia, jobId: 1n }),
      DeploymentError,
      /chain|11155111|31337/,
    );
  });
});
