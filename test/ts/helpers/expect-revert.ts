import { expect } from "chai";
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  getAddress,
  isAddress,
  type Abi,
  type Hex,
} from "viem";

import registryArtifact from "../../../artifacts/contracts/StakeRegistry.sol/StakeRegistry.json" with { type: "json" };

// Errors that bubble up from contracts the called one talks to (the market calls the registry).
const BUBBLED_ERRORS: Abi = (registryArtifact.abi as Abi).filter((item) => item.type === "error");

/**
 * Awaits `action` and asserts that it reverted with the custom error `errorName`, and, when given,
 * with exactly these arguments. Returns the decoded arguments.
 */
export async function expectRevert(
  action: Promise<unknown>,
  errorName: string,
  args?: readonly unknown[],
): Promise<readonly unknown[]> {
  let caught: unknown;
  try {
    await action;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a revert with ${errorName}, but the call succeeded`).to.not.equal(
    undefined,
  );
  if (!(caught instanceof BaseError)) throw caught;
  const reverted = caught.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) {
    expect.fail(`expected a revert with ${errorName}, got: ${caught.shortMessage}`);
  }
  let name = reverted.data?.errorName;
  let decoded: readonly unknown[] = reverted.data?.args ?? [];
  if (name === undefined && reverted.raw !== undefined) {
    try {
      const bubbled = decodeErrorResult({ abi: BUBBLED_ERRORS, data: reverted.raw as Hex });
      name = bubbled.errorName;
      decoded = bubbled.args ?? [];
    } catch {
      // leave undecoded: the assertion below reports the raw signature
    }
  }
  expect(name, reverted.shortMessage).to.equal(errorName);
  if (args !== undefined) expect(decoded.map(normalize)).to.deep.equal(args.map(normalize));
  return decoded;
}

/** Addresses compare case-insensitively (wallets give lowercase, decoding gives checksummed). */
function normalize(value: unknown): unknown {
  return typeof value === "string" && isAddress(value, { strict: false })
    ? getAddress(value)
    : value;
}
