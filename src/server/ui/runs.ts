/** The runs list (filters, keyset pages) and a run's page: step graph, timeline, steps, retry and cancel. */
import type { DatasetVersionRecord, Json, ModelVersionRecord, RunRecord, RunState, TaskRunRecord } from '../../store/types.ts';
import { html, query, type SafeHtml } from './html.ts';
import { csrfField, duration, page, stateBadge, time, type PageContext } from './layout.ts';
import { stepGraph, timeline } from './svg.ts';
import type { UiDeps } from './types.ts';

export const RUN_STATES: readonly RunState[] = ['pending', 'running', 'succeeded', 'failed', 'cancelled'];
export const PAGE_SIZE = 50;

export interface RunsQuery { pipeline?: string; state?: string; partition?: string; after?: string }

export async function runsPage(deps: UiDeps, ctx: PageContext, q: RunsQuery): Promise<SafeHtml> {
  const state = q.state && (RUN_STATES as readonly string[]).includes(q.state) ? (q.state as RunState) : undefined;
  const filters = { ...(q.pipeline ? { pipeline: q.pipeline } : {}), ...(state ? { state } : {}), ...(q.partition ? { partition: q.partition } : {}) };
  const [{ runs, hasMore }, pipelines] = await Promise.all([
    deps.store.listRunsPage({ ...filters, ...(q.after ? { after: q.after } : {}), limit: PAGE_SIZE }),
    deps.store.listRunPipelines(),
  ]);
  const b = ctx.base;
  const rows = runs.map((r) => html`<tr data-run="${r.id}">
<td><a href="${b}/runs/${encodeURIComponent(r.id)}">${r.id}</a></td><td>${r.pipeline}</td><td>${stateBadge(r.state)}</td>
<td>${r.partition ?? ''}</td><td>${r.trigger}</td><td>${time(r.createdAt)}</td>
<td class="num">${duration(r.startedAt !== null && r.finishedAt !== null ? r.finishedAt - r.startedAt : null)}</td>
<td class="err">${firstLine(r.error)}</td></tr>`);
  const last = runs.at(-1);
  const body = html`<h1>Runs</h1>
<form class="filters" method="get" action="${b}/runs">
<label>pipeline<select name="pipeline"><option value="">any</option>${pipelines.map((p) => html`<option ${p === q.pipeline ? 'selected' : ''}>${p}</option>`)}</select></label>
<label>state<select name="state"><option value="">any</option>${RUN_STATES.map((s) => html`<option ${s === state ? 'selected' : ''}>${s}</option>`)}</select></label>
<label>partition<input name="partition" value="${q.partition ?? ''}" placeholder="e.g. 2001-03"></label>
<button type="submit">Filter</button>${Object.keys(filters).length ? html` <a href="${b}/runs">clear</a>` : ''}
</form>
${runs.length === 0 ? html`<p class="muted">No runs${Object.keys(filters).length ? ' match these filters' : ' yet: run a pipeline with `sluice run <file>`'}.</p>` : html`
<table class="runs"><thead><tr><th>run</th><th>pipeline</th><th>state</th><th>partition</th><th>trigger</th><th>created</th><th class="num">duration</th><th>error</th></tr></thead>
<tbody>${rows}</tbody></table>`}
<nav class="pager">${q.after ? html`<a href="${b}/runs${query(filters)}">« newest</a>` : ''}
${hasMore && last ? html`<a rel="next" href="${b}/runs${query({ ...filters, after: last.id })}">older »</a>` : ''}</nav>`;
  return page(ctx, 'runs', 'Runs', body);
}

function firstLine(text: string | null): string {
  if (!text) return '';
  const line = text.split('\n')[0]!;
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export async function runPage(deps: UiDeps, ctx: PageContext, run: RunRecord, flash?: string): Promise<SafeHtml> {
  const b = ctx.base;
  const finished = TERMINAL.has(run.state);
  const actions = deps.actions
    ? html`<div class="actions">
${finished && run.state !== 'succeeded' ? html`<form method="post" action="${b}/runs/${encodeURIComponent(run.id)}/retry">${csrfField(ctx)}<button class="primary" type="submit" id="retry">Retry</button></form>` : ''}
${finished ? '' : html`<form method="post" action="${b}/runs/${encodeURIComponent(run.id)}/cancel">${csrfField(ctx)}<button class="danger" type="submit" id="cancel">Cancel</button></form>`}
</div>`
    : html`<p class="muted">Retry and cancel are not available in this server (start it with <code>sluice ui</code>).</p>`;
  const body = html`<h1>Run <code>${run.id}</code> ${stateBadge(run.state)}</h1>
${flash ? html`<div class="flash">${flash}</div>` : ''}
<dl class="kv">
<dt>pipeline</dt><dd><a href="${b}/runs${query({ pipeline: run.pipeline })}">${run.pipeline}</a></dd>
${run.partition !== null ? html`<dt>partition</dt><dd><a href="${b}/runs${query({ partition: run.partition })}">${run.partition}</a></dd>` : ''}
<dt>trigger</dt><dd>${run.trigger}${run.backfillId ? html` (backfill <code>${run.backfillId}</code>)` : ''}</dd>
${run.logicalDate !== null ? html`<dt>logical date</dt><dd>${time(run.logicalDate)}</dd>` : ''}
<dt>params</dt><dd><code>${JSON.stringify(run.params)}</code></dd>
<dt>created</dt><dd>${time(run.createdAt)}</dd>
<dt>started</dt><dd>${time(run.startedAt)}</dd>
<dt>finished</dt><dd>${time(run.finishedAt)}</dd>
${run.cancelRequestedAt !== null ? html`<dt>cancel requested</dt><dd>${time(run.cancelRequestedAt)} ${run.cancelReason ?? ''}</dd>` : ''}
</dl>
${actions}
${await runLive(deps, ctx, run)}`;
  return page(ctx, 'runs', `Run ${run.id}`, body);
}

/** The part of a run's page that changes while it runs; polls itself (htmx) until the run is finished. */
export async function runLive(deps: UiDeps, ctx: PageContext, run: RunRecord): Promise<SafeHtml> {
  const b = ctx.base;
  const [tasks, outputs, shape] = await Promise.all([
    deps.store.listTaskRuns(run.id),
    deps.store.listRunOutputs(run.id),
    deps.resolveGraph ? deps.resolveGraph(run).catch(() => undefined) : Promise.resolve(undefined),
  ]);
  const edges = shape ? shape.flatMap((s) => s.inputs.map((i) => [i, s.name] as [string, string])) : lineageEdges(tasks, outputs);
  const now = deps.now();
  const live = !TERMINAL.has(run.state);
  const runUrl = `${b}/runs/${encodeURIComponent(run.id)}`;
  const graph = stepGraph(tasks.map((t) => ({
    name: t.step, state: t.state, href: `#step-${slug(t.step)}`,
    detail: [t.attempt > 1 ? `attempt ${t.attempt}` : '', t.durationMs !== null ? duration(t.durationMs) : ''].filter(Boolean).join(', '),
  })), edges);
  const refsOf = new Map<string, Ref[]>();
  for (const t of tasks) {
    const refs: Ref[] = [];
    for (const d of outputs.datasets) if (d.step === t.step) pushRef({ name: d.dataset, version: d.version }, 'dataset', refs);
    for (const m of outputs.models) if (m.step === t.step) pushRef({ name: m.model, version: m.version }, 'model', refs);
    collectRefs(t.output, refs);
    refsOf.set(t.step, refs);
  }
  const steps = tasks.map((t) => {
    const from = edges.filter(([, to]) => to === t.step).map(([a]) => a);
    const inputs = from.flatMap((a) => (refsOf.get(a) ?? []).map((r) => ({ ...r, via: a })));
    return stepDetails(ctx, t, from, inputs, refsOf.get(t.step) ?? [], t.state === 'failed');
  });
  return html`<section id="run-live" data-run-state="${run.state}" ${live ? html`hx-get="${runUrl}/live" hx-trigger="every ${deps.liveIntervalMs}ms" hx-swap="outerHTML"` : ''}>
${run.error ? errorBlock(run.error, run.errorStack, 'run-error', runHint(run, tasks)) : ''}
<h2>Steps</h2><div class="graph">${graph}</div>
<h2>Timeline</h2><div class="timeline">${timeline(tasks.map((t) => ({ name: t.step, state: t.state, start: t.startedAt, end: t.finishedAt })), now)}</div>
<table class="steps"><thead><tr><th>step</th><th>state</th><th class="num">attempt</th><th>started</th><th class="num">duration</th><th>error</th></tr></thead><tbody>
${tasks.map((t) => html`<tr data-step="${t.step}"><td><a href="#step-${slug(t.step)}">${t.step}</a></td><td>${stateBadge(t.state)}</td><td class="num">${attempts(t)}</td><td>${time(t.startedAt)}</td><td class="num">${duration(t.durationMs)}</td><td>${firstLine(t.error)}</td></tr>`)}
</tbody></table>
${steps}
</section>`;
}

/** The run's error is its first failed step's: so is the hint. */
function runHint(run: RunRecord, tasks: readonly TaskRunRecord[]): string | null {
  return tasks.find((t) => t.state === 'failed' && t.error !== null && run.error !== null && run.error.includes(t.error))?.errorHint ?? null;
}

/** "2 of 3" when the run recorded its retry policy, else the attempt number alone. */
function attempts(t: TaskRunRecord): string {
  return t.maxAttempts >= t.attempt && t.maxAttempts > 1 ? `${t.attempt} of ${t.maxAttempts}` : String(t.attempt);
}

function slug(step: string): string {
  return step.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
}

/**
 * Edges when the pipeline's graph is unknown: step B read what step A made when one of B's outputs
 * names one of A's outputs in its lineage.
 */
function lineageEdges(tasks: readonly TaskRunRecord[], outputs: { datasets: DatasetVersionRecord[]; models: ModelVersionRecord[] }): [string, string][] {
  const maker = new Map<string, string>();
  for (const v of [...outputs.datasets, ...outputs.models]) if (v.step) maker.set(v.id, v.step);
  const edges = new Set<string>();
  for (const v of [...outputs.datasets, ...outputs.models]) {
    for (const i of v.inputs) {
      const from = maker.get(i);
      if (from && v.step && from !== v.step) edges.add(JSON.stringify([from, v.step]));
    }
  }
  void tasks;
  return [...edges].map((e) => JSON.parse(e) as [string, string]);
}

/**
 * An error, its hint and the stack, all as text. The hint is the one recorded with the task run
 * (`SluiceError.hint`, migration 0008), else a `hint:` line the message carries.
 */
export function errorBlock(message: string, stack: string | null, id?: string, recordedHint?: string | null): SafeHtml {
  const lines = message.split('\n');
  const hintAt = lines.findIndex((l) => /^\s*hint:/i.test(l));
  const text = hintAt >= 0 ? lines.slice(0, hintAt).join('\n') : message;
  const hint = recordedHint || (hintAt >= 0 ? lines.slice(hintAt).join('\n').replace(/^\s*hint:\s*/i, '') : null);
  return html`<div class="error" ${id ? html`id="${id}"` : ''}><strong>Error</strong><pre class="message">${text}</pre>
${hint ? html`<div class="hint"><strong>Hint</strong> ${hint}</div>` : ''}
${stack ? html`<details><summary>stack</summary><pre class="stack">${stack}</pre></details>` : ''}</div>`;
}

function refLink(ctx: PageContext, r: Ref): SafeHtml {
  return html`${r.kind} <a href="${ctx.base}/${r.kind === 'dataset' ? 'datasets' : 'models'}/${encodeURIComponent(r.name)}${query({ version: r.version })}">${r.name} v${r.version}</a>`;
}

function stepDetails(ctx: PageContext, t: TaskRunRecord, upstream: string[], inputs: (Ref & { via: string })[], outputs: Ref[], open: boolean): SafeHtml {
  return html`<details class="step" id="step-${slug(t.step)}" data-step="${t.step}" ${open ? 'open' : ''}>
<summary><strong>${t.step}</strong> ${stateBadge(t.state)} <span class="muted">attempt ${attempts(t)}${t.durationMs !== null ? `, ${duration(t.durationMs)}` : ''}${t.cachedFrom ? `, cached from ${t.cachedFrom}` : ''}</span></summary>
${t.error ? errorBlock(t.error, t.errorStack, undefined, t.errorHint) : ''}
<dl class="kv">
<dt>started</dt><dd>${time(t.startedAt)}</dd><dt>finished</dt><dd>${time(t.finishedAt)}</dd>
<dt>attempts</dt><dd>${attempts(t)}${t.maxAttempts > 1 ? ` (backoff from ${duration(t.retryDelayMs)})` : ''}${t.timeoutMs !== null ? `, timeout ${duration(t.timeoutMs)}` : ''}</dd>
${t.leaseOwner ? html`<dt>held by</dt><dd>${t.leaseOwner} until ${time(t.leaseExpiresAt)}</dd>` : ''}
${upstream.length ? html`<dt>reads</dt><dd>${upstream.map((u, i) => html`${i ? ', ' : ''}<a href="#step-${slug(u)}">${u}</a>`)}</dd>` : ''}
</dl>
<div class="grid2"><div><h3>Inputs</h3>${inputs.length ? html`<ul class="inputs">${inputs.map((r) => html`<li>${refLink(ctx, r)} <span class="muted">from ${r.via}</span></li>`)}</ul>` : html`<p class="muted">no datasets or models</p>`}</div>
<div><h3>Outputs</h3>${outputs.length ? html`<ul class="outputs">${outputs.map((r) => html`<li>${refLink(ctx, r)}</li>`)}</ul>` : html`<p class="muted">no datasets or models</p>`}</div></div>
<h3>Logs</h3>${t.logs.length ? html`<pre class="logs">${t.logs.join('\n')}</pre>` : html`<p class="muted">no log lines</p>`}
${t.output !== null ? html`<details><summary>output (${t.outputKind ?? 'summary'})</summary><pre>${JSON.stringify(t.output, null, 2)}</pre></details>` : ''}
</details>`;
}

interface Ref { kind: 'dataset' | 'model'; name: string; version: number }

/** Dataset and model refs named in a step's recorded output (its summary or faithful encoding). */
function collectRefs(value: Json, out: Ref[] = [], depth = 0): Ref[] {
  if (depth > 6 || value === null || typeof value !== 'object') return out;
  if (Array.isArray(value)) { for (const v of value) collectRefs(v, out, depth + 1); return out; }
  const o = value as { [k: string]: Json };
  for (const key of ['$dataset', '$model'] as const) {
    const inner = o[key];
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) pushRef(inner, key === '$dataset' ? 'dataset' : 'model', out);
  }
  if (typeof o['version'] === 'number' && (typeof o['name'] === 'string' || typeof o['dataset'] === 'string' || typeof o['model'] === 'string')) {
    pushRef(o, typeof o['model'] === 'string' || o['kind'] === 'model' ? 'model' : 'dataset', out);
  }
  // Not into a `$dataset` / `$model` encoding just read: its { name, version } would be listed again as a dataset.
  for (const [k, v] of Object.entries(o)) if (k !== '$dataset' && k !== '$model') collectRefs(v, out, depth + 1);
  return out;
}

function pushRef(o: { [k: string]: Json }, kind: 'dataset' | 'model', out: Ref[]): void {
  const name = typeof o['name'] === 'string' ? o['name'] : typeof o['dataset'] === 'string' ? o['dataset'] : typeof o['model'] === 'string' ? o['model'] : null;
  const version = o['version'];
  if (name && typeof version === 'number' && !out.some((r) => r.kind === kind && r.name === name && r.version === version)) out.push({ kind, name, version });
}
