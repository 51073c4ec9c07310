import { expect } from "chai";
import { network } from "hardhat";
describe("hello", () => {
  it("sets", async () => {
    const { viem } = await network.create();
    const h = await viem.deployContract("Hello");
    await h.write.set([5n]);
    expect(await h.read.x()).to.equal(5n);
  });
});
