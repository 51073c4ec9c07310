// `assay demo` (`npm run demo`): builds the contracts, then runs scripts/demo.ts under Hardhat —
// the whole protocol on a local devnet with the real daemons. `--rpc-url` runs it on an external
// development node (anvil) instead of Hardhat's in-process chain.
import path from "node:path";

import { httpUrlFlag, parseCommandArgs, type OptionSpec } from "../args.ts";
import type { Command, CommandIo } from "../command.ts";
import { UsageError } from "../errors.ts";
import { runHardhatScript } from "../hardhat-script.ts";

const OPTIONS = {
  "rpc-url": { type: "string" },
} as const satisfies OptionSpec;

async function demo(argv: readonly string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const rpcUrl = httpUrlFlag(values, "rpc-url");
  await runHardhatScript(
    {
      name: "demo",
      entry: path.join("scripts", "demo.ts"),
      starting: `running the demo on ${rpcUrl ?? "Hardhat's in-process chain"}`,
      env: { ASSAY_DEMO_RPC_URL: rpcUrl ?? "" },
    },
    io,
  );
}

export const demoCommand: Command = {
  name: "demo",
  summary: "the protocol end to end on a local devnet with the real daemons (npm run demo)",
  help: `usage: assay demo [--rpc-url URL]

Builds the contracts, then runs the demo: a devnet, an honest and a cheating provider, an auditing
verifier and four referees as separate processes, three MNIST jobs; the cheater is caught and
slashed in front of you. Needs Redis (127.0.0.1:6379 or REDIS_URL). README: "Demo".
  --rpc-url  run on an external development node (anvil: npx anvil) instead of Hardhat's chain;
             it must serve chain id 31337 or 1337 and take evm_mine`,
  run: demo,
};
