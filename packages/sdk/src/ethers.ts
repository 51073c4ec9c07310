// @assay/sdk/ethers: TypeChain's ethers-v6 bindings of the public contracts, with the contracts'
// NatSpec as doc comments (scripts/generate-bindings.ts), e.g.
// `JobMarket__factory.connect(deployment.market, signer)`.
export * from "../generated/ethers/index.js";
