// The Hardhat Ignition modules (ignition/modules/, deploy/ignition-module.ts) deploy what deployAssay
// deploys. Each case deploys both ways, each on its own fresh in-process chain from the same
// account, and compares what the chains hold: every contract's zero-argument views (parameters,
// token and contract wiring, constants), every event each contract emitted in order (role grants
// and renouncements, the unbonding consumer, the receipts contract) and the resulting holders of
// every role. Also: each committed ignition/parameters file is what its deploy/params source gives.
import { readFile, readdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre, { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import { getAddress, type Abi, type Address } from "viem";

import { NAME_OF, ROLES, TEST_TOKEN, type ContractKey } from "../../../deploy/assay-plan.ts";
import { deployAssay, type DeployParams } from "../../../deploy/deploy-assay.ts";
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

/** Deploys with deployAssay on a fresh chain. */
async function viaDeployAssay(
  params: DeployParams,
  parties: (accounts: Address[]) => Record<string, Address>,
): Promise<{ snap: Snapshot; addresses: Partial<Record<ContractKey, Address>> }> {
  const connection = await network.create();
  try {
    const accounts = (await connection.viem.getWalletClients()).map((w) => w.account.address);
    const d = await deployAssay(connection.viem, params);
    const addresses: Partial<Record<ContractKey, Address>> = {
      token: d.tokenAddress,
      registry: d.registry.address,
      randomness: d.randomness.address,
      market: d.market.address,
      disputeGame: d.disputeGame.address,
      fraudProofs: d.fraudProofs.address,
      receipts: d.receipts.address,
    };
    if (d.testToken === undefined) delete addresses.token;
    for (const key of Object.keys(addresses) as ContractKey[])
      addresses[key] = getAddress(addresses[key]!);
    return { snap: await snapshot(connection, addresses, parties(accounts)), addresses };
  } finally {
    await connection.close();
  }
}

async function viaIgnition(
  module: typeof AssayModule,
  parametersFile: string,
  parties: (accounts: Address[]) => Record<string, Address>,
): Promise<{ snap: Snapshot; addresses: Partial<Record<ContractKey, Address>> }> {
  const connection = await network.create();
  try {
    const accounts = (await connection.viem.getWalletClients()).map((w) => w.account.address);
    const result = await connection.ignition.deploy(module, { parameters: parametersFile });
    const addresses = Object.fromEntries(
      Object.entries(result).map(([key, contract]) => [key, getAddress(contract.address)]),
    ) as Partial<Record<ContractKey, Address>>;
    return { snap: await snapshot(connection, addresses, parties(accounts)), addresses };
  } finally {
    await connection.close();
  }
}

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
    const params = JSON.parse(
      await readFile("deploy/params/localhost.json", "utf8"),
    ) as DeployParams;
    const parties = (a: Address[]): Record<string, Address> => ({ deployer: a[0]! });
    const expected = await viaDeployAssay(params, parties);
    const actual = await viaIgnition(
      AssayDevnetModule,
      "ignition/parameters/localhost.json",
      parties,
    );
    // The deployer keeps every admin role; the contracts hold theirs.
    expect(expected.snap.roles.registry).to.deep.equal({
      DEFAULT_ADMIN: ["deployer"],
      GOVERNOR: ["deployer"],
      LOCKER: ["market"],
      SLASHER: ["disputeGame", "fraudProofs", "market"],
    });
    expect(expected.snap.views["registry.token"]).to.equal("token");
    expect(actual.snap.roles).to.deep.equal(expected.snap.roles);
    expect(actual.snap.views).to.deep.equal(expected.snap.views);
    expect(actual.snap.events).to.deep.equal(expected.snap.events);
    // Every transaction waits for the one before it: the same nonces, so the same addresses.
    expect(actual.addresses).to.deep.equal(expected.addresses);
  });

  it("Assay hands every admin role to the governor over an existing token, as deployAssay does", async function () {
    // sepolia.example.json's shape on the in-process chain: a token deployed beforehand (the
    // same first transaction on both chains), a governor and a treasury among the test accounts.
    const example = JSON.parse(
      await readFile("deploy/params/sepolia.example.json", "utf8"),
    ) as DeployParams & { chainId?: number };
    delete example.chainId;
    const run = async (how: "deployAssay" | "ignition") => {
      const connection = await network.create();
      try {
        const accounts = (await connection.viem.getWalletClients()).map((w) => w.account.address);
        const token = (await connection.viem.deployContract("TestToken")).address;
        const parties = { deployer: accounts[0]!, governor: accounts[5]!, treasury: accounts[6]! };
        const params: DeployParams = {
          ...example,
          token,
          governor: parties.governor,
          treasury: parties.treasury,
        };
        const contracts: Partial<Record<ContractKey, Address>> = {};
        if (how === "deployAssay") {
          const d = await deployAssay(connection.viem, params);
          for (const key of [
            "registry",
            "randomness",
            "market",
            "disputeGame",
            "fraudProofs",
            "receipts",
          ] as const)
            contracts[key] = getAddress(d[key].address);
        } else {
          const file = path.join(dir, "sepolia-like.json");
          const { parameters } = ignitionParametersOf(params, "sepolia-like");
          await writeFile(file, ignitionParametersText(parameters));
          const deployed = await connection.ignition.deploy(AssayModule, { parameters: file });
          for (const [key, c] of Object.entries(deployed))
            contracts[key as ContractKey] = getAddress(c.address);
        }
        // The token is not the plan's here: named, but not snapshotted.
        const snap = await snapshot(connection, contracts, { ...parties, token });
        return { snap, contracts };
      } finally {
        await connection.close();
      }
    };
    const expected = await run("deployAssay");
    const actual = await run("ignition");
    for (const key of ["registry", "market", "disputeGame", "fraudProofs"])
      expect(expected.snap.roles[key], key).to.deep.include({
        DEFAULT_ADMIN: ["governor"],
        GOVERNOR: ["governor"],
      });
    expect(expected.snap.views["market.token"]).to.equal("token");
    expect(actual.snap.roles).to.deep.equal(expected.snap.roles);
    expect(actual.snap.views).to.deep.equal(expected.snap.views);
    expect(actual.snap.events).to.deep.equal(expected.snap.events);
    expect(actual.contracts).to.deep.equal(expected.contracts);
  });

  it("the comparison notices a parameter that differs", async function () {
    const params = JSON.parse(
      await readFile("deploy/params/localhost.json", "utf8"),
    ) as DeployParams;
    const parties = (a: Address[]): Record<string, Address> => ({ deployer: a[0]! });
    const altered = await viaDeployAssay({ ...params, minCollateralBps: 7_000 }, parties);
    const actual = await viaIgnition(
      AssayDevnetModule,
      "ignition/parameters/localhost.json",
      parties,
    );
    expect(actual.snap.roles).to.deep.equal(altered.snap.roles);
    expect(actual.snap.views).to.not.deep.equal(altered.snap.views);
  });
});
