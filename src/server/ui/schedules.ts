/**
 * Schedules and backfills. Schedules come from the store (`store.schedules`: what a scheduler has seen,
 * with its cursor and pause state) and from the project's pipelines when the UI has them (`sluice dev`),
 * so a schedule declared but not yet seen by a scheduler is listed too. Next occurrences are croner's,
 * in the schedule's time zone. Backfills are the store's backfill records, partition by partition; while
 * one runs the section polls itself (htmx) so a person can watch it fill in.
 */
import { nextOccurrences, type ScheduleDef } from '../../orchestrator/index.ts';
import type { BackfillPartitionRecord, BackfillRecord, RunRecord } from '../../store/types.ts';
import { html, query, type SafeHtml } from './html.ts';
import { page, stateBadge, time, type PageContext } from './layout.ts';
import type { UiDeps } from './types.ts';

const NEXT = 3;
const BACKFILLS = 20;
/** Partitions listed per backfill (the strip and the counts cover all of them). */
const PARTITION_ROWS = 400;

const STATE_COLOR: Record<string, string> = {
  succeeded: '#16a34a', failed: '#dc2626', running: '#2563eb', submitted: '#60a5fa', pending: '#d1d5db', cancelled: '#6b7280',
};

interface ScheduleRow {
  pipeline: string; name: string; cron: string; timezone: string; catchUp: string; paused: boolean; seen: boolean;
  partitions: string | null; next: number[];
  last: { occurrence: number; run: RunRecord | undefined; runId: string | null } | undefined;
}

export async function schedulesPage(deps: UiDeps, ctx: PageContext): Promise<SafeHtml> {
  const body = html`<h1>Schedules and backfills</h1>${await schedulesLive(deps, ctx)}`;
  return page(ctx, 'schedules', 'Schedules', body);
}

/** Everything on the page; polls itself while a backfill runs. */
export async function schedulesLive(deps: UiDeps, ctx: PageContext): Promise<SafeHtml> {
  const [schedules, backfills] = await Promise.all([scheduleRows(deps), deps.store.schedules.listBackfills({ limit: BACKFILLS })]);
  const shown = await Promise.all(backfills.map((bf) => backfillSection(deps, ctx, bf)));
  const live = backfills.some((bf) => bf.state === 'running');
  const b = ctx.base;
  return html`<section id="schedules-live" ${live ? html`hx-get="${b}/schedules/live" hx-trigger="every ${deps.liveIntervalMs}ms" hx-swap="outerHTML"` : ''}>
<h2>Schedules</h2>
${schedules.length === 0 ? html`<p class="muted">No schedule yet: declare one on a pipeline (<code>pipeline('name', { schedule: { cron: '0 6 1 * *', timezone: 'UTC' } })</code>) and start <code>sluice dev</code> or <code>sluice scheduler</code>.</p>` : html`<table class="schedules"><thead><tr><th>pipeline</th><th>schedule</th><th>cron</th><th>time zone</th><th>catch-up</th><th>next occurrences</th><th>last run</th><th>paused</th></tr></thead><tbody>
${schedules.map((s) => html`<tr data-schedule="${s.pipeline}/${s.name}" data-paused="${s.paused ? 'yes' : 'no'}"><td><a href="${b}/runs${query({ pipeline: s.pipeline })}">${s.pipeline}</a></td><td>${s.name}</td><td><code>${s.cron}</code></td><td>${s.timezone}</td><td>${s.catchUp}${s.partitions ? html`<br><span class="muted">${s.partitions} partitions</span>` : ''}</td>
<td class="next">${s.next.length ? html`<ul class="plain">${s.next.map((t) => html`<li${s.paused ? html` class="muted"` : ''}>${time(t)}</li>`)}</ul>` : html`<span class="muted">never again</span>`}${s.paused ? html`<span class="muted">(not while paused)</span>` : ''}</td>
<td class="last">${s.last ? html`${time(s.last.occurrence)}<br>${s.last.run ? html`${stateBadge(s.last.run.state)} <a href="${b}/runs/${encodeURIComponent(s.last.run.id)}">${s.last.run.id}</a>` : html`<span class="muted">${s.last.runId ? s.last.runId : 'not submitted yet'}</span>`}` : html`<span class="muted">${s.seen ? 'none yet' : 'no scheduler has seen this schedule yet'}</span>`}</td>
<td>${s.paused ? html`<strong>paused</strong>` : 'no'}</td></tr>`)}
</tbody></table>`}
<h2>Backfills</h2>
${shown.length ? shown : html`<p class="muted">No backfill yet: <code>sluice backfill &lt;pipeline&gt; --from P --to P</code> runs one partition after another.</p>`}
</section>`;
}

async function scheduleRows(deps: UiDeps): Promise<ScheduleRow[]> {
  const now = deps.now();
  const records = await deps.store.schedules.listSchedules();
  const byKey = new Map(records.map((r) => [`${r.pipeline}/${r.name}`, r]));
  const rows = new Map<string, Omit<ScheduleRow, 'last' | 'next'> & { def: ScheduleDef }>();
  for (const p of deps.pipelines ?? []) {
    for (const s of p.graph.schedules) {
      const rec = byKey.get(`${p.name}/${s.name}`);
      const parts = p.graph.partitions;
      rows.set(`${p.name}/${s.name}`, {
        pipeline: p.name, name: s.name, cron: s.cron, timezone: s.timezone, catchUp: s.catchUp, paused: rec?.paused ?? false, seen: rec !== undefined,
        partitions: parts ? parts.kind : null, def: s,
      });
    }
  }
  for (const r of records) {
    const key = `${r.pipeline}/${r.name}`;
    if (rows.has(key)) continue;
    rows.set(key, {
      pipeline: r.pipeline, name: r.name, cron: r.cron, timezone: r.timezone, catchUp: r.catchUp, paused: r.paused, seen: true, partitions: null,
      def: { name: r.name, cron: r.cron, timezone: r.timezone, catchUp: r.catchUp, partition: 'last-complete' },
    });
  }
  const sorted = [...rows.values()].sort((x, y) => x.pipeline.localeCompare(y.pipeline) || x.name.localeCompare(y.name));
  return Promise.all(sorted.map(async ({ def, ...s }) => {
    const last = (await deps.store.schedules.listOccurrences(s.pipeline, s.name, 1))[0];
    const run = last?.runId ? await deps.store.getRun(last.runId) : undefined;
    return { ...s, next: safeNext(def, now), last: last ? { occurrence: last.occurrence, run, runId: last.runId } : undefined };
  }));
}

/** A pattern recorded by another version of a pipeline may no longer parse: the page still renders. */
function safeNext(def: ScheduleDef, now: number): number[] {
  try { return nextOccurrences(def, now, NEXT); } catch { return []; }
}

async function backfillSection(deps: UiDeps, ctx: PageContext, bf: BackfillRecord): Promise<SafeHtml> {
  const b = ctx.base;
  const [counts, parts] = await Promise.all([
    deps.store.schedules.countBackfillPartitions(bf.id),
    deps.store.schedules.listBackfillPartitions(bf.id, { limit: PARTITION_ROWS }),
  ]);
  // A row marked submitted may be out of date (the driver updates it when the run ends): ask the run.
  const rows = await Promise.all(parts.map(async (p) => {
    const run = p.runId && p.state === 'submitted' ? await deps.store.getRun(p.runId) : undefined;
    return { ...p, shown: run && run.state !== 'pending' ? run.state : p.state };
  }));
  const done = counts.succeeded;
  const pct = bf.partitions === 0 ? 100 : (done / bf.partitions) * 100;
  return html`<div class="backfill-block" data-backfill="${bf.id}" data-state="${bf.state}">
<h3>Backfill <code>${bf.id}</code> of <a href="${b}/runs${query({ pipeline: bf.pipeline })}">${bf.pipeline}</a> ${stateBadge(bf.state)}</h3>
<p><span class="progress-text">${done} of ${bf.partitions} partitions succeeded</span>, ${bf.from} to ${bf.to}${bf.inOrder ? ', in order' : `, ${bf.parallel} at once`}; started ${time(bf.createdAt)}${bf.finishedAt !== null ? html`, finished ${time(bf.finishedAt)}` : ''}.
<span class="muted">${(['submitted', 'failed', 'cancelled', 'pending'] as const).filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`).join(', ')}</span></p>
<div class="progress" role="progressbar" aria-valuenow="${Math.round(pct)}" aria-valuemin="0" aria-valuemax="100"><div style="width: ${pct.toFixed(1)}%"></div></div>
${partitionStrip(rows)}
${bf.error ? html`<div class="error"><pre class="message">${bf.error}</pre></div>` : ''}
<table class="backfill"><thead><tr><th>partition</th><th>state</th><th class="num">runs</th><th>latest run</th><th>updated</th></tr></thead><tbody>
${rows.map((r) => html`<tr data-partition="${r.partition}" data-state="${r.shown}"><td><a href="${b}/runs${query({ pipeline: bf.pipeline, partition: r.partition })}">${r.partition}</a></td><td>${stateBadge(r.shown)}</td><td class="num">${r.attempts}</td><td>${r.runId ? html`<a href="${b}/runs/${encodeURIComponent(r.runId)}">${r.runId}</a>` : ''}</td><td>${time(r.updatedAt)}</td></tr>`)}
</tbody></table>${bf.partitions > rows.length ? html`<p class="muted">${bf.partitions - rows.length} more partitions not listed.</p>` : ''}</div>`;
}

/** One cell per partition, coloured by state, in range order: the backfill at a glance. */
function partitionStrip(rows: readonly (BackfillPartitionRecord & { shown: string })[]): SafeHtml {
  if (rows.length === 0) return html``;
  const cell = Math.max(4, Math.min(18, Math.floor(900 / rows.length)));
  const w = rows.length * cell;
  return html`<svg class="partition-strip" xmlns="http://www.w3.org/2000/svg" width="${w}" height="18" viewBox="0 0 ${w} 18" role="img" aria-label="partitions by state">${rows.map((r, i) => html`<rect x="${i * cell}" y="0" width="${cell - 1}" height="18" fill="${STATE_COLOR[r.shown] ?? '#9ca3af'}" data-partition="${r.partition}"><title>${r.partition}: ${r.shown}</title></rect>`)}</svg>`;
}
