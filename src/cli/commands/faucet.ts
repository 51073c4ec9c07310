// `assay faucet`: test tokens on a devnet. The devnet's TestToken lets anyone mint; this command
// refuses any chain that is not a devnet (chain id 31337 or 1337), where the token is real.
import { isAddress, type Address } from "viem";

import { parseCommandArgs, parseTokenAmount, stringFlag, type OptionSpec } from "../args.ts";
import { connect, sendTx } from "../chain.ts";
import type { Command, CommandIo } from "../command.ts";
import { CHAIN_HELP, CHAIN_OPTIONS, cliConfig } from "../config.ts";
import { CliError, UsageError } from "../errors.ts";
import { formatToken } from "../format.ts";
import { DEVNET_CHAIN_IDS } from "../../node/chain.ts";
import { contractCall } from "../../node/tx.ts";

const OPTIONS = {
  ...CHAIN_OPTIONS,
  to: { type: "string" },
  amount: { type: "string" },
} as const satisfies OptionSpec;

async function faucet(argv: readonly string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const to = stringFlag(values, "to");
  if (to !== undefined && !isAddress(to)) throw new UsageError(`--to "${to}" is not an address`);
  const amount = parseTokenAmount(stringFlag(values, "amount") ?? "1000", "--amount");
  if (amount === 0n) throw new UsageError("--amount must be more than 0");
  const chain = await connect(cliConfig(values, io.env), io);
  if (!DEVNET_CHAIN_IDS.includes(chain.chainId))
    throw new CliError(
      `the faucet mints test tokens on devnets only (chain ids ${DEVNET_CHAIN_IDS.join(", ")}); this is chain ${chain.chainId}`,
    );
  const who = (to as Address | undefined) ?? chain.address;
  const { token } = chain.contracts;
  await sendTx(
    chain,
    `mint ${formatToken(amount)} test tokens to ${who}`,
    contractCall(token, "mint", [who, amount]),
    io,
  );
  const balance = await token.read.balanceOf([who]);
  io.out(`minted ${formatToken(amount)} tokens to ${who}; balance ${formatToken(balance)}`);
}

export const faucetCommand: Command = {
  name: "faucet",
  summary: "mint test tokens on a devnet",
  help: `usage: assay faucet [--to 0x…] [--amount 1000]

Mints test tokens (the devnet's TestToken lets anyone mint) to --to, or to the signing account.
Refused on any chain but a devnet (chain id 31337 or 1337).
  --to ADDRESS      who receives them     (default: the signing account)
  --amount N        tokens, 18 decimals   (default 1000)

${CHAIN_HELP}`,
  run: faucet,
};
