// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {JobId} from "../../../contracts/types/Ids.sol";
import {JobStatus} from "../../../contracts/types/JobTypes.sol";
import {Receipt, ReceiptRound} from "../../../contracts/types/ReceiptTypes.sol";
import {Labels} from "../utils/Labels.sol";
import {SolvencyChecks} from "../utils/SolvencyChecks.sol";
import {ReceiptHandler} from "./ReceiptHandler.sol";

/// @notice Paid verification (docs/receipts.md), as outcomes: after any sequence of jobs, receipts
/// (honest, lazy, half the work, by parties, late), probes (honest, false, withheld), reveals, stake
/// moves, finalizations, expiries and claims — the receipts contract holds exactly the settled
/// budgets less what it paid; every matching receipt is an honest one (or a half-worker whose probes
/// all fell in its half), never a guess; every revealed receipt of a finalized job is owed exactly
/// its stake-weighted share; the parties never hold a receipt; an honest provider that published
/// its probes is never expired, a withholding one never paid; no token is created or lost.
contract ReceiptSolvencyTest is SolvencyChecks {
    ReceiptHandler private handler;

    function setUp() public {
        _deploy();
        handler = new ReceiptHandler(token, sys);
        bytes4[] memory selectors = new bytes4[](10);
        selectors[0] = ReceiptHandler.openJob.selector;
        selectors[1] = ReceiptHandler.commitReceipt.selector;
        selectors[2] = ReceiptHandler.commitReceipt.selector;
        selectors[3] = ReceiptHandler.publishProbes.selector;
        selectors[4] = ReceiptHandler.revealReceipt.selector;
        selectors[5] = ReceiptHandler.revealReceipt.selector;
        selectors[6] = ReceiptHandler.settle.selector;
        selectors[7] = ReceiptHandler.claimReceipt.selector;
        selectors[8] = ReceiptHandler.moveStake.selector;
        selectors[9] = ReceiptHandler.warp.selector;
        _target(handler, selectors);
    }

    function invariant_receipts() public view {
        _assertNoSurprise(handler);
        _assertReceiptsSolvent();
        _assertMarketSolvent(_jobs(), handler.accounts());
        _assertOutcomes();
        assertEq(token.totalSupply(), initialSupply, "tokens were created or destroyed");
    }

    /// @dev A fixed walk, invariants checked every tenth step; every path must be taken.
    function test_walk_paysHonestReceiptsOnly() public {
        for (uint256 i; i < 400; ++i) {
            _step(uint256(keccak256(abi.encode("receipt walk", i))));
            if (i % 10 == 9) invariant_receipts();
        }
        invariant_receipts();
        bytes32[10] memory required = [
            bytes32("openJob"),
            "commitReceipt",
            "partyRefused",
            "publishProbes",
            "revealHonest",
            "lazyRefused",
            "finalizedPaid",
            "claimReceipt",
            "expired",
            "unstake"
        ];
        string memory counts;
        for (uint256 r; r < required.length; ++r) {
            counts = string.concat(
                counts,
                Labels.name(required[r]),
                "=",
                Labels.decimal(handler.done(required[r])),
                " "
            );
        }
        for (uint256 r; r < required.length; ++r) {
            assertGt(
                handler.done(required[r]),
                0,
                string.concat(_name(required[r]), " (walk: ", counts, ")")
            );
        }
    }

    function _step(uint256 seed) private {
        uint256 kind = seed % 32;
        uint256 a = uint256(keccak256(abi.encode(seed, 1)));
        uint256 b = uint256(keccak256(abi.encode(seed, 2)));
        if (kind < 3) handler.openJob(a);
        else if (kind < 13) handler.commitReceipt(a, b, b >> 64);
        else if (kind < 16) handler.publishProbes(a);
        else if (kind < 23) handler.revealReceipt(a, b);
        else if (kind < 25) handler.settle(a);
        else if (kind < 29) handler.claimReceipt(a, b);
        else if (kind == 29) handler.moveStake(a, b % 2 == 0);
        else handler.warp(a);
    }

    // ------------------------------------------------------------- the checks

    /// @dev balanceOf(receipts) == Σ settled budgets − Σ paid, on chain and in the model.
    function _assertReceiptsSolvent() private view {
        JobId[] memory ids = handler.jobIds();
        uint256 owedChain;
        uint256 owedModel;
        for (uint256 i; i < ids.length; ++i) {
            ReceiptRound memory r = sys.receipts.roundOf(ids[i]);
            owedChain += r.budget - r.paid;
            ReceiptHandler.GhostJob memory g = handler.ghostJob(ids[i]);
            owedModel += g.settled - g.paid;
            assertEq(r.budget, g.settled, "settled budget differs from the rules");
            assertEq(r.matchedWeight, g.matchedWeight, "matched weight differs from the rules");
            assertEq(r.committed, g.committed, "committed receipts differ");
        }
        assertEq(token.balanceOf(address(sys.receipts)), owedChain, "receipts balance != settled - paid");
        assertEq(owedChain, owedModel, "receipts owe other than the rules");
    }

    /// @dev Who matched, who is owed what, and which jobs ended how.
    function _assertOutcomes() private view {
        JobId[] memory ids = handler.jobIds();
        for (uint256 i; i < ids.length; ++i) {
            JobId jobId = ids[i];
            ReceiptHandler.GhostJob memory g = handler.ghostJob(jobId);
            JobStatus status = sys.market.getJob(jobId).status;
            assertEq(uint256(status), uint256(g.status), "job status differs from the rules");
            // The parties never hold a receipt.
            assertEq(sys.receipts.receiptOf(jobId, g.provider).commitment, bytes32(0), "provider receipt");
            assertEq(sys.receipts.receiptOf(jobId, g.submitter).commitment, bytes32(0), "submitter receipt");
            // An honest provider that published is never expired; a withholder owing probes never paid.
            if (g.kind == ReceiptHandler.ProviderKind.Honest && g.published) {
                assertTrue(status != JobStatus.Expired, "an honest provider was expired");
            }
            if (g.kind == ReceiptHandler.ProviderKind.Withholder && g.committed > 0) {
                assertTrue(status != JobStatus.Finalized, "a provider withholding owed probes was paid");
            }
            address[] memory committed = handler.committers(jobId);
            for (uint256 c; c < committed.length; ++c) {
                ReceiptHandler.GhostReceipt memory r = handler.ghostReceipt(jobId, committed[c]);
                Receipt memory onchain = sys.receipts.receiptOf(jobId, committed[c]);
                assertEq(onchain.weight, r.weight, "receipt weight is not the weight at the open");
                assertTrue(onchain.matched == r.revealed, "matched receipts differ from the rules");
                // A guess never matches.
                if (r.kind == ReceiptHandler.VerifierKind.Lazy)
                    assertFalse(onchain.matched, "a lazy receipt matched");
                // Every revealed receipt of a finalized job is owed exactly its share until claimed.
                if (g.settled > 0 && r.revealed && !r.claimed) {
                    uint256 expected =
                        g.claimed + 1 == g.matched
                            ? g.settled - g.paid
                            : (g.settled * r.weight) / g.matchedWeight;
                    assertEq(
                        sys.receipts.claimable(jobId, committed[c]),
                        expected,
                        "an honest receipt is not owed its share"
                    );
                }
            }
        }
    }

    function _name(bytes32 action) private pure returns (string memory) {
        return string.concat("never happened: ", Labels.name(action));
    }
}
