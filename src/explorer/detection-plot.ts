// The detection-probability plot of one job: 1 − (1 − f)^q against the fraction f of segments a
// provider fabricates, for the job's q opened samples (docs/protocol.md §8; the same formula as
// `assay params` and scripts/plot-detection.ts, from src/protocol/economics.ts). Drawn here as an
// inline SVG, so the page needs no chart library and the plot reads without JavaScript.
import { detectionProbability } from "../protocol/economics.ts";
import { html, raw, type Html } from "./html.ts";

/** Fractions listed under the plot as text, for readers who cannot see it. */
export const TABLE_FRACTIONS = [0.01, 0.05, 0.1, 0.25, 0.5] as const;

export function detectionPlot(q: number, id: string): Html {
  const W = 480;
  const H = 280;
  const m = { left: 56, right: 16, top: 16, bottom: 44 };
  const x = (f: number): number => m.left + (W - m.left - m.right) * f;
  const y = (p: number): number => H - m.bottom - (H - m.top - m.bottom) * p;
  const grid: string[] = [];
  for (let i = 0; i <= 10; i += 2) {
    const v = i / 10;
    grid.push(
      `<line x1="${m.left}" x2="${W - m.right}" y1="${y(v)}" y2="${y(v)}" stroke="#d0d0d0"/>`,
      `<text x="${m.left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`,
      `<text x="${x(v)}" y="${H - m.bottom + 18}" text-anchor="middle">${v.toFixed(1)}</text>`,
    );
  }
  const points = Array.from({ length: 201 }, (_, i) => {
    const f = i / 200;
    return `${x(f).toFixed(1)},${y(detectionProbability(f, q)).toFixed(1)}`;
  });
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-title ${id}-desc" class="plot">`,
    `<title id="${id}-title">Detection probability for q = ${q}</title>`,
    `<desc id="${id}-desc">The chance that ${q} opened samples catch a provider who fabricated a fraction f of its segments, 1 − (1 − f)^${q}, rising from 0 at f = 0 to 1 at f = 1. The table below gives values.</desc>`,
    ...grid,
    `<line x1="${m.left}" x2="${m.left}" y1="${y(0)}" y2="${y(1)}" stroke="#1a1a1a"/>`,
    `<line x1="${m.left}" x2="${W - m.right}" y1="${y(0)}" y2="${y(0)}" stroke="#1a1a1a"/>`,
    `<text x="${(m.left + W - m.right) / 2}" y="${H - 8}" text-anchor="middle">fraction of segments fabricated (f)</text>`,
    `<text transform="translate(14 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">P(caught)</text>`,
    `<polyline fill="none" stroke="#0b5cad" stroke-width="2.5" points="${points.join(" ")}"/>`,
    "</svg>",
  ].join("");
  return html`<figure aria-labelledby="${id}-caption">
    ${raw(svg)}
    <figcaption id="${id}-caption">
      Probability that q = ${q} sampled openings catch a cheat, 1 − (1 − f)<sup>${q}</sup>
    </figcaption>
    <table class="compact">
      <caption>
        Detection probability by fabricated fraction, q = ${q}
      </caption>
      <thead>
        <tr>
          <th scope="col">fabricated fraction f</th>
          ${TABLE_FRACTIONS.map((f) => html`<th scope="col">${f * 100}%</th>`)}
        </tr>
      </thead>
      <tbody>
        <tr>
          <th scope="row">P(caught)</th>
          ${TABLE_FRACTIONS.map(
            (f) => html`<td>${(detectionProbability(f, q) * 100).toFixed(1)}%</td>`,
          )}
        </tr>
      </tbody>
    </table>
  </figure>`;
}
