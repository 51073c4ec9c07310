// ATTACK (SDK, deployment file pointing at wrong contracts): createJob approves the deployment's
// "market" for the escrow before anything checks that it is a JobMarket, so a doctored deployment
// file leaves the user's tokens approved to the attacker even though the job is never posted.
//
// packages/sdk/src/actions/job.ts createJob (lines ~60-64): with the default `approve: true` it
// reads the allowance and sends `approve(deployment.market, amount)` on `deployment.token`, and only
// then simulates createJob on `deployment.market`. parseDeployment (packages/sdk/src/deployment.ts)
// checks the file's shape only. A dApp that takes a deployment file from a user, a URL or a
// config (as the README suggests for devnets: parseDeployment(JSON.parse(deploymentFileText)))
// with `market` replaced by an attacker's address: createJob fails with "is ... the JobMarket?"-like
// errors, but the approval transaction has been mined and the attacker can transferFrom the
// user's tokens. stake() does the same with `deployment.registry`. Who pays: the submitter/staker.
//
// Expected once fixed: createJob (and stake) check that the spender is the deployment's contract
// (it has code and answers as the JobMarket/StakeRegistry of `deployment.token`, e.g.
// market.token() == deployment.token) before approving anything; here, no allowance is left to an
// account that is not a contract.
import { expect } from "chai";

import { SPEC, UNIT, networkHelpers, sdkFixture } from "./fixture.ts";
import { createJob, getAllowance } from "../../../packages/sdk/src/index.ts";

const TERMS = { amount: 100n * UNIT, collateral: 200n * UNIT, verificationBps: 1_000 };

describe("attack: createJob with a deployment whose market is the attacker's", function () {
  it("leaves no allowance to an address that is not the JobMarket", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const attacker = f.stranger.account.address;
    const doctored = { ...f.deployment, market: attacker };
    let failed = false;
    await createJob(f.submitter, { deployment: doctored, spec: SPEC, terms: TERMS }).catch(() => {
      failed = true;
    });
    expect(failed, "no job can be posted on an account without code").to.equal(true);
    expect(
      await getAllowance(f.publicClient, {
        deployment: f.deployment,
        owner: f.submitter.account.address,
        spender: attacker,
      }),
      "tokens the submitter has approved to the attacker",
    ).to.equal(0n);
  });
});
