// `assay balance` shows what an account holds and is owed: ether for gas, the token, the
// allowances the market and registry would draw on, both stakes, and credit waiting in each of
// the three credit ledgers (job market, dispute game, fraud proofs). `assay claim` pulls every
// non-zero credit.
import { isAddress, type Address } from "viem";

import { parseCommandArgs, stringFlag, type OptionSpec } from "../args.ts";
import { connect, sendTx } from "../chain.ts";
import type { Command, CommandIo } from "../command.ts";
import { CHAIN_HELP, CHAIN_OPTIONS, cliConfig } from "../config.ts";
import { CliError, UsageError } from "../errors.ts";
import { formatDeadline, formatToken } from "../format.ts";
import { STAKE_ROLE } from "../../protocol/onchain-enums.ts";
import { CREDIT_LEDGER_NAME, CREDIT_LEDGERS, creditsOf, owedCredits } from "../../node/credit.ts";

const OPTIONS = {
  ...CHAIN_OPTIONS,
  address: { type: "string" },
  json: { type: "boolean" },
} as const satisfies OptionSpec;

async function balance(argv: readonly string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const other = stringFlag(values, "address");
  if (other !== undefined && !isAddress(other))
    throw new UsageError(`--address "${other}" is not an address`);
  const chain = await connect(cliConfig(values, io.env), io);
  const who = (other as Address | undefined) ?? chain.address;
  const { token, registry, market } = chain.contracts;
  const [ether, tokens, toMarket, toRegistry, provider, verifier, owed, block] = await Promise.all([
    chain.publicClient.getBalance({ address: who }),
    token.read.balanceOf([who]),
    token.read.allowance([who, market.address]),
    token.read.allowance([who, registry.address]),
    registry.read.accountOf([who, STAKE_ROLE.Provider]),
    registry.read.accountOf([who, STAKE_ROLE.Verifier]),
    creditsOf(chain, who),
    chain.publicClient.getBlock(),
  ]);
  const stake = (a: typeof provider) => ({
    free: a[0].toString(),
    locked: a[1].toString(),
    unbonding: a[2].toString(),
    unlockAt: Number(a[3]),
    ejected: a[4],
  });
  if (values.json === true) {
    io.out(
      JSON.stringify({
        address: who,
        ether: ether.toString(),
        token: tokens.toString(),
        allowance: { market: toMarket.toString(), registry: toRegistry.toString() },
        provider: stake(provider),
        verifier: stake(verifier),
        credit: Object.fromEntries(CREDIT_LEDGERS.map((l) => [l, owed[l].toString()])),
      }),
    );
    return;
  }
  const stakeLine = (name: string, a: typeof provider): string =>
    `  ${name.padEnd(9)} free ${formatToken(a[0])}, locked ${formatToken(a[1])}, unbonding ${formatToken(a[2])}${a[2] > 0n ? ` (withdrawable ${formatDeadline(a[3], block.timestamp)})` : ""}${a[4] ? ", EJECTED" : ""}`;
  io.out(`account ${who}`);
  io.out(`  ether     ${formatToken(ether)}`);
  io.out(`  token     ${formatToken(tokens)} (${token.address})`);
  io.out(
    `  allowance job market ${formatToken(toMarket)}, stake registry ${formatToken(toRegistry)}`,
  );
  io.out(stakeLine("provider", provider));
  io.out(stakeLine("verifier", verifier));
  io.out(
    `  credit    ${CREDIT_LEDGERS.map((l) => `${CREDIT_LEDGER_NAME[l]} ${formatToken(owed[l])}`).join(", ")}`,
  );
}

async function claim(argv: readonly string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, CHAIN_OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const chain = await connect(cliConfig(values, io.env), io);
  const due = await owedCredits(chain, chain.address);
  if (due.length === 0) throw new CliError(`${chain.address} has no credit to claim`);
  let total = 0n;
  for (const { ledger, amount, call } of due) {
    await sendTx(
      chain,
      `claim ${formatToken(amount)} from the ${CREDIT_LEDGER_NAME[ledger]}`,
      call,
      io,
    );
    total += amount;
  }
  io.out(`claimed ${formatToken(total)} tokens to ${chain.address}`);
}

export const balanceCommand: Command = {
  name: "balance",
  summary: "what an account holds and is owed",
  help: `usage: assay balance [--address 0x…] [--json]

Shows ether, token balance, allowances to the job market and stake registry, provider and
verifier stake (free, locked, unbonding) and credit waiting in the job market, dispute game and
fraud proofs. Default: the configured account.

${CHAIN_HELP}`,
  run: balance,
};

export const claimCommand: Command = {
  name: "claim",
  summary: "pull credit",
  help: `usage: assay claim

Pulls the account's credit from every ledger that owes it some (job market, dispute game, fraud
proofs): payments, refunds, slash shares, bonds.

${CHAIN_HELP}`,
  run: claim,
};
