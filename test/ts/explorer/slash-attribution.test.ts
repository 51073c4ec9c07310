// Which dispute a registry slash belongs to (state.ts disputesOfSlashes), for transactions that
// move several disputes, or a dispute and a job, in any order: each sequence below is the events
// the contracts emit, in their order, for calls one contract makes in one transaction
// (attack-slash-attribution.test.ts makes two of them on a devnet).
import { expect } from "chai";
import { getAddress, type Address, type Hex } from "viem";

import type { ChainEvent, WatchedContract } from "../../../src/explorer/chain-events.ts";
import { disputesOfSlashes } from "../../../src/explorer/state.ts";

const at = (n: number): Address => getAddress(`0x${n.toString(16).padStart(40, "0")}`);
const GAME = at(0xd1);
const MARKET = at(0xa1);
const FRAUD = at(0xf1);
const PROVIDER = at(1);
const CHALLENGER = at(2);
const TREASURY = at(3);
const REFEREE = at(4);
const OTHER_REFEREE = at(5);
const COLLATERAL = 200n;
const PENALTY = 10n;
const PROVIDER_ROLE = 1;
const VERIFIER_ROLE = 2;

type Step = [WatchedContract, string, Record<string, unknown>];

/** One transaction's events, in order: the concatenated calls' steps. */
function transaction(...calls: Step[][]): ChainEvent[] {
  const tx: Hex = `0x${"ab".repeat(32)}`;
  return calls.flat().map(([contract, name, args], logIndex) => ({
    contract,
    name,
    args,
    block: 7n,
    logIndex,
    tx,
  }));
}

const penalty = (disputeId: bigint, referee: Address): Step[] => [
  [
    "registry",
    "Slashed",
    { account: referee, role: VERIFIER_ROLE, slasher: GAME, amount: PENALTY },
  ],
  ["disputeGame", "RefereePenalized", { disputeId, referee, amount: PENALTY }],
  ["disputeGame", "Credited", { account: TREASURY, ref: disputeId, amount: PENALTY }],
];

/** DisputeGame.resolve (or timeout) of `disputeId` on `jobId`, as _settle emits it. */
function resolve(
  disputeId: bigint,
  jobId: bigint,
  options: { providerLost?: boolean; ejected?: boolean; penalized?: Address[] } = {},
): Step[] {
  const { providerLost = true, ejected = false, penalized = [] } = options;
  const steps: Step[] = [
    ["disputeGame", "DisputeResolved", { disputeId, jobId, outcome: providerLost ? 2 : 1 }],
    ["market", "DisputeEnded", { jobId, providerLost, open: 0n }],
  ];
  if (providerLost)
    steps.push(
      ["market", "JobSlashed", { jobId }],
      ["market", "Credited", { account: CHALLENGER, ref: jobId, amount: 100n }],
      [
        "registry",
        "Slashed",
        { account: PROVIDER, role: PROVIDER_ROLE, slasher: GAME, amount: COLLATERAL },
      ],
      ...(ejected
        ? [["registry", "Ejected", { account: PROVIDER, role: PROVIDER_ROLE }] as Step]
        : []),
      ["disputeGame", "Credited", { account: TREASURY, ref: disputeId, amount: 50n }],
      ["disputeGame", "Credited", { account: CHALLENGER, ref: disputeId, amount: 150n }],
    );
  else
    steps.push(
      ["market", "ChallengeWindowExtended", { jobId, challengeEnd: 99n }],
      ["disputeGame", "Credited", { account: PROVIDER, ref: disputeId, amount: 40n }],
    );
  return [...steps, ...penalized.flatMap((referee) => penalty(disputeId, referee))];
}

const drawCommittee = (disputeId: bigint): Step[] => [
  ["disputeGame", "CommitteeDrawn", { disputeId, round: 1, members: [REFEREE, OTHER_REFEREE] }],
];
/** DisputeGame.penalizeSplitRound: a slash before any event of its own that names the dispute. */
const penalizeSplitRound = (disputeId: bigint, referee: Address): Step[] =>
  penalty(disputeId, referee);
/** JobMarket.expire of an accepted job: the market slashes. */
const expire = (jobId: bigint): Step[] => [
  ["market", "JobExpired", { jobId, from: 2, slashed: COLLATERAL }],
  ["market", "Credited", { account: CHALLENGER, ref: jobId, amount: 120n }],
  ["market", "Credited", { account: TREASURY, ref: jobId, amount: 80n }],
  [
    "registry",
    "Slashed",
    { account: PROVIDER, role: PROVIDER_ROLE, slasher: MARKET, amount: COLLATERAL },
  ],
];
/** FraudProofs: the market marks the job slashed, fraud proofs has the registry slash. */
const proveFraud = (jobId: bigint): Step[] => [
  ["market", "JobSlashed", { jobId }],
  ["market", "Credited", { account: CHALLENGER, ref: jobId, amount: 100n }],
  [
    "registry",
    "Slashed",
    { account: PROVIDER, role: PROVIDER_ROLE, slasher: FRAUD, amount: COLLATERAL },
  ],
  ["fraudProofs", "FraudProven", { jobId, prover: OTHER_REFEREE, index: 3n, slashed: COLLATERAL }],
];

/** The attribution as [event name, account, dispute] rows, registry events only. */
function attributed(events: ChainEvent[]): [string, unknown, bigint | undefined][] {
  const disputes = disputesOfSlashes(events, GAME);
  return events
    .filter((e) => e.contract === "registry")
    .map((e) => [e.name, e.args.account, disputes.get(e)]);
}

describe("explorer: the dispute a slash belongs to", function () {
  it("resolve A, then draw B's committee: the slash, the ejection and a penalty are A's", function () {
    expect(
      attributed(
        transaction(resolve(1n, 11n, { ejected: true, penalized: [REFEREE] }), drawCommittee(2n)),
      ),
    ).to.deep.equal([
      ["Slashed", PROVIDER, 1n],
      ["Ejected", PROVIDER, 1n],
      ["Slashed", REFEREE, 1n],
    ]);
  });

  it("draw B's committee, then penalize A's split round: the penalty is A's", function () {
    expect(
      attributed(transaction(drawCommittee(2n), penalizeSplitRound(1n, REFEREE))),
    ).to.deep.equal([["Slashed", REFEREE, 1n]]);
  });

  it("two resolves in one transaction: each slash is its own dispute's, in either order", function () {
    const a = resolve(1n, 11n, { penalized: [REFEREE] });
    const b = resolve(2n, 12n, { penalized: [OTHER_REFEREE] });
    expect(attributed(transaction(a, b))).to.deep.equal([
      ["Slashed", PROVIDER, 1n],
      ["Slashed", REFEREE, 1n],
      ["Slashed", PROVIDER, 2n],
      ["Slashed", OTHER_REFEREE, 2n],
    ]);
    expect(attributed(transaction(b, a))).to.deep.equal([
      ["Slashed", PROVIDER, 2n],
      ["Slashed", OTHER_REFEREE, 2n],
      ["Slashed", PROVIDER, 1n],
      ["Slashed", REFEREE, 1n],
    ]);
  });

  it("a provider's win, then another's penalty: the penalty is not the won dispute's", function () {
    expect(
      attributed(
        transaction(resolve(1n, 11n, { providerLost: false }), penalizeSplitRound(2n, REFEREE)),
      ),
    ).to.deep.equal([["Slashed", REFEREE, 2n]]);
  });

  it("a slash by the market or by fraud proofs is no dispute's, before or after a dispute's move", function () {
    expect(attributed(transaction(drawCommittee(2n), expire(13n)))).to.deep.equal([
      ["Slashed", PROVIDER, undefined],
    ]);
    expect(attributed(transaction(expire(13n), drawCommittee(2n)))).to.deep.equal([
      ["Slashed", PROVIDER, undefined],
    ]);
    // A dispute the provider won, then a fraud proof on the same job: the DisputeResolved and the
    // market's JobSlashed for the dispute's job come before the slash as they do in a dispute's
    // own slash (the game's credit to the provider left out), but fraud proofs slashed.
    const providerWon = resolve(1n, 11n, { providerLost: false }).slice(0, 3);
    expect(attributed(transaction(providerWon, proveFraud(11n), drawCommittee(2n)))).to.deep.equal([
      ["Slashed", PROVIDER, undefined],
    ]);
  });

  it("the registry's other events are no dispute's, though the transaction moved one", function () {
    const stake: Step[] = [
      ["registry", "Staked", { account: REFEREE, role: VERIFIER_ROLE, amount: 5n, free: 5n }],
    ];
    expect(attributed(transaction(stake, drawCommittee(2n)))).to.deep.equal([
      ["Staked", REFEREE, undefined],
    ]);
  });

  it("a game's slash that fits neither pattern is no dispute's (never a guess)", function () {
    // A verifier slash whose next game event penalizes another referee.
    const steps = penalty(1n, REFEREE);
    steps[1] = [
      "disputeGame",
      "RefereePenalized",
      { disputeId: 1n, referee: OTHER_REFEREE, amount: PENALTY },
    ];
    expect(attributed(transaction(drawCommittee(2n), steps))).to.deep.equal([
      ["Slashed", REFEREE, undefined],
    ]);
    // A provider slash with no DisputeResolved before it in its transaction.
    const orphan = resolve(1n, 11n).slice(2);
    expect(attributed(transaction(drawCommittee(2n), orphan))).to.deep.equal([
      ["Slashed", PROVIDER, undefined],
    ]);
  });
});
