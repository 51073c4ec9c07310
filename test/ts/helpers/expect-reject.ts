import { expect } from "chai";

/** Awaits `p` and asserts that it rejected with a `type` whose message matches; returns the error. */
export async function expectReject(
  p: Promise<unknown>,
  type: new (...a: never[]) => Error,
  message: RegExp,
): Promise<Error> {
  try {
    await p;
  } catch (error) {
    expect(error, (error as Error).message).to.be.instanceOf(type);
    expect((error as Error).message).to.match(message);
    return error as Error;
  }
  return expect.fail("expected a rejection");
}
