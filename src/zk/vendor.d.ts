// Minimal types for the untyped JavaScript packages this area uses: only the calls made
// here, with the shapes snarkjs 0.7.6 and circomlibjs 0.1.7 actually return.

declare module "circomlibjs" {
  export interface PoseidonField {
    toObject(element: Uint8Array): bigint;
  }
  export interface Poseidon {
    (inputs: readonly bigint[]): Uint8Array;
    F: PoseidonField;
  }
  export function buildPoseidon(): Promise<Poseidon>;
}

declare module "snarkjs" {
  export interface Groth16ProofJson {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  export interface VerificationKeyJson {
    protocol: string;
    curve: string;
    nPublic: number;
    [key: string]: unknown;
  }
  export interface MemFile {
    type: "mem";
    data?: Uint8Array;
  }
  export type FileRef = string | MemFile;
  export interface Logger {
    debug(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  }
  export const groth16: {
    fullProve(
      input: Record<string, unknown>,
      wasm: FileRef,
      zkey: FileRef,
      logger?: Logger,
    ): Promise<{ proof: Groth16ProofJson; publicSignals: string[] }>;
    prove(
      zkey: FileRef,
      witness: FileRef,
      logger?: Logger,
    ): Promise<{ proof: Groth16ProofJson; publicSignals: string[] }>;
    verify(
      vkey: VerificationKeyJson,
      publicSignals: readonly string[],
      proof: Groth16ProofJson,
      logger?: Logger,
    ): Promise<boolean>;
  };
  export const wtns: {
    calculate(input: Record<string, unknown>, wasm: FileRef, out: FileRef): Promise<void>;
  };
  export const r1cs: {
    info(
      file: string,
      logger?: Logger,
    ): Promise<{
      nConstraints: number;
      nPubInputs: number;
      nOutputs: number;
      nPrvInputs: number;
      nVars: number;
    }>;
  };
  export const powersOfTau: {
    newAccumulator(curve: unknown, power: number, file: string, logger?: Logger): Promise<unknown>;
    beacon(
      oldFile: string,
      newFile: string,
      name: string,
      beaconHashHex: string,
      numIterationsExp: number,
      logger?: Logger,
    ): Promise<unknown>;
    preparePhase2(oldFile: string, newFile: string, logger?: Logger): Promise<void>;
  };
  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: Logger): Promise<unknown>;
    beacon(
      oldFile: string,
      newFile: string,
      name: string,
      beaconHashHex: string,
      numIterationsExp: number,
      logger?: Logger,
    ): Promise<unknown>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string, logger?: Logger): Promise<boolean>;
    exportVerificationKey(zkey: FileRef, logger?: Logger): Promise<VerificationKeyJson>;
    exportSolidityVerifier(
      zkey: FileRef,
      templates: Record<string, string>,
      logger?: Logger,
    ): Promise<string>;
  };
  export const curves: {
    getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<unknown>;
  };
}
