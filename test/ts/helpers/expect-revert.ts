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
 * with exactly these arguments. Errors the called contract's ABI does not name (raised by a
 * contract it called) are decoded with `bubbled` (default: the stake registry's errors, which the
 * market's calls raise). Returns the decoded arguments.
 */
export async function expectRevert(
  action: Promise<unknown>,
  errorName: string,
  args?: readonly unknown[],
  bubbled: Abi = BUBBLED_ERRORS,
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
  if (reverted.data?.errorName !== undefined)
    return expectDecoded(reverted.data.errorName, reverted.data.args ?? [], errorName, args);
  expect(reverted.raw, reverted.shortMessage).to.not.equal(undefined);
  return expectRevertData(reverted.raw as Hex, bubbled, errorName, args);
}

/**
 * Asserts that revert data `data` (from a trace, say) is the custom error `errorName` of `abi`,
 * with exactly these arguments when given. Returns the decoded arguments.
 */
export function expectRevertData(
  data: Hex,
  abi: Abi,
  errorName: string,
  args?: readonly unknown[],
): readonly unknown[] {
  let decoded: { errorName: string; args?: readonly unknown[] };
  try {
    decoded = decodeErrorResult({ abi, data });
  } catch {
    expect.fail(`expected a revert with ${errorName}, got an unknown error ${data.slice(0, 10)}`);
  }
  return expectDecoded(decoded.errorName, decoded.args ?? [], errorName, args);
}

function expectDecoded(
  name: string,
  decoded: readonly unknown[],
  errorName: string,
  args?: readonly unknown[],
): readonly unknown[] {
  expect(name).to.equal(errorName);
  if (args !== undefined) expect(decoded.map(normalize)).to.deep.equal(args.map(normalize));
  return decoded;
}

/** Addresses compare case-insensitively (wallets give lowercase, decoding gives checksummed). */
function normalize(value: unknown): unknown {
  return typeof value === "string" && isAddress(value, { strict: false })
    ? getAddress(value)
    : value;
}
