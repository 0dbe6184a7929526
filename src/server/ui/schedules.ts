/** Schedules and backfills: runs started by a schedule or a backfill, grouped. */
import { html, query, type SafeHtml } from './html.ts';
import { page, stateBadge, time, type PageContext } from './layout.ts';
import type { UiDeps } from './types.ts';

export async function schedulesPage(deps: UiDeps, ctx: PageContext): Promise<SafeHtml> {
  const b = ctx.base;
  const { runs } = await deps.store.listRunsPage({ limit: 200 });
  const scheduled = runs.filter((r) => r.trigger === 'schedule');
  const backfills = new Map<string, typeof runs>();
  for (const r of runs) if (r.backfillId) backfills.set(r.backfillId, [...(backfills.get(r.backfillId) ?? []), r]);
  const full = await Promise.all([...backfills.keys()].map(async (id) => [id, await deps.store.listRunsByBackfill(id)] as const));
  const body = html`<h1>Schedules and backfills</h1>
<h2>Last scheduled runs</h2>
${scheduled.length ? html`<table><thead><tr><th>run</th><th>pipeline</th><th>logical date</th><th>state</th><th>created</th></tr></thead><tbody>
${scheduled.slice(0, 50).map((r) => html`<tr><td><a href="${b}/runs/${encodeURIComponent(r.id)}">${r.id}</a></td><td>${r.pipeline}</td><td>${time(r.logicalDate)}</td><td>${stateBadge(r.state)}</td><td>${time(r.createdAt)}</td></tr>`)}
</tbody></table>` : html`<p class="muted">No scheduled run among the latest 200 runs.</p>`}
<h2>Backfills</h2>
${full.length ? full.map(([id, rs]) => html`<h3>Backfill <code>${id}</code> <span class="muted">${rs.filter((r) => r.state === 'succeeded').length} of ${rs.length} partitions succeeded</span></h3>
<table class="backfill"><thead><tr><th>partition</th><th>state</th><th>run</th><th>finished</th></tr></thead><tbody>
${rs.map((r) => html`<tr data-partition="${r.partition ?? ''}"><td><a href="${b}/runs${query({ partition: r.partition })}">${r.partition ?? ''}</a></td><td>${stateBadge(r.state)}</td><td><a href="${b}/runs/${encodeURIComponent(r.id)}">${r.id}</a></td><td>${time(r.finishedAt)}</td></tr>`)}
</tbody></table>`) : html`<p class="muted">No backfill among the latest 200 runs.</p>`}`;
  return page(ctx, 'schedules', 'Schedules', body);
}
