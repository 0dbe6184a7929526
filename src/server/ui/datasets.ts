/** Datasets: the list, and a version's partitions, schema, profile, validation, quarantine and lineage. */
import { quoteIdent, readParquetSql } from '../../engine/index.ts';
import type { DatasetVersionRecord, Json } from '../../store/types.ts';
import { html, query, type SafeHtml } from './html.ts';
import { num, page, stateBadge, time, type PageContext } from './layout.ts';
import { bars } from './svg.ts';
import type { UiDeps } from './types.ts';

const MAX_VERSIONS = 200;
const QUARANTINE_ROWS = 100;

export async function datasetsPage(deps: UiDeps, ctx: PageContext): Promise<SafeHtml> {
  const list = await deps.store.listDatasets();
  const b = ctx.base;
  const body = html`<h1>Datasets</h1>
${list.length === 0 ? html`<p class="muted">No dataset yet.</p>` : html`<table class="datasets"><thead><tr><th>dataset</th><th class="num">latest version</th><th>partition</th><th class="num">rows</th><th class="num">columns</th><th>validation</th><th>created</th></tr></thead><tbody>
${list.map((d) => html`<tr><td><a href="${b}/datasets/${encodeURIComponent(d.dataset)}">${d.dataset}</a></td><td class="num">${d.version}</td><td>${d.partition ?? ''}</td>
<td class="num">${d.rowCount.toLocaleString('en-US')}</td><td class="num">${d.schema.length}</td><td>${validationStatus(d)}</td><td>${time(d.createdAt)}</td></tr>`)}
</tbody></table>`}`;
  return page(ctx, 'datasets', 'Datasets', body);
}

function validationStatus(d: DatasetVersionRecord): SafeHtml | string {
  const v = d.meta['validation'];
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof v['status'] === 'string') return stateBadge(v['status']);
  return '';
}

export async function datasetPage(deps: UiDeps, ctx: PageContext, name: string, versionParam: number | undefined): Promise<SafeHtml | undefined> {
  const versions = await deps.store.listDatasetVersions(name);
  if (versions.length === 0) return undefined;
  const b = ctx.base;
  const v = versionParam === undefined ? versions[0]! : versions.find((x) => x.version === versionParam);
  if (!v) return undefined;
  const shown = versions.slice(0, MAX_VERSIONS);
  const partitions = new Map<string, DatasetVersionRecord>();
  for (const x of versions) if (x.partition !== null && x.expiredAt === null && !partitions.has(x.partition)) partitions.set(x.partition, x);
  const [up, down, quarantine] = await Promise.all([lineageUp(deps, v), deps.store.listLineageChildren(v.id), quarantineSection(deps, ctx, v)]);
  const href = (x: { dataset: string; version: number }): string => `${b}/datasets/${encodeURIComponent(x.dataset)}${query({ version: x.version })}`;
  const mhref = (x: { model: string; version: number }): string => `${b}/models/${encodeURIComponent(x.model)}${query({ version: x.version })}`;
  const body = html`<h1>Dataset ${name} <span class="muted">v${v.version}</span></h1>
<dl class="kv"><dt>rows</dt><dd>${v.rowCount.toLocaleString('en-US')}</dd><dt>columns</dt><dd>${v.schema.length}</dd>
${v.partition !== null ? html`<dt>partition</dt><dd>${v.partition}</dd>` : ''}
<dt>created</dt><dd>${time(v.createdAt)}${v.runId ? html` by run <a href="${b}/runs/${encodeURIComponent(v.runId)}">${v.runId}</a> step ${v.step ?? ''}` : ''}</dd>
<dt>content hash</dt><dd><code>${v.contentHash}</code></dd>
${v.expiredAt !== null ? html`<dt>expired</dt><dd>${time(v.expiredAt)} (retention)</dd>` : ''}</dl>

${partitions.size ? html`<h2>Partitions</h2><table class="partitions"><thead><tr><th>partition</th><th class="num">current version</th><th class="num">rows</th><th>validation</th><th>created</th></tr></thead><tbody>
${[...partitions.values()].sort((x, y) => String(x.partition).localeCompare(String(y.partition))).map((x) => html`<tr><td>${x.partition}</td><td class="num"><a href="${href(x)}">v${x.version}</a></td><td class="num">${x.rowCount.toLocaleString('en-US')}</td><td>${validationStatus(x)}</td><td>${time(x.createdAt)}</td></tr>`)}
</tbody></table>` : ''}

<h2>Profile</h2>${profileTable(v)}
<h2>Validation</h2>${validationSection(v)}
<h2>Quarantined rows</h2>${quarantine}
<h2>Lineage</h2><div class="grid2"><div><h3>Made from</h3>${up.length ? html`<ul class="lineage-up">${up.map((u) => html`<li>${u.kind === 'dataset' ? html`dataset <a href="${href(u.ref as DatasetVersionRecord)}">${(u.ref as DatasetVersionRecord).dataset} v${u.ref.version}</a>` : u.kind === 'model' ? html`model <a href="${mhref(u.ref as { model: string; version: number })}">${(u.ref as { model: string }).model} v${u.ref.version}</a>` : html`<code>${u.id}</code>`}</li>`)}</ul>` : html`<p class="muted">nothing recorded (a source read)</p>`}</div>
<div><h3>Used by</h3>${down.datasets.length || down.models.length ? html`<ul class="lineage-down">
${down.datasets.map((d) => html`<li>dataset <a href="${href(d)}">${d.dataset} v${d.version}</a></li>`)}${down.models.map((m) => html`<li>model <a href="${mhref(m)}">${m.model} v${m.version}</a></li>`)}</ul>` : html`<p class="muted">nothing yet</p>`}</div></div>

<h2>Versions</h2><table class="versions"><thead><tr><th class="num">version</th><th>partition</th><th class="num">rows</th><th>validation</th><th>created</th><th>run</th><th></th></tr></thead><tbody>
${shown.map((x) => html`<tr${x.version === v.version ? html` class="current"` : ''}><td class="num"><a href="${href(x)}">v${x.version}</a></td><td>${x.partition ?? ''}</td><td class="num">${x.rowCount.toLocaleString('en-US')}</td><td>${validationStatus(x)}</td><td>${time(x.createdAt)}</td><td>${x.runId ? html`<a href="${b}/runs/${encodeURIComponent(x.runId)}">${x.runId}</a>` : ''}</td><td>${x.expiredAt !== null ? 'expired' : ''}</td></tr>`)}
</tbody></table>${versions.length > shown.length ? html`<p class="muted">${versions.length - shown.length} older versions not shown.</p>` : ''}`;
  return page(ctx, 'datasets', `Dataset ${name}`, body);
}

function asObject(v: Json | undefined): { [k: string]: Json } | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

function profileTable(v: DatasetVersionRecord): SafeHtml {
  const profile = Array.isArray(v.profile) ? v.profile.map(asObject).filter((c) => c !== undefined) : [];
  const byName = new Map(profile.map((c) => [String(c['name']), c]));
  const rows = v.schema.map((col) => {
    const p = byName.get(col.name);
    const hist = Array.isArray(p?.['histogram']) ? (p['histogram'] as Json[]).map(asObject).filter((h) => h !== undefined) : [];
    const top = Array.isArray(p?.['top']) ? (p['top'] as Json[]).map(asObject).filter((h) => h !== undefined) : [];
    const chart = hist.length
      ? bars(hist.map((h) => ({ label: `${num(h['lo'] as number)} to ${num(h['hi'] as number)}`, share: Number(h['share']) })))
      : top.length ? bars(top.slice(0, 12).map((t) => ({ label: String(t['value']), share: Number(t['share']) }))) : '';
    const n = (k: string): number | null => (typeof p?.[k] === 'number' ? (p[k] as number) : null);
    const s = (k: string): string => (p?.[k] === null || p?.[k] === undefined ? '' : String(p[k]));
    return html`<tr data-column="${col.name}"><td><code>${col.name}</code></td><td>${col.type}</td><td class="num">${n('nullFraction') === null ? '' : `${(n('nullFraction')! * 100).toFixed(1)}%`}</td>
<td class="num">${num(n('distinct'))}</td><td class="num">${s('min')}</td><td class="num">${s('max')}</td><td class="num">${num(n('mean'))}</td><td class="num">${num(n('std'))}</td><td class="chartcell">${chart}</td></tr>`;
  });
  return html`<table class="profile"><thead><tr><th>column</th><th>type</th><th class="num">null</th><th class="num">distinct</th><th class="num">min</th><th class="num">max</th><th class="num">mean</th><th class="num">std</th><th>distribution</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function validationSection(v: DatasetVersionRecord): SafeHtml {
  const r = asObject(v.meta['validation']);
  if (!r) return html`<p class="muted">This version was not validated by a suite.</p>`;
  const rows = asObject(r['rows']) ?? {};
  const exps = Array.isArray(r['expectations']) ? r['expectations'].map(asObject).filter((e) => e !== undefined) : [];
  return html`<p>Suite <strong>${String(r['suite'] ?? '')}</strong> ${stateBadge(String(r['status'] ?? ''))}: ${num(rows['input'] as number)} rows read, ${num(rows['clean'] as number)} clean, ${num(rows['quarantined'] as number)} quarantined, ${num(rows['unparsed'] as number)} unparsed.</p>
<table class="expectations"><thead><tr><th>expectation</th><th>level</th><th>severity</th><th>status</th><th class="num">failed rows</th><th>details</th></tr></thead><tbody>
${exps.map((e) => html`<tr data-expectation="${String(e['name'])}"><td><strong>${String(e['name'])}</strong><br><span class="muted">${String(e['description'] ?? '')}</span></td><td>${String(e['level'] ?? '')}</td><td>${String(e['severity'] ?? '')}</td><td>${stateBadge(String(e['status']))}</td>
<td class="num">${e['failedRows'] === undefined ? '' : `${num(e['failedRows'] as number)} (${((Number(e['failedShare']) || 0) * 100).toFixed(2)}%)`}</td>
<td>${e['message'] ? String(e['message']) : ''}${e['observed'] !== undefined && e['observed'] !== null ? html` <span class="muted">observed ${JSON.stringify(e['observed'])}</span>` : ''}
${Array.isArray(e['samples']) && e['samples'].length ? html`<details><summary>sample rows</summary><pre>${e['samples'].map((x) => JSON.stringify(x)).join('\n')}</pre></details>` : ''}</td></tr>`)}
</tbody></table>
${asObject(r['drift']) ? html`<p>Schema drift: ${String(asObject(r['drift'])!['action'] ?? '')}</p>` : ''}`;
}

async function quarantineSection(deps: UiDeps, ctx: PageContext, v: DatasetVersionRecord): Promise<SafeHtml> {
  if (v.dataset.endsWith('_quarantine')) return html`<p class="muted">This is a quarantine dataset: its rows are shown in the profile above.</p>`;
  const qname = `${v.dataset}_quarantine`;
  const qs = await deps.store.listDatasetVersions(qname);
  if (qs.length === 0) return html`<p class="muted">No row of ${v.dataset} was quarantined.</p>`;
  // The quarantine written with this version (same run), else the newest one of its partition.
  const q = qs.find((x) => x.runId !== null && x.runId === v.runId && x.partition === v.partition) ?? qs.find((x) => x.partition === v.partition) ?? qs[0]!;
  const link = html`<a href="${ctx.base}/datasets/${encodeURIComponent(qname)}${query({ version: q.version })}">${qname} v${q.version}</a>`;
  if (!deps.engine) return html`<p>${q.rowCount.toLocaleString('en-US')} rows in ${link}.</p><p class="muted">Rows are shown when the UI has a DuckDB engine.</p>`;
  if (!(await deps.artifacts.has(q.artifact))) return html`<p>${link}: its file was deleted by retention.</p>`;
  const cols = q.schema.map((c) => c.name);
  const ordered = ['_failed', ...cols.filter((c) => c !== '_failed')].filter((c) => cols.includes(c));
  const rows = await withEngine(deps, (e) => e.rows(`SELECT ${ordered.map(quoteIdent).join(', ')} FROM ${readParquetSql(deps.artifacts.path(q.artifact))} LIMIT ${QUARANTINE_ROWS}`));
  return html`<p>${q.rowCount.toLocaleString('en-US')} rows in ${link}${q.rowCount > rows.length ? `, the first ${rows.length} shown` : ''}.</p>
<table class="quarantine"><thead><tr>${ordered.map((c) => html`<th>${c === '_failed' ? 'reason' : c}</th>`)}</tr></thead><tbody>
${rows.map((r) => html`<tr>${ordered.map((c) => (c === '_failed' ? html`<td class="reason">${reasons(r[c])}</td>` : html`<td>${cell(r[c])}</td>`))}</tr>`)}</tbody></table>`;
}

/** The quarantine's `_failed` (a list of { expectation, reason }) as one line per broken expectation. */
function reasons(v: unknown): SafeHtml | string {
  if (!Array.isArray(v)) return cell(v);
  return html`${v.map((x, i) => {
    const o = (x ?? {}) as { expectation?: unknown; reason?: unknown };
    return html`${i ? html`<br>` : ''}<strong>${String(o.expectation ?? '')}</strong>: ${String(o.reason ?? '')}`;
  })}`;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}

/** DuckDB is one connection: the UI's queries take turns. */
let queue: Promise<unknown> = Promise.resolve();
export function withEngine<T>(deps: UiDeps, fn: (engine: NonNullable<UiDeps['engine']>) => Promise<T>): Promise<T> {
  const engine = deps.engine!;
  const next = queue.then(() => fn(engine), () => fn(engine));
  queue = next.catch(() => undefined);
  return next;
}

type Up = { kind: 'dataset'; id: string; ref: DatasetVersionRecord } | { kind: 'model'; id: string; ref: { model: string; version: number } } | { kind: 'unknown'; id: string; ref: { version: number } };

async function lineageUp(deps: UiDeps, v: DatasetVersionRecord): Promise<Up[]> {
  const scoredBy = asObject(v.meta['scoredBy']);
  const out: Up[] = [];
  for (const id of v.inputs) {
    const d = await deps.store.getDatasetVersionById(id);
    if (d) { out.push({ kind: 'dataset', id, ref: d }); continue; }
    if (scoredBy && scoredBy['modelVersionId'] === id) { out.push({ kind: 'model', id, ref: { model: String(scoredBy['model']), version: Number(scoredBy['version']) } }); continue; }
    out.push({ kind: 'unknown', id, ref: { version: 0 } });
  }
  return out;
}


