// The Assay deployment as Hardhat Ignition modules: the plan of assay-plan.ts (the one deployAssay
// runs), with its values as Ignition parameters and futures. Ignition modules are static — no
// branch can depend on a parameter's value — so the two shapes deployAssay chooses between at run
// time are two modules: AssayDevnet deploys a TestToken and leaves the deployer in charge, Assay
// uses an existing token and hands every admin role to a governor. The module files are
// ignition/modules/*.ts; their parameter files are made from deploy/params by ignition-parameters.ts.
import {
  buildModule,
  type AccountRuntimeValue,
  type ArgumentType,
  type Future,
  type IgnitionModule,
  type IgnitionModuleBuilder,
  type NamedArtifactContractDeploymentFuture,
} from "@nomicfoundation/ignition-core";

import {
  CONTRACTS,
  DISPUTE_FIELDS,
  HANDOVER,
  TEST_TOKEN,
  WIRING,
  roleId,
  type ContractKey,
  type ContractName,
  type Party,
  type PlanValue,
} from "./assay-plan.ts";

export interface AssayModuleShape {
  /** Deploy a TestToken (devnets) rather than take the `token` parameter. */
  testToken: boolean;
  /** Hand the admin roles to the `governor` parameter (who must not be the deploying account). */
  handover: boolean;
}

/** The two modules: their ids (the keys of their parameter files) and shapes. */
export const ASSAY_MODULES = {
  AssayDevnet: { testToken: true, handover: false },
  Assay: { testToken: false, handover: true },
} as const satisfies Record<string, AssayModuleShape>;
export type AssayModuleId = keyof typeof ASSAY_MODULES;

type Deployed = NamedArtifactContractDeploymentFuture<ContractName>;
type Contracts = Partial<Record<ContractKey, Deployed>>;

/** A plan value as Ignition takes it: futures, account and parameter runtime values, role ids. */
function resolver(
  m: IgnitionModuleBuilder,
  shape: AssayModuleShape,
  contracts: Contracts,
  deployer: AccountRuntimeValue,
): (value: PlanValue) => ArgumentType {
  const parties: Record<Party, ArgumentType> = {
    deployer,
    // Without a handover the deployer governs, as deployAssay does when no governor is given.
    governor: shape.handover ? m.getParameter<string>("governor") : deployer,
    // deployAssay's default (the governor) is written into the parameter file when a governor is.
    treasury: m.getParameter("treasury", deployer),
  };
  const token: ArgumentType | undefined = shape.testToken
    ? undefined
    : m.getParameter<string>("token");
  return (value) => {
    if ("contract" in value) {
      if (value.contract === "token" && token !== undefined) return token;
      const future = contracts[value.contract];
      if (future === undefined)
        throw new Error(`the plan uses ${value.contract} before deploying it`);
      return future;
    }
    if ("party" in value) return parties[value.party];
    if ("role" in value) return roleId(value.role);
    if ("disputeParams" in value)
      return Object.fromEntries(
        DISPUTE_FIELDS.map((field) => [field, m.getParameter<bigint>(`dispute.${field}`)]),
      );
    return m.getParameter<bigint>(value.param);
  };
}

/**
 * The Assay module of one shape. Every transaction waits for the one before it (`after`), so the
 * deployment sends what deployAssay sends in the same order: from the same account on a fresh chain
 * the contracts land at the same addresses.
 */
export function assayModule(
  id: AssayModuleId,
): IgnitionModule<AssayModuleId, ContractName, Record<string, Deployed>> {
  const shape: AssayModuleShape = ASSAY_MODULES[id];
  return buildModule(id, (m) => {
    const contracts: Contracts = {};
    // The plan's deployer is an argument too (the admin while wiring), so every transaction is sent
    // from it explicitly: `ignition deploy --default-sender` cannot make another account send them.
    const deployer = m.getAccount(0);
    const resolve = resolver(m, shape, contracts, deployer);
    let last: Future | undefined;
    const sequenced = (): { after: Future[]; from: AccountRuntimeValue } => ({
      after: last === undefined ? [] : [last],
      from: deployer,
    });
    for (const planned of shape.testToken ? [TEST_TOKEN, ...CONTRACTS] : CONTRACTS) {
      const future = m.contract(planned.name, planned.args.map(resolve), sequenced());
      contracts[planned.key] = future;
      last = future;
    }
    for (const call of shape.handover ? [...WIRING, ...HANDOVER] : WIRING) {
      const target = contracts[call.on]!;
      last = m.call(target, call.functionName, call.args.map(resolve), {
        id: call.id,
        ...sequenced(),
      });
    }
    const results: Record<string, Deployed> = {};
    for (const [key, future] of Object.entries(contracts)) results[key] = future;
    return results;
  });
}
