// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {JobId} from "../../contracts/types/Ids.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {TraceLib} from "../../contracts/libraries/TraceLib.sol";
import {ReentrantToken} from "../../contracts/mocks/ReentrantToken.sol";
import {Job, JobParams, JobStatus, OpenedLeaf} from "../../contracts/types/JobTypes.sol";
import {StakeRole} from "../../contracts/types/StakeTypes.sol";
import {AssayFixture} from "./utils/AssayFixture.sol";
import {FraudCommit} from "./utils/FraudCommit.sol";

/// @notice A malicious token calls back into the contracts in the middle of every kind of transfer
/// they make (stake, withdraw, createJob, claimCredit, the slash inside expire, the slash inside a
/// fraud proof, and the fraud prover's claim). Every callback into a contract that is mid-call must
/// fail with ReentrancyGuardReentrantCall, the outer call must complete, and the books must balance.
contract ReentrancyTest is AssayFixture {
    address private constant TREASURY = address(0x7EA5);
    address private constant PROVIDER = address(0xB0B);
    uint256 private constant FUNDS = 1_000_000e18;

    ReentrantToken private token;
    Deployment private d;
    uint256 private nextActor = 0x1000;

    function setUp() public {
        token = new ReentrantToken();
        d = _deployAssay(token, TREASURY);
        _fund(PROVIDER);
        vm.prank(PROVIDER);
        d.registry.stake(StakeRole.Provider, 100 * MIN_PROVIDER_STAKE);
    }

    // ------------------------------------------------------------- payloads

    /// @dev A call to every nonReentrant entry point of the market. The arguments do not matter:
    /// the guard runs before anything else.
    function _marketPayloads() private pure returns (bytes[] memory p) {
        JobParams memory params = _defaultJobParams();
        p = new bytes[](8);
        p[0] = abi.encodeWithSignature(
            "createJob((bytes32,bytes32,uint128,uint128,uint32,uint32,uint8,uint32,uint8,uint8,uint8,uint16,uint32,uint32,uint32,uint32))",
            params
        );
        p[1] = abi.encodeWithSignature("cancel(uint256)", 1);
        p[2] = abi.encodeWithSignature("accept(uint256)", 1);
        p[3] = abi.encodeWithSignature(
            "submit(uint256,bytes32,bytes32,bytes32,bytes32)",
            1,
            bytes32(uint256(1)),
            bytes32(uint256(2)),
            bytes32(uint256(3)),
            bytes32(uint256(4))
        );
        p[4] = abi.encodeWithSignature(
            "openSamples(uint256,(uint256,bytes32,uint64,uint64)[],uint256[],bytes32[])",
            1,
            new OpenedLeaf[](0),
            new uint256[](0),
            new bytes32[](0)
        );
        p[5] = abi.encodeWithSignature("finalize(uint256)", 1);
        p[6] = abi.encodeWithSignature("expire(uint256)", 1);
        p[7] = abi.encodeWithSignature("claimCredit()");
    }

    /// @dev FraudProofs' guarded entry point that a token could reach with a valid call.
    function _fraudProofsPayloads() private pure returns (bytes[] memory p) {
        p = new bytes[](1);
        p[0] = abi.encodeWithSignature("claimCredit()");
    }

    /// @dev A call to every nonReentrant entry point of the registry that a token could reach
    /// (slash is behind SLASHER_ROLE, checked first).
    function _registryPayloads() private pure returns (bytes[] memory p) {
        p = new bytes[](4);
        p[0] = abi.encodeWithSignature("stake(uint8,uint256)", uint8(StakeRole.Provider), 1);
        p[1] = abi.encodeWithSignature("stake(uint8,uint256)", uint8(StakeRole.Verifier), 1);
        p[2] = abi.encodeWithSignature("withdraw(uint8)", uint8(StakeRole.Provider));
        p[3] = abi.encodeWithSignature("withdraw(uint8)", uint8(StakeRole.Verifier));
    }

    // ------------------------------------------------------------- the transfers

    function test_stake_reentry_rejected() public {
        bytes[] memory payloads = _registryPayloads();
        uint256 staked;
        for (uint256 i; i < payloads.length; ++i) {
            address staker = _fund(_newActor());
            token.arm(address(d.registry), payloads[i]);
            vm.prank(staker);
            d.registry.stake(StakeRole.Verifier, MIN_VERIFIER_STAKE);
            staked += MIN_VERIFIER_STAKE;
            _assertGuardRejected("stake");
            assertEq(
                d.registry.freeStake(staker, StakeRole.Verifier),
                MIN_VERIFIER_STAKE,
                "stake recorded once"
            );
        }
        assertEq(token.balanceOf(address(d.registry)), staked + 100 * MIN_PROVIDER_STAKE, "registry balance");
    }

    function test_withdraw_reentry_rejected() public {
        bytes[] memory payloads = _registryPayloads();
        address[] memory stakers = new address[](payloads.length);
        for (uint256 i; i < payloads.length; ++i) {
            stakers[i] = _fund(_newActor());
            vm.startPrank(stakers[i]);
            d.registry.stake(StakeRole.Verifier, MIN_VERIFIER_STAKE);
            d.registry.requestUnstake(StakeRole.Verifier, MIN_VERIFIER_STAKE);
            vm.stopPrank();
        }
        vm.warp(block.timestamp + UNBONDING_DELAY);
        for (uint256 i; i < payloads.length; ++i) {
            token.arm(address(d.registry), payloads[i]);
            vm.prank(stakers[i]);
            assertEq(d.registry.withdraw(StakeRole.Verifier), MIN_VERIFIER_STAKE, "withdrawn amount");
            _assertGuardRejected("withdraw");
            assertEq(token.balanceOf(stakers[i]), FUNDS, "staker paid back exactly once");
        }
        assertEq(token.balanceOf(address(d.registry)), 100 * MIN_PROVIDER_STAKE, "registry balance");
    }

    function test_createJob_reentry_rejected() public {
        bytes[] memory payloads = _concat(_marketPayloads(), _registryPayloads());
        address submitter = _fund(_newActor());
        JobParams memory p = _defaultJobParams();
        for (uint256 i; i < payloads.length; ++i) {
            token.arm(i < 8 ? address(d.market) : address(d.registry), payloads[i]);
            vm.prank(submitter);
            d.market.createJob(p);
            if (i < 8) _assertGuardRejected("createJob");
            else _assertRejected("createJob into the registry");
        }
        assertEq(d.market.jobCount(), payloads.length, "one job per call");
        assertEq(token.balanceOf(address(d.market)), payloads.length * p.amount, "market balance");
    }

    function test_claimCredit_reentry_rejected() public {
        bytes[] memory payloads = _marketPayloads();
        JobParams memory p = _defaultJobParams();
        address[] memory submitters = new address[](payloads.length);
        for (uint256 i; i < payloads.length; ++i) {
            submitters[i] = _fund(_newActor());
            vm.startPrank(submitters[i]);
            JobId jobId = d.market.createJob(p);
            d.market.cancel(jobId);
            vm.stopPrank();
        }
        for (uint256 i; i < payloads.length; ++i) {
            token.arm(address(d.market), payloads[i]);
            vm.prank(submitters[i]);
            assertEq(d.market.claimCredit(), p.amount, "claimed amount");
            _assertGuardRejected("claimCredit");
            assertEq(d.market.creditOf(submitters[i]), 0, "credit cleared");
            assertEq(token.balanceOf(submitters[i]), FUNDS, "submitter paid back exactly once");
        }
        assertEq(token.balanceOf(address(d.market)), 0, "market balance");
    }

    /// @dev expire → registry.slash → token.transfer(market): both contracts are mid-call, so a
    /// callback into either must hit its guard.
    function test_expire_slashTransfer_reentry_rejected() public {
        bytes[] memory payloads = _concat(_marketPayloads(), _registryPayloads());
        JobParams memory p = _defaultJobParams();
        address submitter = _fund(_newActor());
        JobId[] memory jobs = new JobId[](payloads.length);
        for (uint256 i; i < payloads.length; ++i) {
            vm.prank(submitter);
            jobs[i] = d.market.createJob(p);
            vm.prank(PROVIDER);
            d.market.accept(jobs[i]);
        }
        vm.warp(block.timestamp + p.trainWindow + 1);
        uint256 toSubmitter = (uint256(p.collateral) * EXPIRY_SUBMITTER_BPS) / 10_000;
        for (uint256 i; i < payloads.length; ++i) {
            token.arm(i < 8 ? address(d.market) : address(d.registry), payloads[i]);
            d.market.expire(jobs[i]);
            _assertGuardRejected("expire");
            Job memory job = d.market.getJob(jobs[i]);
            assertEq(uint256(job.status), uint256(JobStatus.Expired), "job expired");
        }
        uint256 n = payloads.length;
        assertEq(d.market.creditOf(submitter), n * (p.amount + toSubmitter), "submitter credit");
        assertEq(d.market.creditOf(TREASURY), n * (p.collateral - toSubmitter), "treasury credit");
        assertEq(token.balanceOf(address(d.market)), n * (p.amount + p.collateral), "market balance");
        assertEq(d.registry.lockedStake(PROVIDER), 0, "collateral left locked");
        assertEq(
            token.balanceOf(address(d.registry)),
            100 * MIN_PROVIDER_STAKE - n * p.collateral,
            "registry balance"
        );
    }

    /// @dev FraudProofs → market.slashByFraudProof → registry.slash → token.transfer(fraudProofs): the
    /// fraud proofs and the registry are mid-call, the market has returned.
    function test_fraudProof_slashTransfer_reentry_rejected() public {
        bytes[] memory payloads = _concat(
            _concat(_fraudProofsPayloads(), _registryPayloads()),
            _marketPayloads()
        );
        address prover = _newActor();
        uint256 collateral;
        for (uint256 i; i < payloads.length; ++i) {
            (JobId jobId, OpenedLeaf memory last, bytes32[] memory lastProof) = _openedJobWithWrongModel();
            collateral += d.market.getJob(jobId).collateral;
            address target =
                i < 1
                    ? address(d.fraudProofs)
                    : i < 5
                        ? address(d.registry)
                        : address(d.market);
            bytes32 salt = keccak256(abi.encode("fraud salt", i));
            FraudCommit.finalDigest(d.fraudProofs, jobId, last, lastProof, salt, prover);
            vm.roll(block.number + 1);
            token.arm(target, payloads[i]);
            vm.prank(prover);
            d.fraudProofs.proveFinalDigestFraud(jobId, last, lastProof, salt);
            if (i < 5) _assertGuardRejected("proveFinalDigestFraud");
            else _assertRejected("proveFinalDigestFraud into the market");
            assertEq(uint256(d.market.getJob(jobId).status), uint256(JobStatus.Slashed), "job slashed");
        }
        assertEq(token.balanceOf(address(d.fraudProofs)), collateral, "fraud proofs balance");
        uint256 toProver = (collateral * CHALLENGER_SHARE_BPS) / 10_000;
        assertEq(d.fraudProofs.creditOf(prover), toProver, "prover credit");
        assertEq(d.fraudProofs.creditOf(TREASURY), collateral - toProver, "treasury credit");

        // And the prover's claim: the callback into FraudProofs hits its guard.
        token.arm(address(d.fraudProofs), _fraudProofsPayloads()[0]);
        vm.prank(prover);
        assertEq(d.fraudProofs.claimCredit(), toProver, "claimed amount");
        _assertGuardRejected("FraudProofs.claimCredit");
        assertEq(token.balanceOf(prover), toProver, "prover paid exactly once");
        assertEq(
            token.balanceOf(address(d.fraudProofs)),
            collateral - toProver,
            "fraud proofs balance after claim"
        );
    }

    /// @dev A two-checkpoint job whose submitted final digest is not its last leaf, opened on
    /// segment 1 only (the seed block's hash is chosen so), hence provably fraudulent.
    function _openedJobWithWrongModel()
        private
        returns (JobId jobId, OpenedLeaf memory last, bytes32[] memory lastProof)
    {
        JobParams memory p = _defaultJobParams();
        p.totalSteps = 2;
        p.checkpointInterval = 1;
        p.samples = 1;
        p.topQ = 0;
        address submitter = _fund(_newActor());
        vm.prank(submitter);
        jobId = d.market.createJob(p);
        vm.prank(PROVIDER);
        d.market.accept(jobId);
        OpenedLeaf memory first = OpenedLeaf({
            index: 1,
            stateDigest: keccak256("h1"),
            lossBits: 7,
            updateNorm: 5
        });
        last = OpenedLeaf({index: 2, stateDigest: keccak256("h2"), lossBits: 6, updateNorm: 3});
        bytes32 h1 = TraceLib.leafHash(jobId, 1, first.stateDigest, first.lossBits, first.updateNorm);
        bytes32 h2 = TraceLib.leafHash(jobId, 2, last.stateDigest, last.lossBits, last.updateNorm);
        vm.prank(PROVIDER);
        d.market.submit(
            jobId,
            keccak256(abi.encodePacked(h1, h2)),
            keccak256("not h2"),
            bytes32(0),
            keccak256("l")
        );
        uint256 request = d.market.getJob(jobId).randomnessRequest;
        vm.roll(request + 1);
        for (uint256 salt; ; ++salt) {
            vm.setBlockhash(request, keccak256(abi.encode(salt)));
            if (d.market.sampledSegments(jobId)[0] == 1) break;
            if (salt == 64) revert AssertionFailed("no seed samples segment 1");
        }
        OpenedLeaf[] memory opened = new OpenedLeaf[](1);
        opened[0] = first;
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = h2;
        vm.prank(PROVIDER);
        d.market.openSamples(jobId, opened, new uint256[](0), proof);
        lastProof = new bytes32[](1);
        lastProof[0] = h1;
    }

    // ------------------------------------------------------------- helpers

    function _assertGuardRejected(string memory during) private view {
        assertTrue(token.reentered(), string.concat("no callback during ", during));
        assertFalse(token.reentrySucceeded(), string.concat("reentry succeeded during ", during));
        assertEq(
            keccak256(token.reentryError()),
            keccak256(abi.encodeWithSelector(ReentrancyGuard.ReentrancyGuardReentrantCall.selector)),
            string.concat("reentry failed, but not on the guard, during ", during)
        );
    }

    /// @dev For a callback into a contract that is not mid-call: it may fail for any reason, but fail.
    function _assertRejected(string memory during) private view {
        assertTrue(token.reentered(), string.concat("no callback during ", during));
        assertFalse(token.reentrySucceeded(), string.concat("reentry succeeded during ", during));
    }

    function _newActor() private returns (address) {
        return address(uint160(nextActor++));
    }

    function _fund(address account) private returns (address) {
        token.arm(address(0), "");
        token.mint(account, FUNDS);
        vm.startPrank(account);
        token.approve(address(d.registry), type(uint256).max);
        token.approve(address(d.market), type(uint256).max);
        vm.stopPrank();
        return account;
    }

    function _concat(bytes[] memory a, bytes[] memory b) private pure returns (bytes[] memory c) {
        c = new bytes[](a.length + b.length);
        for (uint256 i; i < a.length; ++i) c[i] = a[i];
        for (uint256 i; i < b.length; ++i) c[a.length + i] = b[i];
    }
}
