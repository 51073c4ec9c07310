// Ignition parameter files (ignition/parameters/<network>.json) made from the deployment parameters
// deploy.ts reads (deploy/params/<network>.json), so that one file per network stays the source:
// `npm run ignition:params` writes them, and test/ts/deploy/ignition.test.ts fails when a committed
// one differs from what its source gives.
import path from "node:path";

import { DeployParamsSchema } from "./deploy-assay.ts";
import { NUMBER_PARAMS } from "./assay-plan.ts";
import { ASSAY_MODULES, type AssayModuleId } from "./ignition-module.ts";

/** An Ignition parameter file: module id → parameter name → value ("123n" reads as a bigint). */
export type IgnitionParameters = Partial<Record<AssayModuleId, Record<string, string>>>;

/**
 * The module that deploys what `input` describes and its parameters. Every integer is written as
 * Ignition's bigint string ("123n"): amounts of 18-decimal tokens exceed a JSON number's precision.
 * `source` names the file in error messages.
 */
export function ignitionParametersOf(
  input: unknown,
  source: string,
): { moduleId: AssayModuleId; parameters: IgnitionParameters } {
  const parsed = DeployParamsSchema.safeParse(input);
  if (!parsed.success)
    throw new Error(
      `invalid deployment parameters in ${source}:\n${parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`,
    );
  const p = parsed.data;
  const moduleId = (Object.keys(ASSAY_MODULES) as AssayModuleId[]).find(
    (id) =>
      ASSAY_MODULES[id].testToken === (p.token === undefined) &&
      ASSAY_MODULES[id].handover === (p.governor !== undefined),
  );
  if (moduleId === undefined)
    throw new Error(
      `${source}: the Ignition modules deploy either a TestToken kept by the deployer (no "token", no "governor": AssayDevnet) or an existing token handed to a governor ("token" and "governor": Assay); give both or neither, or deploy these parameters with deploy/deploy.ts`,
    );
  const values: Record<string, string> = {};
  for (const name of NUMBER_PARAMS) {
    const [head, field] = name.split(".") as [keyof typeof p, string | undefined];
    const value = field === undefined ? p[head] : (p.dispute as Record<string, bigint>)[field];
    values[name] = `${BigInt(value as bigint | number)}n`;
  }
  if (p.token !== undefined) values.token = p.token;
  if (p.governor !== undefined) values.governor = p.governor;
  // deployAssay's default treasury is the governor; without one the module's default (the deployer)
  // is the same account.
  const treasury = p.treasury ?? p.governor;
  if (treasury !== undefined) values.treasury = treasury;
  return { moduleId, parameters: { [moduleId]: values } };
}

/** The file's text, as `npm run ignition:params` writes it. */
export function ignitionParametersText(parameters: IgnitionParameters): string {
  return `${JSON.stringify(parameters, null, 2)}\n`;
}

/** deploy/params/<name>.json → ignition/parameters/<name>.json. */
export function ignitionParametersPath(deployParamsFile: string): string {
  return path.join("ignition", "parameters", path.basename(deployParamsFile));
}
