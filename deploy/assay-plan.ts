// The Assay deployment as data: which contracts, in which order, with which constructor arguments,
// and which calls wire their roles and hand them to the governor. deployAssay (deploy-assay.ts)
// and the Hardhat Ignition modules (ignition-module.ts) both run this plan, each resolving its
// values its own way (numbers and addresses there, Ignition futures and parameters here), so the
// two deployments cannot drift apart: a role added here is granted by both.
import { keccak256, toHex, zeroHash, type Hex } from "viem";

/** The roles the contracts check, by name (OpenZeppelin AccessControl role ids). */
export const ROLES = {
  GOVERNOR: keccak256(toHex("GOVERNOR_ROLE")),
  LOCKER: keccak256(toHex("LOCKER_ROLE")),
  SLASHER: keccak256(toHex("SLASHER_ROLE")),
  DISPUTE: keccak256(toHex("DISPUTE_ROLE")),
} as const;
export type RoleName = keyof typeof ROLES | "DEFAULT_ADMIN";

/** A role's id; DEFAULT_ADMIN is OpenZeppelin's DEFAULT_ADMIN_ROLE, bytes32(0). */
export function roleId(role: RoleName): Hex {
  return role === "DEFAULT_ADMIN" ? zeroHash : ROLES[role];
}

/** The plan's contracts by key; `token` is the staking token (a TestToken on devnets). */
export type ContractKey =
  "token" | "registry" | "randomness" | "market" | "disputeGame" | "fraudProofs" | "receipts";

/** The accounts the plan names: the deployer (admin while wiring), the governor, the treasury. */
export type Party = "deployer" | "governor" | "treasury";

/** The dispute game's parameter struct (DisputeGame's constructor), field by field. */
export const DISPUTE_FIELDS = [
  "challengeBond",
  "clockBudget",
  "voteCommitWindow",
  "voteRevealWindow",
  "redrawDelay",
  "challengerShareBps",
  "refereeShareBps",
  "refereePenalty",
] as const;
export type DisputeField = (typeof DISPUTE_FIELDS)[number];

/** Every numeric deployment parameter, by its path in DeployParams (deploy-assay.ts). */
export const NUMBER_PARAMS = [
  "minProviderStake",
  "minVerifierStake",
  "unbondingDelay",
  "randomnessDelayBlocks",
  "minCollateralBps",
  "expirySubmitterBps",
  "receiptsMinPublishWindow",
  ...DISPUTE_FIELDS.map((field) => `dispute.${field}` as const),
] as const;
export type NumberParam = (typeof NUMBER_PARAMS)[number];

/** A value in the plan, resolved by whoever runs it. */
export type PlanValue =
  | { contract: ContractKey }
  | { party: Party }
  | { param: NumberParam }
  /** The whole dispute struct, { challengeBond, clockBudget, … } from the dispute.* parameters. */
  | { disputeParams: true }
  | { role: RoleName };

const contract = (key: ContractKey): PlanValue => ({ contract: key });
const party = (name: Party): PlanValue => ({ party: name });
const param = (name: NumberParam): PlanValue => ({ param: name });
const role = (name: RoleName): PlanValue => ({ role: name });

export type ContractName =
  | "TestToken"
  | "StakeRegistry"
  | "BlockhashRandomness"
  | "JobMarket"
  | "DisputeGame"
  | "FraudProofs"
  | "Receipts";

export interface PlannedContract {
  key: ContractKey;
  name: ContractName;
  args: readonly PlanValue[];
}

/** Deployed first, and only when the parameters name no existing token. */
export const TEST_TOKEN: PlannedContract = { key: "token", name: "TestToken", args: [] };

/**
 * The Assay contracts in deployment order. Every one is deployed with the deployer as admin, wired
 * (WIRING), then handed to the governor (HANDOVER) when the governor is someone else.
 */
export const CONTRACTS: readonly PlannedContract[] = [
  {
    key: "registry",
    name: "StakeRegistry",
    args: [
      contract("token"),
      party("deployer"),
      param("minProviderStake"),
      param("minVerifierStake"),
      param("unbondingDelay"),
    ],
  },
  { key: "randomness", name: "BlockhashRandomness", args: [param("randomnessDelayBlocks")] },
  {
    key: "market",
    name: "JobMarket",
    args: [
      contract("registry"),
      contract("randomness"),
      party("deployer"),
      party("treasury"),
      param("minCollateralBps"),
      param("expirySubmitterBps"),
    ],
  },
  {
    key: "disputeGame",
    name: "DisputeGame",
    args: [
      contract("market"),
      contract("registry"),
      contract("randomness"),
      party("deployer"),
      { disputeParams: true },
    ],
  },
  {
    key: "fraudProofs",
    name: "FraudProofs",
    args: [
      contract("market"),
      contract("registry"),
      party("deployer"),
      param("dispute.challengerShareBps"),
    ],
  },
  {
    key: "receipts",
    name: "Receipts",
    args: [
      contract("market"),
      contract("registry"),
      contract("randomness"),
      param("receiptsMinPublishWindow"),
    ],
  },
];

/** The contract name behind each key that is called (the token never is). */
export const NAME_OF: Record<Exclude<ContractKey, "token">, ContractName> = {
  registry: "StakeRegistry",
  randomness: "BlockhashRandomness",
  market: "JobMarket",
  disputeGame: "DisputeGame",
  fraudProofs: "FraudProofs",
  receipts: "Receipts",
};

export interface PlannedCall {
  on: Exclude<ContractKey, "token">;
  functionName: "setReceipts" | "grantRole" | "renounceRole" | "addUnbondingConsumer";
  args: readonly PlanValue[];
  /** Unique within the plan, and a valid Ignition future id (letters, digits, _). */
  id: string;
}

function grant(on: PlannedCall["on"], name: RoleName, to: ContractKey): PlannedCall {
  return {
    on,
    functionName: "grantRole",
    args: [role(name), contract(to)],
    id: `${on}_grant_${name}_to_${to}`,
  };
}

/** The calls that wire the contracts together, in order, sent by the deployer as admin. */
export const WIRING: readonly PlannedCall[] = [
  {
    on: "market",
    functionName: "setReceipts",
    args: [contract("receipts")],
    id: "market_setReceipts",
  },
  grant("registry", "LOCKER", "market"),
  grant("registry", "SLASHER", "market"),
  grant("registry", "SLASHER", "disputeGame"),
  grant("market", "DISPUTE", "disputeGame"),
  grant("registry", "SLASHER", "fraudProofs"),
  grant("market", "DISPUTE", "fraudProofs"),
  // The registry keeps the unbonding delay long enough for every dispute (D2, both sides).
  {
    on: "registry",
    functionName: "addUnbondingConsumer",
    args: [contract("disputeGame")],
    id: "registry_addUnbondingConsumer_disputeGame",
  },
];

/** The contracts with an admin (OpenZeppelin AccessControl); Receipts and the randomness have none. */
export const GOVERNED = ["registry", "market", "disputeGame", "fraudProofs"] as const;

/**
 * Handing a governed contract from the deployer to the governor, in order: the governor gets both
 * roles before the deployer gives them up, so the contract is never without an admin. Only when the
 * governor is not the deployer (who would otherwise renounce its own roles and leave none).
 */
function handover(on: (typeof GOVERNED)[number]): PlannedCall[] {
  const step = (
    functionName: "grantRole" | "renounceRole",
    name: RoleName,
    who: Party,
  ): PlannedCall => ({
    on,
    functionName,
    args: [role(name), party(who)],
    id: `${on}_${functionName === "grantRole" ? "grant" : "renounce"}_${name}_${who}`,
  });
  return [
    step("grantRole", "GOVERNOR", "governor"),
    step("grantRole", "DEFAULT_ADMIN", "governor"),
    step("renounceRole", "GOVERNOR", "deployer"),
    step("renounceRole", "DEFAULT_ADMIN", "deployer"),
  ];
}

/** Every handover call, contract by contract. */
export const HANDOVER: readonly PlannedCall[] = GOVERNED.flatMap(handover);
