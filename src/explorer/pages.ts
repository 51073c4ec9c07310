// The explorer's pages, rendered on the server from an ExplorerState: an overview (jobs, disputes),
// a page per job (trace, samples, update norms, detection plot, disputes, payouts, history), a
// page per dispute (moves, committee votes, slashes, payouts) and the staked accounts. Plain HTML
// with landmarks, captions and header cells, readable without JavaScript; explorer.js only swaps
// in the fresh <main> when the chain changes.
import type { Hex } from "viem";

import { lossFromFloat32Bits } from "../protocol/leaf.ts";
import { isFinalJobStatus } from "../protocol/onchain-enums.ts";
import type { AccountView, DisputeView, ExplorerState, Happening, JobView } from "./state.ts";
import { describeEvent, short, tokens } from "./describe.ts";
import { detectionPlot } from "./detection-plot.ts";
import { html, type Html } from "./html.ts";

export const ASSET_PATHS = { css: "/assets/explorer.css", js: "/assets/explorer.js" } as const;

function when(state: ExplorerState, seconds: number): string {
  if (seconds === 0) return "—";
  const at = new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
  const delta = seconds - state.chainTime;
  const span =
    Math.abs(delta) < 120 ? `${Math.abs(delta)} s` : `${Math.round(Math.abs(delta) / 60)} min`;
  return `${at} (${delta >= 0 ? `in ${span}` : `${span} ago`} chain time)`;
}

function addr(a: string | undefined): Html {
  if (a === undefined) return html`<span class="muted">none yet</span>`;
  return html`<a href="/accounts#acct-${a.toLowerCase()}"
    ><code title="${a}">${short(a)}</code></a
  >`;
}

function code(value: string): Html {
  return html`<code class="hash" title="${value}">${short(value)}</code>`;
}

/** Q32.32 fixed point (docs/commitments.md) as a real number. */
function norm(value: bigint): string {
  return (Number(value) / 2 ** 32).toFixed(4);
}

function loss(job: JobView, bits: bigint): string {
  if (job.numerics === "tolerance") return lossFromFloat32Bits(bits).toPrecision(5);
  return `raw ${BigInt.asIntN(64, bits)}`;
}

function statusBadge(status: string): Html {
  return html`<span class="status status-${status.toLowerCase()}">${status}</span>`;
}

function progress(job: JobView): Html {
  const steps = job.progress * job.interval;
  return html`<progress
      max="${job.totalSteps}"
      value="${steps}"
      aria-label="job ${job.id} progress"
    ></progress>
    <span>${steps} of ${job.totalSteps} steps</span>
    <span class="muted">(${job.progress}/${job.checkpoints} checkpoints)</span>`;
}

function history(items: readonly Happening[], label: string): Html {
  if (items.length === 0) return html`<p>Nothing yet.</p>`;
  return html`<ol class="history" aria-label="${label}">
    ${items.map(
      (h) =>
        html`<li>
          <span class="block">block ${h.block}</span> ${describeEvent(h.event)}
          <code class="tx" title="${h.tx}">${short(h.tx)}</code>
        </li>`,
    )}
  </ol>`;
}

export function layout(state: ExplorerState, title: string, main: Html): string {
  return `<!doctype html>\n${html`<html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>${title} · Assay explorer</title>
      <link rel="stylesheet" href="${ASSET_PATHS.css}" />
      <script src="${ASSET_PATHS.js}" defer></script>
    </head>
    <body data-version="${state.version}">
      <a class="skip" href="#main">Skip to content</a>
      <header>
        <p class="brand">Assay explorer</p>
        <nav aria-label="Sections">
          <ul>
            <li><a href="/">Jobs and disputes</a></li>
            <li><a href="/accounts">Providers and verifiers</a></li>
          </ul>
        </nav>
        <p id="live" role="status" aria-live="polite">
          Chain ${state.chainId}, as of block <span id="head">${state.head}</span>
        </p>
      </header>
      <main id="main" tabindex="-1">${main}</main>
      <footer>
        <p>
          Read from the chain's events; the page updates itself as new ones arrive (JSON:
          <a href="/api/state">/api/state</a>).
        </p>
      </footer>
    </body>
  </html>`}\n`;
}

export function overviewPage(state: ExplorerState): string {
  const main = html`<h1>Jobs</h1>
    ${
      state.jobs.length === 0
        ? html`<p>No jobs yet: post one with <code>assay submit</code>.</p>`
        : html`<table id="jobs">
            <caption>
              ${state.jobs.length} jobs, newest first
            </caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Numerics</th>
                <th scope="col">Progress</th>
                <th scope="col">Provider</th>
                <th scope="col">Escrow</th>
                <th scope="col">Disputes</th>
              </tr>
            </thead>
            <tbody>
              ${state.jobs.map(
                (j) =>
                  html`<tr id="job-${j.id}" data-job="${j.id}">
                    <th scope="row"><a href="/jobs/${j.id}">Job ${j.id}</a></th>
                    <td data-field="status">${statusBadge(j.status)}</td>
                    <td>${j.numerics}</td>
                    <td data-field="progress">${progress(j)}</td>
                    <td>${addr(j.provider)}</td>
                    <td>${tokens(j.amount)}</td>
                    <td>${j.disputes.length}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    <h2>Disputes</h2>
    ${disputeTable(state.disputes)}`;
  return layout(state, "Jobs", main);
}

function disputeTable(disputes: readonly DisputeView[]): Html {
  if (disputes.length === 0) return html`<p>No disputes.</p>`;
  return html`<table>
    <caption>
      Disputes, newest first
    </caption>
    <thead>
      <tr>
        <th scope="col">Dispute</th>
        <th scope="col">Job</th>
        <th scope="col">Kind</th>
        <th scope="col">Segment</th>
        <th scope="col">Challenger</th>
        <th scope="col">Phase</th>
        <th scope="col">Outcome</th>
      </tr>
    </thead>
    <tbody>
      ${disputes.map(
        (d) =>
          html`<tr>
            <th scope="row"><a href="/disputes/${d.id}">Dispute ${d.id}</a></th>
            <td><a href="/jobs/${d.jobId}">Job ${d.jobId}</a></td>
            <td>${d.kind}</td>
            <td>${d.segment}</td>
            <td>${addr(d.challenger)}</td>
            <td>${d.phase}</td>
            <td>${d.outcome ?? "open"}${d.byTimeout ? " (timeout)" : ""}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** A checkpoint's committed claims, as a row of a claims table. */
interface ClaimsRow {
  index: number;
  lossBits: bigint;
  updateNorm: bigint;
  /** Shown when the table has a digest column (opened leaves carry theirs on chain). */
  stateDigest?: Hex;
}

/**
 * Checkpoints' claims: why each was opened (sampled, top-Q), its loss and its update norm, with a
 * bar relative to the largest in the table.
 */
function claimsTable(
  job: JobView,
  table: { id: string; caption: string; rows: readonly ClaimsRow[]; notOpened: string },
): Html {
  const sampled = new Set(job.opening?.sampled ?? []);
  const top = new Set(job.opening?.topIndices ?? []);
  const digests = table.rows.some((r) => r.stateDigest !== undefined);
  const maxNorm = table.rows.reduce((m, r) => (r.updateNorm > m ? r.updateNorm : m), 1n);
  return html`<table id="${table.id}">
    <caption>
      ${table.caption}
    </caption>
    <thead>
      <tr>
        <th scope="col">Checkpoint</th>
        <th scope="col">Steps</th>
        <th scope="col">Why opened</th>
        ${digests ? html`<th scope="col">State digest</th>` : html``}
        <th scope="col">Loss</th>
        <th scope="col">Update norm</th>
      </tr>
    </thead>
    <tbody>
      ${table.rows.map(
        (r) =>
          html`<tr>
            <th scope="row">${r.index}</th>
            <td>${(r.index - 1) * job.interval}..${r.index * job.interval}</td>
            <td>
              ${
                [sampled.has(r.index) && "sampled", top.has(r.index) && "top-Q"]
                  .filter((w) => w !== false)
                  .join(", ") || table.notOpened
              }
            </td>
            ${digests ? html`<td>${code(r.stateDigest ?? "")}</td>` : html``}
            <td>${loss(job, r.lossBits)}</td>
            <td>
              <meter
                min="0"
                max="1"
                value="${(Number(r.updateNorm) / Number(maxNorm)).toFixed(3)}"
                aria-label="update norm of checkpoint ${r.index}, relative to the largest in this table"
              ></meter>
              ${norm(r.updateNorm)}
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Every checkpoint's claims from the trace manifest, with the opened ones marked. */
function everyCheckpoint(job: JobView): Html {
  const m = job.trace?.manifest;
  if (m === undefined) return html``;
  if ("unavailable" in m)
    return html`<p>Every checkpoint: the trace manifest is not readable (${m.unavailable}).</p>`;
  if ("invalid" in m)
    return html`<p>
      <strong>Every checkpoint: the trace manifest is not this job's committed trace</strong>
      (${m.invalid}).
    </p>`;
  return claimsTable(job, {
    id: "all-checkpoints",
    caption:
      "Every checkpoint: the provider's claims from the trace manifest (its leaves hash to the committed trace root)",
    rows: m.checkpoints,
    notOpened: "—",
  });
}

function tracePart(job: JobView): Html {
  const t = job.trace;
  const o = job.opening;
  const commits =
    t === undefined || t.commits.length === 0
      ? html``
      : html`<p>
          Progress commitments:
          ${t.commits.map(
            (c, i) => html`${i > 0 ? ", " : ""}${c.checkpoints} checkpoints (block ${c.block})`,
          )}
        </p>`;
  const submitted =
    t === undefined || t.manifestCid === ""
      ? html`<p>No trace submitted yet.</p>`
      : html`<dl>
          <dt>Trace root</dt>
          <dd>${code(t.root)}</dd>
          <dt>Final state digest</dt>
          <dd>${code(t.finalDigest)}</dd>
          <dt>Result (final checkpoint)</dt>
          <dd><code>${t.resultCid}</code></dd>
          <dt>Trace manifest (every checkpoint)</dt>
          <dd><code>${t.manifestCid}</code></dd>
        </dl>`;
  if (o === undefined)
    return html`${commits}${submitted}
      <p>No segments opened yet.</p>
      ${everyCheckpoint(job)}`;
  return html`${commits}${submitted}
    <p>
      Sampled segments (q = ${job.samples}, from the seed):
      <strong>${o.sampled.join(", ") || "—"}</strong>. Top-Q by update norm (Q = ${job.topQ}):
      <strong>${o.topIndices.join(", ") || "—"}</strong>. Challenges until
      ${o.challengeEnd === 0 ? "—" : new Date(o.challengeEnd * 1000).toISOString()}.
    </p>
    ${claimsTable(job, {
      id: "opened-leaves",
      caption: "Opened checkpoints: each segment's end state and its claims",
      rows: o.leaves,
      notOpened: "boundary",
    })}
    ${everyCheckpoint(job)}`;
}

export function jobPage(state: ExplorerState, job: JobView): string {
  const disputes = state.disputes.filter((d) => d.jobId === job.id);
  const main = html`<h1 id="job-heading" tabindex="-1">Job ${job.id} ${statusBadge(job.status)}</h1>
    <section aria-labelledby="summary-h" id="job-details">
      <h2 id="summary-h">Summary</h2>
      <dl>
        <dt>Status</dt>
        <dd data-field="status">${job.status}</dd>
        <dt>Progress</dt>
        <dd data-field="progress">${progress(job)}</dd>
        <dt>Submitter</dt>
        <dd>${addr(job.submitter)}</dd>
        <dt>Provider</dt>
        <dd>${addr(job.provider)}</dd>
        <dt>Escrow, collateral</dt>
        <dd>${tokens(job.amount)}, ${tokens(job.collateral)}</dd>
        <dt>Shape</dt>
        <dd>
          T = ${job.totalSteps} steps, k = ${job.interval}, n = ${job.checkpoints} checkpoints,
          ${job.numerics}; q = ${job.samples} samples, Q = ${job.topQ}, committee of
          ${job.committeeSize}
        </dd>
        <dt>Current deadline</dt>
        <dd>${isFinalJobStatus(job.status) ? "none: settled" : when(state, job.deadline)}</dd>
        <dt>Spec</dt>
        <dd><code>${job.specCid}</code></dd>
      </dl>
    </section>
    <section aria-labelledby="trace-h">
      <h2 id="trace-h">Trace</h2>
      ${tracePart(job)}
    </section>
    <section aria-labelledby="detect-h">
      <h2 id="detect-h">Detection probability</h2>
      ${detectionPlot(job.samples, `plot-${job.id}`)}
    </section>
    <section aria-labelledby="disputes-h">
      <h2 id="disputes-h">Disputes</h2>
      ${disputeTable(disputes)}
    </section>
    <section aria-labelledby="payouts-h">
      <h2 id="payouts-h">Payouts</h2>
      ${payouts([
        ...job.credits.map((c) => ({ ...c, from: c.from === "market" ? "job market" : c.from })),
        ...disputes.flatMap((d) => d.credits.map((c) => ({ ...c, from: `dispute ${d.id}` }))),
      ])}
    </section>
    <section aria-labelledby="history-h">
      <h2 id="history-h">History</h2>
      ${history(job.history, `job ${job.id} history`)}
    </section>`;
  return layout(state, `Job ${job.id}`, main);
}

function payouts(credits: readonly { account: string; amount: bigint; from: string }[]): Html {
  if (credits.length === 0) return html`<p>None yet.</p>`;
  return html`<table>
    <caption>
      Credit owed (claimed with assay claim)
    </caption>
    <thead>
      <tr>
        <th scope="col">Account</th>
        <th scope="col">Amount</th>
        <th scope="col">From</th>
      </tr>
    </thead>
    <tbody>
      ${credits.map(
        (c) =>
          html`<tr>
            <td>${addr(c.account)}</td>
            <td>${tokens(c.amount)}</td>
            <td>${c.from}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function disputePage(state: ExplorerState, d: DisputeView): string {
  const main = html`<h1 id="dispute-heading" tabindex="-1">Dispute ${d.id}</h1>
    <dl>
      <dt>Job</dt>
      <dd><a href="/jobs/${d.jobId}">Job ${d.jobId}</a></dd>
      <dt>Kind, segment</dt>
      <dd>${d.kind}, segment ${d.segment}</dd>
      <dt>Challenger, bond</dt>
      <dd>${addr(d.challenger)}, ${tokens(d.bond)}</dd>
      <dt>Phase</dt>
      <dd data-field="phase">${d.phase}</dd>
      <dt>Outcome</dt>
      <dd data-field="outcome">${d.outcome ?? "open"}${d.byTimeout ? " (by timeout)" : ""}</dd>
      <dt>Slashed</dt>
      <dd data-field="slashed">
        ${
          d.slashes.length === 0
            ? "nothing"
            : d.slashes.map(
                (x, i) => html`${i > 0 ? ", " : ""}${tokens(x.amount)} from ${addr(x.account)}`,
              )
        }
      </dd>
    </dl>
    <section aria-labelledby="moves-h">
      <h2 id="moves-h">Moves</h2>
      ${history(d.moves, `dispute ${d.id} moves`)}
    </section>
    <section aria-labelledby="votes-h">
      <h2 id="votes-h">Committee votes</h2>
      ${
        d.votes.length === 0
          ? html`<p>No committee drawn yet.</p>`
          : html`<table>
              <caption>
                Seats by round
              </caption>
              <thead>
                <tr>
                  <th scope="col">Round</th>
                  <th scope="col">Seat</th>
                  <th scope="col">Referee</th>
                  <th scope="col">Vote</th>
                  <th scope="col">Distance (ppm)</th>
                </tr>
              </thead>
              <tbody>
                ${d.votes.map(
                  (v) =>
                    html`<tr>
                      <td>${v.round}</td>
                      <td>${v.seat}</td>
                      <td>${addr(v.referee)}</td>
                      <td>${v.vote ?? (v.committed ? "committed, not revealed" : "not voted")}</td>
                      <td>${v.distancePpm ?? "—"}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      ${
        d.penalties.length === 0
          ? html``
          : html`<p>
              Penalized referees:
              ${d.penalties.map(
                (p, i) => html`${i > 0 ? ", " : ""}${addr(p.referee)} (${tokens(p.amount)})`,
              )}
            </p>`
      }
    </section>
    <section aria-labelledby="dpay-h">
      <h2 id="dpay-h">Payouts</h2>
      ${payouts(d.credits.map((c) => ({ ...c, from: "dispute game" })))}
    </section>`;
  return layout(state, `Dispute ${d.id}`, main);
}

function stakeCell(a: AccountView): Html {
  return html`${
    a.provider === undefined
      ? ""
      : html`provider: ${tokens(a.provider.free)} free, ${tokens(a.provider.locked)} locked`
  }${
    a.provider !== undefined && a.verifier !== undefined ? html`<br />` : ""
  }${a.verifier === undefined ? "" : html`verifier: ${tokens(a.verifier.free)} free`}`;
}

export function accountsPage(state: ExplorerState): string {
  const main = html`<h1>Providers and verifiers</h1>
    ${
      state.accounts.length === 0
        ? html`<p>Nobody has staked yet.</p>`
        : html`<table id="accounts">
              <caption>
                Staked accounts: stake now, and what happened to them
              </caption>
              <thead>
                <tr>
                  <th scope="col">Account</th>
                  <th scope="col">Stake</th>
                  <th scope="col">Slashed</th>
                  <th scope="col">Credited</th>
                  <th scope="col">Jobs taken</th>
                  <th scope="col">Challenges</th>
                  <th scope="col">Committee seats</th>
                </tr>
              </thead>
              <tbody>
                ${state.accounts.map(
                  (a) =>
                    html`<tr id="acct-${a.address.toLowerCase()}">
                      <th scope="row"><code>${a.address}</code></th>
                      <td>
                        ${stakeCell(a)}${
                          a.ejected.length > 0
                            ? html`<br /><strong>ejected (${a.ejected.join(", ")})</strong>`
                            : ""
                        }
                      </td>
                      <td>${tokens(a.slashed)}</td>
                      <td>${tokens(a.credited)}</td>
                      <td>${a.jobsTaken}</td>
                      <td>${a.challenges}</td>
                      <td>${a.committeeSeats}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
            ${state.accounts.map(
              (a) =>
                html`<details>
                  <summary>
                    History of <code>${a.address}</code> (${a.history.length} events)
                  </summary>
                  ${history(a.history, `history of ${a.address}`)}
                </details>`,
            )}`
    }`;
  return layout(state, "Providers and verifiers", main);
}

export function notFoundPage(state: ExplorerState, what: string): string {
  return layout(
    state,
    "Not found",
    html`<h1>Not found</h1>
      <p>${what} <a href="/">Back to the jobs.</a></p>`,
  );
}
