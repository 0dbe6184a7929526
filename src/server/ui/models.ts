/** Models: the list, a model's versions with metrics over time and alias history, and two versions side by side. */
import { decodeModelPackage, loadPredictor, metricDirection } from '../../registry/index.ts';
import type { AliasHistoryRecord, Json, ModelVersionRecord } from '../../store/types.ts';
import { html, jsonScript, query, type SafeHtml } from './html.ts';
import { num, page, time, type PageContext } from './layout.ts';
import { metricPairs } from './svg.ts';
import type { UiDeps } from './types.ts';

export async function modelsPage(deps: UiDeps, ctx: PageContext): Promise<SafeHtml> {
  const list = await deps.store.listModels();
  const aliases = await Promise.all(list.map((m) => deps.store.getModelAliases(m.model)));
  const b = ctx.base;
  const body = html`<h1>Models</h1>
${list.length === 0 ? html`<p class="muted">No model registered yet.</p>` : html`<table class="models"><thead><tr><th>model</th><th class="num">versions</th><th>aliases</th><th>latest metrics</th><th>created</th></tr></thead><tbody>
${list.map((m, i) => html`<tr><td><a href="${b}/models/${encodeURIComponent(m.model)}">${m.model}</a></td><td class="num">${m.version}</td>
<td>${Object.entries(aliases[i]!).map(([a, v]) => html`<span class="alias">${a} → v${v}</span> `)}</td><td>${metricText(m.metrics)}</td><td>${time(m.createdAt)}</td></tr>`)}
</tbody></table>`}`;
  return page(ctx, 'models', 'Models', body);
}

function metricText(metrics: Record<string, number>): string {
  return Object.entries(metrics).slice(0, 6).map(([k, v]) => `${k} ${num(v)}`).join(', ');
}

export async function modelPage(deps: UiDeps, ctx: PageContext, name: string, selected: number | undefined): Promise<SafeHtml | undefined> {
  const versions = await deps.store.listModelVersions(name);
  if (versions.length === 0) return undefined;
  const [aliases, history] = await Promise.all([deps.store.getModelAliases(name), deps.store.listAliasHistory(name)]);
  const b = ctx.base;
  const asc = [...versions].reverse();
  const metricNames = [...new Set(asc.flatMap((v) => Object.keys(v.metrics)))].sort();
  const chart = metricNames.length
    ? html`<div class="chart" data-chart="metrics-chart"></div>${jsonScript('metrics-chart', {
      xLabel: 'version', x: asc.map((_v, i) => i), xLabels: asc.map((v) => `v${v.version}`), yLabel: 'metric',
      series: metricNames.map((m) => ({ label: m, values: asc.map((v) => (Number.isFinite(v.metrics[m]) ? v.metrics[m] : null)) })),
    })}`
    : html`<p class="muted">No version recorded metrics.</p>`;
  const aliasOf = (v: number): string[] => Object.entries(aliases).filter(([, x]) => x === v).map(([a]) => a);
  const a = versions[1]?.version ?? versions[0]!.version;
  const bv = versions[0]!.version;
  const trainedOn = await Promise.all(versions.map((v) => inputLinks(deps, ctx, v)));
  const body = html`<h1>Model ${name}</h1>
<p>${Object.keys(aliases).length ? Object.entries(aliases).map(([al, v]) => html`<span class="alias"><strong>${al}</strong> → <a href="${b}/models/${encodeURIComponent(name)}${query({ version: v })}">v${v}</a></span> `) : html`<span class="muted">no alias</span>`}</p>
<h2>Metrics over versions</h2>${chart}
<h2>Compare two versions</h2>
<form class="filters" method="get" action="${b}/models/${encodeURIComponent(name)}/compare">
<label>version<select name="a">${versions.map((v) => html`<option value="${v.version}" ${v.version === a ? 'selected' : ''}>v${v.version}</option>`)}</select></label>
<label>against<select name="b">${versions.map((v) => html`<option value="${v.version}" ${v.version === bv ? 'selected' : ''}>v${v.version}</option>`)}</select></label>
<button type="submit" id="compare">Compare</button></form>
<h2>Versions</h2><table class="versions"><thead><tr><th class="num">version</th><th>aliases</th>${metricNames.map((m) => html`<th class="num">${m}</th>`)}<th>trained on</th><th>run</th><th>created</th></tr></thead><tbody>
${versions.map((v, i) => html`<tr data-version="${v.version}"${v.version === selected ? html` class="current"` : ''}><td class="num">v${v.version}</td><td>${aliasOf(v.version).join(', ')}</td>${metricNames.map((m) => html`<td class="num">${num(v.metrics[m])}</td>`)}
<td>${trainedOn[i]}</td><td>${v.runId ? html`<a href="${b}/runs/${encodeURIComponent(v.runId)}">${v.runId}</a>` : ''}</td><td>${time(v.createdAt)}</td></tr>`)}
</tbody></table>
<h2>Alias history</h2>${aliasHistory(ctx, history)}`;
  return page(ctx, 'models', `Model ${name}`, body);
}

async function inputLinks(deps: UiDeps, ctx: PageContext, v: ModelVersionRecord): Promise<SafeHtml> {
  const links: SafeHtml[] = [];
  for (const id of v.inputs) {
    const d = await deps.store.getDatasetVersionById(id);
    links.push(d ? html`<a href="${ctx.base}/datasets/${encodeURIComponent(d.dataset)}${query({ version: d.version })}">${d.dataset} v${d.version}</a> ` : html`<code>${id}</code> `);
  }
  return html`${links}`;
}

function aliasHistory(ctx: PageContext, history: readonly AliasHistoryRecord[]): SafeHtml {
  if (history.length === 0) return html`<p class="muted">No alias was ever set.</p>`;
  const b = ctx.base;
  // Which version held each alias when: a move ends the previous holder's period.
  const rows = history.map((h, i) => {
    const next = history.slice(i + 1).find((x) => x.alias === h.alias);
    return html`<tr data-alias="${h.alias}"><td>${time(h.at)}</td><td><strong>${h.alias}</strong></td><td>${h.previousVersion === null ? 'set' : `v${h.previousVersion} →`} v${h.version}</td>
<td>${next ? `until ${time(next.at)}` : 'current'}</td><td class="reason">${h.reason ?? ''}</td><td>${h.actor ?? ''}</td>
<td>${h.runId ? html`<a href="${b}/runs/${encodeURIComponent(h.runId)}">${h.runId}</a>` : ''}</td>
<td>${Object.keys(h.evidence).length ? html`<details><summary>evidence</summary><pre>${JSON.stringify(h.evidence, null, 2)}</pre></details>` : ''}</td></tr>`;
  });
  return html`<table class="alias-history"><thead><tr><th>when</th><th>alias</th><th>move</th><th>held</th><th>why</th><th>who</th><th>run</th><th></th></tr></thead><tbody>${[...rows].reverse()}</tbody></table>`;
}

/**
 * Feature importance as shares of the total, when the model's estimator has it (trees: total split gain;
 * a forest: mean decrease in impurity); null for estimators without one (linear models) or an unreadable package.
 */
async function importance(deps: UiDeps, v: ModelVersionRecord): Promise<Record<string, number> | null> {
  try {
    const predictor = loadPredictor(decodeModelPackage(await deps.artifacts.get(v.artifact), `model ${v.model} v${v.version}`));
    type WithImportance = { featureImportance?: () => Record<string, number> };
    const est = predictor.estimator as unknown as WithImportance & { model?: WithImportance };
    const raw = est.featureImportance?.() ?? est.model?.featureImportance?.();
    if (!raw) return null;
    const total = Object.values(raw).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    if (!(total > 0)) return null;
    return Object.fromEntries(Object.entries(raw).map(([k, x]) => [k, x / total]));
  } catch {
    return null;
  }
}

function importanceTable(a: number, b: number, ia: Record<string, number> | null, ib: Record<string, number> | null): SafeHtml {
  if (!ia && !ib) return html`<p class="muted">Neither version's estimator reports feature importance (linear models do not; trees and forests do).</p>`;
  const features = [...new Set([...Object.keys(ia ?? {}), ...Object.keys(ib ?? {})])].sort((x, y) => Math.max(ib?.[y] ?? 0, ia?.[y] ?? 0) - Math.max(ib?.[x] ?? 0, ia?.[x] ?? 0));
  const cell = (imp: Record<string, number> | null, f: string): SafeHtml | string => {
    if (!imp) return 'n/a';
    const share = imp[f] ?? 0;
    return html`<span class="imp"><svg width="120" height="10" role="img" aria-label="share"><rect width="${(share * 120).toFixed(1)}" height="10" fill="#60a5fa"/></svg> ${(share * 100).toFixed(1)}%</span>`;
  };
  return html`<table class="importance"><thead><tr><th>feature</th><th>v${a}</th><th>v${b}</th></tr></thead><tbody>
${features.slice(0, 40).map((f) => html`<tr data-feature="${f}"><td>${f}</td><td>${cell(ia, f)}</td><td>${cell(ib, f)}</td></tr>`)}</tbody></table>`;
}

export async function comparePage(deps: UiDeps, ctx: PageContext, name: string, a: number, bNum: number): Promise<SafeHtml | undefined> {
  const [va, vb] = await Promise.all([deps.store.getModelVersion(name, a), deps.store.getModelVersion(name, bNum)]);
  if (!va || !vb) return undefined;
  const [history, ia, ib] = await Promise.all([deps.store.listAliasHistory(name), importance(deps, va), importance(deps, vb)]);
  const b = ctx.base;
  const metrics = [...new Set([...Object.keys(va.metrics), ...Object.keys(vb.metrics)])].sort();
  const params = [...new Set([...Object.keys(va.params), ...Object.keys(vb.params)])].sort();
  const held = (v: number): string => history.filter((h) => h.version === v).map((h) => `${h.alias} since ${time(h.at)}`).join('; ');
  const delta = (m: string): SafeHtml | string => {
    const x = va.metrics[m];
    const y = vb.metrics[m];
    if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) return '';
    const d = y - x;
    if (d === 0) return '0';
    const better = metricDirection(m) === 'minimize' ? d < 0 : d > 0;
    return html`<span class="${better ? 'delta-better' : 'delta-worse'}">${d > 0 ? '+' : ''}${num(d)}</span>`;
  };
  const show = (v: Json | undefined): string => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  const body = html`<h1>Model ${name}: v${a} against v${bNum}</h1>
<p><a href="${b}/models/${encodeURIComponent(name)}">« all versions</a></p>
<table class="compare"><thead><tr><th></th><th>v${a}</th><th>v${bNum}</th><th class="num">change</th></tr></thead><tbody>
<tr><th>created</th><td>${time(va.createdAt)}</td><td>${time(vb.createdAt)}</td><td></td></tr>
<tr><th>run</th><td>${va.runId ?? ''}</td><td>${vb.runId ?? ''}</td><td></td></tr>
<tr><th>aliases held</th><td>${held(a)}</td><td>${held(bNum)}</td><td></td></tr>
<tr><th>trained on</th><td>${await inputLinks(deps, ctx, va)}</td><td>${await inputLinks(deps, ctx, vb)}</td><td></td></tr>
${metrics.map((m) => html`<tr data-metric="${m}"><th>${m}</th><td class="num">${num(va.metrics[m])}</td><td class="num">${num(vb.metrics[m])}</td><td class="num">${delta(m)}</td></tr>`)}
${params.map((p) => html`<tr data-param="${p}"><th>param ${p}</th><td>${show(va.params[p])}</td><td>${show(vb.params[p])}</td><td>${show(va.params[p]) === show(vb.params[p]) ? '' : 'differs'}</td></tr>`)}
</tbody></table>
<h2>Metrics</h2><div class="compare">${metricPairs(metrics.map((m) => ({ name: m, a: va.metrics[m], b: vb.metrics[m] })), [`v${a}`, `v${bNum}`])}</div>
<h2>Feature importance</h2>${importanceTable(a, bNum, ia, ib)}`;
  return page(ctx, 'models', `Compare ${name} v${a} and v${bNum}`, body);
}
