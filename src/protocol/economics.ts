// Security economics of sampling (docs/protocol.md §8). A provider that fabricates a fraction f of its
// segments is caught by q uniformly sampled openings with probability 1 − (1 − f)^q (sampling
// without replacement, as the contracts do, only raises it). With collateral C and a gain G from
// cheating, cheating has negative expectation when P·C > G.
import { detectionProbability } from "./sampler.ts";

export { detectionProbability };

/**
 * The most a slashed provider can win back through addresses of its own (DisputeGame's
 * MAX_RECOVERABLE_BPS): the challenger's and the referees' shares of its collateral together.
 */
export const MAX_RECOVERABLE_BPS = 1_000;

/**
 * What a caught cheater loses for good, as a fraction of its collateral, when it challenges its
 * own job through a sock puppet (and, at worst, every referee is its own too): 1 − r, where r is
 * challengerShareBps + refereeShareBps over 10,000 (docs/disputes.md, "Self-challenge").
 */
export function deterrentRatio(recoverableBps: number): number {
  if (!(Number.isInteger(recoverableBps) && recoverableBps >= 0 && recoverableBps <= 10_000))
    throw new RangeError(
      `recoverable share must be whole basis points in [0, 10000], got ${recoverableBps}`,
    );
  return 1 - recoverableBps / 10_000;
}

/**
 * The smallest collateral that makes cheating unprofitable: P·C·(1 − r) > G, so C > G / (P·(1 − r)),
 * with r the share a self-challenging provider wins back (0: none; the protocol bounds it by
 * MAX_RECOVERABLE_BPS).
 */
export function minimumCollateral(
  gain: number,
  fabricatedFraction: number,
  samples: number,
  recoverableBps = 0,
): number {
  if (!(gain >= 0)) throw new RangeError(`gain must be a non-negative number, got ${gain}`);
  const p = detectionProbability(fabricatedFraction, samples) * deterrentRatio(recoverableBps);
  if (p === 0) return Number.POSITIVE_INFINITY;
  return gain / p;
}

/** The fewest samples that detect a fabricated fraction f with at least the target probability. */
export function samplesForDetection(fabricatedFraction: number, target: number): number {
  if (!(fabricatedFraction > 0 && fabricatedFraction <= 1))
    throw new RangeError("f must be within (0, 1]");
  if (!(target >= 0 && target < 1)) throw new RangeError("target must be within [0, 1)");
  if (fabricatedFraction === 1) return target === 0 ? 0 : 1;
  return Math.max(0, Math.ceil(Math.log(1 - target) / Math.log(1 - fabricatedFraction)));
}

/** An SVG line plot of detection probability against q, one line per fabricated fraction. */
export function detectionPlotSvg(fractions: readonly number[], maxSamples: number): string {
  const W = 640;
  const H = 400;
  const m = { left: 60, right: 130, top: 30, bottom: 50 };
  const x = (q: number): number => m.left + ((W - m.left - m.right) * q) / maxSamples;
  const y = (p: number): number => H - m.bottom - (H - m.top - m.bottom) * p;
  const colors = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - 40}" y="18" text-anchor="middle" font-size="14">Detection probability 1 − (1 − f)^q</text>`,
  ];
  for (let i = 0; i <= 10; i++) {
    const p = i / 10;
    parts.push(
      `<line x1="${m.left}" x2="${W - m.right}" y1="${y(p)}" y2="${y(p)}" stroke="#eee"/>`,
    );
    parts.push(`<text x="${m.left - 8}" y="${y(p) + 4}" text-anchor="end">${p.toFixed(1)}</text>`);
  }
  const step = Math.max(1, Math.round(maxSamples / 8));
  for (let q = 0; q <= maxSamples; q += step) {
    parts.push(`<text x="${x(q)}" y="${H - m.bottom + 18}" text-anchor="middle">${q}</text>`);
  }
  parts.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${y(0)}" y2="${y(1)}" stroke="black"/>`,
    `<line x1="${m.left}" x2="${W - m.right}" y1="${y(0)}" y2="${y(0)}" stroke="black"/>`,
    `<text x="${(m.left + W - m.right) / 2}" y="${H - 10}" text-anchor="middle">samples opened (q)</text>`,
  );
  fractions.forEach((f, i) => {
    const color = colors[i % colors.length]!;
    const points = Array.from(
      { length: maxSamples + 1 },
      (_, q) => `${x(q).toFixed(1)},${y(detectionProbability(f, q)).toFixed(1)}`,
    );
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(" ")}"/>`,
    );
    parts.push(
      `<text x="${W - m.right + 10}" y="${m.top + 20 + 18 * i}" fill="${color}">f = ${f}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
