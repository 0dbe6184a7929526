/**
 * Monitoring: the drift datasets that `ctx.monitor.drift` writes (one version per batch, one row per
 * feature), charted per feature over the batches with the threshold the feature was judged against, and
 * for a selected batch each feature's reference and current distributions side by side (the
 * `reference_hist` / `current_hist` JSON columns); and model performance once labels arrive: datasets
 * whose versions carry `meta.performance` ({ batch, model, version, alias?, rows, metrics }), read from
 * the versions' meta alone (no file is opened), one chart per metric over batches, one line per model
 * alias (or model version when no alias was given).
 */
import { readParquetSql } from '../../engine/index.ts';
import type { DatasetVersionRecord } from '../../store/types.ts';
import { html, jsonScript, query, type SafeHtml } from './html.ts';
import { distributionPair, type Distribution } from './svg.ts';
import { num, page, stateBadge, time, type PageContext } from './layout.ts';
import { withEngine } from './datasets.ts';
import type { UiDeps } from './types.ts';

const MAX_BATCHES = 200;

const MAX_PERFORMANCE_VERSIONS = 500;

function isDrift(v: DatasetVersionRecord): boolean {
  const d = v.meta['drift'];
  return typeof d === 'object' && d !== null && !Array.isArray(d);
}

export async function monitoringPage(deps: UiDeps, ctx: PageContext): Promise<SafeHtml> {
  const all = await deps.store.listDatasets();
  const drift = all.filter(isDrift);
  const b = ctx.base;
  const body = html`<h1>Monitoring</h1>
<h2>Data drift</h2>
${drift.length === 0 ? html`<p class="muted">No drift recorded yet: a step records drift with <code>ctx.monitor.drift(reference, current, { output: 'name' })</code>.</p>` : html`<table class="drift-sets"><thead><tr><th>drift dataset</th><th class="num">batches</th><th>latest batch</th><th>drifted</th><th>at</th></tr></thead><tbody>
${drift.map((d) => {
    const m = d.meta['drift'] as { batch?: string; drifted?: boolean; driftedColumns?: number; testedColumns?: number };
    return html`<tr><td><a href="${b}/monitoring/${encodeURIComponent(d.dataset)}">${d.dataset}</a></td><td class="num">${d.version}</td><td>${m.batch ?? ''}</td>
<td>${m.drifted ? stateBadge('failed') : stateBadge('passed')} ${m.driftedColumns ?? 0} of ${m.testedColumns ?? 0} features</td><td>${time(d.createdAt)}</td></tr>`;
  })}</tbody></table>`}
<h2>Model performance</h2>${await performanceSection(deps, ctx, all)}`;
  return page(ctx, 'monitoring', 'Monitoring', body);
}

interface DriftRow { batch: string; feature: string; kind: string; method: string; statistic: number | null; p_value: number | null; threshold: number; drifted: boolean; reference_rows: number; current_rows: number; reference_missing: number; current_missing: number; reference_hist?: string | null; current_hist?: string | null }

export async function driftPage(deps: UiDeps, ctx: PageContext, name: string, selectedVersion?: number): Promise<SafeHtml | undefined> {
  const all = (await deps.store.listDatasetVersions(name)).filter((v) => v.expiredAt === null);
  if (all.length === 0 || !all.some(isDrift)) return undefined;
  const versions = all.filter(isDrift).slice(0, MAX_BATCHES).reverse();
  const b = ctx.base;
  if (!deps.engine) return page(ctx, 'monitoring', `Drift ${name}`, html`<h1>Drift: ${name}</h1><p class="muted">Reading drift datasets needs a DuckDB engine in the UI.</p>`);
  // Content-addressed: two batches with equal rows share one file, so a file may belong to several versions.
  const paths = new Map<string, DatasetVersionRecord[]>();
  for (const v of versions) { const p = deps.artifacts.path(v.artifact); paths.set(p, [...(paths.get(p) ?? []), v]); }
  const present = [...paths.keys()];
  // union_by_name: drift datasets written before the histogram columns existed read them as NULL.
  const rows = (await withEngine(deps, (e) => e.rows(`SELECT *, filename FROM ${readParquetSql(present).replace(/\)$/, ', filename = true, union_by_name = true)')}`))) as unknown as (DriftRow & { filename: string })[];
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
  const selectedAt = selectedVersion === undefined ? -1 : batches.findIndex(({ v }) => v.version === selectedVersion);
  const at = selectedAt >= 0 ? selectedAt : batches.length - 1;
  const chosen = batches[at]!;
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
  const distributions = chosen.rows.map((r) => {
    const ref = parseDistribution(r.reference_hist);
    const cur = parseDistribution(r.current_hist);
    return html`<div class="distribution" data-feature="${r.feature}"><h3>${r.feature} <span class="muted">${r.kind}${r.drifted ? ', drifted' : ''}</span></h3>
${ref && cur ? distributionPair(ref, cur) : html`<p class="muted">Not recorded: this batch was written before drift reports kept histograms.</p>`}</div>`;
  });
  const body = html`<h1>Drift: ${name}</h1>
<p>${batches.length} batches; the latest, <strong>${labels.at(-1)}</strong> (<a href="${b}/datasets/${encodeURIComponent(name)}${query({ version: batches.at(-1)!.v.version })}">v${batches.at(-1)!.v.version}</a>${batches.at(-1)!.v.runId ? html`, run <a href="${b}/runs/${encodeURIComponent(batches.at(-1)!.v.runId!)}">${batches.at(-1)!.v.runId}</a>` : ''}).</p>
<form class="filters" method="get" action="${b}/monitoring/${encodeURIComponent(name)}"><label>batch<select name="batch">${batches.map(({ v }, k) => html`<option value="${v.version}" ${k === at ? 'selected' : ''}>${labels[k]} (v${v.version})</option>`)}</select></label> <button type="submit" id="show-batch">Show</button></form>
<h2>Batch ${labels[at]}</h2>
<table class="drift" data-batch="${labels[at]}"><thead><tr><th>feature</th><th>method</th><th class="num">statistic</th><th class="num">p-value</th><th class="num">threshold</th><th>drifted</th><th class="num">reference rows</th><th class="num">current rows</th><th class="num">missing (ref / cur)</th></tr></thead><tbody>
${chosen.rows.map((r) => html`<tr data-feature="${r.feature}"><td>${r.feature}</td><td>${r.method}</td><td class="num">${num(r.statistic)}</td><td class="num">${num(r.p_value)}</td><td class="num">${num(r.threshold)}</td>
<td>${r.drifted ? stateBadge('failed') : stateBadge('passed')}</td><td class="num">${num(Number(r.reference_rows))}</td><td class="num">${num(Number(r.current_rows))}</td>
<td class="num">${(Number(r.reference_missing) * 100).toFixed(1)}% / ${(Number(r.current_missing) * 100).toFixed(1)}%</td></tr>`)}
</tbody></table>
<h2>Reference against current, batch ${labels[at]}</h2>
<p class="muted">Shares of the non-missing values: numeric features on 20 bins over the reference's range (values outside it in the end bars), categorical ones by their top categories and "other".</p>
<div class="distributions">${distributions}</div>
<h2>Per feature over batches</h2>${charts}`;
  return page(ctx, 'monitoring', `Drift ${name}`, body);
}

/** A stored histogram (JSON text), checked: anything else is treated as not recorded. */
function parseDistribution(text: string | null | undefined): Distribution | undefined {
  if (typeof text !== 'string') return undefined;
  let v: unknown;
  try { v = JSON.parse(text); } catch { return undefined; }
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const numbers = (x: unknown): x is number[] => Array.isArray(x) && x.every((n) => typeof n === 'number');
  if (o['kind'] === 'numeric' && numbers(o['edges']) && numbers(o['shares']) && o['edges'].length === o['shares'].length + 1 && typeof o['under'] === 'number' && typeof o['over'] === 'number') {
    return { kind: 'numeric', edges: o['edges'], shares: o['shares'], under: o['under'], over: o['over'] };
  }
  if (o['kind'] === 'categorical' && Array.isArray(o['labels']) && numbers(o['shares']) && o['labels'].length === o['shares'].length && typeof o['other'] === 'number') {
    return { kind: 'categorical', labels: o['labels'].map(String), shares: o['shares'], other: o['other'] };
  }
  return undefined;
}

interface Performance { batch: string; model: string; version: number; alias: string | null; rows: number; metrics: Record<string, number> }

function performanceOf(v: DatasetVersionRecord): Performance | undefined {
  const p = v.meta['performance'];
  if (!p || typeof p !== 'object' || Array.isArray(p)) return undefined;
  const metrics = p['metrics'];
  if (typeof p['batch'] !== 'string' || typeof p['model'] !== 'string' || typeof p['version'] !== 'number' || !metrics || typeof metrics !== 'object' || Array.isArray(metrics)) return undefined;
  const m: Record<string, number> = {};
  for (const [k, x] of Object.entries(metrics)) if (typeof x === 'number') m[k] = x;
  return { batch: p['batch'], model: p['model'], version: p['version'], alias: typeof p['alias'] === 'string' ? p['alias'] : null, rows: typeof p['rows'] === 'number' ? p['rows'] : 0, metrics: m };
}

/**
 * Performance on late-arriving labels: per dataset whose latest version carries `meta.performance`, one
 * chart per metric with the batches on x and a line per model alias (a model version when there is none).
 * A batch measured twice for the same line shows the newer measurement.
 */
async function performanceSection(deps: UiDeps, ctx: PageContext, latest: readonly DatasetVersionRecord[]): Promise<SafeHtml> {
  const sets = latest.filter((d) => performanceOf(d) !== undefined);
  if (sets.length === 0) return html`<p class="muted">No performance recorded yet: once labels arrive, a step measures the model on them with <code>ctx.monitor.performance(...)</code>; each model's metrics per version are on its page under <a href="${ctx.base}/models">Models</a>.</p>`;
  const sections = await Promise.all(sets.map(async (d, si) => {
    const versions = (await deps.store.listDatasetVersions(d.dataset)).filter((v) => v.expiredAt === null).slice(0, MAX_PERFORMANCE_VERSIONS);
    // Oldest first, so a newer measurement of the same batch and line replaces an older one.
    const points = versions.reverse().map((v) => ({ v, p: performanceOf(v) })).filter((x): x is { v: DatasetVersionRecord; p: Performance } => x.p !== undefined);
    const lineOf = (p: Performance): string => (p.alias ? `${p.model} (${p.alias})` : `${p.model} v${p.version}`);
    const batches = [...new Set(points.map((x) => x.p.batch))].sort();
    const lines = [...new Set(points.map((x) => lineOf(x.p)))].sort();
    const metrics = [...new Set(points.flatMap((x) => Object.keys(x.p.metrics)))].sort();
    const cell = new Map<string, { v: DatasetVersionRecord; p: Performance }>();
    for (const x of points) cell.set(`${lineOf(x.p)}\u0000${x.p.batch}`, x);
    const charts = metrics.map((metric, mi) => {
      const id = `perf-${si}-${mi}`;
      return html`<div class="metric" data-metric="${metric}"><h3>${metric}</h3><div class="chart" data-chart="${id}"></div>${jsonScript(id, {
        xLabel: 'batch', x: batches.map((_b, k) => k), xLabels: batches, yLabel: metric, height: 220,
        series: lines.map((l) => ({ label: l, values: batches.map((bt) => cell.get(`${l}\u0000${bt}`)?.p.metrics[metric] ?? null) })),
      })}</div>`;
    });
    const b = ctx.base;
    return html`<div class="performance" data-dataset="${d.dataset}"><h3><a href="${b}/datasets/${encodeURIComponent(d.dataset)}">${d.dataset}</a> <span class="muted">${batches.length} batches, ${lines.length} ${lines.length === 1 ? 'line' : 'lines'}</span></h3>
${charts}
<table class="performance-table"><thead><tr><th>batch</th><th>model</th><th class="num">rows</th>${metrics.map((m) => html`<th class="num">${m}</th>`)}</tr></thead><tbody>
${batches.flatMap((bt) => lines.map((l) => cell.get(`${l}\u0000${bt}`)).filter((x) => x !== undefined).map((x) => html`<tr data-batch="${bt}" data-line="${lineOf(x.p)}"><td>${bt}</td><td><a href="${b}/models/${encodeURIComponent(x.p.model)}${query({ version: x.p.version })}">${x.p.model} v${x.p.version}</a>${x.p.alias ? html` <span class="muted">${x.p.alias}</span>` : ''}</td><td class="num">${num(x.p.rows)}</td>${metrics.map((m) => html`<td class="num">${num(x.p.metrics[m])}</td>`)}</tr>`))}
</tbody></table></div>`;
  }));
  return html`${sections}`;
}
