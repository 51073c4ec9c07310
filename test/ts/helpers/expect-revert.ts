import { expect } from "chai";
import { BaseError, ContractFunctionRevertedError } from "viem";

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
  expect(reverted.data?.errorName, reverted.shortMessage).to.equal(errorName);
  const decoded = reverted.data?.args ?? [];
  if (args !== undefined) expect(decoded).to.deep.equal(args);
  return decoded;
}
