import { expect } from "chai";
import { getAddress, keccak256, toHex, zeroAddress } from "viem";

import { ROLES } from "../../../deploy/deploy-assay.ts";
import { expectRevert } from "../helpers/expect-revert.ts";
import {
  MIN_PROVIDER_STAKE,
  MIN_VERIFIER_STAKE,
  UNIT,
  balanceOf,
  deployFixture,
  networkHelpers,
  viem,
} from "./fixtures.ts";
import { STAKE_ROLE } from "../../../src/protocol/onchain-enums.ts";

const DAY = 24 * 3600;

describe("StakeRegistry", () => {
  describe("stake", () => {
    it("credits free stake per role and pulls the tokens", async () => {
      const f = await networkHelpers.loadFixture(deployFixture);
      const before = await balanceOf(f, f.provider.account.address);
      await f.registry.write.stake([STAKE_ROLE.Provider, 5n * UNIT], {
        account: f.provider.account,
      });
      await f.registry.write.stake([STAKE_ROLE.Verifier, 3n * UNIT], {
        account: f.provider.account,
      });
      expect(
        await f.registry.read.freeStake([f.provider.account.address, STAKE_ROLE.Provider]),
      ).to.equal(5n * UNIT);
      expect(
        await f.registry.read.freeStake([f.provider.account.address, STAKE_ROLE.Verifier]),
      ).to.equal(3n * UNIT);
      expect(await balanceOf(f, f.provider.account.address)).to.equal(before - 8n * UNIT);
      expect(await balanceOf(f, f.registry.address)).to.equal(8n * UNIT);
    });

    it("reverts on a zero amount and on role None", async () => {
      const f = await networkHelpers.loadFixture(deployFixture);
      await expectRevert(
        f.registry.write.stake([STAKE_ROLE.Provider, 0n], { account: f.provider.account }),
        "StakeZeroAmount",
      );
      await expectRevert(
        f.registry.write.stake([STAKE_ROLE.None, UNIT], { account: f.provider.account }),
        "StakeInvalidRole",
        [0],
      );
    });

    it("rejects a fee-on-transfer token instead of booking more than it received", async () => {
      const f = await networkHelpers.loadFixture(deployFixture);
      const fee = await viem.deployContract("FeeOnTransferToken");
      const registry = await viem.deployContract("StakeRegistry", [
        fee.address,
        f.deployer.account.address,
        1n,
        1n,
        BigInt(DAY),
      ]);
      await fee.write.mint([f.provider.account.address, 1000n]);
      await fee.write.approve([registry.address, 1000n], { account: f.provider.account });
      await expectRevert(
        registry.write.stake([STAKE_ROLE.Provider, 1000n], { account: f.provider.account }),
        "StakeFeeOnTransferToken",
        [1000n, 990n],
      );
    });

    it("gives a verifier committee weight equal to its free stake once that reaches the minimum", async () => {
      const f = await networkHelpers.loadFixture(deployFixture);
      const me = f.verifier.account.address;
      await f.registry.write.stake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE - 1n], {
        account: f.verifier.account,
      });
      expect(await f.registry.read.verifierWeight([me])).to.equal(0n);
      expect(await f.registry.read.isEligibleVerifier([me])).to.equal(false);
      await f.registry.write.stake([STAKE_ROLE.Verifier, 1n], { account: f.verifier.account });
      expect(await f.registry.read.verifierWeight([me])).to.equal(MIN_VERIFIER_STAKE);
      await f.registry.write.stake([STAKE_ROLE.Verifier, 5n], { account: f.verifier.account });
      expect(await f.registry.read.verifierWeight([me])).to.equal(MIN_VERIFIER_STAKE + 5n);
      expect(await f.registry.read.totalVerifierWeight()).to.equal(MIN_VERIFIER_STAKE + 5n);
    });
  });

  describe("unstake", () => {
    it("moves stake to unbonding and pays it out only after the delay", async () => {
      const f = await networkHelpers.loadFixture(deployFixture);
      await f.registry.write.stake([STAKE_ROLE.Provider, 10n * UNIT], {
        account: f.provider.account,
      });
      await f.registry.write.requestUnstake([STAKE_ROLE.Provider, 4n * UNIT], {
        account: f.provider.account,
      });
      const [free, locked, unbonding, unlockAt] = await f.registry.read.accountOf([
        f.provider.account.address,
        STAKE_ROLE.Provider,
      ]);
      expect([free, locked, unbonding]).to.deep.equal([6n * UNIT, 0n, 4n * UNIT]);
      await expectRevert(
        f.registry.write.withdraw([STAKE_ROLE.Provider], { account: f.provider.account }),
        "StakeStillUnbonding",
        [f.provider.account.address, STAKE_ROLE.Provider, unlockAt],
      );
      await networkHelpers.time.increaseTo(unlockAt);
      const before = await balanceOf(f, f.provider.account.address);
      await f.registry.write.withdraw([STAKE_ROLE.Provider], { account: f.provider.account });
      expect(await balanceOf(f, f.provider.account.address)).to.equal(before + 4n * UNIT);
      await expectRevert(
        f.registry.write.withdraw([STAKE_ROLE.Provider], { account: f.provider.account }),
        "StakeNothingUnbonding",
      );
    });

    it("cannot unstake more than the free stake, nor locked collateral", async () => {
      const f = await networkHelpers.loadFixture(deployFixture);
      await f.registry.write.stake([STAKE_ROLE.Provider, MIN_PROVIDER_STAKE], {
        account: f.provider.account,
      });
      await f.registry.write.grantRole([ROLES.LOCKER, f.deployer.account.address]);
      await f.registry.write.lock([f.provider.account.address, 600n * UNIT]);
      await expectRevert(
        f.registry.write.requestUnstake([STAKE_ROLE.Provider, 401n * UNIT], {
          account: f.provider.account,
        }),
        "StakeInsufficientFree",
        [f.provider.account.address, STAKE_ROLE.Provider, 400n * UNIT, 401n * UNIT],
      );
      await expectRevert(
        f.registry.write.requestUnstake([STAKE_ROLE.Provider, 0n], { account: f.provider.account }),
        "StakeZeroAmount",
      );
    });

    it("weights are kept per block: a draw reads a past block's weights whatever changed since", async () => {
      const f = await networkHelpers.loadFixture(deployFixture);
      const [v1, v2] = [f.verifier.account, f.verifier2.account];
      await f.registry.write.stake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], { account: v1 });
      await f.registry.write.stake([STAKE_ROLE.Verifier, 2n * MIN_VERIFIER_STAKE], { account: v2 });
      const snapshot = await f.publicClient.getBlockNumber();
      await f.registry.write.requestUnstake([STAKE_ROLE.Verifier, 1n], { account: v1 });
      await f.registry.write.stake([STAKE_ROLE.Verifier, 7n], { account: v2 });
      // v1 fell below the minimum: no weight now, and its slot is free for the next verifier.
      expect(await f.registry.read.verifierWeight([v1.address])).to.equal(0n);
      expect(await f.registry.read.totalVerifierWeight()).to.equal(2n * MIN_VERIFIER_STAKE + 7n);
      expect(await f.registry.read.totalVerifierWeightAt([snapshot])).to.equal(
        3n * MIN_VERIFIER_STAKE,
      );
      // At the snapshot both sat, by stake: over 60 seats v2 holds about two thirds.
      const seats = await f.registry.read.drawVerifiers([
        keccak256(toHex("weights")),
        snapshot,
        21n,
        [zeroAddress, zeroAddress, zeroAddress],
      ]);
      expect(seats.length).to.equal(21);
      const v1Seats = seats.filter((m) => m === getAddress(v1.address)).length;
      expect(v1Seats).to.be.within(1, 14);
      expect(seats.every((m) => m === getAddress(v1.address) || m === getAddress(v2.address))).to.be
        .true;
      // Only past blocks: the current block's weights can still change.
      const head = await f.publicClient.getBlockNumber();
      await expectRevert(
        f.registry.read.totalVerifierWeightAt([head + 1n]),
        "StakeSnapshotNotPast",
      );
      // Re-staking to the minimum brings v1 back (into a free slot), its weight its stake.
      await f.registry.write.stake([STAKE_ROLE.Verifier, 1n], { account: v1 });
      expect(await f.registry.read.verifierWeight([v1.address])).to.equal(MIN_VERIFIER_STAKE);
    });

    it("a raised minimum moves nobody until refreshVerifier, which anyone may call", async () => {
      const f = await networkHelpers.loadFixture(deployFixture);
      const me = f.verifier.account.address;
      await f.registry.write.stake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], {
        account: f.verifier.account,
      });
      await f.registry.write.setMinVerifierStake([2n * MIN_VERIFIER_STAKE]);
      expect(await f.registry.read.isEligibleVerifier([me])).to.equal(false);
      expect(await f.registry.read.verifierWeight([me])).to.equal(MIN_VERIFIER_STAKE);
      await f.registry.write.refreshVerifier([me], { account: f.provider.account });
      expect(await f.registry.read.verifierWeight([me])).to.equal(0n);
      expect(await f.registry.read.totalVerifierWeight()).to.equal(0n);
    });
  });

  describe("lock, unlock and slash", () => {
    async function lockerFixture() {
      const f = await deployFixture();
      await f.registry.write.grantRole([ROLES.LOCKER, f.deployer.account.address]);
      await f.registry.write.grantRole([ROLES.SLASHER, f.deployer.account.address]);
      await f.registry.write.stake([STAKE_ROLE.Provider, 2n * MIN_PROVIDER_STAKE], {
        account: f.provider.account,
      });
      return f;
    }

    it("only LOCKER_ROLE locks and unlocks, only SLASHER_ROLE slashes", async () => {
      const f = await networkHelpers.loadFixture(lockerFixture);
      const who = f.stranger.account.address;
      await expectRevert(
        f.registry.write.lock([f.provider.account.address, 1n], { account: f.stranger.account }),
        "AccessControlUnauthorizedAccount",
        [who, ROLES.LOCKER],
      );
      await expectRevert(
        f.registry.write.unlock([f.provider.account.address, 1n], { account: f.stranger.account }),
        "AccessControlUnauthorizedAccount",
        [who, ROLES.LOCKER],
      );
      await expectRevert(
        f.registry.write.slash([f.provider.account.address, STAKE_ROLE.Provider, 0n, 1n], {
          account: f.stranger.account,
        }),
        "AccessControlUnauthorizedAccount",
        [who, ROLES.SLASHER],
      );
    });

    it("lock moves free to locked and refuses more than the free stake", async () => {
      const f = await networkHelpers.loadFixture(lockerFixture);
      await f.registry.write.lock([f.provider.account.address, 500n * UNIT]);
      expect(await f.registry.read.lockedStake([f.provider.account.address])).to.equal(500n * UNIT);
      await expectRevert(
        f.registry.write.lock([f.provider.account.address, 1501n * UNIT]),
        "StakeInsufficientFree",
      );
      await f.registry.write.unlock([f.provider.account.address, 200n * UNIT]);
      expect(await f.registry.read.lockedStake([f.provider.account.address])).to.equal(300n * UNIT);
      await expectRevert(
        f.registry.write.unlock([f.provider.account.address, 301n * UNIT]),
        "StakeInsufficientLocked",
      );
    });

    it("lock refuses a provider whose bonded stake is below the minimum", async () => {
      const f = await networkHelpers.loadFixture(lockerFixture);
      await f.registry.write.stake([STAKE_ROLE.Provider, MIN_PROVIDER_STAKE - 1n], {
        account: f.provider2.account,
      });
      expect(await f.registry.read.isActiveProvider([f.provider2.account.address])).to.equal(false);
      await expectRevert(
        f.registry.write.lock([f.provider2.account.address, 1n]),
        "StakeBelowMinimum",
        [
          f.provider2.account.address,
          STAKE_ROLE.Provider,
          MIN_PROVIDER_STAKE - 1n,
          MIN_PROVIDER_STAKE,
        ],
      );
    });

    it("slash sends the stake to the slasher, takes unbonding stake too, and ejects below the minimum", async () => {
      const f = await networkHelpers.loadFixture(lockerFixture);
      await f.registry.write.lock([f.provider.account.address, 600n * UNIT]);
      await f.registry.write.requestUnstake([STAKE_ROLE.Provider, 1000n * UNIT], {
        account: f.provider.account,
      });
      // free 400, locked 600, unbonding 1000: take the 600 locked and 500 more from free then unbonding.
      const before = await balanceOf(f, f.deployer.account.address);
      await f.registry.write.slash([
        f.provider.account.address,
        STAKE_ROLE.Provider,
        600n * UNIT,
        500n * UNIT,
      ]);
      expect(await balanceOf(f, f.deployer.account.address)).to.equal(before + 1100n * UNIT);
      const [free, locked, unbonding, , ejected] = await f.registry.read.accountOf([
        f.provider.account.address,
        STAKE_ROLE.Provider,
      ]);
      expect([free, locked, unbonding, ejected]).to.deep.equal([0n, 0n, 900n * UNIT, true]);
      expect(await f.registry.read.isActiveProvider([f.provider.account.address])).to.equal(false);
      await expectRevert(
        f.registry.write.stake([STAKE_ROLE.Provider, UNIT], { account: f.provider.account }),
        "StakeAccountEjected",
      );
      await expectRevert(
        f.registry.write.lock([f.provider.account.address, 0n]),
        "StakeAccountEjected",
      );
    });

    it("a slashed verifier below the minimum becomes ineligible for committees", async () => {
      const f = await networkHelpers.loadFixture(lockerFixture);
      await f.registry.write.stake([STAKE_ROLE.Verifier, MIN_VERIFIER_STAKE], {
        account: f.verifier.account,
      });
      expect(await f.registry.read.isEligibleVerifier([f.verifier.account.address])).to.equal(true);
      await f.registry.write.slash([f.verifier.account.address, STAKE_ROLE.Verifier, 0n, UNIT]);
      expect(await f.registry.read.isEligibleVerifier([f.verifier.account.address])).to.equal(
        false,
      );
    });

    it("slash cannot take more locked stake than is locked", async () => {
      const f = await networkHelpers.loadFixture(lockerFixture);
      await expectRevert(
        f.registry.write.slash([f.provider.account.address, STAKE_ROLE.Provider, 1n, 0n]),
        "StakeInsufficientLocked",
      );
    });
  });

  describe("governance", () => {
    it("parameters change only through GOVERNOR_ROLE and within bounds", async () => {
      const f = await networkHelpers.loadFixture(deployFixture);
      await expectRevert(
        f.registry.write.setMinProviderStake([1n], { account: f.stranger.account }),
        "AccessControlUnauthorizedAccount",
      );
      await expectRevert(f.registry.write.setMinProviderStake([0n]), "StakeParameterOutOfBounds");
      await expectRevert(f.registry.write.setMinVerifierStake([0n]), "StakeParameterOutOfBounds");
      await expectRevert(
        f.registry.write.setUnbondingDelay([BigInt(DAY - 1)]),
        "StakeParameterOutOfBounds",
      );
      await expectRevert(
        f.registry.write.setUnbondingDelay([BigInt(91 * DAY)]),
        "StakeParameterOutOfBounds",
      );
      await f.registry.write.setUnbondingDelay([BigInt(10 * DAY)]);
      expect(await f.registry.read.unbondingDelay()).to.equal(BigInt(10 * DAY));
      await f.registry.write.setMinProviderStake([7n]);
      expect(await f.registry.read.minProviderStake()).to.equal(7n);
    });

    it("the constructor refuses out-of-bounds parameters", async () => {
      const f = await networkHelpers.loadFixture(deployFixture);
      let failed = false;
      try {
        await viem.deployContract("StakeRegistry", [
          f.token.address,
          f.deployer.account.address,
          0n,
          1n,
          BigInt(DAY),
        ]);
      } catch {
        failed = true;
      }
      expect(failed).to.equal(true);
      expect(zeroAddress).to.not.equal(f.registry.address);
    });
  });
});
