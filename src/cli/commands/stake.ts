// `assay stake | unstake | withdraw --role provider|verifier`: the two-step stake lifecycle of the
// StakeRegistry. stake deposits (approving the registry if the allowance is short); unstake moves
// free stake to unbonding (requestUnstake: the delay restarts for everything unbonding); withdraw
// pays out once the delay has passed. The preconditions are checked first so that the usual
// mistakes read as sentences rather than as custom-error names.
import {
  parseCommandArgs,
  parseTokenAmount,
  requireString,
  type FlagValues,
  type OptionSpec,
} from "../args.ts";
import { connect, ensureAllowance, sendTx, type ChainContext } from "../chain.ts";
import type { Command, CommandIo } from "../command.ts";
import { CHAIN_HELP, CHAIN_OPTIONS, cliConfig } from "../config.ts";
import { CliError, UsageError } from "../errors.ts";
import { formatDeadline, formatDuration, formatToken } from "../format.ts";
import { stakeRole, type StakeRoleName } from "../../protocol/onchain-enums.ts";
import { contractCall } from "../../node/tx.ts";

const OPTIONS = {
  ...CHAIN_OPTIONS,
  role: { type: "string" },
  amount: { type: "string" },
} as const satisfies OptionSpec;

function roleOf(values: FlagValues): StakeRoleName {
  const role = requireString(values, "role");
  if (role !== "provider" && role !== "verifier")
    throw new UsageError(`--role must be provider or verifier, not "${role}"`);
  return role;
}

async function setup(
  argv: readonly string[],
  io: CommandIo,
  needsAmount: boolean,
): Promise<{ chain: ChainContext; role: StakeRoleName; amount: bigint }> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const role = roleOf(values);
  let amount = 0n;
  if (needsAmount) {
    amount = parseTokenAmount(requireString(values, "amount"), "--amount");
    if (amount === 0n) throw new UsageError("--amount must be positive");
  } else if (values.amount !== undefined)
    throw new UsageError("withdraw pays out everything unbonded; it takes no --amount");
  const chain = await connect(cliConfig(values, io.env), io);
  return { chain, role, amount };
}

async function stakeAccount(chain: ChainContext, role: StakeRoleName) {
  const [free, locked, unbonding, unlockAt, ejected] =
    await chain.contracts.registry.read.accountOf([chain.address, stakeRole(role)]);
  return { free, locked, unbonding, unlockAt, ejected };
}

async function stake(argv: readonly string[], io: CommandIo): Promise<void> {
  const { chain, role, amount } = await setup(argv, io, true);
  const { registry } = chain.contracts;
  const before = await stakeAccount(chain, role);
  if (before.ejected)
    throw new CliError(
      `${chain.address} was ejected as a ${role}: it cannot stake in that role again`,
    );
  await ensureAllowance(chain, registry.address, "stake registry", amount, io);
  await sendTx(
    chain,
    `stake ${formatToken(amount)} as ${role}`,
    contractCall(registry, "stake", [stakeRole(role), amount]),
    io,
  );
  const after = await stakeAccount(chain, role);
  const minimum =
    role === "provider" ? chain.params.minProviderStake : chain.params.minVerifierStake;
  io.out(
    `staked ${formatToken(amount)} as ${role}: free ${formatToken(after.free)}, locked ${formatToken(after.locked)} (minimum ${formatToken(minimum)})`,
  );
}

async function unstake(argv: readonly string[], io: CommandIo): Promise<void> {
  const { chain, role, amount } = await setup(argv, io, true);
  const { registry } = chain.contracts;
  const before = await stakeAccount(chain, role);
  if (before.free < amount)
    throw new CliError(
      `${chain.address} has ${formatToken(before.free)} free ${role} stake (${formatToken(before.locked)} locked in jobs), less than ${formatToken(amount)}`,
    );
  await sendTx(
    chain,
    `request unstake of ${formatToken(amount)} ${role} stake`,
    contractCall(registry, "requestUnstake", [stakeRole(role), amount]),
    io,
  );
  const after = await stakeAccount(chain, role);
  const now = (await chain.publicClient.getBlock()).timestamp;
  io.out(
    `unbonding ${formatToken(after.unbonding)} ${role} stake; withdraw after ${formatDeadline(after.unlockAt, now)} (delay ${formatDuration(chain.params.unbondingDelay)})`,
  );
}

async function withdraw(argv: readonly string[], io: CommandIo): Promise<void> {
  const { chain, role } = await setup(argv, io, false);
  const { registry } = chain.contracts;
  const before = await stakeAccount(chain, role);
  if (before.unbonding === 0n)
    throw new CliError(`${chain.address} has no ${role} stake unbonding: run assay unstake first`);
  const now = (await chain.publicClient.getBlock()).timestamp;
  if (now < before.unlockAt)
    throw new CliError(
      `${formatToken(before.unbonding)} ${role} stake is still unbonding: withdrawable ${formatDeadline(before.unlockAt, now)}`,
    );
  await sendTx(
    chain,
    `withdraw ${role} stake`,
    contractCall(registry, "withdraw", [stakeRole(role)]),
    io,
  );
  io.out(`withdrew ${formatToken(before.unbonding)} ${role} stake to ${chain.address}`);
}

const ROLE_HELP = `  --role provider|verifier
  --amount X               tokens (18 decimals: 1000, 0.5)`;

export const stakeCommand: Command = {
  name: "stake",
  summary: "deposit stake",
  help: `usage: assay stake --role provider|verifier --amount X

Deposits X tokens into the account's provider or verifier stake, approving the stake registry
first if its allowance is short.

${ROLE_HELP}

${CHAIN_HELP}`,
  run: stake,
};

export const unstakeCommand: Command = {
  name: "unstake",
  summary: "start unbonding stake",
  help: `usage: assay unstake --role provider|verifier --amount X

Moves X of free stake to unbonding (requestUnstake); withdraw it after the unbonding delay. The
delay restarts for everything already unbonding in that role.

${ROLE_HELP}

${CHAIN_HELP}`,
  run: unstake,
};

export const withdrawCommand: Command = {
  name: "withdraw",
  summary: "pay out unbonded stake",
  help: `usage: assay withdraw --role provider|verifier

Pays out the account's unbonded stake once the unbonding delay has passed.

  --role provider|verifier

${CHAIN_HELP}`,
  run: withdraw,
};
