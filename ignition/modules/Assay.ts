// Hardhat Ignition module for a public network: the Assay contracts over an existing ERC-20 token,
// wired by the deploying account, then every admin and governor role handed to the `governor`
// parameter — what deploy/deploy.ts deploys with a parameter file that names a token and a governor.
// The governor must not be the deploying account (it would renounce the roles it was handed).
//   npx hardhat ignition deploy ignition/modules/Assay.ts --network sepolia \
//     --parameters ignition/parameters/sepolia.json
// The plan (contracts, arguments, roles) is deploy/assay-plan.ts, the one deployAssay runs.
import { assayModule } from "../../deploy/ignition-module.ts";

export default assayModule("Assay");
