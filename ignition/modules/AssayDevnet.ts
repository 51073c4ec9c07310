// Hardhat Ignition module for a devnet: a TestToken and the Assay contracts, wired, the deployer
// kept as admin and governor — what deploy/deploy.ts deploys with deploy/params/localhost.json.
//   npx hardhat ignition deploy ignition/modules/AssayDevnet.ts --network localhost \
//     --parameters ignition/parameters/localhost.json
// The plan (contracts, arguments, roles) is deploy/assay-plan.ts, the one deployAssay runs.
import { assayModule } from "../../deploy/ignition-module.ts";

export default assayModule("AssayDevnet");
