// Reading and writing the deployment file (deployments/<network>.json, its schema in
// src/protocol/deployment.ts) that deploy/deploy.ts writes and every daemon and the CLI read.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

import { ConfigError } from "../errors.ts";
import { DeploymentFileSchema, type DeploymentFile } from "../protocol/deployment.ts";

// The schema is protocol code (src/protocol/deployment.ts), shared with the SDK.
export { DeploymentFileSchema, type DeploymentFile };

/** Reads and checks a deployment file; a missing or malformed one is a ConfigError naming it. */
export async function readDeploymentFile(file: string): Promise<DeploymentFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ConfigError(
      `cannot read the deployment file ${file}: deploy first (npx hardhat run deploy/deploy.ts --network localhost) or set --deployment / ASSAY_DEPLOYMENT`,
      { cause },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`the deployment file ${file} is not JSON`, { cause });
  }
  const parsed = DeploymentFileSchema.safeParse(json);
  if (!parsed.success)
    throw new ConfigError(
      `the deployment file ${file} is invalid: ${parsed.error.issues
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ")}`,
    );
  return parsed.data;
}

/** Writes a deployment file atomically (a reader never sees half of it). */
export async function writeDeploymentFile(file: string, deployment: DeploymentFile): Promise<void> {
  const checked = DeploymentFileSchema.parse(deployment);
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(
    tmp,
    `${JSON.stringify(checked, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`,
  );
  await rename(tmp, file);
}
