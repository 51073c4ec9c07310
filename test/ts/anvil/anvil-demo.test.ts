import { startAnvil } from "../helpers/anvil.ts";
import { describeTinyDemo } from "../helpers/tiny-demo.ts";

// The whole protocol on a second EVM client: the demo's devnet deploys on Foundry's anvil (10
// funded accounts, as anvil starts by default: the devnet gives the other ten their ether), the
// daemons talk to anvil, and the outcome must be the same as on Hardhat's chain.
describeTinyDemo("the demo on anvil, a second EVM client (tiny size)", {
  start: () => startAnvil({ accounts: 10 }),
});
