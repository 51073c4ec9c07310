// The committed element circuit: circuits/manifest.json (zod-parsed) names its
// parameters and artifacts with their sha-256 digests. Loading checks the digests, so a
// prover never runs on a zkey or wasm that the manifest does not vouch for.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { VerificationKeyJson } from "snarkjs";
import { z } from "zod";

import { elementParamsSchema, type ElementParams } from "./element-params.ts";
import { CircuitArtifactError } from "./errors.ts";
import { formatIssues } from "../zod-issues.ts";

/** The repository root (this file lives at src/zk/). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const MANIFEST_PATH = "circuits/manifest.json";
/** Public signals, in the order the circuit and the verifier take them. */
export const ELEMENT_PUBLIC_SIGNALS = ["commitA", "commitB", "commitOut"] as const;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "a lowercase hex sha-256 digest");
const repoPath = z
  .string()
  .min(1)
  .refine((p) => !path.isAbsolute(p) && !p.split(/[\\/]/).includes(".."), {
    message: "a path inside the repository",
  });

const artifactSchema = z.object({ path: repoPath, sha256: sha256Hex, bytes: z.number().int() });
const beaconSchema = z.object({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  iterationsExp: z.number().int().min(0).max(63),
});

export const circuitManifestSchema = z.object({
  version: z.literal(1),
  circuit: z.object({
    main: repoPath,
    template: z.literal("ElementProof"),
    params: elementParamsSchema,
    publicSignals: z.tuple([z.literal("commitA"), z.literal("commitB"), z.literal("commitOut")]),
    constraints: z.number().int().positive(),
    sourcesSha256: sha256Hex,
  }),
  toolchain: z.object({ circom2: z.string(), circomlib: z.string(), snarkjs: z.string() }),
  setup: z.object({
    kind: z.literal("development-beacon"),
    ptauPower: z.number().int().min(1).max(28),
    ptauSha256: sha256Hex,
    phase1Beacon: beaconSchema,
    phase2Beacon: beaconSchema,
  }),
  artifacts: z.object({
    r1cs: artifactSchema,
    wasm: artifactSchema,
    zkey: artifactSchema,
    verificationKey: artifactSchema,
    solidityVerifier: artifactSchema,
  }),
});
export type CircuitManifest = z.infer<typeof circuitManifestSchema>;

/** What a prover needs: parameters, absolute artifact paths and the verification key. */
export interface ElementCircuit {
  params: ElementParams;
  wasmPath: string;
  zkeyPath: string;
  verificationKey: VerificationKeyJson;
  manifest: CircuitManifest;
}

export function sha256File(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export async function readManifest(root: string = REPO_ROOT): Promise<CircuitManifest> {
  const file = path.join(root, MANIFEST_PATH);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (cause) {
    throw new CircuitArtifactError(`cannot read the circuit manifest ${file}`, { cause });
  }
  const parsed = circuitManifestSchema.safeParse(json);
  if (!parsed.success)
    throw new CircuitArtifactError(
      `${file} is not a valid circuit manifest: ${formatIssues(parsed.error)}`,
      { cause: parsed.error },
    );
  return parsed.data;
}

/** Reads an artifact and checks it against its manifest digest. */
export async function readArtifact(
  root: string,
  artifact: z.infer<typeof artifactSchema>,
): Promise<Uint8Array> {
  const file = path.join(root, artifact.path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new CircuitArtifactError(`missing circuit artifact ${artifact.path}`, { cause });
  }
  const digest = sha256File(bytes);
  if (digest !== artifact.sha256)
    throw new CircuitArtifactError(
      `${artifact.path} has sha256 ${digest}, the manifest says ${artifact.sha256}; ` +
        "run `npm run circuits:setup` if the circuit changed",
    );
  return bytes;
}

const verificationKeySchema = z.looseObject({
  protocol: z.literal("groth16"),
  curve: z.literal("bn128"),
  nPublic: z.literal(ELEMENT_PUBLIC_SIGNALS.length),
});

/** Loads the committed element circuit after checking every digest the prover relies on. */
export async function loadElementCircuit(root: string = REPO_ROOT): Promise<ElementCircuit> {
  const manifest = await readManifest(root);
  const { artifacts } = manifest;
  await readArtifact(root, artifacts.wasm);
  await readArtifact(root, artifacts.zkey);
  const vkeyBytes = await readArtifact(root, artifacts.verificationKey);
  const vkey = verificationKeySchema.safeParse(JSON.parse(Buffer.from(vkeyBytes).toString("utf8")));
  if (!vkey.success)
    throw new CircuitArtifactError(
      `${artifacts.verificationKey.path} is not a Groth16 bn128 key with 3 public inputs`,
      { cause: vkey.error },
    );
  return {
    params: manifest.circuit.params,
    wasmPath: path.join(root, artifacts.wasm.path),
    zkeyPath: path.join(root, artifacts.zkey.path),
    verificationKey: vkey.data as VerificationKeyJson,
    manifest,
  };
}
