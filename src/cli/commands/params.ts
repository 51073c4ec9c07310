// `assay params`: the security economics of sampling (docs/protocol.md §8, docs/security.md), offline.
// For each fabricated fraction f: the probability 1 − (1 − f)^q that q opened samples catch it,
// the samples needed to reach a target probability, and the smallest collateral that makes a
// gain G unprofitable once a self-challenge wins back r of it (C > G / (P·(1 − r))); optionally
// the SVG plot of detection against q.
import { writeFile } from "node:fs/promises";

import {
  MAX_RECOVERABLE_BPS,
  detectionPlotSvg,
  detectionProbability,
  deterrentRatio,
  minimumCollateral,
  samplesForDetection,
} from "../../protocol/economics.ts";
import {
  integerFlag,
  numberFlag,
  parseCommandArgs,
  parseNumberList,
  stringFlag,
  type OptionSpec,
} from "../args.ts";
import type { Command, CommandIo } from "../command.ts";
import { UsageError } from "../errors.ts";
import { formatPercent, table } from "../format.ts";

const OPTIONS = {
  f: { type: "string" },
  q: { type: "string" },
  gain: { type: "string" },
  target: { type: "string" },
  "recoverable-bps": { type: "string" },
  plot: { type: "string" },
  "max-q": { type: "string" },
  json: { type: "boolean" },
} as const satisfies OptionSpec;

const HELP = `usage: assay params [--f 0.1,0.25,0.5] [--q 8] [--gain 100] [--target 0.99]
                    [--recoverable-bps 1000] [--plot detection.svg] [--max-q 64] [--json]

Security economics of sampling, offline (no chain, no store). For each fabricated fraction f:
  P(f, q)      probability that q opened samples catch it: 1 − (1 − f)^q
  q for target samples needed for P ≥ target
  collateral   the smallest collateral C with P·C·(1 − r) > G for a gain G from cheating, where
               r is what a caught provider wins back by challenging itself through a sock puppet
               (the challenger's and referees' shares; the deterrent is C·(1 − r), not C)

  --f        fabricated fractions, comma-separated, each in (0, 1]   (default 0.01,0.05,0.1,0.25,0.5)
  --q        opened samples                                          (default 8)
  --gain     the cheater's gain G, in tokens                         (default 100)
  --target   detection target for "q for target"                     (default 0.99)
  --recoverable-bps  r in basis points: challengerShareBps + refereeShareBps of the
             deployment (default ${MAX_RECOVERABLE_BPS}, the contracts' bound)
  --plot     write an SVG plot of P against q, one curve per f
  --max-q    the plot's largest q                                    (default 64)
  --json     print the table as JSON`;

export interface ParamsRow {
  f: number;
  detection: number;
  samplesForTarget: number;
  /** null when P = 0 (no collateral is enough). */
  minimumCollateral: number | null;
}

export function paramsRows(
  fractions: readonly number[],
  q: number,
  gain: number,
  target: number,
  recoverableBps = MAX_RECOVERABLE_BPS,
): ParamsRow[] {
  return fractions.map((f) => {
    const c = minimumCollateral(gain, f, q, recoverableBps);
    return {
      f,
      detection: detectionProbability(f, q),
      samplesForTarget: samplesForDetection(f, target),
      minimumCollateral: Number.isFinite(c) ? c : null,
    };
  });
}

async function run(argv: readonly string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const fractions = parseNumberList(stringFlag(values, "f") ?? "0.01,0.05,0.1,0.25,0.5", "--f");
  for (const f of fractions)
    if (!(f > 0 && f <= 1)) throw new UsageError(`--f ${f} is not a fraction in (0, 1]`);
  const q = integerFlag(values, "q", 8, { min: 0, max: 10_000 });
  const gain = numberFlag(values, "gain", 100);
  if (gain < 0) throw new UsageError(`--gain must not be negative`);
  const target = numberFlag(values, "target", 0.99);
  if (!(target >= 0 && target < 1)) throw new UsageError(`--target must be within [0, 1)`);
  const maxQ = integerFlag(values, "max-q", 64, { min: 1, max: 1_000 });
  const recoverableBps = integerFlag(values, "recoverable-bps", MAX_RECOVERABLE_BPS, {
    min: 0,
    max: 10_000,
  });
  const deterrent = deterrentRatio(recoverableBps);

  const rows = paramsRows(fractions, q, gain, target, recoverableBps);
  if (values.json === true) {
    io.out(
      JSON.stringify({ q, gain, target, recoverableBps, deterrentRatio: deterrent, rows }, null, 2),
    );
  } else {
    io.out(
      `detection P = 1 − (1 − f)^q with q = ${q}; deterrent C·(1 − r) = ${deterrent.toFixed(2)}·C ` +
        `(a self-challenge wins back r = ${formatPercent(recoverableBps / 10_000)}); ` +
        `collateral C > G / (P·(1 − r)) for a gain G = ${gain}`,
    );
    const lines = table([
      ["f", `P(q=${q})`, `q for ${formatPercent(target)}`, `min collateral`],
      ...rows.map((r) => [
        String(r.f),
        formatPercent(r.detection),
        String(r.samplesForTarget),
        r.minimumCollateral === null ? "∞" : r.minimumCollateral.toFixed(2),
      ]),
    ]);
    for (const line of lines) io.out(line);
  }

  const plot = stringFlag(values, "plot");
  if (plot !== undefined) {
    if (!plot.toLowerCase().endsWith(".svg"))
      throw new UsageError(`--plot writes SVG: name the file *.svg (got ${plot})`);
    await writeFile(plot, detectionPlotSvg(fractions, maxQ));
    io.note(`wrote ${plot} (${fractions.length} curves, q = 0..${maxQ})`);
  }
}

export const paramsCommand: Command = {
  name: "params",
  summary: "detection probability, samples needed and minimum collateral",
  help: HELP,
  run,
};
