// Source verification of a deployment (Hardhat's verify plugin, Etherscan by default): which
// contract is at which address, deployed with which constructor arguments. deploy/deploy.ts writes
// the plan next to the deployment file (deployments/<network>.verify.json); deploy/verify.ts reads
// it and submits each contract.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

import { z } from "zod";

import type { AssayDeployment } from "./deploy-assay.ts";
import { formatIssues } from "../src/zod-issues.ts";

/** Each contract's source, as `path:Name` (what the verifier compiles). */
const SOURCES: Record<string, string> = {
  TestToken: "contracts/mocks/TestToken.sol:TestToken",
  StakeRegistry: "contracts/StakeRegistry.sol:StakeRegistry",
  BlockhashRandomness: "contracts/randomness/BlockhashRandomness.sol:BlockhashRandomness",
  JobMarket: "contracts/JobMarket.sol:JobMarket",
  DisputeGame: "contracts/DisputeGame.sol:DisputeGame",
  FraudProofs: "contracts/FraudProofs.sol:FraudProofs",
  Receipts: "contracts/Receipts.sol:Receipts",
};

export interface VerificationEntry {
  name: string;
  /** Fully qualified source name, `contracts/X.sol:X`. */
  contract: string;
  address: `0x${string}`;
  /** As deployed; bigints as decimal strings once written to the plan file. */
  constructorArgs: readonly unknown[];
}

/** One entry per contract the deployment created, in deployment order. */
export function verificationPlan(d: AssayDeployment): VerificationEntry[] {
  const address: Record<string, `0x${string}` | undefined> = {
    TestToken: d.testToken?.address,
    StakeRegistry: d.registry.address,
    BlockhashRandomness: d.randomness.address,
    JobMarket: d.market.address,
    DisputeGame: d.disputeGame.address,
    FraudProofs: d.fraudProofs.address,
    Receipts: d.receipts.address,
  };
  return Object.entries(d.constructorArgs).map(([name, constructorArgs]) => {
    const at = address[name];
    const contract = SOURCES[name];
    if (at === undefined || contract === undefined)
      throw new Error(`no address or source known for deployed contract ${name}`);
    return { name, contract, address: at, constructorArgs };
  });
}

const PlanSchema = z.strictObject({
  chainId: z.number().int().positive(),
  contracts: z.array(
    z.strictObject({
      name: z.string(),
      contract: z.string().regex(/^contracts\/.+\.sol:\w+$/),
      address: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
      constructorArgs: z.array(z.unknown()),
    }),
  ),
});
export type VerificationPlan = z.output<typeof PlanSchema>;

/** deployments/<network>.json → deployments/<network>.verify.json */
export function planFileOf(deploymentFile: string): string {
  return deploymentFile.replace(/\.json$/, ".verify.json");
}

export async function writeVerificationPlan(
  file: string,
  chainId: number,
  entries: readonly VerificationEntry[],
): Promise<void> {
  const json = JSON.stringify(
    { chainId, contracts: entries },
    (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
    2,
  );
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${json}\n`);
  await rename(tmp, file);
}

export async function readVerificationPlan(file: string): Promise<VerificationPlan> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (cause) {
    throw new Error(`cannot read the verification plan ${file} (deploy first)`, { cause });
  }
  const parsed = PlanSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`invalid verification plan ${file}: ${formatIssues(parsed.error)}`);
  return parsed.data;
}
