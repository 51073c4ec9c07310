// The Hardhat Ignition modules (ignition/modules/, deploy/ignition-module.ts) deploy what deployAssay
// deploys. Each case deploys both ways, each on its own fresh in-process chain from the same
// account, and compares what the chains hold: every contract's zero-argument views (parameters,
// token and contract wiring, constants), every event each contract emitted in order (role grants
// and renouncements, the unbonding consumer, the receipts contract) and the resulting holders of
// every role. Also: each committed ignition/parameters file is what its deploy/params source gives.
import { randomBytes } from "node:crypto";
import { readFile, readdir, mkdtemp, rm, rmdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre, { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import { getAddress, type Abi, type Address } from "viem";

import {
  CONTRACTS,
  NAME_OF,
  ROLES,
  TEST_TOKEN,
  type ContractKey,
} from "../../../deploy/assay-plan.ts";
import {
  deployAssay,
  type AssayDeployment,
  type DeployParams,
} from "../../../deploy/deploy-assay.ts";
import { deploymentFileOf } from "../../../deploy/deployment-file.ts";
import { deploymentFileOfIgnition } from "../../../deploy/ignition-deployment.ts";
import {
  ignitionParametersOf,
  ignitionParametersPath,
  ignitionParametersText,
} from "../../../deploy/ignition-parameters.ts";
import AssayModule from "../../../ignition/modules/Assay.ts";
import AssayDevnetModule from "../../../ignition/modules/AssayDevnet.ts";

type Json = unknown;

const ROLE_NAMES = new Map<string, string>([
  ["0x0000000000000000000000000000000000000000000000000000000000000000", "DEFAULT_ADMIN"],
  ...Object.entries(ROLES).map(([name, id]) => [id, name] as [string, string]),
]);

const NAMES: Record<ContractKey, string> = { ...NAME_OF, token: TEST_TOKEN.name };

/** What a deployment left on its chain, with addresses and role ids replaced by names. */
interface Snapshot {
  views: Record<string, Json>;
  events: Record<string, Json[]>;
  /** contract → role → holders (sorted). */
  roles: Record<string, Record<string, string[]>>;
}

async function snapshot(
  connection: NetworkConnection,
  contracts: Partial<Record<ContractKey, Address>>,
  parties: Record<string, Address>,
): Promise<Snapshot> {
  const publicClient = await connection.viem.getPublicClient();
  const labels = new Map<string, string>();
  for (const [who, at] of Object.entries(parties)) {
    const known = labels.get(at.toLowerCase());
    labels.set(at.toLowerCase(), known === undefined ? who : `${known}/${who}`);
  }
  for (const [key, at] of Object.entries(contracts)) labels.set(at.toLowerCase(), key);
  const named = (value: unknown): Json => {
    if (typeof value === "string")
      return labels.get(value.toLowerCase()) ?? ROLE_NAMES.get(value) ?? value;
    if (Array.isArray(value)) return value.map(named);
    if (typeof value === "object" && value !== null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, named(v)]));
    return value;
  };
  const out: Snapshot = { views: {}, events: {}, roles: {} };
  for (const [key, address] of Object.entries(contracts) as [ContractKey, Address][]) {
    const { abi } = await hre.artifacts.readArtifact(NAMES[key]);
    for (const item of abi as Abi) {
      if (item.type !== "function" || item.inputs.length > 0) continue;
      if (item.stateMutability !== "view" && item.stateMutability !== "pure") continue;
      const value = await publicClient.readContract({
        address,
        abi: [item],
        functionName: item.name,
      });
      out.views[`${key}.${item.name}`] = named(value);
    }
    const logs = await publicClient.getContractEvents({ address, abi: abi as Abi, fromBlock: 0n });
    out.events[key] = logs.map((log) => ({ event: log.eventName, args: named(log.args) }));
    const holders: Record<string, Set<string>> = {};
    for (const log of logs) {
      const args = log.args as { role?: string; account?: string };
      if (log.eventName !== "RoleGranted" && log.eventName !== "RoleRevoked") continue;
      const role = named(args.role) as string;
      const set = (holders[role] ??= new Set());
      if (log.eventName === "RoleGranted") set.add(named(args.account) as string);
      else set.delete(named(args.account) as string);
    }
    if (Object.keys(holders).length > 0)
      out.roles[key] = Object.fromEntries(
        Object.entries(holders).map(([role, set]) => [role, [...set].sort()]),
      );
  }
  return out;
}

type Addresses = Partial<Record<ContractKey, Address>>;

/** Runs `deploy` on a fresh in-process chain and snapshots what it left there. */
async function onFreshChain(
  deploy: (
    connection: NetworkConnection,
    accounts: Address[],
  ) => Promise<{ contracts: Addresses; parties: Record<string, Address> }>,
): Promise<{ snap: Snapshot; contracts: Addresses }> {
  const connection = await network.create();
  try {
    const accounts = (await connection.viem.getWalletClients()).map((w) => w.account.address);
    const deployed = await deploy(connection, accounts);
    const contracts = Object.fromEntries(
      Object.entries(deployed.contracts).map(([key, at]) => [key, getAddress(at)]),
    ) as Addresses;
    return { snap: await snapshot(connection, contracts, deployed.parties), contracts };
  } finally {
    await connection.close();
  }
}

/** The plan's contracts a deployAssay result holds (the token only when it deployed one). */
function contractsOf(d: AssayDeployment): Addresses {
  const contracts: Addresses = {};
  if (d.testToken !== undefined) contracts.token = d.tokenAddress;
  for (const { key } of CONTRACTS) contracts[key] = d[key as Exclude<ContractKey, "token">].address;
  return contracts;
}

async function deployWithIgnition(
  connection: NetworkConnection,
  module: typeof AssayModule,
  parametersFile: string,
  defaultSender?: Address,
): Promise<Addresses> {
  const result = await connection.ignition.deploy(module, {
    parameters: parametersFile,
    ...(defaultSender === undefined ? {} : { defaultSender }),
  });
  return Object.fromEntries(
    Object.entries(result).map(([key, contract]) => [key, contract.address]),
  ) as Addresses;
}

/** Both deployments left the same on their chains, and at the same addresses. */
function expectSame(
  actual: { snap: Snapshot; contracts: Addresses },
  expected: { snap: Snapshot; contracts: Addresses },
): void {
  expect(actual.snap.roles).to.deep.equal(expected.snap.roles);
  expect(actual.snap.views).to.deep.equal(expected.snap.views);
  expect(actual.snap.events).to.deep.equal(expected.snap.events);
  // Every Ignition transaction waits for the one before it: the same nonces, the same addresses.
  expect(actual.contracts).to.deep.equal(expected.contracts);
}

/** A devnet deployment (a TestToken, the deployer in charge) by deployAssay. */
const devnetByDeployAssay = (params: DeployParams) =>
  onFreshChain(async (connection, accounts) => ({
    contracts: contractsOf(await deployAssay(connection.viem, params)),
    parties: { deployer: accounts[0]! },
  }));

/** The same by Ignition, with the committed parameter file; `defaultSender`: an account index. */
const devnetByIgnition = (defaultSender?: number) =>
  onFreshChain(async (connection, accounts) => ({
    contracts: await deployWithIgnition(
      connection,
      AssayDevnetModule,
      "ignition/parameters/localhost.json",
      defaultSender === undefined ? undefined : accounts[defaultSender],
    ),
    parties: { deployer: accounts[0]! },
  }));

const readParams = async (file: string): Promise<DeployParams> =>
  JSON.parse(await readFile(file, "utf8")) as DeployParams;

describe("Hardhat Ignition modules", function () {
  let dir: string;
  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "assay-ignition-"));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("each committed ignition/parameters file is what its deploy/params source gives, and none is without a source", async function () {
    const sources = (await readdir("deploy/params")).filter((f) => f.endsWith(".json"));
    expect(sources.length).to.be.greaterThan(0);
    for (const name of sources) {
      const source = path.join("deploy", "params", name);
      const out = ignitionParametersPath(source);
      expect(existsSync(out), `${out} (run npm run ignition:params)`).to.equal(true);
      const { parameters } = ignitionParametersOf(
        JSON.parse(await readFile(source, "utf8")) as unknown,
        source,
      );
      expect(
        await readFile(out, "utf8"),
        `${out} against ${source}: npm run ignition:params`,
      ).to.equal(ignitionParametersText(parameters));
    }
    const made = (await readdir("ignition/parameters")).filter((f) => f.endsWith(".json"));
    expect(made.sort()).to.deep.equal(sources.sort());
  });

  it("refuses parameters neither module deploys, and says what to do", function () {
    const localhost = {
      minProviderStake: "1",
      minVerifierStake: "1",
      unbondingDelay: 86_400,
      randomnessDelayBlocks: 2,
      minCollateralBps: 0,
      receiptsMinPublishWindow: 60,
      expirySubmitterBps: 0,
      dispute: {
        challengeBond: "1",
        clockBudget: 300,
        voteCommitWindow: 300,
        voteRevealWindow: 300,
        redrawDelay: 300,
        challengerShareBps: 0,
        refereeShareBps: 0,
        refereePenalty: "0",
      },
    };
    expect(() =>
      ignitionParametersOf(
        { ...localhost, token: "0x0000000000000000000000000000000000000001" },
        "x.json",
      ),
    ).to.throw(
      /x\.json: .*give both or neither, or deploy these parameters with deploy\/deploy\.ts/,
    );
    expect(() => ignitionParametersOf({ ...localhost, unbondingDelay: -1 }, "y.json")).to.throw(
      /invalid deployment parameters in y\.json:\n {2}unbondingDelay:/,
    );
  });

  it("AssayDevnet with ignition/parameters/localhost.json deploys what deployAssay deploys with deploy/params/localhost.json", async function () {
    const params = await readParams("deploy/params/localhost.json");
    const expected = await devnetByDeployAssay(params);
    const actual = await devnetByIgnition();
    // The deployer keeps every admin role; the contracts hold theirs.
    expect(expected.snap.roles.registry).to.deep.equal({
      DEFAULT_ADMIN: ["deployer"],
      GOVERNOR: ["deployer"],
      LOCKER: ["market"],
      SLASHER: ["disputeGame", "fraudProofs", "market"],
    });
    expect(expected.snap.views["registry.token"]).to.equal("token");
    expectSame(actual, expected);
    // The plan's deployer (account 0, the admin in the constructors) sends every transaction,
    // whatever --default-sender says: another sender could not wire the roles.
    expectSame(await devnetByIgnition(3), expected);
  });

  it("Assay hands every admin role to the governor over an existing token, as deployAssay does", async function () {
    // sepolia.example.json's shape on the in-process chain: a token deployed beforehand (the
    // same first transaction on both chains), a governor and a treasury among the test accounts.
    const example: DeployParams & { chainId?: number } = await readParams(
      "deploy/params/sepolia.example.json",
    );
    delete example.chainId;
    const run = (how: "deployAssay" | "ignition") =>
      onFreshChain(async (connection, accounts) => {
        const token = (await connection.viem.deployContract("TestToken")).address;
        // The token is not the plan's here: named, but not snapshotted.
        const parties = { deployer: accounts[0]!, governor: accounts[5]!, treasury: accounts[6]! };
        const { governor, treasury } = parties;
        const params: DeployParams = { ...example, token, governor, treasury };
        if (how === "deployAssay")
          return {
            contracts: contractsOf(await deployAssay(connection.viem, params)),
            parties: { ...parties, token },
          };
        const file = path.join(dir, "sepolia-like.json");
        const { parameters } = ignitionParametersOf(params, "sepolia-like");
        await writeFile(file, ignitionParametersText(parameters));
        return {
          contracts: await deployWithIgnition(connection, AssayModule, file),
          parties: { ...parties, token },
        };
      });
    const expected = await run("deployAssay");
    const actual = await run("ignition");
    for (const key of ["registry", "market", "disputeGame", "fraudProofs"])
      expect(expected.snap.roles[key], key).to.deep.include({
        DEFAULT_ADMIN: ["governor"],
        GOVERNOR: ["governor"],
      });
    expect(expected.snap.views["market.token"]).to.equal("token");
    expectSame(actual, expected);
  });

  it("the comparison notices a parameter that differs", async function () {
    const params = await readParams("deploy/params/localhost.json");
    const altered = await devnetByDeployAssay({ ...params, minCollateralBps: 7_000 });
    const actual = await devnetByIgnition();
    expect(actual.snap.roles).to.deep.equal(altered.snap.roles);
    expect(actual.snap.views).to.not.deep.equal(altered.snap.views);
  });

  it("the journal of an Ignition deployment gives the deployment file deployAssay's deployment gives", async function () {
    // Ignition keeps a journal only off the in-process network: the chain served over JSON-RPC.
    const server = await network.createServer("default", "127.0.0.1", 0);
    const { port } = await server.listen();
    const deploymentId = `assay-test-${randomBytes(4).toString("hex")}`;
    const journal = path.join(hre.config.paths.ignition, "deployments", deploymentId);
    const params = await readParams("deploy/params/localhost.json");
    try {
      const connection = await network.create({
        network: "localhost",
        override: { url: `http://127.0.0.1:${port}` },
      });
      try {
        await connection.ignition.deploy(AssayDevnetModule, {
          parameters: "ignition/parameters/localhost.json",
          deploymentId,
          config: { requiredConfirmations: 1 },
        });
        const publicClient = await connection.viem.getPublicClient();
        const written = await deploymentFileOfIgnition(
          journal,
          params,
          "deploy/params/localhost.json",
          publicClient,
        );
        const fresh = await network.create();
        try {
          const first = (await (await fresh.viem.getPublicClient()).getBlockNumber()) + 1n;
          const d = await deployAssay(fresh.viem, params);
          expect(written).to.deep.equal(deploymentFileOf(d, 31337, first));
        } finally {
          await fresh.close();
        }
        // Parameters of the other module are refused, naming both.
        const refused = await deploymentFileOfIgnition(
          journal,
          await readParams("deploy/params/sepolia.example.json"),
          "sepolia.example.json",
          publicClient,
        ).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(String(refused)).to.match(
          /deployment in .* is of AssayDevnet, but the parameters in sepolia\.example\.json are for Assay/,
        );
      } finally {
        await connection.close();
      }
    } finally {
      await server.close();
      await rm(journal, { recursive: true, force: true });
      // And ignition/deployments itself when this test made it (it holds nothing else).
      await rmdir(path.dirname(journal)).catch(() => undefined);
    }
  });
});
