/**
 * Monitoring: the drift datasets that `ctx.monitor.drift` writes (one version per batch, one row per
 * feature), charted per feature over the batches with the threshold the feature was judged against.
 */
import { readParquetSql } from '../../engine/index.ts';
import type { DatasetVersionRecord } from '../../store/types.ts';
import { html, jsonScript, query, type SafeHtml } from './html.ts';
import { num, page, stateBadge, time, type PageContext } from './layout.ts';
import { withEngine } from './datasets.ts';
import type { UiDeps } from './types.ts';

const MAX_BATCHES = 200;

function isDrift(v: DatasetVersionRecord): boolean {
  const d = v.meta['drift'];
  return typeof d === 'object' && d !== null && !Array.isArray(d);
}

export async function monitoringPage(deps: UiDeps, ctx: PageContext): Promise<SafeHtml> {
  const drift = (await deps.store.listDatasets()).filter(isDrift);
  const b = ctx.base;
  const body = html`<h1>Monitoring</h1>
<h2>Data drift</h2>
${drift.length === 0 ? html`<p class="muted">No drift recorded yet: a step records drift with <code>ctx.monitor.drift(reference, current, { output: 'name' })</code>.</p>` : html`<table class="drift-sets"><thead><tr><th>drift dataset</th><th class="num">batches</th><th>latest batch</th><th>drifted</th><th>at</th></tr></thead><tbody>
${drift.map((d) => {
    const m = d.meta['drift'] as { batch?: string; drifted?: boolean; driftedColumns?: number; testedColumns?: number };
    return html`<tr><td><a href="${b}/monitoring/${encodeURIComponent(d.dataset)}">${d.dataset}</a></td><td class="num">${d.version}</td><td>${m.batch ?? ''}</td>
<td>${m.drifted ? stateBadge('failed') : stateBadge('passed')} ${m.driftedColumns ?? 0} of ${m.testedColumns ?? 0} features</td><td>${time(d.createdAt)}</td></tr>`;
  })}</tbody></table>`}
<h2>Model performance</h2><p class="muted">Each model's metrics per version are on its page under <a href="${b}/models">Models</a>; performance on late-arriving labels appears here once a pipeline records it as a drift-style dataset.</p>`;
  return page(ctx, 'monitoring', 'Monitoring', body);
}

interface DriftRow { batch: string; feature: string; kind: string; method: string; statistic: number | null; p_value: number | null; threshold: number; drifted: boolean; reference_rows: number; current_rows: number; reference_missing: number; current_missing: number }

export async function driftPage(deps: UiDeps, ctx: PageContext, name: string): Promise<SafeHtml | undefined> {
  const all = (await deps.store.listDatasetVersions(name)).filter((v) => v.expiredAt === null);
  if (all.length === 0 || !all.some(isDrift)) return undefined;
  const versions = all.filter(isDrift).slice(0, MAX_BATCHES).reverse();
  const b = ctx.base;
  if (!deps.engine) return page(ctx, 'monitoring', `Drift ${name}`, html`<h1>Drift: ${name}</h1><p class="muted">Reading drift datasets needs a DuckDB engine in the UI.</p>`);
  // Content-addressed: two batches with equal rows share one file, so a file may belong to several versions.
  const paths = new Map<string, DatasetVersionRecord[]>();
  for (const v of versions) { const p = deps.artifacts.path(v.artifact); paths.set(p, [...(paths.get(p) ?? []), v]); }
  const present = [...paths.keys()];
  const rows = (await withEngine(deps, (e) => e.rows(`SELECT *, filename FROM ${readParquetSql(present).replace(/\)$/, ', filename = true)')}`))) as unknown as (DriftRow & { filename: string })[];
  const byVersion = new Map<number, DriftRow[]>();
  for (const r of rows) {
    for (const v of paths.get(r.filename) ?? []) {
      const list = byVersion.get(v.version) ?? [];
      list.push(r);
      byVersion.set(v.version, list);
    }
  }
  const batches = versions.map((v) => ({ v, rows: byVersion.get(v.version) ?? [] }));
  const features = [...new Set(rows.map((r) => r.feature))].sort();
  const labels = batches.map(({ v, rows: rs }) => rs[0]?.batch ?? String((v.meta['drift'] as { batch?: string }).batch ?? `v${v.version}`));
  const latest = batches.at(-1)!;
  const charts = features.map((f, i) => {
    const pts = batches.map(({ rows: rs }) => rs.find((r) => r.feature === f));
    const usesP = pts.some((p) => p && p.p_value !== null && p.p_value !== undefined);
    const value = (p: DriftRow | undefined): number | null => (p ? (usesP ? p.p_value : p.statistic) : null);
    const method = pts.find((p) => p)?.method ?? '';
    const id = `drift-${i}`;
    return html`<div class="feature" data-feature="${f}"><h3>${f} <span class="muted">${method}, ${usesP ? 'p-value (drift below the threshold)' : 'statistic (drift at or above the threshold)'}</span></h3>
<div class="chart" data-chart="${id}"></div>${jsonScript(id, {
      xLabel: 'batch', x: labels.map((_l, k) => k), xLabels: labels, yLabel: usesP ? 'p-value' : 'statistic', height: 200,
      series: [{ label: usesP ? 'p-value' : 'statistic', values: pts.map(value) }, { label: 'threshold', values: pts.map((p) => (p ? p.threshold : null)), color: '#dc2626', dash: [6, 4] }],
    })}</div>`;
  });
  const body = html`<h1>Drift: ${name}</h1>
<p>${batches.length} batches; the latest, <strong>${labels.at(-1)}</strong> (<a href="${b}/datasets/${encodeURIComponent(name)}${query({ version: latest.v.version })}">v${latest.v.version}</a>${latest.v.runId ? html`, run <a href="${b}/runs/${encodeURIComponent(latest.v.runId)}">${latest.v.runId}</a>` : ''}).</p>
<h2>Latest batch</h2>
<table class="drift"><thead><tr><th>feature</th><th>method</th><th class="num">statistic</th><th class="num">p-value</th><th class="num">threshold</th><th>drifted</th><th class="num">reference rows</th><th class="num">current rows</th><th class="num">missing (ref / cur)</th></tr></thead><tbody>
${latest.rows.map((r) => html`<tr data-feature="${r.feature}"><td>${r.feature}</td><td>${r.method}</td><td class="num">${num(r.statistic)}</td><td class="num">${num(r.p_value)}</td><td class="num">${num(r.threshold)}</td>
<td>${r.drifted ? stateBadge('failed') : stateBadge('passed')}</td><td class="num">${num(Number(r.reference_rows))}</td><td class="num">${num(Number(r.current_rows))}</td>
<td class="num">${(Number(r.reference_missing) * 100).toFixed(1)}% / ${(Number(r.current_missing) * 100).toFixed(1)}%</td></tr>`)}
</tbody></table>
<h2>Per feature over batches</h2>${charts}
<p class="muted">The drift dataset records each feature's statistic, threshold, row counts and missing shares per batch; the distributions themselves are on the profiles of the datasets compared.</p>`;
  return page(ctx, 'monitoring', `Drift ${name}`, body);
}
